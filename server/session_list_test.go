package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/auth"
)

// A member sees each browser they are signed in with, can sign the others
// out, and cannot touch another member's sessions.
func TestSessionsListAndEnd(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	a, b := newClient(t, s), newClient(t, s)
	a.header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")
	b.header.Set("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0 Safari/537.36 Edg/150.0")
	a.signIn("buyer")
	b.signIn("buyer")

	res, page := a.get("/profile/sessions")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("sessions page: %d", res.StatusCode)
	}
	for _, want := range []string{"Firefox on Linux", "Edge on Windows", "This browser", "Sign out everywhere else", "after 1 hour without use"} {
		if !strings.Contains(page, want) {
			t.Errorf("sessions page lacks %q", want)
		}
	}
	if strings.Count(page, "This browser") != 1 {
		t.Error("the current session is marked more than once")
	}
	if strings.Contains(page, a.cookies[s.sessionCookieName()]) {
		t.Fatal("the page shows a session secret")
	}

	// Another member cannot end the buyer's session.
	other := newClient(t, s)
	other.signIn("facilitator")
	bID := auth.SessionID(b.cookies[s.sessionCookieName()])
	if res, _ := other.post("/profile/sessions/"+bID+"/end", url.Values{}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("ending another member's session: %d, want 404", res.StatusCode)
	}

	if res, _ := a.post("/profile/sessions/others/end", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("end others: %d", res.StatusCode)
	}
	if currentMember := signedIn(t, s, b); currentMember {
		t.Fatal("the other browser is still signed in")
	}
	if !signedIn(t, s, a) {
		t.Fatal("this browser was signed out too")
	}

	// Ending one's own current session is signing out.
	aID := auth.SessionID(a.cookies[s.sessionCookieName()])
	if res, _ := a.post("/profile/sessions/"+aID+"/end", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("end own session: %d", res.StatusCode)
	}
	if signedIn(t, s, a) {
		t.Fatal("still signed in after ending the current session")
	}
}

func signedIn(t *testing.T, s *Server, c *client) bool {
	t.Helper()
	_, err := s.auth.SessionMember(context.Background(), c.cookies[s.sessionCookieName()])
	return err == nil
}

// A session unused for longer than its idle allowance ends, whatever its
// lifetime, and the sweep removes it.
func TestSessionIdleTimeout(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	m := newMember(t, s, "Idle Member", auth.StatusApproved, auth.RoleMember)
	ctx := context.Background()
	sid := auth.NewSessionSecret()
	if err := s.auth.CreateSession(ctx, sid, m.ID, time.Hour, 50*time.Millisecond, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.auth.SessionMember(ctx, sid); err != nil {
		t.Fatalf("fresh session: %v", err)
	}
	time.Sleep(120 * time.Millisecond)
	if _, err := s.auth.SessionMember(ctx, sid); err != auth.ErrNotFound {
		t.Fatalf("idle session: %v, want not found", err)
	}
	if n, err := s.auth.SweepSessions(ctx); err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v; want 1 removed", n, err)
	}
}

func TestBrowserName(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1": "Safari|iOS",
		"Mozilla/5.0 (Linux; Android 15) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0 Mobile Safari/537.36":                                "Chrome|Android",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0 Safari/537.36 OPR/120.0":                "Opera|macOS",
		"curl/8.0": "?|?",
		"":         "?|?",
	} {
		if got := browserName(ua); got != want {
			t.Errorf("%q: %q, want %q", ua, got, want)
		}
	}
}
