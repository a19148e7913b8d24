package server

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/backup"
)

// Administrators see the backup runs, start one in the background (once
// while one runs), and download an archive the portal recorded; nobody
// else reaches any of it.
func TestAdminBackups(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	admin := newClient(t, s)
	admin.signIn("coordinator")
	en := func(key string, args ...any) string { return s.catalog.T("en", key, args...) }

	res, body := admin.get("/admin/backups")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, en("admin.backups.now")) || !strings.Contains(body, en("admin.backups.none")) {
		t.Fatalf("backups page: %d", res.StatusCode)
	}
	if _, sys := admin.get("/admin/system"); !strings.Contains(sys, `href="/admin/backups"`) || !strings.Contains(sys, en("admin.system.backup_none")) {
		t.Error("the system page does not link the backups page or does not say there is none")
	}
	if res, _ := admin.post("/admin/backups", url.Values{"_csrf": {"forged"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("back up without the CSRF token: %d, want 403", res.StatusCode)
	}

	// A backup holds the running lease: the button starts no second one
	// and says so, and the page shows it running.
	r, err := s.backups.Start(ctx, "manual", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := admin.post("/admin/backups", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("back up now while one runs: %d", res.StatusCode)
	}
	_, body = admin.get("/admin/backups")
	if !strings.Contains(body, en("flash.backup_running")) || !strings.Contains(body, en("admin.backups.running_notice")) {
		t.Error("the page does not say a backup is already running")
	}
	if runs, _ := s.backups.Runs(ctx, 0); len(runs) != 1 {
		t.Fatalf("a second backup was started: %d runs", len(runs))
	}
	s.backups.Execute(ctx, r)

	// Now the button starts one, in the background.
	if res, _ := admin.post("/admin/backups", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("back up now: %d", res.StatusCode)
	}
	s.core.WaitBackups()
	runs, err := s.backups.Runs(ctx, 0)
	if err != nil || len(runs) != 2 || runs[0].Result != backup.ResultOK || runs[0].Trigger != "manual" {
		t.Fatalf("runs: %+v %v", runs, err)
	}
	_, body = admin.get("/admin/backups")
	if !strings.Contains(body, en("flash.backup_started")) || strings.Contains(body, en("admin.backups.running_notice")) {
		t.Error("the page does not say the backup started, or still shows one running")
	}
	link := "/admin/backups/" + runs[0].ID + "/download"
	if !strings.Contains(body, `href="`+link+`"`) || !strings.Contains(body, en("admin.backups.ok")) {
		t.Fatalf("the page does not offer the archive:\n%s", body)
	}
	if _, sys := admin.get("/admin/system"); !strings.Contains(sys, en("admin.backups.ok")) || !strings.Contains(sys, runs[0].Started.Format("2006-01-02 15:04")) {
		t.Error("the system page does not show the last backup")
	}

	res, got := admin.get(link)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("download: %d", res.StatusCode)
	}
	want, err := os.ReadFile(filepath.Join(s.backups.Dir(), runs[0].File))
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256([]byte(got)) != sha256.Sum256(want) {
		t.Error("the download is not the archive")
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, runs[0].File) {
		t.Errorf("Content-Disposition: %q", cd)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Content-Type") != "application/zip" {
		t.Errorf("headers: %v", res.Header)
	}
	for _, bad := range []string{"/admin/backups/unknown/download", "/admin/backups/..%2F..%2Fetc%2Fpasswd/download", "/admin/backups/" + runs[1].ID + "x/download"} {
		if res, _ := admin.get(bad); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", bad, res.StatusCode)
		}
	}
	member := newClient(t, s)
	member.signIn("buyer")
	for _, path := range []string{"/admin/backups", link} {
		if res, _ := member.get(path); res.StatusCode != http.StatusForbidden {
			t.Errorf("a member gets %s: %d", path, res.StatusCode)
		}
	}
}

// The system page says how the search index stands: its documents, and
// whether it is being built.
func TestAdminSystemSearchState(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	admin := newClient(t, s)
	admin.signIn("coordinator")
	n, err := s.search.DocCount()
	if err != nil {
		t.Fatal(err)
	}
	want := s.catalog.T("en", "admin.system.search_current", n)
	if _, body := admin.get("/admin/system"); !strings.Contains(body, s.catalog.T("en", "admin.system.search")) || !strings.Contains(body, want) {
		t.Errorf("the search index state %q is not shown", want)
	}
}
