package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

// retryMail sends a waiting or failed message now, with a fresh retry
// period; an unknown or already sent message is 404.
func (s *Server) retryMail(c *fiber.Ctx) error {
	if err := s.outbox.Retry(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	s.audit(c, auth.AuditMailRetry, c.Params("id"), nil)
	return s.redirectWithFlash(c, "/admin/mail", "flash.mail_retried")
}
