package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// deactivateMember blocks a member at once: their sessions are deleted and
// their open websockets closed; their tokens stop working.
func (s *Server) deactivateMember(c *fiber.Ctx) error {
	target, err := s.auth.Member(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if !auth.CanDeactivate(currentMember(c), target) || target.Status == auth.StatusDeleted {
		return fault.New(fault.Forbidden, "error.403")
	}
	// Deactivation signs the member out everywhere at once: the form asks
	// for a ticked confirmation, checked here so it holds without scripts.
	if formValue(c, "confirm") != "1" {
		return s.renderAdminMembers(c, fiber.StatusBadRequest, map[string]string{target.ID: "admin.deactivate.unconfirmed"})
	}
	if err := s.auth.Deactivate(c.UserContext(), target.ID); err != nil {
		return err
	}
	closed := s.conns.closeAll(target.ID)
	s.audit(c, auth.AuditDeactivate, target.ID, map[string]string{"closed_connections": itoa(closed)})
	return s.redirectWithFlash(c, "/admin/members?status=deactivated", "flash.member_deactivated")
}

// reactivateMember lets a deactivated member sign in again, as approved.
func (s *Server) reactivateMember(c *fiber.Ctx) error {
	target, err := s.auth.Member(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if !auth.CanDeactivate(currentMember(c), target) || target.Status != auth.StatusDeactivated {
		return fault.New(fault.Forbidden, "error.403")
	}
	if err := s.auth.SetStatus(c.UserContext(), target.ID, auth.StatusApproved); err != nil {
		return err
	}
	s.audit(c, auth.AuditReactivate, target.ID, nil)
	return s.redirectWithFlash(c, "/admin/members?status=approved", "flash.member_reactivated")
}
