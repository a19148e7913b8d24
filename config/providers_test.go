package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadProviders(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := func(extra map[string]string) map[string]string {
		m := map[string]string{"PORTAL_BASE_URL": "https://portal.example.org", "PORTAL_SESSION_KEY": goodKey}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	oidc := map[string]string{"PORTAL_OIDC_ISSUER": "https://id.example.org/realms/buyers/", "PORTAL_OIDC_CLIENT_ID": "portal", "PORTAL_OIDC_CLIENT_SECRET": "s"}
	tests := []struct {
		name    string
		mode    Mode
		env     map[string]string
		wantErr string // the variable's name must lead the message
		check   func(t *testing.T, p Providers)
	}{
		{name: "none", env: base(nil), check: func(t *testing.T, p Providers) {
			if p.Any() {
				t.Errorf("providers enabled without settings: %+v", p)
			}
		}},
		{name: "oidc", env: base(oidc), check: func(t *testing.T, p Providers) {
			if p.OIDC == nil || p.OIDC.Issuer != "https://id.example.org/realms/buyers/" || p.OIDC.ClientSecret != "s" || p.OIDC.Name != "" {
				t.Errorf("oidc: %+v", p.OIDC)
			}
		}},
		{name: "oidc secret from file", env: base(map[string]string{"PORTAL_OIDC_ISSUER": "https://id.example.org", "PORTAL_OIDC_CLIENT_ID": "portal", "PORTAL_OIDC_CLIENT_SECRET_FILE": secretFile, "PORTAL_OIDC_NAME": "EU Login"}),
			check: func(t *testing.T, p Providers) {
				if p.OIDC == nil || p.OIDC.ClientSecret != "s3cret-from-file" || p.OIDC.Name != "EU Login" {
					t.Errorf("oidc: %+v", p.OIDC)
				}
			}},
		{name: "oidc without secret", env: base(map[string]string{"PORTAL_OIDC_ISSUER": "https://id.example.org", "PORTAL_OIDC_CLIENT_ID": "portal"}), wantErr: "PORTAL_OIDC_CLIENT_SECRET: missing"},
		{name: "oidc without issuer", env: base(map[string]string{"PORTAL_OIDC_CLIENT_ID": "portal", "PORTAL_OIDC_CLIENT_SECRET": "s"}), wantErr: "PORTAL_OIDC_ISSUER: missing"},
		{name: "oidc name alone", env: base(map[string]string{"PORTAL_OIDC_NAME": "EU Login"}), wantErr: "PORTAL_OIDC_ISSUER: missing"},
		{name: "oidc secret and file", env: base(map[string]string{"PORTAL_OIDC_ISSUER": "https://id.example.org", "PORTAL_OIDC_CLIENT_ID": "portal", "PORTAL_OIDC_CLIENT_SECRET": "s", "PORTAL_OIDC_CLIENT_SECRET_FILE": secretFile}), wantErr: "PORTAL_OIDC_CLIENT_SECRET: set either"},
		{name: "oidc http issuer off loopback", env: base(map[string]string{"PORTAL_OIDC_ISSUER": "http://id.example.org", "PORTAL_OIDC_CLIENT_ID": "portal", "PORTAL_OIDC_CLIENT_SECRET": "s"}), wantErr: "PORTAL_OIDC_ISSUER: \"http://id.example.org\" must be"},
		{name: "oidc http issuer on loopback", env: base(map[string]string{"PORTAL_OIDC_ISSUER": "http://127.0.0.1:9998", "PORTAL_OIDC_CLIENT_ID": "portal", "PORTAL_OIDC_CLIENT_SECRET": "s"})},
		{name: "oidc issuer not a url", env: base(map[string]string{"PORTAL_OIDC_ISSUER": "id.example.org", "PORTAL_OIDC_CLIENT_ID": "portal", "PORTAL_OIDC_CLIENT_SECRET": "s"}), wantErr: "PORTAL_OIDC_ISSUER:"},
		{name: "entra", env: base(map[string]string{"PORTAL_ENTRA_TENANT": "contoso.onmicrosoft.com", "PORTAL_ENTRA_CLIENT_ID": "id", "PORTAL_ENTRA_CLIENT_SECRET": "s"}),
			check: func(t *testing.T, p Providers) {
				if p.Entra == nil || p.Entra.Tenant != "contoso.onmicrosoft.com" || p.Entra.ClientID != "id" {
					t.Errorf("entra: %+v", p.Entra)
				}
			}},
		{name: "entra without tenant", env: base(map[string]string{"PORTAL_ENTRA_CLIENT_ID": "id", "PORTAL_ENTRA_CLIENT_SECRET": "s"}), wantErr: "PORTAL_ENTRA_TENANT: missing"},
		{name: "entra bad tenant", env: base(map[string]string{"PORTAL_ENTRA_TENANT": "x/../y", "PORTAL_ENTRA_CLIENT_ID": "id", "PORTAL_ENTRA_CLIENT_SECRET": "s"}), wantErr: "PORTAL_ENTRA_TENANT: \"x/../y\" is not"},
		{name: "google github linkedin", env: base(map[string]string{
			"PORTAL_GOOGLE_CLIENT_ID": "g", "PORTAL_GOOGLE_CLIENT_SECRET": "gs",
			"PORTAL_GITHUB_CLIENT_ID": "h", "PORTAL_GITHUB_CLIENT_SECRET_FILE": secretFile,
			"PORTAL_LINKEDIN_CLIENT_ID": "l", "PORTAL_LINKEDIN_CLIENT_SECRET": "ls",
		}), check: func(t *testing.T, p Providers) {
			if p.Google == nil || p.Google.ClientSecret != "gs" || p.GitHub == nil || p.GitHub.ClientSecret != "s3cret-from-file" || p.LinkedIn == nil || p.LinkedIn.ClientID != "l" {
				t.Errorf("providers: %+v", p)
			}
			if p.OIDC != nil || p.Entra != nil {
				t.Errorf("unset providers enabled: %+v", p)
			}
		}},
		{name: "github id without secret", env: base(map[string]string{"PORTAL_GITHUB_CLIENT_ID": "h"}), wantErr: "PORTAL_GITHUB_CLIENT_SECRET: missing"},
		{name: "google secret without id", env: base(map[string]string{"PORTAL_GOOGLE_CLIENT_SECRET": "very-secret"}), wantErr: "PORTAL_GOOGLE_CLIENT_ID: missing"},
		{name: "linkedin unreadable secret file", env: base(map[string]string{"PORTAL_LINKEDIN_CLIENT_ID": "l", "PORTAL_LINKEDIN_CLIENT_SECRET_FILE": "/nonexistent/secret"}), wantErr: "PORTAL_LINKEDIN_CLIENT_SECRET_FILE: cannot read"},
		{name: "demo mode loads providers", mode: ModeDemo, env: map[string]string{"PORTAL_GITHUB_CLIENT_ID": "h"}, wantErr: "PORTAL_GITHUB_CLIENT_SECRET: missing"},
		{name: "cli mode ignores providers", mode: ModeCLI, env: map[string]string{"PORTAL_GITHUB_CLIENT_ID": "h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mode := tt.mode
			if mode == "" {
				mode = ModeServe
			}
			c, err := Load(mode, envOf(tt.env))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if tt.check != nil {
					tt.check(t, c.Providers)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.wantErr)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, strings.SplitN(tt.wantErr, ":", 2)[0]+":") || !strings.Contains(msg, tt.wantErr) {
				t.Fatalf("error %q, want it to start with the variable and contain %q", msg, tt.wantErr)
			}
			if strings.Contains(msg, "\n") || strings.Contains(msg, "very-secret") {
				t.Errorf("error is not one line or leaks a secret: %q", msg)
			}
		})
	}
}
