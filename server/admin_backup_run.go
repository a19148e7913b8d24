package server

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/backup"
)

// runBackup starts a backup in the background ("Back up now") and returns
// to the page, which lists it as running. While a backup runs, on this
// replica or another, a second press starts nothing and says so.
func (s *Server) runBackup(c *fiber.Ctx) error {
	r, err := s.backups.Start(c.UserContext(), "manual", time.Time{})
	if errors.Is(err, backup.ErrRunning) {
		return s.redirectWithFlash(c, "/admin/backups", "flash.backup_running")
	}
	if err != nil {
		return err
	}
	s.audit(c, auth.AuditBackupStart, r.ID, nil)
	// Under the server's root context, not the request's: the backup
	// outlives the request, and Shutdown waits for it (it stops cleanly,
	// recorded as interrupted, when the server stops).
	s.running.Go(func() { s.backups.Execute(s.root, r) })
	return s.redirectWithFlash(c, "/admin/backups", "flash.backup_started")
}
