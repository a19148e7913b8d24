package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gofiber/fiber/v2"
	"github.com/markbates/goth/providers/github"
	"golang.org/x/oauth2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// completeProviderSignin is where the provider sends the browser back:
// GET /auth/:provider/callback?state=...&code=... (or &error=...). The state
// must belong to an attempt started by this very browser session for this
// provider, not yet used and not expired; only then is the code exchanged
// and the identity verified. Every failure renders a page that says what
// happened and offers to try again; no session is created.
func (s *Server) completeProviderSignin(c *fiber.Ctx) error {
	p := s.providers.get(c.Params("provider"))
	if p == nil {
		return fault.New(fault.NotFound, "error.404")
	}
	ctx := c.UserContext()
	state := c.Query("state")
	if state == "" || len(state) > 256 {
		return fault.New(fault.Invalid, "signin.error.state")
	}
	a, err := s.auth.TakeSigninAttempt(ctx, state) // deleted as it is read: single use
	if errors.Is(err, auth.ErrNoSigninAttempt) {
		s.log.Info("sign-in state unknown or already used", "provider", p.Key, "request_id", requestID(c))
		return fault.New(fault.Invalid, "signin.error.state")
	}
	if err != nil {
		return err
	}
	sid, _ := c.Locals(localSession).(string)
	if subtle.ConstantTimeCompare([]byte(a.SessionHash), []byte(digest(sid))) != 1 || a.Provider != p.Key {
		// Another browser's state: a login CSRF attempt, or a link opened
		// in a different browser than the one that started the sign-in.
		s.audit(c, auth.AuditSignInFailed, a.MemberID, map[string]string{"provider": p.Key, "reason": "state_session_mismatch"})
		return fault.New(fault.Invalid, "signin.error.state")
	}
	if time.Now().After(a.ExpiresAt) {
		return fault.New(fault.Invalid, "signin.error.expired")
	}
	if e := c.Query("error"); e != "" {
		s.log.Info("sign-in refused by the provider", "provider", p.Key, "error", e,
			"description", c.Query("error_description"), "request_id", requestID(c))
		if e == "access_denied" {
			return fault.New(fault.Forbidden, "signin.error.denied")
		}
		return fault.New(fault.Invalid, "signin.error.provider")
	}
	code := c.Query("code")
	if code == "" || len(code) > 4096 {
		return fault.New(fault.Invalid, "signin.error.provider")
	}

	pctx, cancel := context.WithTimeout(ctx, providerTimeout)
	u, err := p.impl.complete(pctx, a, code)
	cancel()
	if err != nil {
		var vf *verifyFailure
		if errors.As(err, &vf) {
			s.log.Warn("sign-in token rejected", "provider", p.Key, "reason", vf.reason, "err", vf.err, "request_id", requestID(c))
			s.audit(c, auth.AuditSignInFailed, a.MemberID, map[string]string{"provider": p.Key, "reason": vf.reason})
			return fault.Wrap(fault.Forbidden, vf.err, "signin.error.token")
		}
		return err
	}
	id := auth.Identity{Provider: p.Key, Subject: u.Subject, Email: u.Email}

	if a.MemberID != "" { // adding this provider to a signed-in account
		m := currentMember(c)
		if m == nil || m.ID != a.MemberID {
			return fault.New(fault.Invalid, "signin.error.state")
		}
		if err := s.auth.LinkIdentity(ctx, m.ID, id); err != nil {
			if errors.Is(err, auth.ErrIdentityTaken) {
				return fault.Wrap(fault.Conflict, err, "signin.error.taken")
			}
			return err
		}
		s.audit(c, auth.AuditLink, m.ID, map[string]string{"provider": p.Key})
		return s.redirectWithFlash(c, "/profile", "flash.linked")
	}

	m, created, err := s.auth.SignInMember(ctx, id, u.Name, u.Email)
	if err != nil {
		return err
	}
	if a.SetupLink != "" {
		if err := s.auth.ClaimSetup(ctx, a.SetupLink, m.ID); err != nil {
			s.audit(c, auth.AuditSignInFailed, m.ID, map[string]string{"provider": p.Key, "reason": "setup_refused"})
			return setupFault(err)
		}
		if m, err = s.auth.Member(ctx, m.ID); err != nil {
			return err
		}
	}
	if currentMember(c) != nil {
		// Signing in as someone (or the same person) again: the session
		// being replaced ends now rather than at its expiry.
		if err := s.auth.DeleteSession(ctx, sid); err != nil {
			return err
		}
		s.conns.endSession(auth.SessionID(sid))
	}
	if err := s.startSession(c, m); err != nil { // refuses deactivated and rejected members
		s.audit(c, auth.AuditSignInFailed, m.ID, map[string]string{"provider": p.Key, "reason": "member_" + string(m.Status)})
		return err
	}
	s.audit(c, auth.AuditSignIn, m.ID, map[string]string{"provider": p.Key})
	if a.SetupLink != "" { // the new administrator goes to the admin area, not the profile form
		s.audit(c, auth.AuditSetupClaimed, m.ID, map[string]string{"provider": p.Key})
		return s.redirectWithFlash(c, a.Next, "flash.setup.done")
	}
	if created {
		return s.redirectWithFlash(c, "/profile", "flash.signedin") // a new member completes their profile
	}
	return s.redirectWithFlash(c, a.Next, "flash.signedin")
}

// verifyFailure is a provider answer that failed verification: a forged,
// misdirected, expired or replayed token. It is audited with its reason.
type verifyFailure struct {
	reason string
	err    error
}

func (v *verifyFailure) Error() string {
	return "sign-in verification failed (" + v.reason + "): " + v.err.Error()
}
func (v *verifyFailure) Unwrap() error { return v.err }

