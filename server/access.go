package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// Access is the coarse right a route needs before its handler runs; object
// rights (this group, this thread) are checked in the handler through the
// policy functions of the feature packages.
type Access string

const (
	Public   Access = "public"    // anyone
	SignedIn Access = "signed-in" // any member with a session or token, pending too
	Approved Access = "approved"  // approved members
	Admin    Access = "admin"     // approved administrators
)

func (s *Server) guard(a Access) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m := currentMember(c)
		switch a {
		case Public:
		case SignedIn:
			if m == nil {
				return fault.New(fault.Unauthenticated, "error.401")
			}
		case Approved:
			if m == nil {
				return fault.New(fault.Unauthenticated, "error.401")
			}
			if !auth.CanUsePortal(m) {
				return fault.New(fault.Forbidden, "error.403.pending")
			}
		case Admin:
			if m == nil {
				return fault.New(fault.Unauthenticated, "error.401")
			}
			if !auth.CanAdminister(m) {
				return fault.New(fault.Forbidden, "error.403")
			}
		}
		return c.Next()
	}
}
