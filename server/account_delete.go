package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

type deleteData struct{ Error string }

// showAccountDelete asks for confirmation before deleting the account.
func (s *Server) showAccountDelete(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "account_delete", s.newPage(c, s.T(c, "account.delete.title"), "profile", deleteData{}))
}

// deleteAccount pseudonymises the member's contributions and deletes their
// personal data and sessions, after the confirmation box was ticked.
func (s *Server) deleteAccount(c *fiber.Ctx) error {
	m := currentMember(c)
	if formValue(c, "confirm") != "yes" {
		return s.render(c, fiber.StatusBadRequest, "account_delete",
			s.newPage(c, s.T(c, "account.delete.title"), "profile", deleteData{Error: "account.delete.error.confirm"}))
	}
	// The audit entry comes first: it names only the member's ID, which is
	// all that remains of them afterwards.
	s.audit(c, auth.AuditDelete, m.ID, nil)
	if err := s.privacy.Erase(c.UserContext(), m.ID); err != nil {
		return err
	}
	s.conns.closeAll(m.ID)
	s.setSessionCookie(c, "", -1)
	c.Set("Clear-Site-Data", `"cookies", "storage"`)
	return c.Redirect("/?flash=account_deleted", fiber.StatusSeeOther)
}
