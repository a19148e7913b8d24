package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

// logout deletes the server-side session, expires the cookie and asks the
// browser to drop what it stored for the portal.
func (s *Server) logout(c *fiber.Ctx) error {
	if sid, _ := c.Locals(localSession).(string); sid != "" && currentMember(c) != nil {
		if err := s.auth.DeleteSession(c.UserContext(), sid); err != nil {
			return err
		}
		s.conns.endSession(auth.SessionID(sid)) // the session's sockets and streams end now
		s.audit(c, auth.AuditSignOut, currentMember(c).ID, nil)
	}
	s.setSessionCookie(c, "", -1)
	c.Set("Clear-Site-Data", `"cookies", "storage"`)
	// The flash travels in the URL: Clear-Site-Data would drop a flash cookie.
	return c.Redirect("/?flash=signedout", fiber.StatusSeeOther)
}
