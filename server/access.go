package server

import (
	"strings"

	"github.com/fasthttp/websocket"
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

// guard checks a route's coarse right and, for a request authenticated by
// an API token, what the route table says a token may do there. This is the
// one place where a token's scope meets a route, so a route added to the
// table is covered without anyone remembering to.
func (s *Server) guard(r Route) fiber.Handler {
	a, need := r.Access, tokenScopeNeeded(r)
	return func(c *fiber.Ctx) error {
		if scope, ok := c.Locals(localTokenScope).(auth.TokenScope); ok {
			if r.SessionOnly {
				return fault.New(fault.Forbidden, "error.403.session_only")
			}
			// A live socket opened with GET carries writes (chat, votes,
			// notes) in its frames: a read token does not open one.
			if scopeRank(scope) < scopeRank(need) || (scope == auth.ScopeRead && websocket.FastHTTPIsWebSocketUpgrade(c.Context())) {
				return fault.New(fault.Forbidden, "error.403.scope")
			}
		}
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

// tokenScopeNeeded is the least token scope a route accepts: admin for the
// administration routes (Access Admin, or under /admin/, which group
// coordinators reach too), write for every method that changes something,
// read otherwise. A token's scope only narrows its member's rights.
func tokenScopeNeeded(r Route) auth.TokenScope {
	switch {
	case r.Access == Admin || strings.HasPrefix(r.Path, "/admin/"):
		return auth.ScopeAdmin
	case !isSafeMethod(r.Method):
		return auth.ScopeWrite
	}
	return auth.ScopeRead
}

func scopeRank(sc auth.TokenScope) int {
	for i, v := range auth.TokenScopes {
		if v == sc {
			return i
		}
	}
	return -1
}
