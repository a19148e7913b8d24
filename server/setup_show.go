package server

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// OfferSetup makes a one-time set-up link when the portal has no
// administrator yet, logs it and returns its URL; it returns "" when an
// administrator exists. `portal serve` prints the URL.
func (s *Server) OfferSetup(ctx context.Context) (string, error) {
	secret, l, err := s.auth.CreateSetupLink(ctx)
	if errors.Is(err, auth.ErrSetupDone) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	u := s.cfg.BaseURL + auth.SetupPath(secret)
	// The link is the operator's way in: it goes to the log on purpose,
	// like the first password other servers print. It works once, for an
	// hour, and never after an administrator exists.
	s.log.Warn("no administrator yet: open the set-up link and sign in to become the first administrator",
		"url", u, "expires_at", l.ExpiresAt)
	return u, nil
}

type setupData struct {
	Secret    string
	Providers []*providerEntry
}

// showSetup is the page a set-up link opens: it explains what happens and
// offers the configured providers. Nothing changes here; the claim happens
// when the provider vouches for whoever signs in (auth_provider_callback.go),
// so a session alone (a pending member's, say) never makes an administrator.
func (s *Server) showSetup(c *fiber.Ctx) error {
	secret := c.Params("secret")
	if _, err := s.auth.SetupLinkBySecret(c.UserContext(), secret); err != nil {
		return setupFault(err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	d := setupData{Secret: secret, Providers: s.providers.buttons()}
	return s.render(c, fiber.StatusOK, "setup", s.newPage(c, s.T(c, "setup.title"), "setup", d))
}

// setupFault maps an unknown link to 404 and leaves the link's own errors
// (expired, already used) to say what happened.
func setupFault(err error) error {
	if errors.Is(err, auth.ErrNotFound) {
		return fault.New(fault.NotFound, "setup.error.unknown")
	}
	return err
}
