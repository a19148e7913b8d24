package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/store"
)

// operationsDoc is where operators read how to run the portal.
const operationsDoc = "https://github.com/circularfairict/portal/blob/main/docs/operations.md"

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
	OperationsDoc              string
	// Unknown names the figures that could not be read (shown as such).
	Unknown map[string]bool
}

// showSystem gives administrators the operator's view of this server and
// its database. A figure that cannot be read is shown as unknown rather
// than failing the page: the page is for when something is wrong.
func (s *Server) showSystem(c *fiber.Ctx) error {
	ctx := c.UserContext()
	d := systemData{Version: s.version, SchemaSupported: store.CurrentSchema, Embedded: s.store.Embedded,
		MailEnabled: s.outbox.Enabled(), OperationsDoc: operationsDoc, Unknown: map[string]bool{}}
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
