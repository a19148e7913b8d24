package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// decideMember approves or rejects a pending member, with an optional
// message that the member reads on their profile page (and by e-mail when
// SMTP is configured).
func (s *Server) decideMember(c *fiber.Ctx) error {
	if err := s.requireReviewer(c); err != nil {
		return err
	}
	id := c.Params("id")
	decision := formValue(c, "decision")
	if decision != "approve" && decision != "reject" {
		return s.renderAdminMembers(c, fiber.StatusBadRequest, map[string]string{id: "review.error.decision"})
	}
	message := strings.TrimSpace(formValue(c, "message"))
	err := s.auth.Decide(c.UserContext(), id, currentMember(c).ID, decision == "approve", message)
	if fe, ok := fault.As(err); ok && (fe.Kind == fault.Invalid || fe.Kind == fault.Conflict) {
		return s.renderAdminMembers(c, fiber.StatusBadRequest, map[string]string{id: fe.Key})
	}
	if err != nil {
		return err
	}
	action := auth.AuditApprove
	if decision == "reject" {
		action = auth.AuditReject
	}
	s.audit(c, action, id, nil)
	if target, err := s.auth.Member(c.UserContext(), id); err == nil {
		s.core.NotifyDecision(reqCtx(c), target, decision == "approve", message)
	}
	return s.redirectWithFlash(c, "/admin/members", "flash.member_"+decision+"d")
}
