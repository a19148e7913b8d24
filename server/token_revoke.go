package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

// revokeToken deletes one of the member's own tokens; another member's token
// is simply not found.
func (s *Server) revokeToken(c *fiber.Ctx) error {
	m := currentMember(c)
	id := c.Params("id")
	if err := s.auth.RevokeToken(c.UserContext(), m.ID, id); err != nil {
		return err
	}
	s.conns.endToken(id) // sockets and streams opened with it end now
	s.audit(c, auth.AuditTokenRevoke, m.ID, map[string]string{"token": id})
	return s.redirectWithFlash(c, "/profile/tokens", "flash.token_revoked")
}
