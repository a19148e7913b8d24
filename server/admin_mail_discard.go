package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

// discardMail gives up on a waiting or failed message; an unknown or
// already sent message is 404.
func (s *Server) discardMail(c *fiber.Ctx) error {
	if err := s.outbox.Discard(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	s.audit(c, auth.AuditMailDiscard, c.Params("id"), nil)
	return s.redirectWithFlash(c, "/admin/mail", "flash.mail_discarded")
}
