package config

import (
	"strings"
	"testing"
	"time"
)

func TestBackupSchedule(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct{ spec, now, next string }{
		{"daily 03:00", "2026-12-06T02:59:59Z", "2026-12-06T03:00:00Z"},
		{"daily 03:00", "2026-12-06T03:00:00Z", "2026-12-07T03:00:00Z"},
		{"Daily 23:45", "2026-12-31T23:50:00Z", "2027-01-01T23:45:00Z"},
		{"every 6h", "2026-12-06T03:12:00Z", "2026-12-06T06:00:00Z"},
		{"every 6h", "2026-12-06T18:00:00Z", "2026-12-07T00:00:00Z"},
		{"every 30m", "2026-12-06T03:12:00Z", "2026-12-06T03:30:00Z"},
	} {
		s, err := ParseSchedule(tc.spec)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		if got := s.Next(at(tc.now)); !got.Equal(at(tc.next)) {
			t.Errorf("%s after %s: %s, want %s", tc.spec, tc.now, got.Format(time.RFC3339), tc.next)
		}
	}
	for _, bad := range []string{"daily", "daily 3", "daily 24:00", "daily 03:5", "every", "every 10s", "every 1h30", "hourly", "every 6h extra", "0 3 * * *"} {
		if _, err := ParseSchedule(bad); err == nil || !strings.Contains(err.Error(), "PORTAL_BACKUP_SCHEDULE") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestBackupConfig(t *testing.T) {
	load := func(vars map[string]string) (*Config, error) {
		vars["PORTAL_BASE_URL"] = "https://p.example.org"
		vars["PORTAL_SESSION_KEY"] = strings.Repeat("ab", 32)
		return Load(ModeServe, func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	}
	c, err := load(map[string]string{"PORTAL_DATA_DIR": "/srv/portal"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Backup.Dir != "/srv/portal/backups" || c.Backup.Keep != 7 || c.Backup.Schedule.Enabled() || c.Backup.S3.Enabled() {
		t.Errorf("defaults: %+v", c.Backup)
	}
	c, err = load(map[string]string{"PORTAL_BACKUP_S3_ENDPOINT": "http://127.0.0.1:8333", "PORTAL_BACKUP_S3_BUCKET": "b",
		"PORTAL_BACKUP_S3_ACCESS_KEY": "k", "PORTAL_BACKUP_S3_SECRET_KEY": "s", "PORTAL_BACKUP_S3_PATH_STYLE": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Backup.S3; s.Endpoint != "127.0.0.1:8333" || s.Secure || !s.PathStyle || s.SecretKey != "s" {
		t.Errorf("s3: %+v", s)
	}
	for name, vars := range map[string]map[string]string{
		"PORTAL_BACKUP_KEEP":          {"PORTAL_BACKUP_KEEP": "0"},
		"PORTAL_BACKUP_SCHEDULE":      {"PORTAL_BACKUP_SCHEDULE": "sometimes"},
		"PORTAL_BACKUP_S3_ENDPOINT":   {"PORTAL_BACKUP_S3_ENDPOINT": "s3.example.org"},
		"PORTAL_BACKUP_S3_BUCKET":     {"PORTAL_BACKUP_S3_ENDPOINT": "https://s3.example.org"},
		"PORTAL_BACKUP_S3_SECRET_KEY": {"PORTAL_BACKUP_S3_ENDPOINT": "https://s3.example.org", "PORTAL_BACKUP_S3_BUCKET": "b", "PORTAL_BACKUP_S3_ACCESS_KEY": "k"},
		"PORTAL_BACKUP_S3_PATH_STYLE": {"PORTAL_BACKUP_S3_ENDPOINT": "https://s3.example.org", "PORTAL_BACKUP_S3_BUCKET": "b", "PORTAL_BACKUP_S3_ACCESS_KEY": "k", "PORTAL_BACKUP_S3_SECRET_KEY": "s", "PORTAL_BACKUP_S3_PATH_STYLE": "maybe"},
	} {
		if _, err := load(vars); err == nil || !strings.HasPrefix(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
