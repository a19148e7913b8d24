package server

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// adminLink is one section of the admin area's navigation.
type adminLink struct {
	Key, Path string
	Current   bool
}

// adminSections lists the admin area's sections the member may use, in the
// navigation's order: member review (administrators and coordinators),
// groups (administrators and coordinators), discussion categories (also
// moderators), the portal's words, the audit log, the mail queue, the
// system view and the backups (administrators).
func (s *Server) adminSections(c *fiber.Ctx, current string) ([]adminLink, error) {
	m := currentMember(c)
	if !m.Approved() {
		return nil, nil
	}
	coord, err := s.coordinatesAny(c, m)
	if err != nil {
		return nil, err
	}
	var out []adminLink
	add := func(ok bool, key, path string) {
		if ok {
			out = append(out, adminLink{Key: key, Path: path, Current: key == current})
		}
	}
	add(auth.CanReviewMembers(m, coord), "members", "/admin/members")
	add(auth.CanCreateGroup(m) || coord, "groups", "/admin/groups")
	add(auth.CanManageCategories(m, nil) || auth.CanAdminister(m) || coord, "categories", "/admin/categories")
	add(auth.CanAdminister(m), "settings", "/admin/settings")
	add(auth.CanAdminister(m), "audit", "/admin/audit")
	add(auth.CanAdminister(m), "mail", "/admin/mail")
	add(auth.CanAdminister(m), "system", "/admin/system")
	add(auth.CanAdminister(m), "backups", "/admin/backups")
	return out, nil
}

// adminPage is newPage for the admin area: section "admin" and the area's
// navigation with current marked. A member with no section gets a 403.
func (s *Server) adminPage(c *fiber.Ctx, title, current string, data any) (*Page, error) {
	links, err := s.adminSections(c, current)
	if err != nil {
		return nil, err
	}
	if len(links) == 0 {
		return nil, fault.New(fault.Forbidden, "error.403")
	}
	p := s.newPage(c, title, "admin", data)
	p.AdminNav = links
	return p, nil
}

// showAdmin is the admin area's start page: the sections the member may use.
func (s *Server) showAdmin(c *fiber.Ctx) error {
	p, err := s.adminPage(c, s.T(c, "admin.title"), "", nil)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "admin", p)
}

// authNotFound turns the auth store's not-found into a 404.
func authNotFound(err error) error {
	if errors.Is(err, auth.ErrNotFound) {
		return fault.New(fault.NotFound, "error.404")
	}
	return err
}
