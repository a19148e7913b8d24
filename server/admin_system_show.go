package server

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/backup"
	"github.com/circularfairict/portal/store"
)

type systemData struct {
	Version                    string
	Schema, SchemaSupported    int
	Embedded                   bool
	DatabaseBytes              int64
	Files, FileBytes           int64
	MailEnabled                bool
	MailQueued, MailFailed     int64
	Rooms                      int
	RoomSockets, StreamSockets int
	// LastBackup is the newest backup run; nil when there is none.
	LastBackup       *backup.Run
	LastBackupResult string
	// Search is the search index's state; shown when HasSearch.
	Search    string
	HasSearch bool
	// Unknown names the figures that could not be read (shown as such).
	Unknown map[string]bool
}

// showSystem gives administrators the operator's view of this server and
// its database. A figure that cannot be read is shown as unknown rather
// than failing the page: the page is for when something is wrong.
func (s *Server) showSystem(c *fiber.Ctx) error {
	ctx := c.UserContext()
	d := systemData{Version: s.version, SchemaSupported: store.CurrentSchema, Embedded: s.store.Embedded,
		MailEnabled: s.outbox.Enabled(), Unknown: map[string]bool{}}
	var err error
	if d.Schema, err = s.store.SchemaVersion(ctx); err != nil {
		d.Unknown["schema"] = true
	}
	if d.DatabaseBytes, err = s.store.Size(ctx); err != nil {
		s.log.Warn("system page: database size", "err", err, "request_id", requestID(c))
		d.Unknown["database"] = true
	}
	if d.Files, d.FileBytes, err = s.lib.StoredFiles(ctx); err != nil {
		s.log.Warn("system page: stored files", "err", err, "request_id", requestID(c))
		d.Unknown["files"] = true
	}
	if d.MailQueued, d.MailFailed, err = s.outbox.Counts(ctx); err != nil {
		d.Unknown["mail"] = true
	}
	if runs, err := s.backups.Runs(ctx, 1); err != nil {
		s.log.Warn("system page: backups", "err", err, "request_id", requestID(c))
		d.Unknown["backup"] = true
	} else if len(runs) == 1 {
		r, now := runs[0], time.Now()
		d.LastBackup = &r
		switch {
		case r.Running(now):
			d.LastBackupResult = s.T(c, "admin.backups.running")
		case r.Interrupted(now):
			d.LastBackupResult = s.T(c, "admin.backups.interrupted")
		case r.Result == backup.ResultOK:
			d.LastBackupResult = s.T(c, "admin.backups.ok")
		default:
			d.LastBackupResult = s.T(c, "admin.backups.failed")
		}
	}
	if s.search != nil {
		if n, err := s.search.DocCount(); err != nil {
			s.log.Warn("system page: search index", "err", err, "request_id", requestID(c))
			d.Unknown["search"] = true
		} else if s.search.Building() {
			d.Search, d.HasSearch = s.T(c, "admin.system.search_building", n), true
		} else {
			d.Search, d.HasSearch = s.T(c, "admin.system.search_current", n), true
		}
	}
	d.Rooms = s.live.Stats().Rooms
	s.conns.mu.Lock()
	for _, lc := range s.conns.conns {
		switch lc.info.Kind {
		case connRoom:
			d.RoomSockets++
		case connStream:
			d.StreamSockets++
		}
	}
	s.conns.mu.Unlock()
	p, err := s.adminPage(c, s.T(c, "admin.system.title"), "system", d)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "admin_system", p)
}
