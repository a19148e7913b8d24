package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/store"
)

type errorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

func TestHealthReadyMetrics(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	tests := []struct {
		path       string
		wantStatus int
		wantBody   string
	}{
		{"/healthz", 200, "ok"},
		{"/readyz", 200, "ready"},
		{"/metrics", 200, "go_goroutines"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, body := c.get(tt.path)
			if res.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Fatalf("status %d body %.200q", res.StatusCode, body)
			}
		})
	}
	// Requests are counted by route pattern.
	_, body := c.get("/metrics")
	if !strings.Contains(body, `portal_http_requests_total{method="GET",route="/healthz",status="200"} 1`) {
		t.Fatalf("request counter missing from metrics:\n%s", grepLines(body, "portal_http"))
	}
	if !strings.Contains(body, `portal_http_request_duration_seconds_bucket{method="GET",route="/readyz"`) {
		t.Fatal("latency histogram missing")
	}
}

// The footer names the build; the unauthenticated /metrics names neither it
// nor the Go release it was built with.
func TestVersionInFooterNotInMetrics(t *testing.T) {
	const v = "v9.8.7-probe"
	s, _ := newTestServer(t, opts{version: v})
	c := newClient(t, s)
	if _, page := c.get("/"); !strings.Contains(page, "Version "+v) {
		t.Fatal("the footer does not show the version")
	}
	_, body := c.get("/metrics")
	if !strings.Contains(body, "go_goroutines") {
		t.Fatalf("no metrics: %.300s", body)
	}
	for _, leak := range []string{v, "go_info", runtime.Version()} {
		if strings.Contains(body, leak) {
			t.Errorf("/metrics shows %q:\n%s", leak, grepLines(body, leak))
		}
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestErrorRendering(t *testing.T) {
	s, logs := newTestServer(t, opts{})
	c := newClient(t, s)
	tests := []struct {
		name, method, path, accept string
		wantStatus                 int
		wantJSON                   bool
		wantCode, wantText         string
	}{
		{"html 404", "GET", "/no-such-page", "text/html", 404, false, "", "This page does not exist"},
		{"json 404 by accept", "GET", "/no-such-page", "application/json", 404, true, "not_found", "This page does not exist"},
		{"api 404 without accept", "GET", "/api/v1/nothing", "", 404, true, "not_found", ""},
		{"api 401", "GET", "/api/v1/me", "application/json", 401, true, "unauthenticated", "sign in"},
		{"html 401 redirects to sign-in", "GET", "/members", "text/html", 303, false, "", ""},
		{"method not routed", "DELETE", "/healthz", "application/json", 403, true, "forbidden", ""}, // no CSRF token: refused before routing
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			res, body := c.do(req)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %.300s", res.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus == 303 {
				if loc := res.Header.Get("Location"); loc != "/signin?next=%2Fmembers" {
					t.Fatalf("redirect to %q", loc)
				}
				return
			}
			ct := res.Header.Get("Content-Type")
			if tt.wantJSON {
				var eb errorBody
				if !strings.HasPrefix(ct, "application/json") || json.Unmarshal([]byte(body), &eb) != nil {
					t.Fatalf("want JSON, got %s: %s", ct, body)
				}
				if eb.Error.Code != tt.wantCode || eb.Error.RequestID == "" || eb.Error.Message == "" {
					t.Fatalf("error body %+v", eb)
				}
				if eb.Error.RequestID != res.Header.Get("X-Request-ID") {
					t.Fatal("request_id differs from X-Request-ID")
				}
				if tt.wantText != "" && !strings.Contains(eb.Error.Message, tt.wantText) {
					t.Fatalf("message %q lacks %q", eb.Error.Message, tt.wantText)
				}
				return
			}
			if !strings.HasPrefix(ct, "text/html") || !strings.Contains(body, tt.wantText) || !strings.Contains(body, res.Header.Get("X-Request-ID")) {
				t.Fatalf("want HTML page with message and request id, got %s: %.500s", ct, body)
			}
		})
	}

	// Internal errors and panics show a generic message; the cause is only logged.
	app := fiber.New(fiber.Config{ErrorHandler: s.handleError})
	app.Use(s.requestContext)
	app.Get("/fail", func(c *fiber.Ctx) error {
		return errors.New("connection refused to mongodb://secret-host:27017 password=hunter2")
	})
	for _, accept := range []string{"application/json", "text/html"} {
		req := httptest.NewRequest("GET", "/fail", nil)
		req.Header.Set("Accept", accept)
		res, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 1<<16)
		n, _ := res.Body.Read(b)
		body := string(b[:n])
		if res.StatusCode != 500 {
			t.Fatalf("%s: status %d", accept, res.StatusCode)
		}
		for _, leak := range []string{"secret-host", "hunter2", "mongodb://", "goroutine", ".go:"} {
			if strings.Contains(body, leak) {
				t.Fatalf("%s: response leaks %q: %s", accept, leak, body)
			}
		}
		if !strings.Contains(body, "unexpected error") {
			t.Fatalf("%s: no generic message: %s", accept, body)
		}
	}
	if !strings.Contains(logs.String(), "secret-host") {
		t.Fatal("the cause must be logged")
	}
}

