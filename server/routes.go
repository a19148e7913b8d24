package server

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/circularfairict/portal/auth"
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
	// NoCSRF routes carry their own signed credential in the URL and are
	// posted by mail clients without a session (RFC 8058 one-click
	// unsubscribe); csrf.go exempts exactly these paths.
	NoCSRF bool
	// Upload routes stream a multipart body of up to PORTAL_UPLOAD_MAX_BYTES;
	// their CSRF token may come as the first form field.
	Upload bool
	// SessionOnly routes manage credentials or the account itself (tokens,
	// sessions, calendar feed links, export, deletion): an API token is
	// refused there whatever its scope, so a leaked token cannot mint
	// another or take the account with it (see guard in access.go).
	SessionOnly bool
	// GroupsMemo routes are short read-only requests (pages and their JSON
	// twins) that ask for the groups several times (the viewer, the cards,
	// the layout): auth.WithGroupsMemo reads them once for the request,
	// the viewer's from the server's stamped copy, as page rights do
	// (docs/security.md). Never a stream: one that re-checks rights must
	// see membership changes.
	GroupsMemo bool
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
	noCSRF := func(e entry) entry { e.NoCSRF = true; return e }
	upload := func(e entry) entry { e.Upload = true; return e }
	sessionOnly := func(e entry) entry { e.SessionOnly = true; return e }
	memo := func(e entry) entry { e.GroupsMemo = true; return e }
	return []entry{
		probe(r(fiber.MethodGet, "/healthz", Public, s.showHealth)),
		probe(r(fiber.MethodGet, "/readyz", Public, s.showReady)),
		probe(r(fiber.MethodGet, "/metrics", Public, s.showMetrics)),

		memo(r(fiber.MethodGet, "/", Public, s.showHome)),
		// One search over every area; each area keeps its own page's rights.
		memo(r(fiber.MethodGet, "/search", Public, s.showSearch)),
		memo(r(fiber.MethodGet, "/api/v1/search", Public, s.apiSearch)),
		memo(r(fiber.MethodGet, "/library", Public, s.listResources)),
		r(fiber.MethodGet, "/library/feed.atom", Public, s.showResourceFeed),
		r(fiber.MethodGet, "/library/upload", Approved, s.showResourceUpload),
		upload(r(fiber.MethodPost, "/library/upload", Approved, s.createResource)),
		memo(r(fiber.MethodGet, "/library/:id", Public, s.showResource)),
		r(fiber.MethodGet, "/library/:id/edit", Approved, s.showResourceEdit),
		r(fiber.MethodPost, "/library/:id/edit", Approved, s.saveResource),
		upload(r(fiber.MethodPost, "/library/:id/versions", Approved, s.createResourceVersion)),
		r(fiber.MethodPost, "/library/:id/links", Approved, s.saveResourceLink),
		r(fiber.MethodPost, "/library/:id/bookmark", Approved, s.toggleResourceBookmark),
		r(fiber.MethodPost, "/library/:id/used", Approved, s.saveResourceUsed),
		r(fiber.MethodPost, "/library/:id/report", Approved, s.saveResourceReport),
		r(fiber.MethodPost, "/library/:id/reports/dismiss", Approved, s.dismissResourceReports),
		r(fiber.MethodPost, "/library/:id/feature", Approved, s.saveResourceFeature),
		r(fiber.MethodPost, "/library/:id/withdraw", Approved, s.saveResourceWithdrawal),
		memo(r(fiber.MethodGet, "/discussions", Public, s.showDiscussions)),
		memo(r(fiber.MethodGet, "/workshops", Public, s.listWorkshops)),
		r(fiber.MethodGet, "/workshops/new", Approved, s.newWorkshop),
		r(fiber.MethodPost, "/workshops", Approved, s.saveWorkshop),
		sessionOnly(r(fiber.MethodPost, "/workshops/feed", Approved, s.createFeed)),
		sessionOnly(r(fiber.MethodPost, "/workshops/feed/revoke", Approved, s.revokeFeed)),
		memo(r(fiber.MethodGet, "/workshops/:id", Approved, s.showWorkshop)),
		r(fiber.MethodPost, "/workshops/:id/register", Approved, s.registerWorkshop),
		r(fiber.MethodPost, "/workshops/:id/cancel", Approved, s.cancelWorkshop),
		r(fiber.MethodPost, "/workshops/:id/open", Approved, s.openRoom),
		r(fiber.MethodPost, "/workshops/:id/close", Approved, s.closeRoom),
		r(fiber.MethodPost, "/workshops/:id/consent", Approved, s.saveConsent),
		r(fiber.MethodGet, "/workshops/:id/outcome", Approved, s.showOutcome),
		r(fiber.MethodPost, "/workshops/:id/outcome", Approved, s.saveOutcome),
		r(fiber.MethodGet, "/workshops/:id/runsheet", Approved, s.showRunSheet),
		r(fiber.MethodPost, "/workshops/:id/runsheet", Approved, s.saveRunSheet),
		r(fiber.MethodGet, "/workshops/:id/attendees.csv", Approved, s.exportAttendees),
		r(fiber.MethodGet, "/workshops/:id/calendar.ics", Approved, s.workshopCalendar),
		r(fiber.MethodGet, "/calendar/:token", Public, s.showFeed),
		memo(r(fiber.MethodGet, "/members", Approved, s.listMembers)),

		// Groups: visitors see public groups; object rights (see, join,
		// manage) are checked in the handlers by the auth policy functions.
		r(fiber.MethodGet, "/groups", Public, s.listGroups),
		r(fiber.MethodGet, "/groups/invite/:secret", Approved, s.showGroupInvitation),
		r(fiber.MethodPost, "/groups/invite/:secret", Approved, s.acceptGroupInvitation),
		memo(r(fiber.MethodGet, "/groups/:slug", Public, s.showGroup)),
		r(fiber.MethodPost, "/groups/:slug/join", Approved, s.joinGroup),
		r(fiber.MethodPost, "/groups/:slug/leave", Approved, s.leaveGroup),
		r(fiber.MethodPost, "/groups/:slug/requests", Approved, s.createGroupRequest),
		r(fiber.MethodPost, "/groups/:slug/requests/:id", Approved, s.decideGroupRequest),
		r(fiber.MethodPost, "/groups/:slug/invitations", Approved, s.createGroupInvitation),
		r(fiber.MethodPost, "/groups/:slug/members/:id/remove", Approved, s.removeGroupMember),

		r(fiber.MethodGet, "/members/:id", Approved, s.showMember),
		r(fiber.MethodPost, "/language", Public, s.saveLanguage),

		// Pending and rejected members reach these too: their profile and
		// their data are theirs whatever the decision.
		r(fiber.MethodGet, "/profile", SignedIn, s.showProfile),
		r(fiber.MethodPost, "/profile", SignedIn, s.saveProfile),
		r(fiber.MethodPost, "/profile/time-zone", SignedIn, s.adoptTimeZone),
		sessionOnly(r(fiber.MethodGet, "/profile/tokens", Approved, s.listTokens)),
		sessionOnly(r(fiber.MethodPost, "/profile/tokens", Approved, s.createToken)),
		sessionOnly(r(fiber.MethodPost, "/profile/tokens/:id/revoke", Approved, s.revokeToken)),
		sessionOnly(r(fiber.MethodGet, "/profile/sessions", SignedIn, s.listSessions)),
		sessionOnly(r(fiber.MethodPost, "/profile/sessions/others/end", SignedIn, s.endOtherSessions)),
		sessionOnly(r(fiber.MethodPost, "/profile/sessions/:id/end", SignedIn, s.endSession)),
		sessionOnly(r(fiber.MethodPost, "/profile/export", SignedIn, s.exportAccount)),
		sessionOnly(r(fiber.MethodGet, "/profile/delete", SignedIn, s.showAccountDelete)),
		sessionOnly(r(fiber.MethodPost, "/profile/delete", SignedIn, s.deleteAccount)),

		r(fiber.MethodGet, "/admin/members", Approved, s.listAdminMembers),
		r(fiber.MethodPost, "/admin/members/:id/decision", Approved, s.decideMember),
		r(fiber.MethodPost, "/admin/members/:id/role", Admin, s.saveMemberRole),
		r(fiber.MethodPost, "/admin/members/:id/deactivate", Admin, s.deactivateMember),
		r(fiber.MethodPost, "/admin/members/:id/reactivate", Admin, s.reactivateMember),
		r(fiber.MethodGet, "/admin/audit", Admin, s.listAudit),
		// The admin area: each page checks who may use it (admin_show.go);
		// groups are run by administrators and their coordinators.
		r(fiber.MethodGet, "/admin", Approved, s.showAdmin),
		r(fiber.MethodGet, "/admin/groups", Approved, s.listAdminGroups),
		r(fiber.MethodGet, "/admin/groups/new", Admin, s.newGroup),
		r(fiber.MethodPost, "/admin/groups", Admin, s.createGroup),
		r(fiber.MethodGet, "/admin/groups/:slug", Approved, s.editGroup),
		r(fiber.MethodPost, "/admin/groups/:slug", Approved, s.saveGroup),
		r(fiber.MethodPost, "/admin/groups/:slug/coordinators", Approved, s.addGroupCoordinator),
		r(fiber.MethodPost, "/admin/groups/:slug/coordinators/:id/remove", Approved, s.removeGroupCoordinator),
		r(fiber.MethodPost, "/admin/groups/:slug/archive", Approved, s.archiveGroup),
		r(fiber.MethodGet, "/admin/settings", Admin, s.showSettings),
		r(fiber.MethodPost, "/admin/settings", Admin, s.saveSettings),
		r(fiber.MethodPost, "/admin/settings/logo/remove", Admin, s.removeLogo),
		r(fiber.MethodGet, "/site/logo/:file", Public, s.showLogo),
		r(fiber.MethodGet, "/admin/categories", Approved, s.listAdminCategories),
		r(fiber.MethodPost, "/admin/categories", Approved, s.createAdminCategory),
		r(fiber.MethodGet, "/admin/categories/:id", Approved, s.editCategory),
		r(fiber.MethodPost, "/admin/categories/:id", Approved, s.saveCategory),
		r(fiber.MethodPost, "/admin/categories/:id/archive", Approved, s.archiveCategory),
		r(fiber.MethodGet, "/admin/mail", Admin, s.listMail),
		r(fiber.MethodGet, "/admin/system", Admin, s.showSystem),
		r(fiber.MethodGet, "/admin/backups", Admin, s.listBackups),
		r(fiber.MethodPost, "/admin/backups", Admin, s.runBackup),
		r(fiber.MethodGet, "/admin/backups/:id/download", Admin, s.downloadBackup),
		r(fiber.MethodPost, "/admin/mail/:id/retry", Admin, s.retryMail),
		r(fiber.MethodPost, "/admin/mail/:id/discard", Admin, s.discardMail),

		r(fiber.MethodGet, "/signin", Public, s.showSignin),
		// A set-up link works without a session; the claim itself needs a
		// provider sign-in (setup_show.go).
		r(fiber.MethodGet, "/setup/:secret", Public, s.showSetup),
		r(fiber.MethodGet, "/conduct", Public, s.showConduct),
		r(fiber.MethodPost, "/conduct", SignedIn, s.acceptConduct),
		demo(r(fiber.MethodPost, "/auth/demo", Public, s.signinDemo)),
		r(fiber.MethodPost, "/auth/logout", Public, s.logout),
		r(fiber.MethodGet, "/auth/:provider", Public, s.startProviderSignin),
		r(fiber.MethodGet, "/auth/:provider/callback", Public, s.completeProviderSignin),

		r(fiber.MethodGet, "/api/v1/me", SignedIn, s.showMe),
		r(fiber.MethodPost, "/api/v1/groups", Admin, s.apiCreateGroup),
		r(fiber.MethodPatch, "/api/v1/groups/:slug", Approved, s.apiSaveGroup),
		memo(r(fiber.MethodGet, "/api/v1/resources", Public, s.apiListResources)),
		upload(r(fiber.MethodPost, "/api/v1/resources", Approved, s.createResource)),
		r(fiber.MethodGet, "/api/v1/resources/:id", Public, s.apiShowResource),
		r(fiber.MethodGet, "/api/v1/resources/:id/file", Public, s.downloadResource),
		upload(r(fiber.MethodPost, "/api/v1/resources/:id/versions", Approved, s.createResourceVersion)),
		r(fiber.MethodGet, "/api/v1/resources/:id/versions/:n/file", Public, s.downloadResource),
		r(fiber.MethodPost, "/api/v1/workshops", Approved, s.createWorkshopAPI),
		r(fiber.MethodGet, "/api/v1/workshops/:id", Approved, s.showWorkshopAPI),
		r(fiber.MethodPost, "/api/v1/workshops/:id/registrations", Approved, s.registerWorkshopAPI),
		r(fiber.MethodDelete, "/api/v1/workshops/:id/registrations", Approved, s.cancelRegistrationAPI),
		r(fiber.MethodPost, "/api/v1/workshops/:id/open", Approved, s.openWorkshopAPI),
		r(fiber.MethodPost, "/api/v1/workshops/:id/close", Approved, s.closeWorkshopAPI),
		r(fiber.MethodGet, "/api/v1/workshops/:id/live", Approved, s.liveWorkshop),
		r(fiber.MethodGet, "/api/v1/workshops/:id/outcome", Approved, s.showOutcomeAPI),
		r(fiber.MethodPost, "/api/v1/workshops/:id/outcome/publish", Approved, s.publishOutcomeAPI),

		// Discussions: object rights (this category, this thread, this
		// post) are checked in the handlers by the auth policy functions.
		memo(r(fiber.MethodGet, "/discussions/search", Public, s.searchDiscussions)),
		r(fiber.MethodGet, "/discussions/review", Approved, s.listForumReview),
		memo(r(fiber.MethodGet, "/discussions/notifications", Approved, s.listNotifications)),
		r(fiber.MethodPost, "/discussions/notifications/read", Approved, s.readNotifications),
		r(fiber.MethodGet, "/discussions/settings", Approved, s.showForumSettings),
		r(fiber.MethodPost, "/discussions/settings", Approved, s.saveForumSettings),
		r(fiber.MethodGet, "/discussions/mentions", Approved, s.listMentionCandidates),
		r(fiber.MethodPost, "/discussions/preview", Approved, s.previewPost),
		r(fiber.MethodGet, "/discussions/live", Approved, s.streamForumLive),
		r(fiber.MethodPost, "/discussions/categories", Approved, s.createCategory),
		r(fiber.MethodPost, "/discussions/categories/:id/move", Approved, s.moveCategory),
		r(fiber.MethodPost, "/discussions/groups/:slug/settings", Approved, s.saveGroupForumSettings),
		r(fiber.MethodPost, "/discussions/resources/:id", Approved, s.discussResource),
		memo(r(fiber.MethodGet, "/discussions/c/:slug", Public, s.showCategory)),
		r(fiber.MethodGet, "/discussions/c/:slug/feed", Public, s.showCategoryFeed),
		r(fiber.MethodGet, "/discussions/c/:slug/new", Approved, s.showThreadForm),
		r(fiber.MethodPost, "/discussions/c/:slug/new", Approved, s.createThread),
		r(fiber.MethodPost, "/discussions/c/:slug/level", Approved, s.saveCategoryLevel),
		memo(r(fiber.MethodGet, "/threads/:id", Public, s.showThread)),
		r(fiber.MethodGet, "/threads/:id/feed", Public, s.showThreadFeed),
		r(fiber.MethodPost, "/threads/:id/reply", Approved, s.createPost),
		r(fiber.MethodPost, "/threads/:id/level", Approved, s.saveThreadLevel),
		r(fiber.MethodPost, "/threads/:id/moderate", Approved, s.moderateThread),
		r(fiber.MethodGet, "/threads/:id/posts/:n", Public, s.showPostPermalink),
		r(fiber.MethodGet, "/threads/:id/posts/:n/fragment", Public, s.showPostFragment),
		r(fiber.MethodGet, "/threads/:id/posts/:n/history", Public, s.showPostHistory),
		r(fiber.MethodGet, "/threads/:id/posts/:n/edit", Approved, s.showPostEdit),
		r(fiber.MethodPost, "/threads/:id/posts/:n/edit", Approved, s.savePost),
		r(fiber.MethodPost, "/threads/:id/posts/:n/delete", Approved, s.deletePost),
		r(fiber.MethodPost, "/threads/:id/posts/:n/react", Approved, s.reactPost),
		r(fiber.MethodPost, "/threads/:id/posts/:n/accept", Approved, s.acceptPost),
		r(fiber.MethodPost, "/threads/:id/posts/:n/flag", Approved, s.flagPost),
		r(fiber.MethodPost, "/threads/:id/posts/:n/moderate", Approved, s.moderatePost),
		// Unsubscribe links work without signing in: the signed token is
		// the credential (and the POST is exempt from CSRF, see csrf.go).
		r(fiber.MethodGet, "/unsubscribe/:token", Public, s.showUnsubscribe),
		noCSRF(r(fiber.MethodPost, "/unsubscribe/:token", Public, s.unsubscribe)),
		r(fiber.MethodGet, "/api/v1/categories", Public, s.apiListCategories),
		r(fiber.MethodPost, "/api/v1/categories", Approved, s.apiCreateCategory),
		r(fiber.MethodPatch, "/api/v1/categories/:slug", Approved, s.apiSaveCategory),
		r(fiber.MethodPost, "/api/v1/threads", Approved, s.apiCreateThread),
		r(fiber.MethodGet, "/api/v1/threads/:id", Public, s.apiShowThread),
		r(fiber.MethodPost, "/api/v1/threads/:id/posts", Approved, s.apiCreatePost),
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
	if s.cfg.Mode == config.ModeDemo {
		s.app.Use(s.demoHost)
	}
	s.app.Get("/static/*", s.serveStatic)
	// HEAD is answered wherever GET is (monitors and link checkers use it);
	// fasthttp leaves the body out. app.Add, unlike app.Get, adds no HEAD.
	add := func(method, path string, hs ...fiber.Handler) {
		s.app.Add(method, path, hs...)
		if method == fiber.MethodGet {
			s.app.Add(fiber.MethodHead, path, hs...)
		}
	}
	table := s.routeTable()
	for _, e := range table {
		if e.Probe {
			add(e.Method, e.Path, e.h)
		}
		if e.Upload {
			s.uploads = append(s.uploads, routePattern(e.Path))
		}
	}
	s.app.Use(s.limitBody)
	s.app.Use(s.rateLimit())
	s.app.Use(s.session)
	s.app.Use(s.csrf)
	s.app.Use(s.conductGate) // after the session: who has accepted which version
	for _, e := range table {
		if e.Probe || (e.DemoOnly && s.cfg.Mode != config.ModeDemo) {
			continue // demo sign-in must not exist in production
		}
		h := e.h
		if e.GroupsMemo {
			h = withGroupsMemo(h)
		}
		add(e.Method, e.Path, s.guard(e.Route), h)
	}
	s.app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

// withGroupsMemo runs h with the groups read once for the request (see
// Route.GroupsMemo), after the guard, as the handler itself would.
func withGroupsMemo(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.SetUserContext(auth.WithGroupsMemo(c.UserContext()))
		return h(c)
	}
}
