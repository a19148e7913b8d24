package server

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// leaveGroup takes the viewer out of a group. The last coordinator is
// refused, on the group page, with the reason next to the button.
func (s *Server) leaveGroup(c *fiber.Ctx) error {
	g, err := s.findGroup(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if !auth.CanLeaveGroup(m, g) {
		return fault.New(fault.Invalid, "group.error.not_member")
	}
	ctx := c.UserContext()
	switch err := s.auth.LeaveGroup(ctx, g.ID, m.ID); {
	case errors.Is(err, auth.ErrLastCoordinator):
		f := newGroupForm()
		f.Errors["leave"] = s.T(c, "group.error.last_coordinator")
		return s.renderGroup(c, g, fiber.StatusBadRequest, f)
	case errors.Is(err, auth.ErrNotFound): // already gone: a double submit
	case err != nil:
		return err
	default:
		s.conns.recheckGroupMember(g.ID, m.ID) // as for a removal
		s.audit(c, auth.AuditGroupLeave, m.ID, map[string]string{"group": g.Slug})
	}
	// Back to the group if its page is still visible to the former member.
	to := "/groups"
	if after, err := s.auth.Group(ctx, g.ID); err == nil && auth.CanFindGroup(m, after) {
		to = groupPath(after)
	}
	return s.redirectWithFlash(c, to, "flash.group_left")
}
