package server

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// signinDemo signs the visitor in as a demo persona. The route exists only in
// demo mode, which listens on loopback only.
func (s *Server) signinDemo(c *fiber.Ctx) error {
	persona := formValue(c, "persona")
	if persona == NewcomerPersona {
		return s.signinDemoNewcomer(c)
	}
	m, err := s.auth.MemberByIdentity(c.UserContext(), auth.DemoProvider, persona)
	if errors.Is(err, auth.ErrNotFound) || (err == nil && m.Persona == "") {
		// Only the personas offered on the page; other demo members are not logins.
		return fault.New(fault.Invalid, "error.persona").OnField("persona")
	}
	if err != nil {
		return err
	}
	if err := s.startSession(c, m); err != nil {
		return err
	}
	s.audit(c, auth.AuditSignIn, m.ID, map[string]string{"provider": auth.DemoProvider})
	return s.redirectWithFlash(c, localPath(formValue(c, "next")), "flash.signedin")
}

// NewcomerPersona signs in as a brand-new account, so a visitor can try the
// membership flow: complete the profile, then approve it as the coordinator.
const NewcomerPersona = "newcomer"

func (s *Server) signinDemoNewcomer(c *fiber.Ctx) error {
	id := auth.Identity{Provider: auth.DemoProvider, Subject: NewcomerPersona + "-" + newRequestID()}
	// example.org is reserved for examples: mail to it never reaches anyone.
	m, _, err := s.auth.SignInMember(c.UserContext(), id, s.T(c, "persona.newcomer.name"), id.Subject+"@example.org")
	if err != nil {
		return err
	}
	if err := s.startSession(c, m); err != nil {
		return err
	}
	s.audit(c, auth.AuditSignIn, m.ID, map[string]string{"provider": auth.DemoProvider})
	return s.redirectWithFlash(c, "/profile", "flash.signedin")
}

// startSession regenerates the session at sign-in: a new secret replaces the
// pre-login one, so a session fixed by someone else before sign-in is useless.
func (s *Server) startSession(c *fiber.Ctx, m *auth.Member) error {
	if !m.CanSignIn() {
		return fault.New(fault.Forbidden, "error.403.deactivated")
	}
	sid := auth.NewSessionSecret()
	if err := s.auth.CreateSession(c.UserContext(), sid, m.ID, s.cfg.SessionTTL, s.cfg.SessionIdle, browserName(c.Get(fiber.HeaderUserAgent))); err != nil {
		return err
	}
	s.setSessionCookie(c, sid, s.cfg.SessionTTL)
	c.Locals(localSession, sid)
	c.Locals(localMember, m)
	return nil
}
