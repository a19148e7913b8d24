// Package server is the only package that imports Fiber. It holds the route
// table (routes.go), one file per action, the middleware, sessions, CSRF and
// the single error handler.
package server

import (
	"github.com/circularfairict/portal/bus"
	"github.com/circularfairict/portal/search"

	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/backup"
	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/frontend"
	"github.com/circularfairict/portal/mail"
	"github.com/circularfairict/portal/privacy"
	"github.com/circularfairict/portal/resources"
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

// Server is the HTTP side of the portal.
type Server struct {
	cfg       *config.Config
	store     *store.Store
	auth      *auth.Store
	lib       *resources.Service
	workshops *workshops.Store
	live      *live.Engine
	nats      *nats.Conn
	log       *slog.Logger
	version   string

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
	mailer  mail.Sender
	outbox  *mail.Outbox // every e-mail goes through it
	privacy *privacy.Registry
	site    *site.Store // the portal's own words and defaults
	backups *backup.Scheduler

	forum     *forum.Store
	signer    *forum.Signer // unsubscribe tokens
	forumLive *forumLive    // discussion streams, on the rooms' bus
	bus       bus.Bus       // the rooms' bus: NATS when configured, else in-process
	cards     ResourceCards
	library   LibrarySearch
	// search is the derived full-text index (search/), caught up in the
	// background at start-up and kept current through the bus.
	search *search.Index

	sweepStop chan struct{}
	// prunedAt is when this server last pruned old claims (once a day).
	prunedAt  time.Time
	sweepDone chan struct{}

	// root ends the server's background work (the mail worker) at
	// Shutdown; workDone closes when that work has returned.
	root     context.Context
	stopRoot context.CancelFunc
	workDone chan struct{}
	// running counts backups started by an administrator, which run under
	// root and are waited for at Shutdown.
	running  sync.WaitGroup
	stopOnce sync.Once
}

// New builds the server: it ensures indexes, parses templates and catalogs
// once, and registers every route. It does not listen.
func New(ctx context.Context, d Deps) (*Server, error) {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Version == "" {
		d.Version = "dev"
	}
	s := &Server{cfg: d.Config, store: d.Store, log: d.Logger, version: d.Version, auth: auth.NewStore(d.Store.DB),
		conns: newConnections(), privacy: &privacy.Registry{}, workshops: workshops.NewStore(d.Store.DB), site: site.NewStore(d.Store.DB)}
	s.mailer = d.Mail
	if s.mailer == nil {
		s.mailer = s.newMailer()
	}
	s.outbox = s.newOutbox()
	s.privacy.Add(s.outbox.PrivacySource())
	// Every feature declares what it stores about a member.
	s.privacy.Add(s.auth.PrivacySources()...)
	s.privacy.Add(s.workshops.PrivacySources()...)
	s.privacy.Add(live.NewMongoStore(d.Store.DB).PrivacySources()...)
	s.forum = forum.NewStore(d.Store.DB)
	if d.Store.Embedded {
		// Lookups by _id one at a time: the embedded database indexes
		// nothing else, so a batched $in read whole collections.
		s.auth.ReadByID()
		s.forum.ReadByID()
	}
	s.privacy.Add(s.forum.PrivacySources()...)
	s.signer = forum.NewSigner(d.Config.SessionKey)
	s.cards, s.library = d.Cards, d.Library
	if s.cards == nil {
		s.cards = libraryBridge{s}
	}
	if s.library == nil {
		s.library = libraryBridge{s}
	}
	if len(s.cfg.SessionKey) == 0 {
		return nil, fmt.Errorf("server: no session key")
	}
	if s.cfg.BaseURL == "" {
		return nil, fmt.Errorf("server: no base URL")
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
			return nil, fmt.Errorf("PORTAL_TRUSTED_PROXIES: %q: %v", p, err)
		}
		s.proxies = append(s.proxies, n)
	}
	// Before anything reads or writes: an older database is migrated, a
	// newer one refused (it may hold data this build would misread).
	if err := d.Store.Upgrade(ctx, d.Logger); err != nil {
		return nil, err
	}
	// One call: each ends with a pass over the embedded database's tables
	// (store.IndexIDLookups), which start-up needs once.
	var idx []store.Index
	for _, l := range [][]store.Index{auth.Indexes(), workshops.Indexes(), live.Indexes(), resources.Indexes(), forum.Indexes(), mail.OutboxIndexes()} {
		idx = append(idx, l...)
	}
	err := d.Store.EnsureIndexes(ctx, idx)
	if err != nil {
		return nil, err
	}
	if err = s.startLive(); err != nil {
		return nil, err
	}
	// Uploads are spooled next to the data, not in a possibly small /tmp.
	tmp := filepath.Join(s.cfg.DataDir, "tmp")
	if s.cfg.DataDir == "" || os.MkdirAll(tmp, 0o700) != nil {
		tmp = ""
	}
	if s.lib, err = resources.New(d.Store.DB, resources.Options{TempDir: tmp, MaxBytes: int64(s.cfg.UploadMaxBytes), ClamAVSocket: s.cfg.ClamAVSocket}); err != nil {
		return nil, err
	}
	if d.Store.Embedded {
		s.lib.ReadByID()
	}
	s.privacy.Add(s.lib.PrivacySources()...)
	if err = s.openSearch(ctx); err != nil {
		return nil, err
	}
	if s.backups, err = s.newBackups(); err != nil {
		return nil, err
	}
	if s.catalog, err = frontend.LoadCatalog(frontend.Locales()); err != nil {
		return nil, err
	}
	if _, err = s.forum.EnsureGeneral(ctx, s.catalog.T("en", "forum.general.name"), s.catalog.T("en", "forum.general.description")); err != nil {
		return nil, err
	}
	if s.assets, err = frontend.LoadAssets(frontend.Static(), "/static"); err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(frontend.Templates(), s.assets); err != nil {
		return nil, err
	}
	s.registry = prometheus.NewRegistry()
	s.metrics = newMetrics(s.registry)

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
	s.startWork()
	return s, nil
}

