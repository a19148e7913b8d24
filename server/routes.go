package server

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/circularfairict/portal/config"
)

// Route describes one entry of the route table, for the table itself and for
// tests that walk every route (access matrix, CSRF expectations).
type Route struct {
	Method string
	Path   string
	// Access names the policy checked before the handler (see access.go).
	Access Access
	// DemoOnly routes exist only in demo mode.
	DemoOnly bool
	// Probe routes (health, readiness, metrics) run before sessions and
	// rate limits: they must answer while the database is down.
	Probe bool
}

// routeTable is the one place where URLs meet handlers.
func (s *Server) routeTable() []struct {
	Route
	h fiber.Handler
} {
	type entry = struct {
		Route
		h fiber.Handler
	}
	r := func(method, path string, a Access, h fiber.Handler) entry {
		return entry{Route{Method: method, Path: path, Access: a}, h}
	}
	demo := func(e entry) entry { e.DemoOnly = true; return e }
	probe := func(e entry) entry { e.Probe = true; return e }
	return []entry{
		probe(r(fiber.MethodGet, "/healthz", Public, s.showHealth)),
		probe(r(fiber.MethodGet, "/readyz", Public, s.showReady)),
		probe(r(fiber.MethodGet, "/metrics", Public, s.showMetrics)),

		r(fiber.MethodGet, "/", Public, s.showHome),
		r(fiber.MethodGet, "/library", Public, s.showSection("library")),
		r(fiber.MethodGet, "/discussions", Public, s.showSection("discussions")),
		r(fiber.MethodGet, "/workshops", Public, s.listWorkshops),
		r(fiber.MethodGet, "/workshops/new", Approved, s.newWorkshop),
		r(fiber.MethodPost, "/workshops", Approved, s.saveWorkshop),
		r(fiber.MethodPost, "/workshops/feed", Approved, s.createFeed),
		r(fiber.MethodPost, "/workshops/feed/revoke", Approved, s.revokeFeed),
		r(fiber.MethodGet, "/workshops/:id", Approved, s.showWorkshop),
		r(fiber.MethodPost, "/workshops/:id/register", Approved, s.registerWorkshop),
		r(fiber.MethodPost, "/workshops/:id/cancel", Approved, s.cancelWorkshop),
		r(fiber.MethodPost, "/workshops/:id/open", Approved, s.openRoom),
		r(fiber.MethodPost, "/workshops/:id/close", Approved, s.closeRoom),
		r(fiber.MethodGet, "/workshops/:id/attendees.csv", Approved, s.exportAttendees),
		r(fiber.MethodGet, "/workshops/:id/calendar.ics", Approved, s.workshopCalendar),
		r(fiber.MethodGet, "/calendar/:token", Public, s.showFeed),
		r(fiber.MethodGet, "/members", Approved, s.listMembers),
		r(fiber.MethodGet, "/profile", SignedIn, s.showProfile),
		r(fiber.MethodPost, "/language", Public, s.saveLanguage),

		r(fiber.MethodGet, "/signin", Public, s.showSignin),
		demo(r(fiber.MethodPost, "/auth/demo", Public, s.signinDemo)),
		r(fiber.MethodPost, "/auth/logout", Public, s.logout),

		r(fiber.MethodGet, "/api/v1/me", SignedIn, s.showMe),
		r(fiber.MethodPost, "/api/v1/workshops", Approved, s.createWorkshopAPI),
		r(fiber.MethodGet, "/api/v1/workshops/:id", Approved, s.showWorkshopAPI),
		r(fiber.MethodPost, "/api/v1/workshops/:id/registrations", Approved, s.registerWorkshopAPI),
		r(fiber.MethodDelete, "/api/v1/workshops/:id/registrations", Approved, s.cancelRegistrationAPI),
		r(fiber.MethodPost, "/api/v1/workshops/:id/open", Approved, s.openWorkshopAPI),
		r(fiber.MethodPost, "/api/v1/workshops/:id/close", Approved, s.closeWorkshopAPI),
		r(fiber.MethodGet, "/api/v1/workshops/:id/live", Approved, s.liveWorkshop),
	}
}

// Routes lists the routes this server registered.
func (s *Server) Routes() []Route {
	var out []Route
	for _, e := range s.routeTable() {
		if e.DemoOnly && s.cfg.Mode != config.ModeDemo {
			continue
		}
		out = append(out, e.Route)
	}
	return out
}

func (s *Server) routes() {
	s.app.Use(s.requestContext) // request ID, headers, logs, metrics, final error rendering
	s.app.Use(recover.New())    // a panic becomes a logged 500, never a stack trace
	s.app.Get("/static/*", s.serveStatic)
	table := s.routeTable()
	for _, e := range table {
		if e.Probe {
			s.app.Add(e.Method, e.Path, e.h)
		}
	}
	s.app.Use(s.rateLimit())
	s.app.Use(s.session)
	s.app.Use(s.csrf)
	for _, e := range table {
		if e.Probe || (e.DemoOnly && s.cfg.Mode != config.ModeDemo) {
			continue // demo sign-in must not exist in production
		}
		s.app.Add(e.Method, e.Path, s.guard(e.Access), e.h)
	}
	s.app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}
