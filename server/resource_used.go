package server

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// saveResourceUsed records "I used this in a tender" with where and when.
func (s *Server) saveResourceUsed(c *fiber.Ctx) error {
	r, _, err := s.visibleResource(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if !auth.CanReactToResource(m) {
		return fault.New(fault.Forbidden, "error.403")
	}
	year, _ := strconv.Atoi(formValue(c, "year"))
	if err := s.lib.MarkUsed(c.UserContext(), r.ID, m.ID, formValue(c, "where"), year); err != nil {
		if fe, ok := fault.As(err); ok && fe.Kind == fault.Invalid {
			return s.redirectWithFlash(c, "/library/"+r.ID+"#used", "flash.used_refused")
		}
		return err
	}
	return s.redirectWithFlash(c, "/library/"+r.ID+"#used", "flash.used_saved")
}
