package server

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// decideGroupRequest approves or declines a pending request to join, with
// an optional reply that the requester reads on the group page.
func (s *Server) decideGroupRequest(c *fiber.Ctx) error {
	g, err := s.findGroup(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if !auth.CanManageGroup(m, g) {
		return fault.New(fault.Forbidden, "error.403")
	}
	f := newGroupForm()
	f.RequestID, f.Reply = c.Params("id"), formValue(c, "reply")
	if len(f.RequestID) > 100 {
		return fault.New(fault.NotFound, "group.error.request_gone")
	}
	decision := formValue(c, "decision")
	if decision != "approve" && decision != "reject" {
		f.Errors["decision"] = s.T(c, "group.error.decision")
		return s.renderGroup(c, g, fiber.StatusBadRequest, f)
	}
	r, err := s.auth.DecideGroupRequest(c.UserContext(), g.ID, f.RequestID, m.ID, decision == "approve", f.Reply)
	switch {
	case errors.Is(err, auth.ErrNotFound):
		return fault.New(fault.NotFound, "group.error.request_gone")
	case err != nil:
		if s.groupFieldError(c, &f, err) {
			return s.renderGroup(c, g, fiber.StatusBadRequest, f)
		}
		return err
	}
	s.audit(c, auth.AuditGroupDecide, r.MemberID, map[string]string{"group": g.Slug, "request": r.ID, "decision": string(r.Status)})
	if decision == "approve" {
		return s.redirectWithFlash(c, groupPath(g), "flash.group_approved")
	}
	return s.redirectWithFlash(c, groupPath(g), "flash.group_rejected")
}
