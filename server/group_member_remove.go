package server

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// removeGroupMember takes someone out of a group on a coordinator's or an
// administrator's decision.
func (s *Server) removeGroupMember(c *fiber.Ctx) error {
	g, err := s.findGroup(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if !auth.CanManageGroup(m, g) {
		return fault.New(fault.Forbidden, "error.403")
	}
	target := c.Params("id")
	if !g.HasMember(target) {
		return fault.New(fault.NotFound, "error.404")
	}
	if !auth.CanRemoveGroupMember(m, g, target) {
		return fault.New(fault.Forbidden, "group.error.cannot_remove")
	}
	switch err := s.auth.RemoveGroupMember(c.UserContext(), g.ID, target); {
	case errors.Is(err, auth.ErrLastCoordinator):
		f := newGroupForm()
		f.Errors["remove"] = s.T(c, "group.error.last_coordinator")
		return s.renderGroup(c, g, fiber.StatusBadRequest, f)
	case errors.Is(err, auth.ErrNotFound): // removed meanwhile: a double submit
	case err != nil:
		return err
	default:
		// Their sockets and streams on the group's workshops and threads
		// end, unless they keep the right another way (facilitator, admin).
		s.conns.recheckGroupMember(g.ID, target)
		s.audit(c, auth.AuditGroupRemove, target, map[string]string{"group": g.Slug})
	}
	return s.redirectWithFlash(c, groupPath(g), "flash.group_member_removed")
}
