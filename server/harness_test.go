package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/auth/authtest"
	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/demo"
	"github.com/circularfairict/portal/mail"
	"github.com/circularfairict/portal/mail/mailtest"
	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

var testKey = []byte("test-session-key-0123456789abcdef0123456789")

type opts struct {
	mode      config.Mode
	baseURL   string
	rateLimit int
	bodyMax   int
	uploadMax int
	clamav    string
	proxies   []string
	store     *store.Store
	mail      mail.Sender
	version   string
	nats      string // PORTAL_NATS_URL, for tests of several servers
	empty     bool   // no demo community: a first start on an empty database
}

// newTestServer builds a server on a fresh database seeded with the demo
// community, and returns it with a log buffer for leak checks.
func newTestServer(t *testing.T, o opts) (*Server, *strings.Builder) {
	t.Helper()
	if o.mode == "" {
		o.mode = config.ModeDemo
	}
	if o.baseURL == "" {
		o.baseURL = "http://127.0.0.1:8080"
	}
	if o.version == "" {
		o.version = "test"
	}
	if o.rateLimit == 0 {
		o.rateLimit = 10000
	}
	if o.bodyMax == 0 {
		o.bodyMax = 1 << 20
	}
	if o.uploadMax == 0 {
		o.uploadMax = 100 << 20
	}
	st := o.store
	if st == nil {
		st = storetest.New(t)
	}
	ctx := context.Background()
	if !o.empty {
		if err := demo.Seed(ctx, auth.NewStore(st.DB)); err != nil {
			t.Fatal(err)
		}
	}
	cfg := &config.Config{
		Mode: o.mode, Addr: "127.0.0.1:8080", BaseURL: o.baseURL, SessionKey: testKey,
		SessionTTL: 3600e9, SessionIdle: 3600e9, BodyMaxBytes: o.bodyMax, UploadMaxBytes: o.uploadMax, ClamAVSocket: o.clamav, DataDir: t.TempDir(), RateLimit: o.rateLimit, LogLevel: "debug", TrustedProxies: o.proxies,
		NATSURL: o.nats,
	}
	logs := &strings.Builder{}
	s, err := New(ctx, Deps{Config: cfg, Store: st, Logger: slog.New(slog.NewJSONHandler(&syncWriter{b: logs}, &slog.HandlerOptions{Level: slog.LevelDebug})), Version: o.version, Mail: o.mail})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.core.Stop) // the mail worker and the search index; Shutdown stops them too
	// Tests start from a database their seed wrote before the server: the
	// index is level with it before the first request.
	s.search.Wait()
	return s, logs
}

// drainMail waits until the outbox has handed every queued message to the
// mail server.
func drainMail(t *testing.T, s *Server) { mailtest.Drain(t, s.outbox) }

// useTestHost addresses a request made with httptest.NewRequest, whose Host
// is example.com, to the server's base URL as a browser would: the demo
// answers only loopback host names (demoHost).
func useTestHost(s *Server, req *http.Request) {
	if req.Host == "example.com" {
		if u, err := url.Parse(s.cfg.BaseURL); err == nil {
			req.Host = u.Host
		}
	}
}

type syncWriter struct{ b *strings.Builder }

func (w *syncWriter) Write(p []byte) (int, error) { return w.b.Write(p) }

// client is a tiny browser over app.Test: it keeps cookies and reads the
// CSRF token from pages it loads.
type client struct {
	t       *testing.T
	s       *Server
	cookies map[string]string
	csrf    string
	header  http.Header // sent with every request
}

func newClient(t *testing.T, s *Server) *client {
	return &client{t: t, s: s, cookies: map[string]string{}, header: http.Header{}}
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (c *client) do(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	useTestHost(c.s, req)
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	for k, vs := range c.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	res, err := c.s.App().Test(req, -1)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	body := string(b)
	if m := csrfRe.FindStringSubmatch(body); m != nil {
		c.csrf = m[1]
	}
	return res, body
}

func (c *client) get(path string) (*http.Response, string) {
	return c.do(httptest.NewRequest(http.MethodGet, path, nil))
}

// post sends a form; the CSRF token from the last page is added unless the
// form already has a _csrf entry.
func (c *client) post(path string, form url.Values) (*http.Response, string) {
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", c.csrf)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// signIn signs in as a demo persona through the real sign-in page.
func (c *client) signIn(persona string) {
	c.t.Helper()
	c.get("/signin")
	res, body := c.post("/auth/demo", url.Values{"persona": {persona}})
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("sign in as %s: status %d: %s", persona, res.StatusCode, body)
	}
	// The session was regenerated: its CSRF token, as its pages carry it.
	c.csrf = c.s.csrfTokenFor(c.cookies[c.s.sessionCookieName()])
}

// signInAs gives the client a session for any member, for tests that need
// roles beyond the demo personas.
func (c *client) signInAs(memberID string) {
	c.t.Helper()
	sid := auth.NewSessionSecret()
	if err := c.s.auth.CreateSession(context.Background(), sid, memberID, time.Hour, time.Hour, ""); err != nil {
		c.t.Fatal(err)
	}
	c.cookies[c.s.sessionCookieName()] = sid
	// The token a page would carry, without rendering one: the access
	// matrix signs in some 1,400 times, and the home page it used to load
	// for the token was most of that test's time.
	c.csrf = c.s.csrfTokenFor(sid)
}

// newMember creates a member with a status and role, for tests.
func newMember(t *testing.T, s *Server, name string, st auth.Status, role auth.Role) *auth.Member {
	return authtest.NewMember(t, s.auth, name, st, role)
}

// listen serves s on a loopback port for tests that need a real connection
// (limits enforced by the HTTP server itself) and returns its base URL.
func listen(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Listen(ln) }()
	t.Cleanup(func() { _ = s.Shutdown(5 * time.Second) })
	return "http://" + ln.Addr().String()
}
