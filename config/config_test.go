package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func envOf(m map[string]string) Env {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

const goodKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestLoadValidation(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(goodKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := func(extra map[string]string) map[string]string {
		m := map[string]string{"PORTAL_BASE_URL": "https://portal.example.org", "PORTAL_SESSION_KEY": goodKey}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		mode    Mode
		env     map[string]string
		wantErr string // substring; the variable's name must lead the message
	}{
		{"serve ok", ModeServe, base(nil), ""},
		{"serve key from file", ModeServe, map[string]string{"PORTAL_BASE_URL": "https://p.example.org", "PORTAL_SESSION_KEY_FILE": keyFile}, ""},
		{"serve missing key", ModeServe, map[string]string{"PORTAL_BASE_URL": "https://p.example.org"}, "PORTAL_SESSION_KEY: missing"},
		{"serve short key", ModeServe, base(map[string]string{"PORTAL_SESSION_KEY": "abcd"}), "PORTAL_SESSION_KEY: too short"},
		{"serve key and file", ModeServe, base(map[string]string{"PORTAL_SESSION_KEY_FILE": keyFile}), "PORTAL_SESSION_KEY: set either"},
		{"serve unreadable key file", ModeServe, map[string]string{"PORTAL_BASE_URL": "https://p.example.org", "PORTAL_SESSION_KEY_FILE": "/nonexistent/key"}, "PORTAL_SESSION_KEY_FILE: cannot read"},
		{"serve missing base url", ModeServe, map[string]string{"PORTAL_SESSION_KEY": goodKey}, "PORTAL_BASE_URL: missing"},
		{"serve http base url off loopback", ModeServe, base(map[string]string{"PORTAL_BASE_URL": "http://portal.example.org"}), "PORTAL_BASE_URL: \"http://portal.example.org\" must use https"},
		{"serve base url with path", ModeServe, base(map[string]string{"PORTAL_BASE_URL": "https://example.org/portal"}), "PORTAL_BASE_URL:"},
		{"serve bad mongo uri", ModeServe, base(map[string]string{"MONGODB_URI": "postgres://x"}), "MONGODB_URI: must start with"},
		{"serve bad addr", ModeServe, base(map[string]string{"PORTAL_ADDR": "8080"}), "PORTAL_ADDR:"},
		{"serve bad port", ModeServe, base(map[string]string{"PORTAL_ADDR": ":99999"}), "PORTAL_ADDR:"},
		{"serve bad ttl", ModeServe, base(map[string]string{"PORTAL_SESSION_TTL": "forever"}), "PORTAL_SESSION_TTL:"},
		{"serve bad idle", ModeServe, base(map[string]string{"PORTAL_SESSION_IDLE": "0s"}), "PORTAL_SESSION_IDLE:"},
		{"serve bad mail retry", ModeServe, base(map[string]string{"PORTAL_MAIL_RETRY_FOR": "a day"}), "PORTAL_MAIL_RETRY_FOR:"},
		{"serve mail retry", ModeServe, base(map[string]string{"PORTAL_MAIL_RETRY_FOR": "72h"}), ""},
		{"serve time zone", ModeServe, base(map[string]string{"PORTAL_TIME_ZONE": "Europe/Brussels"}), ""},
		{"serve bad time zone", ModeServe, base(map[string]string{"PORTAL_TIME_ZONE": "Brussels"}), "PORTAL_TIME_ZONE:"},
		{"serve local time zone", ModeServe, base(map[string]string{"PORTAL_TIME_ZONE": "Local"}), "PORTAL_TIME_ZONE:"},
		{"serve idle beyond ttl", ModeServe, base(map[string]string{"PORTAL_SESSION_TTL": "1h", "PORTAL_SESSION_IDLE": "2h"}), "PORTAL_SESSION_IDLE:"},
		{"serve bad body limit", ModeServe, base(map[string]string{"PORTAL_BODY_MAX_BYTES": "-1"}), "PORTAL_BODY_MAX_BYTES:"},
		{"serve search shards", ModeServe, base(map[string]string{"PORTAL_SEARCH_SHARDS": "4"}), ""},
		{"serve no search shards", ModeServe, base(map[string]string{"PORTAL_SEARCH_SHARDS": "0"}), "PORTAL_SEARCH_SHARDS:"},
		{"serve bad search shards", ModeServe, base(map[string]string{"PORTAL_SEARCH_SHARDS": "two"}), "PORTAL_SEARCH_SHARDS:"},
		{"serve too many search shards", ModeServe, base(map[string]string{"PORTAL_SEARCH_SHARDS": "65"}), "PORTAL_SEARCH_SHARDS: 65 is more than 64"},
		{"serve upload below body", ModeServe, base(map[string]string{"PORTAL_UPLOAD_MAX_BYTES": "10"}), "PORTAL_UPLOAD_MAX_BYTES:"},
		{"serve bad proxy", ModeServe, base(map[string]string{"PORTAL_TRUSTED_PROXIES": "10.0.0.1, proxy"}), "PORTAL_TRUSTED_PROXIES:"},
		{"serve bad log level", ModeServe, base(map[string]string{"PORTAL_LOG_LEVEL": "loud"}), "PORTAL_LOG_LEVEL:"},
		{"serve instance name", ModeServe, base(map[string]string{"PORTAL_INSTANCE": "portal-a"}), ""},
		{"serve bad instance name", ModeServe, base(map[string]string{"PORTAL_INSTANCE": "a\r\nSet-Cookie: x"}), "PORTAL_INSTANCE:"},
		{"serve profiler on loopback", ModeServe, base(map[string]string{"PORTAL_PPROF_ADDR": "127.0.0.1:6060"}), ""},
		{"serve profiler off loopback", ModeServe, base(map[string]string{"PORTAL_PPROF_ADDR": ":6060"}), "PORTAL_PPROF_ADDR:"},
		{"serve profiler on a public host", ModeServe, base(map[string]string{"PORTAL_PPROF_ADDR": "0.0.0.0:6060"}), "PORTAL_PPROF_ADDR:"},
		{"demo needs nothing", ModeDemo, map[string]string{}, ""},
		{"demo port only", ModeDemo, map[string]string{"PORTAL_ADDR": ":9090"}, ""},
		{"demo refuses public address", ModeDemo, map[string]string{"PORTAL_ADDR": "0.0.0.0:8080"}, "PORTAL_ADDR: the demo only listens on loopback"},
		{"demo refuses empty host", ModeDemo, map[string]string{"PORTAL_ADDR": "[::]:8080"}, "PORTAL_ADDR: the demo only listens on loopback"},
		{"cli needs only the database", ModeCLI, map[string]string{}, ""},
		{"smtp ok", ModeServe, base(map[string]string{"PORTAL_SMTP_HOST": "smtp.example.org", "PORTAL_SMTP_FROM": "Portal <p@example.org>"}), ""},
		{"smtp without from", ModeServe, base(map[string]string{"PORTAL_SMTP_HOST": "smtp.example.org"}), "PORTAL_SMTP_FROM: missing"},
		{"smtp from without host", ModeServe, base(map[string]string{"PORTAL_SMTP_FROM": "p@example.org"}), "PORTAL_SMTP_HOST: missing"},
		{"smtp bad tls", ModeServe, base(map[string]string{"PORTAL_SMTP_HOST": "h", "PORTAL_SMTP_FROM": "p@example.org", "PORTAL_SMTP_TLS": "ssl3"}), "PORTAL_SMTP_TLS:"},
		{"smtp user without password", ModeServe, base(map[string]string{"PORTAL_SMTP_HOST": "h", "PORTAL_SMTP_FROM": "p@example.org", "PORTAL_SMTP_USERNAME": "u"}), "PORTAL_SMTP_PASSWORD:"},
		{"smtp bad from", ModeServe, base(map[string]string{"PORTAL_SMTP_HOST": "h", "PORTAL_SMTP_FROM": "not an address"}), "PORTAL_SMTP_FROM:"},
		{"cli ignores server settings", ModeCLI, map[string]string{"PORTAL_ADDR": "nonsense"}, ""},
		{"demo refuses an external database", ModeDemo, map[string]string{"MONGODB_URI": "mongodb://db:27017"}, "MONGODB_URI: the demo"},
		{"short key in base64 is not decoded", ModeServe, base(map[string]string{"PORTAL_SESSION_KEY": "abc"}), "too short (3 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.mode, envOf(tt.env))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want error containing %q, got nil (config %+v)", tt.wantErr, c)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %q does not contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error must be one line: %q", err)
			}
		})
	}
}

func TestDemoDefaults(t *testing.T) {
	c, err := Load(ModeDemo, envOf(map[string]string{"PORTAL_ADDR": ":9191"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9191" {
		t.Fatalf("demo addr = %q, want loopback with the given port", c.Addr)
	}
	if c.Secure() {
		t.Fatal("demo on http must not mark cookies Secure")
	}
	s, err := Load(ModeServe, envOf(map[string]string{"PORTAL_BASE_URL": "https://p.example.org/", "PORTAL_SESSION_KEY": goodKey}))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Secure() || s.BaseURL != "https://p.example.org" || s.Addr != ":8080" || s.DataDir != "./data" {
		t.Fatalf("serve defaults wrong: %+v", s)
	}
}
