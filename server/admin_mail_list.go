package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/mail"
)

// mailPageSize bounds each list of the mail queue page.
const mailPageSize = 200

// mailRowCtx is one message of the queue page with the page, for the
// retry and discard forms both of its tables show.
type mailRowCtx struct {
	P *Page
	M mail.Queued
}

type mailQueueData struct {
	Enabled bool
	*mail.Queue
}

// listMail shows administrators the mail outbox: what waits, what failed
// and what was sent in the last day.
func (s *Server) listMail(c *fiber.Ctx) error {
	q, err := s.outbox.List(c.UserContext(), mailPageSize)
	if err != nil {
		return err
	}
	p, err := s.adminPage(c, s.T(c, "admin.mail.title"), "mail", mailQueueData{Enabled: s.outbox.Enabled(), Queue: q})
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "admin_mail", p)
}
