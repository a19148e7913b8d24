package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/search"
	"github.com/circularfairict/portal/server"
	"github.com/circularfairict/portal/store"
)

func envMap(m map[string]string) config.Env {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func tempDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "pm") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut, envMap(env))
	return code, out.String(), errOut.String()
}

func TestStartupRefusesBadSettings(t *testing.T) {
	dir := tempDir(t)
	key := strings.Repeat("ab", 32)
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantLine string
	}{
		{"missing session key", []string{"serve"}, map[string]string{"PORTAL_BASE_URL": "https://p.example.org", "PORTAL_ADDR": "127.0.0.1:0"}, "PORTAL_SESSION_KEY"},
		{"unreachable mongodb", []string{"serve"}, map[string]string{"PORTAL_BASE_URL": "https://p.example.org", "PORTAL_ADDR": "127.0.0.1:0", "PORTAL_SESSION_KEY": key, "MONGODB_URI": "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500"}, "MONGODB_URI"},
		{"malformed mongodb", []string{"serve"}, map[string]string{"PORTAL_BASE_URL": "https://p.example.org", "PORTAL_ADDR": "127.0.0.1:0", "PORTAL_SESSION_KEY": key, "MONGODB_URI": "http://db"}, "MONGODB_URI"},
		{"demo on a public address", []string{"demo", "--data", dir}, map[string]string{"PORTAL_ADDR": "0.0.0.0:8080"}, "PORTAL_ADDR"},
		{"unknown flag", []string{"serve", "--nope"}, nil, "flag provided but not defined"},
		{"user add without email", []string{"user", "add", "--name", "X"}, map[string]string{"PORTAL_DATA_DIR": dir}, "--email"},
		{"user add bad role", []string{"user", "add", "--email", "a@b.org", "--name", "X", "--role", "king"}, map[string]string{"PORTAL_DATA_DIR": dir}, "--role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.env, tt.args...)
			if code == 0 {
				t.Fatal("exit 0")
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tt.wantLine) {
				t.Fatalf("want one line naming %s, got %q", tt.wantLine, stderr)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "portal ") || !strings.Contains(out, fmt.Sprintf("(database schema %d)", store.CurrentSchema)) {
		t.Fatalf("version: %d %q", code, out)
	}
}

// The token printed by `portal user add --token` authenticates API requests,
// whether the command ran alone or next to a running server.
func TestUserAddToken(t *testing.T) {
	for _, serverRunning := range []bool{false, true} {
		name := "alone"
		if serverRunning {
			name = "next to a running server"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dir := tempDir(t)
			env := map[string]string{"PORTAL_DATA_DIR": dir}
			var st *store.Store
			var err error
			if serverRunning {
				if st, err = store.Open(ctx, store.Options{DataDir: dir}); err != nil {
					t.Fatal(err)
				}
			}
			code, out, stderr := runCLI(t, env, "user", "add", "--email", "Admin@Example.org", "--name", "Ada Admin", "--role", "admin", "--token")
			if code != 0 {
				t.Fatalf("user add: %d %s", code, stderr)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			token := lines[len(lines)-1]
			if !strings.HasPrefix(token, "cfp_") {
				t.Fatalf("last line is not a token: %q", out)
			}
			// Running it again updates the member instead of duplicating it.
			if code, _, stderr := runCLI(t, env, "user", "add", "--email", "admin@example.org", "--name", "Ada Admin", "--role", "admin"); code != 0 {
				t.Fatalf("second user add: %s", stderr)
			}
			if !serverRunning {
				if st, err = store.Open(ctx, store.Options{DataDir: dir}); err != nil {
					t.Fatal(err)
				}
			}
			defer st.Close(ctx)
			if n, _ := st.DB.Collection("members").CountDocuments(ctx, map[string]any{}); n != 1 {
				t.Fatalf("%d members, want 1", n)
			}
			// Each write is numbered in the search change log, so that a
			// running server lists the member at its next sweep.
			var m struct {
				ID string `bson:"_id"`
			}
			if err := st.DB.Collection("members").FindOne(ctx, map[string]any{}).Decode(&m); err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{"member:1", "member:2"} {
				var c struct {
					Doc string `bson:"doc"`
				}
				if err := st.DB.Collection(search.ColChanges).FindOne(ctx, map[string]any{"_id": n}).Decode(&c); err != nil || c.Doc != m.ID {
					t.Errorf("change %s: %+v, %v; want the member", n, c, err)
				}
			}
			cfg, err := config.Load(config.ModeServe, envMap(map[string]string{"PORTAL_BASE_URL": "https://p.example.org", "PORTAL_SESSION_KEY": strings.Repeat("cd", 32), "PORTAL_DATA_DIR": dir}))
			if err != nil {
				t.Fatal(err)
			}
			srv, err := server.New(ctx, server.Deps{Config: cfg, Store: st, Logger: nil})
			if err != nil {
				t.Fatal(err)
			}
			// The administrator made here ends the first-run set-up.
			if link, err := srv.OfferSetup(ctx); link != "" || err != nil {
				t.Fatalf("set-up link offered after user add --role admin: %q %v", link, err)
			}
			for _, tc := range []struct {
				auth string
				want int
			}{{"Bearer " + token, 200}, {"Bearer " + token + "x", 401}, {"Bearer cfp_forged", 401}, {"", 401}} {
				req := httptest.NewRequest("GET", "/api/v1/me", nil)
				if tc.auth != "" {
					req.Header.Set("Authorization", tc.auth)
				}
				res, err := srv.App().Test(req, -1)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				if res.StatusCode != tc.want {
					t.Fatalf("%q: status %d: %s", tc.auth, res.StatusCode, body)
				}
				if tc.want == 200 && (!strings.Contains(string(body), `"name":"Ada Admin"`) || !strings.Contains(string(body), `"role":"admin"`)) {
					t.Fatalf("me: %s", body)
				}
			}
		})
	}
}

// TestProfilerServesOnItsOwnListener: PORTAL_PPROF_ADDR gives Go's
// profiler a listener of its own, which answers the profile index.
func TestProfilerServesOnItsOwnListener(t *testing.T) {
	addr, err := serveProfiler("127.0.0.1:0", newLogger("error", io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get("http://" + addr + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "goroutine") {
		t.Fatalf("profile index: %d %.200s", res.StatusCode, b)
	}
	if _, err := serveProfiler(addr, newLogger("error", io.Discard)); err == nil || !strings.Contains(err.Error(), "PORTAL_PPROF_ADDR") {
		t.Fatalf("a taken address must fail naming the variable, got %v", err)
	}
}

// `portal user add --token-scope` chooses the token's scope; write is the
// default, the scope every token had before scopes existed.
func TestUserAddTokenScope(t *testing.T) {
	dir := tempDir(t)
	env := map[string]string{"PORTAL_DATA_DIR": dir}
	if code, _, _ := runCLI(t, env, "user", "add", "--email", "r@example.org", "--name", "R", "--token", "--token-scope", "root"); code == 0 {
		t.Fatal("unknown scope accepted")
	}
	for _, args := range [][]string{{"--email", "r@example.org", "--name", "R", "--token", "--token-scope", "read"}, {"--email", "w@example.org", "--name", "W", "--token"}} {
		if code, _, stderr := runCLI(t, env, append([]string{"user", "add"}, args...)...); code != 0 {
			t.Fatalf("user add %v: %s", args, stderr)
		}
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	a := auth.NewStore(st.DB)
	for email, want := range map[string]auth.TokenScope{"r@example.org": auth.ScopeRead, "w@example.org": auth.ScopeWrite} {
		m, err := a.MemberByIdentity(ctx, "cli", email)
		if err != nil {
			t.Fatal(err)
		}
		if toks, err := a.Tokens(ctx, m.ID); err != nil || len(toks) != 1 || toks[0].Scope != want {
			t.Fatalf("%s: tokens %+v (%v), want one of scope %s", email, toks, err, want)
		}
	}
}

func TestResolveVersion(t *testing.T) {
	vcs := func(kv ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}
		for i := 0; i < len(kv); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return bi
	}
	for _, tc := range []struct {
		stamped string
		info    *debug.BuildInfo
		ok      bool
		want    string
	}{
		{"v1.4.0", vcs("vcs.revision", "0123456789abcdef"), true, "v1.4.0"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.2"}}, true, "v1.3.2"},
		{"dev", vcs("vcs.revision", "0123456789abcdef0123", "vcs.modified", "false"), true, "0123456789ab"},
		{"", vcs("vcs.revision", "0123456789abcdef0123", "vcs.modified", "true"), true, "0123456789ab-dirty"},
		{"", vcs(), true, "dev"},
		{"", nil, false, "dev"},
	} {
		if got := resolveVersion(tc.stamped, tc.info, tc.ok); got != tc.want {
			t.Errorf("resolveVersion(%q, %+v) = %q, want %q", tc.stamped, tc.info, got, tc.want)
		}
	}
}

// user add and import check the schema as serve does: a database a newer
// release upgraded is refused with the reason, and one written before
// schema versions is migrated first.
func TestToolsCheckTheSchema(t *testing.T) {
	ctx := context.Background()
	setSchema := func(t *testing.T, dir string, version int) {
		t.Helper()
		st, err := store.Open(ctx, store.Options{DataDir: dir, Owner: true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close(ctx)
		// An older database: data but no schema document.
		if _, err := st.DB.Collection("members").InsertOne(ctx, bson.M{"_id": "old", "name": "Old member"}); err != nil {
			t.Fatal(err)
		}
		if version > 0 {
			if _, err := st.DB.Collection("portal_meta").InsertOne(ctx, bson.M{"_id": "schema", "version": version}); err != nil {
				t.Fatal(err)
			}
		}
	}
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "manifest.csv"), []byte("file,title\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tools := map[string][]string{
		"user add": {"user", "add", "--email", "ada@example.org", "--name", "Ada", "--role", "admin"},
		"import":   {"import", src, "--owner", "ada@example.org"},
	}
	for name, args := range tools {
		t.Run(name+" refuses a newer database", func(t *testing.T) {
			dir := tempDir(t)
			setSchema(t, dir, store.CurrentSchema+1)
			code, _, stderr := runCLI(t, map[string]string{"PORTAL_DATA_DIR": dir}, args...)
			if code != 1 || !strings.Contains(stderr, fmt.Sprintf("schema version %d", store.CurrentSchema+1)) {
				t.Fatalf("%d %s", code, stderr)
			}
		})
	}
	t.Run("user add migrates an older database", func(t *testing.T) {
		dir := tempDir(t)
		setSchema(t, dir, 0)
		if code, _, stderr := runCLI(t, map[string]string{"PORTAL_DATA_DIR": dir}, tools["user add"]...); code != 0 {
			t.Fatalf("%d %s", code, stderr)
		}
		st, err := store.Open(ctx, store.Options{DataDir: dir, Owner: true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close(ctx)
		if v, err := st.SchemaVersion(ctx); err != nil || v != store.CurrentSchema {
			t.Fatalf("schema after user add: %d %v", v, err)
		}
	})
}