func verifyFailed(reason string, err error) error { return &verifyFailure{reason: reason, err: err} }

// exchangeFault classifies a failed code exchange: a provider that answered
// with an error refused the code (expired, used, or not ours); anything else
// means it could not be reached or answered nonsense.
func exchangeFault(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
		return fault.Wrap(fault.Invalid, err, "signin.error.code")
	}
	return fault.Wrap(fault.Unavailable, err, "signin.error.unreachable")
}

func (p *oidcProvider) complete(ctx context.Context, a *signinAttempt, code string) (*providerUser, error) {
	r, err := p.endpoints(ctx)
	if err != nil {
		return nil, err
	}
	hctx := oidc.ClientContext(ctx, p.client)
	var opts []oauth2.AuthCodeOption
	if p.pkce {
		opts = append(opts, oauth2.VerifierOption(a.Verifier))
	}
	tok, err := r.oauth.Exchange(hctx, code, opts...)
	if err != nil {
		return nil, exchangeFault(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, verifyFailed("missing_id_token", errors.New("token response without id_token"))
	}
	idt, err := r.verifier.Verify(hctx, raw) // signature (JWKS), issuer, audience, expiry
	if err != nil {
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return nil, verifyFailed("expired", err)
		}
		return nil, verifyFailed("invalid_id_token", err)
	}
	var claims struct {
		Name              string `json:"name"`
		GivenName         string `json:"given_name"`
		FamilyName        string `json:"family_name"`
		PreferredUsername string `json:"preferred_username"`
		Email             string `json:"email"`
		EmailVerified     any    `json:"email_verified"` // a boolean, or a string at some providers
		TenantID          string `json:"tid"`
	}
	if err := idt.Claims(&claims); err != nil {
		return nil, verifyFailed("invalid_id_token", err)
	}
	if p.entra {
		want, ok := entraIssuer(r.entraIssuer, claims.TenantID)
		if !ok || idt.Issuer != want {
			return nil, verifyFailed("issuer", fmt.Errorf("issuer %q, tenant %q, expected from %q", idt.Issuer, claims.TenantID, r.entraIssuer))
		}
	}
	switch {
	case idt.Nonce == "" && p.requireNonce:
		return nil, verifyFailed("nonce", errors.New("id_token without nonce"))
	case idt.Nonce != "" && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(a.Nonce)) != 1:
		return nil, verifyFailed("nonce", errors.New("id_token nonce does not match the attempt"))
	}
	if idt.Subject == "" || len(idt.Subject) > 255 {
		return nil, verifyFailed("subject", errors.New("id_token without a usable subject"))
	}
	u := &providerUser{Subject: idt.Subject, Name: claims.Name, Email: claims.Email}
	if u.Name == "" {
		u.Name = strings.TrimSpace(claims.GivenName + " " + claims.FamilyName)
	}
	if u.Email == "" && strings.Contains(claims.PreferredUsername, "@") {
		u.Email = claims.PreferredUsername // Entra: the sign-in name, usually an address
	}
	if v, ok := claims.EmailVerified.(bool); ok && !v || claims.EmailVerified == "false" {
		u.Email = "" // an address the provider itself does not vouch for is not kept
	}
	if u.Name == "" && u.Email == "" {
		// Some providers put profile claims only in the user info answer.
		// The identity is already verified; this only fills in the name.
		if info, err := r.provider.UserInfo(hctx, oauth2.StaticTokenSource(tok)); err == nil && info.Subject == idt.Subject {
			var ic struct {
				Name  string `json:"name"`
				Given string `json:"given_name"`
				Fam   string `json:"family_name"`
			}
			_ = info.Claims(&ic)
			u.Name = firstOf(ic.Name, strings.TrimSpace(ic.Given+" "+ic.Fam))
			if info.EmailVerified {
				u.Email = info.Email
			}
		}
	}
	return u.clean(), nil
}

// tenantIDRe matches an Entra tenant ID (a GUID).
var tenantIDRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// entraIssuer is the issuer a token of tenant tid must carry: the discovery
// document's issuer, with {tenantid} filled in for multi-tenant apps.
func entraIssuer(template, tid string) (string, bool) {
	if !strings.Contains(template, "{tenantid}") {
		return template, true
	}
	if !tenantIDRe.MatchString(tid) {
		return "", false
	}
	return strings.Replace(template, "{tenantid}", tid, 1), true
}

func (p *githubProvider) complete(ctx context.Context, a *signinAttempt, code string) (*providerUser, error) {
	tok, err := p.oauth.Exchange(oidc.ClientContext(ctx, p.http), code, oauth2.VerifierOption(a.Verifier))
	if err != nil {
		return nil, exchangeFault(err)
	}
	// goth's FetchUser takes no context; its client has providerTimeout.
	gu, err := p.goth.FetchUser(&github.Session{AccessToken: tok.AccessToken})
	if err != nil {
		return nil, fault.Wrap(fault.Unavailable, err, "signin.error.unreachable")
	}
	if gu.UserID == "" || gu.UserID == "0" {
		return nil, fault.Wrap(fault.Unavailable, fmt.Errorf("%w: GitHub user without an ID", errProviderAnswer), "signin.error.unreachable")
	}
	u := &providerUser{Subject: gu.UserID, Name: firstOf(gu.Name, gu.NickName), Email: gu.Email}
	return u.clean(), nil
}

// clean bounds what a provider may write into a member's profile.
func (u *providerUser) clean() *providerUser {
	u.Name = clipRunes(strings.TrimSpace(u.Name), 120)
	u.Email = strings.TrimSpace(u.Email)
	if len(u.Email) > 254 || !strings.Contains(u.Email, "@") {
		u.Email = ""
	}
	return u
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func firstOf(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
