// Package app holds the portal's workflows that are not HTTP: the jobs
// (sweeps, reminders, digests, the mail outbox worker, the backup
// schedule), the mail the portal writes to members, forum notifications
// and live updates, outcome publishing into the library, registration
// cancellation and the search index. server/ (the Fiber adapter) and the
// CLI both call it; it knows neither. Everything it starts runs under one
// root context and is waited for by Stop.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

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

// Deps are everything the application needs, passed explicitly.
type Deps struct {
	Config  *config.Config
	Store   *store.Store
	Logger  *slog.Logger
	Version string
	// Mail overrides the sender built from the SMTP configuration.
	Mail mail.Sender
}

// App is the portal's workflows over its stores.
type App struct {
	cfg     *config.Config
	store   *store.Store
	log     *slog.Logger
	version string

	auth      *auth.Store
	forum     *forum.Store
	lib       *resources.Service
	workshops *workshops.Store
	site      *site.Store
	privacy   *privacy.Registry
	catalog   *frontend.Catalog
	signer    *forum.Signer // unsubscribe tokens

	mailer  mail.Sender
	outbox  *mail.Outbox // every e-mail goes through it
	backups *backup.Scheduler
	// search is the derived full-text index (search/), caught up in the
	// background at start-up and kept current through the bus.
	search *search.Index

	nats      *nats.Conn
	bus       bus.Bus // the rooms' bus: NATS when configured, else in-process
	live      *live.Engine
	forumLive *ForumLive // discussion events, on the rooms' bus

	// root ends everything the application started; sweepCtx, its child,
	// ends the sweeper first so that a pass in flight still has the rest
	// (the search index, the outbox) while it finishes.
	root      context.Context
	stopRoot  context.CancelFunc
	sweepCtx  context.Context
	stopSweep context.CancelFunc
	work      sync.WaitGroup // the outbox worker and the backup schedule
	sweeping  sync.WaitGroup
	running   sync.WaitGroup // backups started by an administrator
	startOnce sync.Once
	sweepOnce sync.Once
	swept     chan struct{} // closed when the sweeper's first pass has ended
	stopOnce  sync.Once
	prunedAt  time.Time // when this replica last pruned old claims (once a day)
}

