package server

import (
	"archive/zip"
	"bytes"
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/mail"
	"github.com/circularfairict/portal/mail/mailtest"
)

// Administrators see what waits and what failed, and retry or discard it;
// each action is audited and needs the CSRF token.
func TestAdminMailQueue(t *testing.T) {
	smtp := mailtest.Start(t)
	smtp.Down()
	s, _ := newTestServer(t, opts{mail: &mail.SMTP{Host: smtp.Host, Port: smtp.Port, From: "portal@example.org", TLS: mail.TLSNone}})
	ctx := context.Background()
	for _, to := range []string{"keep@example.org", "drop@example.org"} {
		if err := s.outbox.Enqueue(ctx, mail.Message{To: to, Subject: "Subject for " + to, Body: "Hello."}); err != nil {
			t.Fatal(err)
		}
	}
	q, err := s.outbox.List(ctx, 10)
	if err != nil || len(q.Queued) != 2 {
		t.Fatalf("queue: %+v %v", q, err)
	}
	ids := map[string]string{}
	for _, m := range q.Queued {
		ids[m.To] = m.ID
	}

	admin := newClient(t, s)
	admin.signIn("coordinator")
	_, members := admin.get("/admin/members")
	if !strings.Contains(members, `href="/admin/mail"`) {
		t.Error("the members page does not link the mail queue")
	}
	res, body := admin.get("/admin/mail")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Subject for keep@example.org") || !strings.Contains(body, "Subject for drop@example.org") {
		t.Fatalf("mail page: %d", res.StatusCode)
	}
	if res, _ := admin.post("/admin/mail/"+ids["drop@example.org"]+"/discard", url.Values{"_csrf": {"forged"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("discard without the CSRF token: %d, want 403", res.StatusCode)
	}
	if res, _ := admin.post("/admin/mail/"+ids["drop@example.org"]+"/discard", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("discard: %d", res.StatusCode)
	}
	admin.get("/admin/mail")
	if res, _ := admin.post("/admin/mail/"+ids["drop@example.org"]+"/retry", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("retry of a discarded message: %d, want 404", res.StatusCode)
	}
	smtp.Up(t)
	admin.get("/admin/mail")
	if res, _ := admin.post("/admin/mail/"+ids["keep@example.org"]+"/retry", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("retry: %d", res.StatusCode)
	}
	drainMail(t, s)
	got := smtp.Wait(t, 1, 10*time.Second)
	if len(got) != 1 || got[0].To != "keep@example.org" {
		t.Fatalf("delivered %+v, want only keep@example.org", got)
	}
	_, body = admin.get("/admin/mail")
	if strings.Contains(body, "Subject for drop@example.org") || !strings.Contains(body, html.EscapeString(got[0].Header.Get("Message-ID"))) {
		t.Error("after discard and retry the page should list only the sent message, with its Message-ID")
	}
	log, err := s.auth.AuditLog(ctx, "", 0, 20)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, e := range log {
		seen[e.Action] = e.Target
	}
	if seen[auth.AuditMailDiscard] != ids["drop@example.org"] || seen[auth.AuditMailRetry] != ids["keep@example.org"] {
		t.Errorf("audit log: %+v", seen)
	}
}

// Mail waiting for a member is in their data export and goes with their
// account.
func TestQueuedMailFollowsTheMembersData(t *testing.T) {
	smtp := mailtest.Start(t)
	smtp.Down() // the message stays queued
	s, _ := newTestServer(t, opts{mail: &mail.SMTP{Host: smtp.Host, Port: smtp.Port, From: "portal@example.org", TLS: mail.TLSNone}})
	ctx := context.Background()
	m := newMember(t, s, "Queued Member", auth.StatusApproved, auth.RoleMember)
	if err := s.outbox.Enqueue(ctx, mail.Message{To: m.Email, Subject: "Subject for the queued member", Body: "Hello Queued Member", MemberID: m.ID}); err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	if err := s.privacy.Export(ctx, m.ID, &zipped); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zipped.Bytes()), int64(zipped.Len()))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range zr.File {
		if f.Name == "emails.json" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			found = strings.Contains(string(b), "Subject for the queued member")
		}
	}
	if !found {
		t.Error("the export has no emails.json naming the queued message")
	}
	if err := s.privacy.Erase(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if q, err := s.outbox.List(ctx, 10); err != nil || len(q.Queued) != 0 {
		t.Errorf("after erasure the outbox still holds %+v (%v)", q, err)
	}
}
