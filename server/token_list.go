package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

type tokensData struct {
	Tokens []*auth.APIToken
	// Secret is the new token, shown once right after it was created.
	Secret      string
	SecretScope auth.TokenScope
	Name        string
	ExpiresIn   string
	// Scope is the scope chosen in the form; Scopes those offered.
	Scope  string
	Scopes []auth.TokenScope
	Errors auth.FieldErrors
}

func (s *Server) listTokens(c *fiber.Ctx) error {
	// Read is preselected: the least a script needs is the safest default.
	return s.renderTokens(c, fiber.StatusOK, tokensData{ExpiresIn: "90", Scope: string(auth.ScopeRead)})
}

func (s *Server) renderTokens(c *fiber.Ctx, status int, d tokensData) error {
	m := currentMember(c)
	ts, err := s.auth.Tokens(c.UserContext(), m.ID)
	if err != nil {
		return err
	}
	d.Tokens = ts
	admin, err := s.usesAdminPages(c, m)
	if err != nil {
		return err
	}
	d.Scopes = []auth.TokenScope{auth.ScopeRead, auth.ScopeWrite}
	if admin {
		d.Scopes = append(d.Scopes, auth.ScopeAdmin)
	}
	return s.render(c, status, "tokens", s.newPage(c, s.T(c, "tokens.title"), "profile", d))
}
