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
	// Not under the request's context: the backup outlives the request;
	// the application runs it under its root and waits for it at Shutdown.
	s.core.RunBackup(r)
	return s.redirectWithFlash(c, "/admin/backups", "flash.backup_started")
}
