package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// createGroupRequest asks the coordinators of an on-request group to let
// the viewer in, with an optional message. Asking twice changes nothing.
func (s *Server) createGroupRequest(c *fiber.Ctx) error {
	g, err := s.findGroup(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if g.HasMember(m.ID) {
		return s.redirectWithFlash(c, groupPath(g), "flash.group_already_member")
	}
	if !auth.CanRequestGroup(m, g) {
		return fault.New(fault.Forbidden, "group.error.cannot_request")
	}
	f := newGroupForm()
	f.Message = formValue(c, "message")
	r, created, err := s.auth.CreateGroupRequest(c.UserContext(), g.ID, m.ID, f.Message)
	if err != nil {
		if s.groupFieldError(c, &f, err) {
			return s.renderGroup(c, g, fiber.StatusBadRequest, f)
		}
		return err
	}
	if !created {
		return s.redirectWithFlash(c, groupPath(g), "flash.group_request_pending")
	}
	s.audit(c, auth.AuditGroupRequest, m.ID, map[string]string{"group": g.Slug, "request": r.ID})
	return s.redirectWithFlash(c, groupPath(g), "flash.group_requested")
}
