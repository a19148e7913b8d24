package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

// audit records an action with the current member as actor and the request
// ID. A failure to write the audit log is logged, not shown: the action
// itself has already happened.
func (s *Server) audit(c *fiber.Ctx, action, target string, details map[string]string) {
	e := auth.AuditEntry{Action: action, Target: target, RequestID: requestID(c), Details: details}
	if m := currentMember(c); m != nil {
		e.Actor = m.ID
	}
	if err := s.auth.Audit(c.UserContext(), e); err != nil {
		s.log.Error("audit log write failed", "err", err, "action", action, "request_id", e.RequestID)
	}
}
