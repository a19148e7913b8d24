package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

type adminMembersData struct {
	Queue    []*auth.Member
	Status   string
	Members  []*auth.Member
	Statuses []string
	Roles    []auth.Role
	IsAdmin  bool
	Errors   map[string]string // member ID -> message key, for a failed decision
	// Error is shown above the lists when the member concerned is not in
	// the queue any more (decided by someone else in the meantime).
	Error string
}

// coordinatesAny reports whether the member coordinates at least one group.
func (s *Server) coordinatesAny(c *fiber.Ctx, m *auth.Member) (bool, error) {
	gs, err := s.auth.GroupsOf(c.UserContext(), m.ID)
	if err != nil {
		return false, err
	}
	for _, g := range gs {
		if g.IsCoordinator(m.ID) {
			return true, nil
		}
	}
	return false, nil
}

// usesAdminPages reports whether m reaches any administration page:
// administrators, moderators (the categories they look after), and group
// coordinators (the membership review, their groups and categories).
func (s *Server) usesAdminPages(c *fiber.Ctx, m *auth.Member) (bool, error) {
	if auth.CanAdminister(m) || auth.CanManageCategories(m, nil) {
		return true, nil
	}
	coord, err := s.coordinatesAny(c, m)
	if err != nil {
		return false, err
	}
	return auth.CanReviewMembers(m, coord), nil
}

// requireReviewer lets administrators and group coordinators through.
func (s *Server) requireReviewer(c *fiber.Ctx) error {
	m := currentMember(c)
	coord, err := s.coordinatesAny(c, m)
	if err != nil {
		return err
	}
	if !auth.CanReviewMembers(m, coord) {
		return fault.New(fault.Forbidden, "error.403")
	}
	return nil
}

// listAdminMembers shows the review queue to reviewers and, to
// administrators, every member by status with role and deactivation tools.
func (s *Server) listAdminMembers(c *fiber.Ctx) error {
	return s.renderAdminMembers(c, fiber.StatusOK, nil)
}

func (s *Server) renderAdminMembers(c *fiber.Ctx, status int, errs map[string]string) error {
	if err := s.requireReviewer(c); err != nil {
		return err
	}
	ctx := c.UserContext()
	m := currentMember(c)
	queue, err := s.auth.ReviewQueue(ctx)
	if err != nil {
		return err
	}
	d := adminMembersData{Queue: queue, IsAdmin: auth.CanAdminister(m), Roles: auth.Roles, Errors: errs,
		Statuses: []string{string(auth.StatusApproved), string(auth.StatusPending), string(auth.StatusRejected), string(auth.StatusDeactivated)}}
	for id, key := range errs {
		found := false
		for _, q := range queue {
			found = found || q.ID == id
		}
		if !found {
			d.Error = key
		}
	}
	if d.IsAdmin {
		d.Status = string(auth.StatusApproved)
		for _, st := range d.Statuses {
			if c.Query("status") == st {
				d.Status = st
			}
		}
		if d.Members, err = s.auth.MembersByStatus(ctx, auth.Status(d.Status), 500); err != nil {
			return err
		}
	}
	p, err := s.adminPage(c, s.T(c, "admin.members.title"), "members", d)
	if err != nil {
		return err
	}
	return s.render(c, status, "admin_members", p)
}
