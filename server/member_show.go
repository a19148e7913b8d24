package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

type memberData struct {
	Profile *auth.Member
	Groups  []*auth.Group
}

// showMember is a member's public profile inside the portal: who they are,
// their groups, and (as features land) what they shared.
func (s *Server) showMember(c *fiber.Ctx) error {
	ctx := c.UserContext()
	m, err := s.auth.Member(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	// Only approved members are listed; others do not exist for viewers.
	if m.Status != auth.StatusApproved && m.Status != auth.StatusDeleted {
		return fault.New(fault.NotFound, "error.404")
	}
	gs, err := s.auth.GroupsOf(ctx, m.ID)
	if err != nil {
		return err
	}
	viewer := currentMember(c)
	var visible []*auth.Group
	for _, g := range gs {
		if auth.CanSeeGroup(viewer, g) {
			visible = append(visible, g)
		}
	}
	title := m.Name
	if m.Status == auth.StatusDeleted {
		title = s.T(c, "member.former")
	}
	return s.render(c, fiber.StatusOK, "member_show", s.newPage(c, title, "members", memberData{Profile: m, Groups: visible}))
}
