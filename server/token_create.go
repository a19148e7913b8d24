package server

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

// createToken makes a personal API token and shows its secret once, on the
// response itself: it is never stored in plain text, so it cannot be shown
// again after a redirect.
func (s *Server) createToken(c *fiber.Ctx) error {
	m := currentMember(c)
	d := tokensData{Name: strings.TrimSpace(formValue(c, "name")), ExpiresIn: formValue(c, "expires_in"), Scope: formValue(c, "scope"), Errors: auth.FieldErrors{}}
	if n := len([]rune(d.Name)); n < 1 || n > 60 {
		d.Errors["name"] = "tokens.error.name"
	}
	if d.Scope == "" {
		d.Scope = string(auth.ScopeRead) // the page preselects it; a bare form gets the least power
	}
	scope, ok := auth.ParseTokenScope(d.Scope)
	if ok && scope == auth.ScopeAdmin {
		admin, err := s.usesAdminPages(c, m)
		if err != nil {
			return err
		}
		ok = admin // an admin scope adds nothing for others: not offered
	}
	if !ok {
		d.Errors["scope"] = "tokens.error.scope"
	}
	var expires *time.Time
	if d.ExpiresIn != "" && d.ExpiresIn != "never" {
		days, err := strconv.Atoi(d.ExpiresIn)
		if err != nil || days < 1 || days > 366 {
			d.Errors["expires_in"] = "tokens.error.expires"
		} else {
			t := time.Now().UTC().Add(time.Duration(days) * 24 * time.Hour)
			expires = &t
		}
	}
	if len(d.Errors) > 0 {
		return s.renderTokens(c, fiber.StatusBadRequest, d)
	}
	secret, t, err := s.auth.CreateScopedToken(c.UserContext(), m.ID, d.Name, scope, expires)
	if err != nil {
		return err
	}
	s.audit(c, auth.AuditTokenCreate, m.ID, map[string]string{"token": t.ID, "name": t.Name, "scope": string(t.Scope)})
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.renderTokens(c, fiber.StatusCreated, tokensData{Secret: secret, SecretScope: t.Scope, ExpiresIn: "90", Scope: string(auth.ScopeRead)})
}
