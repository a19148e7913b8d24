package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/server"
	"github.com/circularfairict/portal/store"
)

// portal reindex rebuilds the search index next to a running server (which
// holds the index directory: a new index is put in its place) and alone
// (in place), and says what it did.
func TestReindex(t *testing.T) {
	ctx := context.Background()
	dir := tempDir(t)
	env := map[string]string{"PORTAL_DATA_DIR": dir}
	st, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	cfg, err := config.Load(config.ModeServe, envMap(map[string]string{"PORTAL_BASE_URL": "https://p.example.org",
		"PORTAL_SESSION_KEY": strings.Repeat("cd", 32), "PORTAL_DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(ctx, server.Deps{Config: cfg, Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv.SearchIndex().Wait()
	lib := srv.Library()
	for _, title := range []string{"Laptop criteria", "Clause on spare parts"} {
		sp, err := lib.Receive(ctx, bytes.NewReader([]byte(title+" for a tender.\n")), "a.txt")
		if err != nil {
			t.Fatal(err)
		}
		m := resources.Meta{Title: title, Summary: "s", Type: "criteria_set", Languages: []string{"en"}, Licence: "cc_by", Visibility: resources.VisibilityPublic}
		if _, _, err := lib.Create(ctx, "o", m, sp, "", ""); err != nil {
			t.Fatal(err)
		}
		sp.Close()
	}
	code, out, stderr := runCLI(t, env, "reindex")
	if code != 0 || !strings.Contains(out, "indexed 2 documents") || !strings.Contains(out, "running server") {
		t.Fatalf("reindex next to a server: %d %q %q", code, out, stderr)
	}
	// The running server still answers from its open index.
	res, err := lib.Search(ctx, resources.Search{Q: "spare parts"})
	if err != nil || res.Total != 1 {
		t.Fatalf("search after reindex: %v %v", res, err)
	}
	if err := srv.Shutdown(time.Second); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = runCLI(t, env, "reindex")
	if code != 0 || !strings.Contains(out, "indexed 2 documents") || strings.Contains(out, "running server") {
		t.Fatalf("reindex alone: %d %q %q", code, out, stderr)
	}
}
