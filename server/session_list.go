package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

// sessionRow is one of the member's sessions as their list shows it.
type sessionRow struct {
	auth.Session
	Browser, System string
	Current         bool
}

// listSessions shows the member where they are signed in, so a session
// left open elsewhere can be ended from here.
func (s *Server) listSessions(c *fiber.Ctx) error {
	m := currentMember(c)
	all, err := s.auth.Sessions(c.UserContext(), m.ID)
	if err != nil {
		return err
	}
	current := auth.SessionID(sessionSecret(c))
	rows := make([]sessionRow, len(all))
	for i, x := range all {
		browser, system, _ := strings.Cut(x.Agent, "|")
		rows[i] = sessionRow{Session: x, Browser: browser, System: system, Current: x.ID == current}
	}
	d := struct {
		Rows      []sessionRow
		IdleHours int
	}{rows, int(s.cfg.SessionIdle.Hours())}
	return s.render(c, fiber.StatusOK, "sessions", s.newPage(c, s.T(c, "sessions.title"), "profile", d))
}

// endSession signs one of the member's sessions out; another member's
// session is not found. Ending the current one is signing out.
func (s *Server) endSession(c *fiber.Ctx) error {
	m := currentMember(c)
	id := c.Params("id")
	if err := s.auth.EndSession(c.UserContext(), m.ID, id); err != nil {
		return err
	}
	s.conns.endSession(id) // its sockets and streams end now
	s.audit(c, auth.AuditSessionEnd, m.ID, nil)
	if id == auth.SessionID(sessionSecret(c)) {
		s.setSessionCookie(c, "", -1)
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	return s.redirectWithFlash(c, "/profile/sessions", "flash.session_ended")
}

// endOtherSessions signs every other browser out.
func (s *Server) endOtherSessions(c *fiber.Ctx) error {
	m := currentMember(c)
	if _, err := s.auth.EndOtherSessions(c.UserContext(), m.ID, sessionSecret(c)); err != nil {
		return err
	}
	s.conns.endOtherSessions(m.ID, auth.SessionID(sessionSecret(c)))
	s.audit(c, auth.AuditSessionEnd, m.ID, map[string]string{"scope": "others"})
	return s.redirectWithFlash(c, "/profile/sessions", "flash.sessions_ended")
}

func sessionSecret(c *fiber.Ctx) string {
	sid, _ := c.Locals(localSession).(string)
	return sid
}

// browserName reduces a User-Agent header to "browser|system", the only
// part of it the portal keeps. Order matters: Edge and Opera say Chrome
// too, and Chrome says Safari.
func browserName(ua string) string {
	pick := func(pairs [][2]string, none string) string {
		for _, p := range pairs {
			if strings.Contains(ua, p[0]) {
				return p[1]
			}
		}
		return none
	}
	browser := pick([][2]string{{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"},
		{"Chromium/", "Chromium"}, {"Safari/", "Safari"}}, "?")
	system := pick([][2]string{{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"CrOS", "ChromeOS"},
		{"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"Linux", "Linux"}}, "?")
	return browser + "|" + system
}