// New opens the application: it migrates the database, ensures indexes,
// connects the bus, opens the library and the search index (its catch-up
// runs in the background) and makes sure the general discussion category
// exists. It starts no job: Start and Sweep do.
func New(ctx context.Context, d Deps) (_ *App, err error) {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Version == "" {
		d.Version = "dev"
	}
	a := &App{cfg: d.Config, store: d.Store, log: d.Logger, version: d.Version, auth: auth.NewStore(d.Store.DB),
		privacy: &privacy.Registry{}, workshops: workshops.NewStore(d.Store.DB), site: site.NewStore(d.Store.DB)}
	// The root exists from here on: a backup may be run, and Stop called,
	// whether or not Start ran.
	a.root, a.stopRoot = context.WithCancel(context.Background())
	a.sweepCtx, a.stopSweep = context.WithCancel(a.root)
	a.swept = make(chan struct{})
	a.mailer = d.Mail
	if a.mailer == nil {
		a.mailer = a.newMailer()
	}
	a.outbox = a.newOutbox()
	a.privacy.Add(a.outbox.PrivacySource())
	// Every feature declares what it stores about a member.
	a.privacy.Add(a.auth.PrivacySources()...)
	a.privacy.Add(a.workshops.PrivacySources()...)
	a.privacy.Add(live.NewMongoStore(d.Store.DB).PrivacySources()...)
	a.privacy.Add(search.PrivacySource(d.Store.DB))
	a.forum = forum.NewStore(d.Store.DB)
	if d.Store.Embedded {
		// Lookups by _id one at a time: the embedded database indexes
		// nothing else, so a batched $in read whole collections.
		a.auth.ReadByID()
		a.forum.ReadByID()
		a.workshops.ReadByID()
	}
	a.privacy.Add(a.forum.PrivacySources()...)
	if len(a.cfg.SessionKey) == 0 {
		return nil, fmt.Errorf("server: no session key")
	}
	if a.cfg.BaseURL == "" {
		return nil, fmt.Errorf("server: no base URL")
	}
	a.signer = forum.NewSigner(d.Config.SessionKey)
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
	if err = d.Store.EnsureIndexes(ctx, idx); err != nil {
		return nil, err
	}
	if err = a.startLive(); err != nil {
		return nil, err
	}
	// From here on a failure closes what was opened (the NATS connection,
	// the search index and its lock).
	defer func() {
		if err != nil {
			a.Stop()
		}
	}()
	// Uploads are spooled next to the data, not in a possibly small /tmp.
	tmp := filepath.Join(a.cfg.DataDir, "tmp")
	if a.cfg.DataDir == "" || os.MkdirAll(tmp, 0o700) != nil {
		tmp = ""
	}
	if a.lib, err = resources.New(d.Store.DB, resources.Options{TempDir: tmp, MaxBytes: int64(a.cfg.UploadMaxBytes), ClamAVSocket: a.cfg.ClamAVSocket}); err != nil {
		return nil, err
	}
	if d.Store.Embedded {
		a.lib.ReadByID()
	}
	a.privacy.Add(a.lib.PrivacySources()...)
	if err = a.openSearch(ctx); err != nil {
		return nil, err
	}
	if a.backups, err = a.newBackups(); err != nil {
		return nil, err
	}
	if a.catalog, err = frontend.LoadCatalog(frontend.Locales()); err != nil {
		return nil, err
	}
	if _, err = a.forum.EnsureGeneral(ctx, a.catalog.T("en", "forum.general.name"), a.catalog.T("en", "forum.general.description")); err != nil {
		return nil, err
	}
	return a, nil
}

// startLive connects the bus (NATS when PORTAL_NATS_URL is set, else
// in-process) and creates the room engine on it. Discussion live updates
// and the search index ride on the same bus.
func (a *App) startLive() error {
	var b bus.Bus = bus.NewLocalBus()
	if a.cfg.NATSURL != "" {
		nc, err := nats.Connect(a.cfg.NATSURL, nats.Name("portal"), nats.MaxReconnects(-1))
		if err != nil {
			return fmt.Errorf("PORTAL_NATS_URL: cannot connect: %v", err)
		}
		a.nats = nc
		b = bus.NewNATSBus(nc, "portal.live")
	}
	events := live.NewMongoStore(a.store.DB)
	if a.store.Embedded {
		events.ReadByID()
	}
	a.live = live.New(live.Options{Store: events, Bus: b, Logger: a.log, Info: a.roomInfo})
	a.bus = b
	a.forumLive = newForumLive(b, a.log)
	return nil
}

// roomInfo tells the engine about a workshop.
func (a *App) roomInfo(ctx context.Context, id string) (live.RoomInfo, error) {
	w, err := a.workshops.Workshop(ctx, id)
	if err != nil {
		return live.RoomInfo{}, err
	}
	info := live.RoomInfo{Title: w.Title, StartsAt: w.StartsAt, EndsAt: w.EndsAt, VideoURL: w.VideoURL, EarlyEntry: 15 * time.Minute,
		WaitingRoom: w.WaitingRoom, WaitingChat: w.WaitingChat}
	for _, ag := range w.Agenda {
		info.Agenda = append(info.Agenda, live.AgendaItem{Title: ag.Title, Minutes: ag.Minutes})
	}
	for _, p := range w.Polls {
		info.Polls = append(info.Polls, live.PollDraft{Question: p.Question, Options: p.Options, Multiple: p.Multiple, Anonymous: p.Anonymous})
	}
	return info, nil
}

