package server

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/frontend"
)

// saveLanguage stores the UI language: on the member's profile when signed
// in, and in a cookie for everyone.
func (s *Server) saveLanguage(c *fiber.Ctx) error {
	l := formValue(c, "lang")
	if !frontend.Supported(l) {
		return fault.New(fault.Invalid, "error.language").OnField("lang")
	}
	if m := currentMember(c); m != nil {
		if err := s.auth.SetLocale(c.UserContext(), m.ID, l); err != nil {
			return err
		}
		m.Locale = l
	}
	s.setPrefCookie(c, langCookie, l, 365*24*time.Hour)
	c.Locals(localLang, l)
	return s.redirectWithFlash(c, localPath(formValue(c, "next")), "flash.language")
}