func TestPanicBecomes500(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	// A nil member in a handler that assumes one would panic: the route
	// guard prevents it, so provoke a panic directly through the stack.
	app := fiber.New(fiber.Config{ErrorHandler: s.handleError})
	app.Use(s.requestContext)
	app.Use(recoverMiddleware())
	app.Get("/panic", func(c *fiber.Ctx) error { panic("boom at /secret/path.go:42") })
	req := httptest.NewRequest("GET", "/panic", nil)
	req.Header.Set("Accept", "application/json")
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	var eb errorBody
	_ = json.NewDecoder(res.Body).Decode(&eb)
	if res.StatusCode != 500 || eb.Error.Code != "internal" || strings.Contains(eb.Error.Message, "boom") {
		t.Fatalf("status %d body %+v", res.StatusCode, eb)
	}
}

func TestSecurityHeaders(t *testing.T) {
	for _, base := range []string{"http://127.0.0.1:8080", "https://portal.example.org"} {
		s, _ := newTestServer(t, opts{mode: config.ModeServe, baseURL: base})
		c := newClient(t, s)
		_, home := c.get("/")
		css := s.assets.URL("css/portal.css")
		tests := []struct{ name, path, accept, wantType string }{
			{"html", "/", "text/html", "text/html"},
			{"json", "/api/v1/me", "application/json", "application/json"},
			{"static", css, "", "text/css"},
			{"error page", "/missing", "text/html", "text/html"},
			{"metrics", "/metrics", "", "text/plain"},
		}
		for _, tt := range tests {
			t.Run(base+" "+tt.name, func(t *testing.T) {
				req := httptest.NewRequest("GET", tt.path, nil)
				if tt.accept != "" {
					req.Header.Set("Accept", tt.accept)
				}
				res, _ := c.do(req)
				h := res.Header
				if !strings.HasPrefix(h.Get("Content-Type"), tt.wantType) {
					t.Fatalf("content type %q", h.Get("Content-Type"))
				}
				csp := h.Get("Content-Security-Policy")
				for _, d := range []string{"script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"} {
					if !strings.Contains(csp, d) {
						t.Fatalf("CSP %q lacks %q", csp, d)
					}
				}
				if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
					t.Fatalf("CSP allows inline code: %q", csp)
				}
				if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("X-Request-ID") == "" {
					t.Fatalf("missing headers: %v", h)
				}
				hsts := h.Get("Strict-Transport-Security")
				if strings.HasPrefix(base, "https") != (hsts != "") {
					t.Fatalf("HSTS %q for base %s", hsts, base)
				}
			})
		}
		// No inline script or event handler in the page itself.
		for _, bad := range []string{"<script>", " onclick=", " onload=", "javascript:"} {
			if strings.Contains(home, bad) {
				t.Fatalf("home page contains %q", bad)
			}
		}
		if res, _ := c.get(css); res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Fatalf("static cache %q", res.Header.Get("Cache-Control"))
		}
	}
}

