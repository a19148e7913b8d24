package server

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/site"
)

const auditConductAccepted = "conduct_accepted"

type conductData struct {
	Text    string // the administrators' code of conduct, else empty (the built-in one)
	Version int
	// MustAccept: the signed-in member has not accepted this version.
	MustAccept bool
	Next       string
}

// showConduct shows the code of conduct; a member who has not accepted its
// current version is offered to accept it.
func (s *Server) showConduct(c *fiber.Ctx) error {
	st := s.siteSettings(c)
	m := currentMember(c)
	d := conductData{Text: site.In(st.Conducts, s.lang(c), nil), Version: st.ConductVersion, Next: localPath(c.Query("next"))}
	d.MustAccept = m != nil && (m.ConductAcceptedAt.IsZero() || m.ConductVersion < st.ConductVersion)
	return s.render(c, fiber.StatusOK, "conduct", s.newPage(c, s.T(c, "conduct.title"), "conduct", d))
}

// acceptConduct records that the member accepts the current version.
func (s *Server) acceptConduct(c *fiber.Ctx) error {
	m := currentMember(c)
	v := s.siteSettings(c).ConductVersion
	if err := s.auth.AcceptConduct(c.UserContext(), m.ID, v); err != nil {
		return err
	}
	s.audit(c, auditConductAccepted, m.ID, map[string]string{"version": itoa(v)})
	return s.redirectWithFlash(c, signinNext(formValue(c, "next")), "flash.conduct.accepted")
}

// conductGate sends a member who accepted an older code of conduct to the
// current one at their next visit: page requests (GET, HTML) only, so no
// form in progress and no API client is interrupted.
func (s *Server) conductGate(c *fiber.Ctx) error {
	m := currentMember(c)
	if m == nil || m.ConductAcceptedAt.IsZero() || c.Method() != fiber.MethodGet || c.Locals(localAPI) == true {
		return c.Next()
	}
	if v := s.siteSettings(c).ConductVersion; v <= m.ConductVersion {
		return c.Next()
	}
	p := c.Path()
	if p == "/conduct" || p == "/profile" || strings.HasPrefix(p, "/auth/") || strings.HasPrefix(p, "/api/") || c.Accepts(fiber.MIMETextHTML) == "" {
		return c.Next()
	}
	return c.Redirect("/conduct?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
}