// startWork starts the background work that must run whether or not this
// server listens (mail queued by one replica is sent by any): the outbox
// worker and the backup schedule, under the server's root context.
func (s *Server) startWork() {
	s.root, s.stopRoot = context.WithCancel(context.Background())
	s.workDone = make(chan struct{})
	go func() {
		defer close(s.workDone)
		var sched sync.WaitGroup
		if sc := s.cfg.Backup.Schedule; sc.Enabled() {
			sched.Go(func() { s.backups.Loop(s.root, sc) })
		}
		s.outbox.Run(s.root)
		sched.Wait()
	}()
}

// stopWork ends the background work and waits for it: a send in flight
// finishes and is recorded, so no attempt is left claimed.
func (s *Server) stopWork() {
	s.stopOnce.Do(func() {
		s.stopRoot()
		<-s.workDone
		s.running.Wait()
		if s.search != nil {
			if err := s.search.Close(); err != nil {
				s.log.Warn("search index close failed", "err", err)
			}
		}
	})
}

// Library exposes the library service (the demo seed uses it).
func (s *Server) Library() *resources.Service { return s.lib }

// App exposes the Fiber app, for tests (app.Test) and for Listen.
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on ln until Shutdown. It starts the session sweeper.
func (s *Server) Listen(ln net.Listener) error {
	s.startSweeper(10 * time.Minute) // also sends due discussion digests
	return s.app.Listener(ln)
}

// Shutdown stops accepting connections, waits for requests in flight up to
// the grace period, and stops background work. The caller closes the store.
func (s *Server) Shutdown(grace time.Duration) error {
	// Live sockets are hijacked connections the HTTP server no longer
	// tracks: close them first (code 1001: reconnect, maybe elsewhere).
	s.live.Close()
	s.forumLive.close() // discussion streams end first too, or they would hold the shutdown
	err := s.app.ShutdownWithTimeout(grace)
	s.stopSweeper() // it may queue digests and reminders
	s.stopWork()
	if s.nats != nil {
		s.nats.Close()
	}
	return err
}

// startSweeper deletes expired sessions periodically (FerretDB has no TTL
// indexes, so expiry is an app-side sweep), indexes the embedded
// database's collections created since the last pass, and sends digests
// and reminders.
func (s *Server) startSweeper(every time.Duration) {
	s.sweepStop, s.sweepDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.sweepDone)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if n, err := s.auth.SweepSessions(ctx); err != nil {
				s.log.Warn("session sweep failed", "err", err)
			} else if n > 0 {
				s.log.Info("expired sessions removed", "count", n)
			}
			if n, err := s.auth.SweepSigninAttempts(ctx); err != nil {
				s.log.Warn("sign-in attempt sweep failed", "err", err)
			} else if n > 0 {
				s.log.Info("expired sign-in attempts removed", "count", n)
			}
			if n, err := store.SweepWindows(ctx, s.store.DB, time.Now()); err != nil {
				s.log.Warn("rate limit sweep failed", "err", err)
			} else if n > 0 {
				s.log.Debug("ended rate limit windows removed", "hits", n)
			}
			if err := s.store.IndexIDLookups(ctx); err != nil {
				s.log.Warn("embedded database: _id lookup index", "err", err)
			}
			s.sendDigests(ctx)
			s.sendReminders(ctx)
			s.catchUpSearch()
			if time.Since(s.prunedAt) > 24*time.Hour {
				// Slot claims of backups older than a week: their slots are
				// long past, and the schedule only ever claims the next one.
				if _, err := store.PruneClaims(ctx, s.store.DB, backup.SlotClaimPrefix, time.Now().UTC().Add(-7*24*time.Hour)); err != nil {
					s.log.Warn("backup slot claims: prune", "err", err)
				}
				if _, err := s.forum.PruneDigestClaims(ctx, time.Now().UTC()); err != nil {
					s.log.Warn("digest claims: prune", "err", err)
				} else {
					s.prunedAt = time.Now()
				}
			}
			cancel()
			select {
			case <-s.sweepStop:
				return
			case <-t.C:
			}
		}
	}()
}

func (s *Server) stopSweeper() {
	if s.sweepStop != nil {
		close(s.sweepStop)
		<-s.sweepDone
		s.sweepStop = nil
	}
}
