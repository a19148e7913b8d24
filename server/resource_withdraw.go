package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/fault"
)

// saveResourceWithdrawal withdraws a resource with a reason (owner or
// moderator). Its page and links stay; lists and searches drop it.
func (s *Server) saveResourceWithdrawal(c *fiber.Ctx) error {
	r, err := s.editableResource(c)
	if err != nil {
		return err
	}
	if err := s.lib.Withdraw(c.UserContext(), r.ID, currentMember(c).ID, formValue(c, "reason")); err != nil {
		if fe, ok := fault.As(err); ok && fe.Kind == fault.Invalid {
			return s.redirectWithFlash(c, "/library/"+r.ID+"#withdraw", "flash.withdraw_refused")
		}
		return err
	}
	return s.redirectWithFlash(c, "/library/"+r.ID, "flash.resource_withdrawn")
}
