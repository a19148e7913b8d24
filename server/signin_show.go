package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/config"
)

type signinData struct {
	Personas  []*auth.Member
	Providers []*providerEntry
	Next      string
}

func (s *Server) showSignin(c *fiber.Ctx) error {
	d := signinData{Next: localPath(c.Query("next")), Providers: s.providers.buttons()}
	if s.cfg.Mode == config.ModeDemo {
		ps, err := s.auth.Personas(c.UserContext())
		if err != nil {
			return err
		}
		d.Personas = ps
	}
	return s.render(c, fiber.StatusOK, "signin", s.newPage(c, s.T(c, "signin.title"), "signin", d))
}
