package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// saveResourceReport records a member's report for the moderators.
func (s *Server) saveResourceReport(c *fiber.Ctx) error {
	r, _, err := s.visibleResource(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if !auth.CanReactToResource(m) {
		return fault.New(fault.Forbidden, "error.403")
	}
	if err := s.lib.Report(c.UserContext(), r.ID, m.ID, formValue(c, "reason")); err != nil {
		if fe, ok := fault.As(err); ok && fe.Kind == fault.Invalid {
			return s.redirectWithFlash(c, "/library/"+r.ID+"#report", "flash.report_refused")
		}
		return err
	}
	return s.redirectWithFlash(c, "/library/"+r.ID, "flash.report_saved")
}