func TestCSRF(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	a := newClient(t, s)
	a.get("/signin")
	other := newClient(t, s)
	other.get("/signin")
	before := a.csrf

	tests := []struct {
		name   string
		form   url.Values
		origin string
		want   int
	}{
		{"no token", url.Values{"persona": {"buyer"}, "_csrf": {""}}, "", 403},
		{"garbage token", url.Values{"persona": {"buyer"}, "_csrf": {"abc"}}, "", 403},
		{"another session's token", url.Values{"persona": {"buyer"}, "_csrf": {other.csrf}}, "", 403},
		{"valid token, foreign origin", url.Values{"persona": {"buyer"}}, "https://evil.example", 403},
		{"valid token", url.Values{"persona": {"buyer"}}, "http://127.0.0.1:8080", 303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.header = http.Header{}
			if tt.origin != "" {
				a.header.Set("Origin", tt.origin)
			}
			res, body := a.post("/auth/demo", tt.form)
			if res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %.300s", res.StatusCode, tt.want, body)
			}
			if tt.want == 403 && !strings.Contains(body, "This form has expired") {
				t.Fatalf("no clear message: %.500s", body)
			}
		})
	}
	a.header = http.Header{}
	// Signing in regenerated the session: the token from before sign-in is dead.
	res, _ := a.post("/auth/logout", url.Values{"_csrf": {before}})
	if res.StatusCode != 403 {
		t.Fatalf("pre-sign-in token accepted after sign-in: %d", res.StatusCode)
	}
	// The JSON header form works too.
	a.get("/")
	req := httptest.NewRequest("POST", "/language", strings.NewReader("lang=fr"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", a.csrf)
	if res, body := a.do(req); res.StatusCode != 303 {
		t.Fatalf("header token refused: %d %s", res.StatusCode, body)
	}
}

func TestSessionCookieFlags(t *testing.T) {
	tests := []struct {
		base       string
		wantName   string
		wantSecure bool
	}{
		{"https://portal.example.org", "__Host-portal_session", true},
		{"http://127.0.0.1:8080", "portal_session", false},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			s, _ := newTestServer(t, opts{mode: config.ModeDemo, baseURL: tt.base})
			c := newClient(t, s)
			c.get("/signin")
			c.header.Set("Origin", tt.base)
			res, _ := c.post("/auth/demo", url.Values{"persona": {"buyer"}})
			var sess *http.Cookie
			for _, ck := range res.Cookies() {
				if ck.Name == tt.wantName {
					sess = ck
				}
			}
			if sess == nil {
				t.Fatalf("no %s cookie in %v", tt.wantName, res.Header["Set-Cookie"])
			}
			if !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Secure != tt.wantSecure || sess.Path != "/" || sess.Domain != "" {
				t.Fatalf("cookie flags wrong: %+v", sess)
			}
			if sess.MaxAge <= 0 {
				t.Fatal("signed-in session cookie must carry the session lifetime")
			}
			raw := strings.Join(res.Header["Set-Cookie"], "\n")
			if strings.Contains(raw, sess.Value) && strings.Count(raw, "HttpOnly") < 1 {
				t.Fatal("unexpected cookie header")
			}
		})
	}
}

func TestSignInAndOut(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	_, page := c.get("/signin")
	for _, p := range []string{"Anna de Vries", "Lucas Martin", "Sophie Keller"} {
		if !strings.Contains(page, p) {
			t.Fatalf("persona %s not offered", p)
		}
	}
	if res, _ := c.get("/members"); res.StatusCode != 303 {
		t.Fatalf("members page open to visitors: %d", res.StatusCode)
	}
	res, _ := c.post("/auth/demo", url.Values{"persona": {"facilitator"}, "next": {"/members"}})
	if loc := res.Header.Get("Location"); res.StatusCode != 303 || loc != "/members" {
		t.Fatalf("sign-in: %d to %q", res.StatusCode, loc)
	}
	res, body := c.get("/members")
	if res.StatusCode != 200 || !strings.Contains(body, "Jonas Berg") || !strings.Contains(body, "You are signed in.") {
		t.Fatalf("members page after sign-in: %d %.300s", res.StatusCode, body)
	}
	res, body = c.get("/api/v1/me")
	if res.StatusCode != 200 || !strings.Contains(body, `"role":"facilitator"`) {
		t.Fatalf("me: %d %s", res.StatusCode, body)
	}
	sid := c.cookies["portal_session"]
	res, _ = c.post("/auth/logout", nil)
	if res.StatusCode != 303 || res.Header.Get("Clear-Site-Data") == "" {
		t.Fatalf("logout: %d %v", res.StatusCode, res.Header)
	}
	if _, err := s.auth.SessionMember(context.Background(), sid); err != auth.ErrNotFound {
		t.Fatalf("session still in the database after logout: %v", err)
	}
	// Replaying the old cookie gets nothing.
	c.cookies["portal_session"] = sid
	if res, _ := c.get("/members"); res.StatusCode != 303 {
		t.Fatalf("old session cookie still works: %d", res.StatusCode)
	}
}

func TestDemoSignInOnlyPersonas(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	c.get("/signin")
	res, body := c.post("/auth/demo", url.Values{"persona": {"claire"}}) // a seeded moderator, not a persona
	if res.StatusCode != 400 || !strings.Contains(body, "Choose one of the demo personas") {
		t.Fatalf("non-persona sign-in: %d %.300s", res.StatusCode, body)
	}
}

