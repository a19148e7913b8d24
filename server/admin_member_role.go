package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// saveMemberRole changes a member's portal-wide role (administrators only).
func (s *Server) saveMemberRole(c *fiber.Ctx) error {
	target, err := s.auth.Member(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if !auth.CanChangeRoles(currentMember(c), target) {
		return fault.New(fault.Forbidden, "error.403")
	}
	role, err := auth.ParseRole(formValue(c, "role"))
	if err != nil {
		return s.renderAdminMembers(c, fiber.StatusBadRequest, map[string]string{target.ID: "admin.error.role"})
	}
	if role == target.Role {
		return s.redirectWithFlash(c, "/admin/members?status="+string(target.Status), "")
	}
	if err := s.auth.SetRole(c.UserContext(), target.ID, role); err != nil {
		return err
	}
	// A lowered role may end a facilitator's room sockets or an
	// administrator's view of a group's threads.
	s.conns.recheckMember(target.ID)
	s.audit(c, auth.AuditRoleChange, target.ID, map[string]string{"from": string(target.Role), "to": string(role)})
	return s.redirectWithFlash(c, "/admin/members?status="+string(target.Status), "flash.role_changed")
}
