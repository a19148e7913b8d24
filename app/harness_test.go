package app

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/auth/authtest"
	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/mail"
	"github.com/circularfairict/portal/mail/mailtest"
	"github.com/circularfairict/portal/store/storetest"
)

// syncWriter lets the logger be written from the jobs' goroutines while a
// test reads it.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// newTestApp opens an application on a fresh database, started (the mail
// worker runs) and stopped at the end of the test.
func newTestApp(t *testing.T, sender mail.Sender) (*App, *syncWriter) {
	t.Helper()
	cfg := &config.Config{Mode: config.ModeServe, BaseURL: "http://portal.test", SessionKey: []byte("0123456789abcdef0123456789abcdef"),
		DataDir: t.TempDir(), UploadMaxBytes: 10 << 20}
	logs := &syncWriter{}
	a, err := New(context.Background(), Deps{Config: cfg, Store: storetest.New(t), Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Mail: sender})
	if err != nil {
		t.Fatal(err)
	}
	a.Start(context.Background())
	t.Cleanup(a.Stop)
	a.SearchIndex().Wait()
	return a, logs
}

// newMember signs a member in through the test provider and gives them a
// status and a role.
func newMember(t *testing.T, a *App, name string, st auth.Status, role auth.Role) *auth.Member {
	return authtest.NewMember(t, a.auth, name, st, role)
}

// drainMail waits until the outbox has handed every queued message to the
// mail server.
func drainMail(t *testing.T, a *App) { mailtest.Drain(t, a.outbox) }
