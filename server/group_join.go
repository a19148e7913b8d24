package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// joinGroup adds the viewer to an open group.
func (s *Server) joinGroup(c *fiber.Ctx) error {
	g, err := s.findGroup(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if g.HasMember(m.ID) {
		return s.redirectWithFlash(c, groupPath(g), "flash.group_already_member")
	}
	if !auth.CanJoinGroup(m, g) {
		return fault.New(fault.Forbidden, "group.error.cannot_join")
	}
	joined, err := s.auth.JoinGroup(c.UserContext(), g.ID, m.ID)
	if err != nil {
		return err
	}
	if joined { // a double submit joins once and is audited once
		s.audit(c, auth.AuditGroupJoin, m.ID, map[string]string{"group": g.Slug})
	}
	return s.redirectWithFlash(c, groupPath(g), "flash.group_joined")
}