func TestDemoSignInAbsentInServeMode(t *testing.T) {
	s, _ := newTestServer(t, opts{mode: config.ModeServe})
	for _, r := range s.Routes() {
		if r.Path == "/auth/demo" {
			t.Fatal("demo route registered in serve mode")
		}
	}
	c := newClient(t, s)
	_, page := c.get("/signin")
	if strings.Contains(page, "Anna de Vries") {
		t.Fatal("serve mode offers demo personas")
	}
	res, _ := c.post("/auth/demo", url.Values{"persona": {"coordinator"}})
	if res.StatusCode != 404 {
		t.Fatalf("POST /auth/demo in serve mode: %d, want 404", res.StatusCode)
	}
}

func TestLanguageNegotiation(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	tests := []struct {
		name, accept, query, cookie string
		persona                     string
		savedLocale                 string
		want, wantText              string
	}{
		{"default", "", "", "", "", "", "en", "Library"},
		{"accept french", "fr-BE,fr;q=0.9,en;q=0.5", "", "", "", "", "fr", "Bibliothèque"},
		{"accept dutch region", "nl-NL", "", "", "", "", "nl", "Bibliotheek"},
		{"accept unsupported falls back", "ja,zh;q=0.8", "", "", "", "", "en", "Library"},
		{"weights respected", "en;q=0.2,de;q=0.9", "", "", "", "", "de", "Bibliothek"},
		{"cookie beats header", "fr", "", "nl", "", "", "nl", "Bibliotheek"},
		{"query beats all", "fr", "de", "nl", "", "", "de", "Bibliothek"},
		{"bad query ignored", "fr", "xx", "", "", "", "fr", "Bibliothèque"},
		{"member preference beats header", "en", "", "", "buyer", "de", "de", "Bibliothek"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, s)
			if tt.persona != "" {
				c.signIn(tt.persona)
				c.post("/language", url.Values{"lang": {tt.savedLocale}})
				delete(c.cookies, langCookie) // the saved profile choice must suffice
			}
			if tt.cookie != "" {
				c.cookies[langCookie] = tt.cookie
			}
			if tt.accept != "" {
				c.header.Set("Accept-Language", tt.accept)
			}
			path := "/"
			if tt.query != "" {
				path += "?lang=" + tt.query
			}
			res, body := c.get(path)
			if !strings.Contains(body, `<html lang="`+tt.want+`">`) || res.Header.Get("Content-Language") != tt.want || !strings.Contains(body, tt.wantText) {
				t.Fatalf("want %s, got Content-Language %q; %.200s", tt.want, res.Header.Get("Content-Language"), body)
			}
		})
	}
	// An unsupported choice is refused with a message in the visitor's language.
	c := newClient(t, s)
	c.header.Set("Accept-Language", "de")
	c.get("/")
	res, body := c.post("/language", url.Values{"lang": {"tlh"}})
	if res.StatusCode != 400 || !strings.Contains(body, "Wählen Sie eine der Sprachen") {
		t.Fatalf("bad language: %d %.300s", res.StatusCode, body)
	}
}

