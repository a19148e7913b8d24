package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

type tokensData struct {
	Tokens []*auth.APIToken
	// Secret is the new token, shown once right after it was created.
	Secret    string
	Name      string
	ExpiresIn string
	Errors    auth.FieldErrors
}

func (s *Server) listTokens(c *fiber.Ctx) error {
	return s.renderTokens(c, fiber.StatusOK, tokensData{ExpiresIn: "90"})
}

func (s *Server) renderTokens(c *fiber.Ctx, status int, d tokensData) error {
	ts, err := s.auth.Tokens(c.UserContext(), currentMember(c).ID)
	if err != nil {
		return err
	}
	d.Tokens = ts
	return s.render(c, status, "tokens", s.newPage(c, s.T(c, "tokens.title"), "profile", d))
}
