package server

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/backup"
)

// backupPageSize bounds the runs the backups page lists.
const backupPageSize = 100

type backupRow struct {
	backup.Run
	Running, Interrupted bool
}

type backupsData struct {
	Schedule string // as configured; empty: none
	Dir      string
	Keep     int
	S3       string // bucket and prefix; empty: no upload
	Running  bool
	Runs     []backupRow
}

// listBackups shows administrators the backup runs, newest first, with the
// "Back up now" button.
func (s *Server) listBackups(c *fiber.Ctx) error {
	runs, err := s.backups.Runs(c.UserContext(), backupPageSize)
	if err != nil {
		return err
	}
	b := s.cfg.Backup
	d := backupsData{Schedule: b.Schedule.Text, Dir: s.backups.Dir(), Keep: s.backups.Keep()}
	if b.S3.Enabled() {
		d.S3 = "s3://" + b.S3.Bucket + "/" + b.S3.Prefix
	}
	now := time.Now()
	for _, r := range runs {
		row := backupRow{Run: r, Running: r.Running(now), Interrupted: r.Interrupted(now)}
		d.Running = d.Running || row.Running
		d.Runs = append(d.Runs, row)
	}
	p, err := s.adminPage(c, s.T(c, "admin.backups.title"), "backups", d)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "admin_backups", p)
}