func TestNotFoundAndTooLarge(t *testing.T) {
	s, _ := newTestServer(t, opts{bodyMax: 4096})
	c := newClient(t, s)
	c.get("/")
	// The body limit is enforced by the HTTP server while reading, so this
	// part runs over a real connection.
	base := listen(t, s)
	big := strings.Repeat("x", 10000)
	for _, accept := range []string{"application/json", "text/html"} {
		req, _ := http.NewRequest("POST", base+"/language", strings.NewReader("lang=fr&pad="+big))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", accept)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		body := string(b)
		if res.StatusCode != 413 {
			t.Fatalf("%s: status %d", accept, res.StatusCode)
		}
		if !strings.Contains(body, "too large") || !strings.Contains(body, "4 KiB") {
			t.Fatalf("%s: unclear message: %.400s", accept, body)
		}
		if res.Header.Get("Content-Security-Policy") == "" {
			t.Fatalf("%s: 413 without security headers", accept)
		}
	}
	// A client still sending a body far over the limit reads the answer,
	// not a reset: the server reads (and drops) what comes before closing.
	for i := 0; i < 5; i++ {
		req, _ := http.NewRequest("POST", base+"/language", strings.NewReader("lang=fr&pad="+strings.Repeat("x", 2<<20)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("2 MiB body, try %d: %v", i, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 413 || !strings.Contains(string(b), "4 KiB") {
			t.Fatalf("2 MiB body, try %d: %d %.300s", i, res.StatusCode, b)
		}
	}
	for _, p := range []string{"/nope", "/static/css/portal.css", "/static/../main.go", "/api/v1/me/../../x"} {
		if res, _ := c.get(p); res.StatusCode != 404 {
			t.Fatalf("%s: status %d", p, res.StatusCode)
		}
	}
}

func TestRateLimit(t *testing.T) {
	s, _ := newTestServer(t, opts{rateLimit: 5})
	c := newClient(t, s)
	for i := 0; i < 5; i++ {
		c.header.Set("X-Forwarded-For", "203.0.113."+itoa(i)) // rotating the header must not help
		if res, _ := c.get("/"); res.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, res.StatusCode)
		}
	}
	c.header.Set("X-Forwarded-For", "198.51.100.7")
	c.header.Set("Accept", "application/json")
	res, body := c.get("/")
	if res.StatusCode != 429 || !strings.Contains(body, "rate_limited") {
		t.Fatalf("6th request: %d %s", res.StatusCode, body)
	}
	if res, _ := c.get("/healthz"); res.StatusCode != 200 {
		t.Fatal("health checks must not be rate limited")
	}
}

// Behind a trusted proxy, the client is the rightmost address the proxy did
// not write itself; what the client put in X-Forwarded-For is ignored.
func TestRateLimitBehindProxy(t *testing.T) {
	// app.Test connections come from 0.0.0.0: make that the proxy.
	s, _ := newTestServer(t, opts{rateLimit: 3, proxies: []string{"0.0.0.0"}})
	c := newClient(t, s)
	c.header.Set("Accept", "application/json")
	for i := 0; i < 3; i++ {
		c.header.Set("X-Forwarded-For", "10.9.9."+itoa(i)+", 198.51.100.20")
		if res, _ := c.get("/"); res.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, res.StatusCode)
		}
	}
	c.header.Set("X-Forwarded-For", "10.9.9.99, 198.51.100.20")
	if res, _ := c.get("/"); res.StatusCode != 429 {
		t.Fatalf("spoofed left-hand entries reset the limit: %d", res.StatusCode)
	}
	c.header.Set("X-Forwarded-For", "198.51.100.21") // another real client
	if res, _ := c.get("/"); res.StatusCode != 200 {
		t.Fatalf("another client limited: %d", res.StatusCode)
	}
}

// Every place that takes a return address (demo sign-in, the language
// switch, the sign-in page's form) sends hostile ones home and keeps the
// portal's own. The tab is the penetration test's finding: browsers drop it
// from "/\t/evil.example" and leave for evil.example.
func TestOpenRedirectRefused(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	hostile := []string{"https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)", "/ok\r\nSet-Cookie: x=y",
		"/\t/evil.example", "/%09/evil.example", "/\n/evil.example", "/%0a/evil.example", "/%2F%2Fevil.example", "/%5Cevil.example",
		"/%252F%252Fevil.example", " //evil.example", "/\u3000/evil.example", "/../..//evil.example"}
	for _, next := range hostile {
		c := newClient(t, s)
		c.get("/signin")
		res, _ := c.post("/auth/demo", url.Values{"persona": {"buyer"}, "next": {next}})
		if loc := res.Header.Get("Location"); loc != "/" {
			t.Errorf("sign-in: next=%q redirected to %q", next, loc)
		}
		c.get("/") // the session changed at sign-in: a new CSRF token
		res, _ = c.post("/language", url.Values{"lang": {"fr"}, "next": {next}})
		if loc := res.Header.Get("Location"); loc != "/" {
			t.Errorf("language: next=%q redirected to %q", next, loc)
		}
		if _, page := c.get("/signin?next=" + url.QueryEscape(next)); !strings.Contains(page, `name="next" value="/"`) {
			t.Errorf("sign-in page kept next=%q", next)
		}
	}
	c := newClient(t, s)
	c.get("/")
	for _, next := range []string{"/library?q=circular%20ict&page=2", "/threads/abc#post-3", "/groups/national-buyers"} {
		if res, _ := c.post("/language", url.Values{"lang": {"en"}, "next": {next}}); res.Header.Get("Location") != next {
			t.Errorf("language: next=%q redirected to %q", next, res.Header.Get("Location"))
		}
	}
}

