package server

import (
	"github.com/gofiber/fiber/v2"
)

// adoptTimeZone stores the zone the member's browser reports, sent once by
// portal.js on a page of a member who has none, so reminder e-mails and
// calendar files name the member's zone without a visit to the profile. A
// zone the member chose is never replaced (204 either way); an unknown zone
// is refused with the profile's message.
func (s *Server) adoptTimeZone(c *fiber.Ctx) error {
	m := currentMember(c)
	if _, err := s.auth.AdoptTimeZone(c.UserContext(), m.ID, formValue(c, "time_zone")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
