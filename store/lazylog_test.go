package store

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

// The embedded database's logger writes what With and WithGroup gave it,
// in order, when a record is logged, and nothing for a record below the
// level; two loggers made from one do not see each other's attributes.
func TestLazyHandlerFormatsOnlyWhatIsLogged(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(lazy(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError})))
	l := base.With("component", "db")
	a := l.WithGroup("q").With("n", 1)
	b := l.With("other", true)
	a.Debug("ignored", "x", 2)
	if buf.Len() != 0 {
		t.Fatalf("a debug record was written: %s", buf.String())
	}
	a.Error("failed", "x", 2)
	if got := buf.String(); !strings.Contains(got, `"component":"db","q":{"n":1,"x":2}`) || strings.Contains(got, "other") {
		t.Fatalf("logged %s", got)
	}
	buf.Reset()
	b.ErrorContext(context.Background(), "b")
	if got := buf.String(); !strings.Contains(got, `"component":"db","other":true`) || strings.Contains(got, `"q"`) {
		t.Fatalf("logged %s", got)
	}
}
