// Package server is the only package that imports Fiber. It holds the route
// table (routes.go), one file per action, the middleware, sessions, CSRF and
// the single error handler.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/circularfairict/portal/app"
	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/backup"
	"github.com/circularfairict/portal/bus"
	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/frontend"
	"github.com/circularfairict/portal/mail"
	"github.com/circularfairict/portal/privacy"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/search"
	"github.com/circularfairict/portal/site"
	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/workshops"
	"github.com/circularfairict/portal/workshops/live"
)

// Deps are everything the server needs, passed explicitly.
type Deps struct {
	Config  *config.Config
	Store   *store.Store
	Logger  *slog.Logger
	Version string
	// Mail overrides the sender built from the SMTP configuration.
	Mail mail.Sender
	// Cards and Library are the library's seams (see forum.go); nil
	// until the library is wired in.
	Cards   ResourceCards
	Library LibrarySearch
}

// Server is the HTTP side of the portal: it parses requests, checks
// rights, calls the application (core) or a feature package, renders.
type Server struct {
	cfg     *config.Config
	store   *store.Store
	log     *slog.Logger
	version string
	// core is the portal's workflows and jobs (app/); the fields below
	// that it owns are copied from it, for the handlers.
	core *app.App

	auth      *auth.Store
	lib       *resources.Service
	workshops *workshops.Store
	live      *live.Engine

	app      *fiber.App
	catalog  *frontend.Catalog
	assets   *frontend.Assets
	pages    *pageSet
	metrics  *metrics
	registry *prometheus.Registry

	proxies []*net.IPNet     // trusted reverse proxies
	uploads []*regexp.Regexp // paths of the streaming upload routes

	wsUpgrader websocket.Upgrader // live sockets; the Origin check is set per request

	providers *providerSet // external sign-in providers

	conns   *connections // open sockets per member, closed on deactivation
	outbox  *mail.Outbox // every e-mail goes through it
	privacy *privacy.Registry
	site    *site.Store // the portal's own words and defaults
	backups *backup.Scheduler

	forum     *forum.Store
	signer    *forum.Signer  // unsubscribe tokens
	forumLive *app.ForumLive // discussion events, on the rooms' bus
	bus       bus.Bus        // the rooms' bus: NATS when configured, else in-process
	cards     ResourceCards
	library   LibrarySearch
	// search is the derived full-text index (search/), caught up in the
	// background at start-up and kept current through the bus.
	search *search.Index
}

// New builds the server on a new application (app.New: migrations,
// indexes, bus, library, search index), parses templates and catalogs
// once, and registers every route. It starts the application's mail
// worker and backup schedule; it does not listen.
func New(ctx context.Context, d Deps) (*Server, error) {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Version == "" {
		d.Version = "dev"
	}
	core, err := app.New(ctx, app.Deps{Config: d.Config, Store: d.Store, Logger: d.Logger, Version: d.Version, Mail: d.Mail})
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: d.Config, store: d.Store, log: d.Logger, version: d.Version, core: core, conns: newConnections(),
		auth: core.Auth(), workshops: core.Workshops(), site: core.Site(), privacy: core.Privacy(), outbox: core.Outbox(),
		forum: core.Forum(), signer: core.Signer(), lib: core.Library(), search: core.SearchIndex(), backups: core.Backups(),
		catalog: core.Catalog(), live: core.Live(), bus: core.Bus(), forumLive: core.ForumLive()}
	s.cards, s.library = d.Cards, d.Library
	if s.cards == nil {
		s.cards = libraryBridge{s}
	}
	if s.library == nil {
		s.library = libraryBridge{s}
	}
	// From here on a failure must stop what app.New opened.
	fail := func(err error) (*Server, error) {
		core.Stop()
		return nil, err
	}
	s.providers = newProviderSet(s.cfg)
	for _, p := range s.cfg.TrustedProxies {
		if !strings.Contains(p, "/") {
			if strings.Contains(p, ":") {
				p += "/128"
			} else {
				p += "/32"
			}
		}
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			return fail(fmt.Errorf("PORTAL_TRUSTED_PROXIES: %q: %v", p, err))
		}
		s.proxies = append(s.proxies, n)
	}
	if err = s.startLive(); err != nil {
		return fail(err)
	}
	if s.assets, err = frontend.LoadAssets(frontend.Static(), "/static"); err != nil {
		return fail(err)
	}
	if s.pages, err = parsePages(frontend.Templates(), s.assets); err != nil {
		return fail(err)
	}
	s.registry = prometheus.NewRegistry()
	s.metrics = newMetrics(s.registry)
	registerLiveMetrics(s.registry, s.live)

	s.app = fiber.New(fiber.Config{
		// Handlers keep strings from the request (form values, params) in
		// structs passed to Mongo and templates; Immutable copies them so
		// fasthttp's buffer reuse cannot change them under our feet.
		Immutable:    true,
		ErrorHandler: s.handleError,
		// Request bodies are streamed: fasthttp then reads at most 8 KiB
		// before the handler runs and never refuses a body itself (its
		// limit only bounds that prefetch). limitBody enforces
		// PORTAL_BODY_MAX_BYTES on every route but the uploads, which
		// stream their file to disk under PORTAL_UPLOAD_MAX_BYTES. Pre-
		// parsing multipart forms is off: it would buffer whole uploads.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		BodyLimit:                    s.cfg.UploadMaxBytes,
		ReadTimeout:                  30 * time.Second,
		WriteTimeout:                 60 * time.Second,
		IdleTimeout:                  120 * time.Second,
		DisableStartupMessage:        true,
		// c.IP() stays the peer address; clientIP() reads X-Forwarded-For
		// from trusted proxies only.
		AppName: "portal",
	})
	// Live room sockets take over their connection and close it themselves
	// (see liveWorkshop): fasthttp must not close it when its hijack
	// handler returns.
	s.app.Server().KeepHijackedConns = true
	s.routes()
	// Mail queued by one replica is sent by any: the worker runs whether
	// or not this server listens.
	core.Start(context.WithoutCancel(ctx))
	return s, nil
}

// Core exposes the application (the CLI's demo seed publishes outcomes
// through it).
func (s *Server) Core() *app.App { return s.core }

// SearchIndex exposes the index (the reindex command and tests).
func (s *Server) SearchIndex() *search.Index { return s.search }

// reqCtx is the request's context for the application: its logs carry the
// request ID.
func reqCtx(c *fiber.Ctx) context.Context {
	return app.WithRequestID(c.UserContext(), requestID(c))
}

// Library exposes the library service (the demo seed uses it).
func (s *Server) Library() *resources.Service { return s.lib }

// App exposes the Fiber app, for tests (app.Test) and for Listen.
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on ln until Shutdown. It starts the application's
// sweeper (sessions, digests, reminders, search catch-up).
func (s *Server) Listen(ln net.Listener) error {
	s.core.Sweep(10 * time.Minute)
	return s.app.Listener(ln)
}

// Shutdown stops accepting connections, waits for requests in flight up to
// the grace period, and stops the application's work. The caller closes
// the store.
func (s *Server) Shutdown(grace time.Duration) error {
	// Live sockets are hijacked connections the HTTP server no longer
	// tracks: close them first (code 1001: reconnect, maybe elsewhere).
	s.live.Close()
	s.forumLive.Close() // discussion streams end first too, or they would hold the shutdown
	err := s.app.ShutdownWithTimeout(grace)
	s.core.Stop()
	return err
}