// newBackups builds the backup scheduler from the configuration: archives
// go to PORTAL_BACKUP_DIR, else to backups/ in the data directory.
func (a *App) newBackups() (*backup.Scheduler, error) {
	b := a.cfg.Backup
	dir := b.Dir
	if dir == "" {
		dir = filepath.Join(a.cfg.DataDir, "backups")
	}
	o := backup.SchedulerOptions{Dir: dir, Keep: b.Keep, Version: a.version, Logger: a.log.With("component", "backup")}
	if b.S3.Enabled() {
		var err error
		if o.S3, err = backup.NewS3(b.S3); err != nil {
			return nil, err
		}
	}
	return backup.NewScheduler(a.store, o), nil
}

// Start starts the work that must run whether or not this replica serves
// HTTP (mail queued by one replica is sent by any): the outbox worker and
// the backup schedule, under the root context. The work ends when ctx
// ends or Stop is called; only Stop waits for it.
func (a *App) Start(ctx context.Context) {
	a.startOnce.Do(func() {
		context.AfterFunc(ctx, a.stopRoot)
		if sc := a.cfg.Backup.Schedule; sc.Enabled() {
			a.work.Go(func() { a.backups.Loop(a.root, sc) })
		}
		a.work.Go(func() { a.outbox.Run(a.root) })
	})
}

// Sweep starts the periodic sweeper (see sweep.go) under the root
// context; a replica that serves starts it. Start must have run.
func (a *App) Sweep(every time.Duration) {
	a.sweepOnce.Do(func() {
		ctx := a.sweepCtx
		a.sweeping.Go(func() { a.sweepLoop(ctx, every) })
	})
}

// Swept is closed once the sweeper's first pass has ended: it reads whole
// collections and members and workshops by _id (digests, reminders, the
// daily repairs), which a measurement of what a request reads must not
// count.
func (a *App) Swept() <-chan struct{} { return a.swept }

// RunBackup executes a backup started by an administrator under the root
// context, not the request's: it outlives the request, and Stop waits for
// it (it stops cleanly, recorded as interrupted, when the portal stops).
func (a *App) RunBackup(r *backup.Run) {
	root := a.root
	a.running.Go(func() { a.backups.Execute(root, r) })
}

// WaitBackups waits for the backups RunBackup started.
func (a *App) WaitBackups() { a.running.Wait() }

// Stop ends everything the application started and waits for it: the
// sweeper's pass in flight finishes first (it may queue digests and
// reminders), then a send in flight finishes and is recorded, so no
// attempt is left claimed. It then closes the search index and the NATS
// connection. The caller closes the store.
func (a *App) Stop() {
	a.stopOnce.Do(func() {
		a.stopSweep()
		a.sweeping.Wait()
		a.stopRoot()
		a.work.Wait()
		a.running.Wait()
		if a.search != nil {
			if err := a.search.Close(); err != nil {
				a.log.Warn("search index close failed", "err", err)
			}
		}
		if a.nats != nil {
			a.nats.Close()
		}
	})
}

// The stores and services, for the HTTP adapter.

func (a *App) Auth() *auth.Store           { return a.auth }
func (a *App) Forum() *forum.Store         { return a.forum }
func (a *App) Library() *resources.Service { return a.lib }
func (a *App) Workshops() *workshops.Store { return a.workshops }
func (a *App) Site() *site.Store           { return a.site }
func (a *App) Privacy() *privacy.Registry  { return a.privacy }
func (a *App) Catalog() *frontend.Catalog  { return a.catalog }
func (a *App) Signer() *forum.Signer       { return a.signer }
func (a *App) Outbox() *mail.Outbox        { return a.outbox }
func (a *App) Backups() *backup.Scheduler  { return a.backups }
func (a *App) SearchIndex() *search.Index  { return a.search }
func (a *App) Bus() bus.Bus                { return a.bus }
func (a *App) Live() *live.Engine          { return a.live }
func (a *App) ForumLive() *ForumLive       { return a.forumLive }
func (a *App) Config() *config.Config      { return a.cfg }
func (a *App) Logger() *slog.Logger        { return a.log }
func (a *App) Store() *store.Store         { return a.store }
func (a *App) Version() string             { return a.version }
func (a *App) NATS() *nats.Conn            { return a.nats }