func TestReadyzFollowsDatabase(t *testing.T) {
	dir := shortTempDir(t)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// The server connects by URI, like a server whose database is elsewhere.
	st, err := store.Open(ctx, store.Options{URI: db.URI, Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	s, _ := newTestServer(t, opts{store: st})
	c := newClient(t, s)
	if res, _ := c.get("/readyz"); res.StatusCode != 200 {
		t.Fatalf("ready with database: %d", res.StatusCode)
	}
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if res, body := c.get("/readyz"); res.StatusCode != 503 {
		t.Fatalf("database gone: %d %s", res.StatusCode, body)
	}
	if res, _ := c.get("/healthz"); res.StatusCode != 200 {
		t.Fatal("liveness must not depend on the database")
	}
	// Pages that need the database say so, without internals.
	if res, body := c.get("/"); res.StatusCode != 503 || !strings.Contains(body, "temporarily unavailable") || strings.Contains(body, "server selection") {
		t.Fatalf("home without database: %d %.300s", res.StatusCode, body)
	}
	db, err = store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, _ := c.get("/readyz")
		if res.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %d after the database returned", res.StatusCode)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Form fields come from the body only: a query string cannot override what
// the member posted (Fiber's FormValue would prefer the query).
func TestFormValuesFromBodyOnly(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	c.get("/")
	res, _ := c.post("/language?lang=de", url.Values{"lang": {"fr"}})
	if res.StatusCode != 303 {
		t.Fatalf("status %d", res.StatusCode)
	}
	if _, body := c.get("/"); !strings.Contains(body, `<html lang="fr">`) {
		t.Fatal("the query string overrode the posted value")
	}
	// A CSRF token in the query string is not accepted either.
	req := httptest.NewRequest("POST", "/language?_csrf="+url.QueryEscape(c.csrf), strings.NewReader("lang=nl"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res, _ := c.do(req); res.StatusCode != 403 {
		t.Fatalf("token from the query accepted: %d", res.StatusCode)
	}
}

// The demo answers only loopback host names: a DNS-rebinding page
// (evil.example re-resolved to 127.0.0.1) reaches the socket but is refused,
// so it cannot sign in as the administrator persona nor pass the CSRF check
// that accepts an Origin equal to the Host.
func TestDemoAnswersOnlyLoopbackHosts(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	call := func(method, host, path string, form url.Values, header map[string]string) (*http.Response, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Host = host
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		return newClient(t, s).do(req)
	}
	for _, host := range []string{"127.0.0.1:8080", "localhost:8080", "[::1]:8080", "LOCALHOST:9999", "127.0.0.1", "[::1]"} {
		if res, _ := call("GET", host, "/", nil, nil); res.StatusCode != 200 {
			t.Errorf("Host %s: %d", host, res.StatusCode)
		}
	}
	for _, host := range []string{"evil.example:8080", "evil.example", "127.0.0.1.evil.example:8080", "localhost.evil.example", "0x7f000001.example", ""} {
		res, body := call("GET", host, "/", nil, map[string]string{"Accept-Language": "en"})
		if res.StatusCode != 400 || !strings.Contains(body, "only answers at its local address") {
			t.Errorf("Host %q: %d %.300s", host, res.StatusCode, body)
		}
		if res, _ := call("HEAD", host, "/healthz", nil, nil); res.StatusCode != 400 {
			t.Errorf("Host %q, /healthz: %d", host, res.StatusCode)
		}
	}
	// The rebinding page's own origin is the Host it uses.
	res, _ := call("POST", "evil.example:8080", "/auth/demo", url.Values{"persona": {"coordinator"}},
		map[string]string{"Origin": "http://evil.example:8080", "Accept": "application/json"})
	if res.StatusCode != 400 || strings.Contains(res.Header.Get("Set-Cookie"), "portal_session") {
		t.Fatalf("rebinding sign-in: %d %v", res.StatusCode, res.Header)
	}
	// A server behind its reverse proxy answers whatever Host it is given:
	// every absolute URL it writes comes from PORTAL_BASE_URL, not the Host.
	serve, _ := newTestServer(t, opts{mode: config.ModeServe, baseURL: "https://portal.example.org"})
	req := httptest.NewRequest("GET", "/library/feed.atom", nil)
	req.Host = "evil.example"
	res, body := newClient(t, serve).do(req)
	if res.StatusCode != 200 || strings.Contains(body, "evil.example") || !strings.Contains(body, "https://portal.example.org/library") {
		t.Fatalf("serve mode, foreign Host: %d %.300s", res.StatusCode, body)
	}
}
