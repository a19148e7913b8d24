package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

type adminGroupRow struct {
	Group *auth.Group
	Name  string // in the page's language
	Size  int
}

type adminGroupsData struct {
	Groups    []adminGroupRow
	Archived  []adminGroupRow
	CanCreate bool
}

// listAdminGroups lists the groups the member runs (administrators: all),
// archived ones apart, with a link to create one for administrators.
func (s *Server) listAdminGroups(c *fiber.Ctx) error {
	m := currentMember(c)
	gs, err := s.auth.Groups(c.UserContext())
	if err != nil {
		return err
	}
	lang := s.lang(c)
	d := adminGroupsData{CanCreate: auth.CanCreateGroup(m)}
	for _, g := range gs {
		if !auth.CanManageGroup(m, g) {
			continue
		}
		row := adminGroupRow{Group: g, Name: g.NameIn(lang), Size: g.Size()}
		if g.Archived {
			d.Archived = append(d.Archived, row)
		} else {
			d.Groups = append(d.Groups, row)
		}
	}
	p, err := s.adminPage(c, s.T(c, "admin.section.groups"), "groups", d)
	if err != nil {
		return err
	}
	if !d.CanCreate && len(d.Groups)+len(d.Archived) == 0 {
		return forbidden()
	}
	return s.render(c, fiber.StatusOK, "admin_groups", p)
}
