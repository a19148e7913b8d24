package e2e

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/demo"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/server"
	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
	"github.com/circularfairict/portal/workshops"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

const (
	// stepTimeout bounds every browser action, so a test never hangs.
	stepTimeout = 30 * time.Second
	// startTimeout bounds starting the portal, the browser and a tab.
	startTimeout = 60 * time.Second
)

var sessionKey = []byte("e2e-session-key-0123456789abcdef0123456789")

// requireBrowser is set in CI: a missing browser or axe-core is a failure
// there, and a reason to skip on a developer's machine.
func requireBrowser() bool { return os.Getenv("PORTAL_REQUIRE_BROWSER") == "1" }

// unavailable skips the test, or fails it when the browser is required.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if requireBrowser() {
		t.Fatal(msg + " (PORTAL_REQUIRE_BROWSER=1 makes this a failure)")
	}
	t.Skip(msg)
}

// portal is the portal under test, listening on a loopback port.
type portal struct {
	URL  string
	logs *lockedBuffer
	auth *auth.Store
}

// startPortal serves the portal for real: a fresh database with the demo
// community, the demo-mode server on 127.0.0.1:0, stopped when the test ends.
// The test fails if the portal logged an error while it ran.
func startPortal(t *testing.T) *portal {
	t.Helper()
	st := storetest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := demo.Seed(ctx, auth.NewStore(st.DB)); err != nil {
		t.Fatalf("demo seed: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := &config.Config{
		Mode: config.ModeDemo, Addr: ln.Addr().String(), BaseURL: base, SessionKey: sessionKey,
		SessionTTL: time.Hour, BodyMaxBytes: 1 << 20, UploadMaxBytes: 100 << 20, RateLimit: 10000, DataDir: t.TempDir(),
		LogLevel: "info", ShutdownGrace: 5 * time.Second,
	}
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := server.New(ctx, server.Deps{Config: cfg, Store: st, Logger: logger, Version: "e2e"})
	if err != nil {
		_ = ln.Close()
		t.Fatalf("server: %v", err)
	}
	if err := demo.SeedLibrary(ctx, auth.NewStore(st.DB), srv.Library()); err != nil {
		_ = ln.Close()
		t.Fatalf("demo library: %v", err)
	}
	if err := demo.SeedDiscussions(ctx, auth.NewStore(st.DB), forum.NewStore(st.DB)); err != nil {
		_ = ln.Close()
		t.Fatalf("demo discussions: %v", err)
	}
	// The demo's workshops (one case clinic is always live) after
	// server.New, which creates the indexes, as `portal demo` does.
	if err := demo.SeedWorkshops(ctx, auth.NewStore(st.DB), workshops.NewStore(st.DB)); err != nil {
		_ = ln.Close()
		_ = srv.Shutdown(time.Second)
		t.Fatalf("demo workshops: %v", err)
	}
	if err := demo.SeedOutcomes(ctx, auth.NewStore(st.DB), workshops.NewStore(st.DB), srv.Core()); err != nil {
		_ = ln.Close()
		_ = srv.Shutdown(time.Second)
		t.Fatalf("demo outcomes: %v", err)
	}
	// The seeds write through stores of their own, which tell no index.
	if err := srv.SearchIndex().CatchUpAfterSeeding(ctx); err != nil {
		_ = ln.Close()
		_ = srv.Shutdown(time.Second)
		t.Fatalf("search catch-up: %v", err)
	}
	return servePortal(t, srv, ln, logs, st)
}

// servePortal serves srv on ln until the test ends, which fails if the
// portal logged an error meanwhile.
func servePortal(t *testing.T, srv *server.Server, ln net.Listener, logs *lockedBuffer, st *store.Store) *portal {
	t.Helper()
	base := "http://" + ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- srv.Listen(ln) }()
	// Wait until it answers: a Shutdown that comes before the server has
	// taken the listener would leave it serving for ever.
	waitHealthy(t, base, served)
	t.Cleanup(func() {
		if err := srv.Shutdown(5 * time.Second); err != nil {
			t.Errorf("portal shutdown: %v", err)
		}
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("portal listener: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("portal listener did not return after shutdown")
		}
		if lines := logs.linesContaining(`"level":"ERROR"`); len(lines) > 0 {
			t.Errorf("the portal logged errors:\n%s", strings.Join(lines, "\n"))
		} else if t.Failed() {
			t.Logf("portal log (end):\n%s", logs.tail(6000))
		}
	})
	return &portal{URL: base, logs: logs, auth: auth.NewStore(st.DB)}
}

// waitHealthy polls /healthz until the portal answers 200.
func waitHealthy(t *testing.T, base string, served <-chan error) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(startTimeout)
	for {
		res, err := client.Get(base + "/healthz")
		if err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-served:
			t.Fatalf("the portal stopped serving at start: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the portal did not answer /healthz within %s (last: %v)", startTimeout, err)
		}
	}
}

// browserPath finds the browser: PORTAL_CHROMIUM, else the first of the
// usual names on PATH. It returns "" when there is none.
func browserPath() string {
	if p := os.Getenv("PORTAL_CHROMIUM"); p != "" {
		if full, err := exec.LookPath(p); err == nil {
			return full
		}
		return ""
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if full, err := exec.LookPath(name); err == nil {
			return full
		}
	}
	return ""
}

// tab is one browser tab bound to the portal under test. Its methods fail
// the test they are bound to (see in) and bound each action by stepTimeout.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
	name string // for messages: "buyer", "anonymous", ...
	rec  *recorder
}

// recorder keeps what a tab's pages report as broken until a test asks.
type recorder struct {
	mu       sync.Mutex
	problems []string
	// document is the request that brought the latest page, so a check
	// can read the HTML exactly as the server sent it.
	document network.RequestID
}

// newBrowser starts a headless Chromium for the test and returns its first
// tab. The browser, its profile directory and every tab end with the test.
func newBrowser(t *testing.T, p *portal) *tab {
	t.Helper()
	path := browserPath()
	if path == "" {
		unavailable(t, "no browser for the browser tests: apt-get install chromium (or set PORTAL_CHROMIUM to a Chromium or Chrome binary)")
	}
	out := &lockedBuffer{}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(out),
	)
	logf := &testLogf{t: t}
	ctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(logf.printf), chromedp.WithLogf(logf.printf))
	t.Cleanup(func() {
		// Close the browser gracefully, then release everything; both wait
		// for the process to end, so the profile directory can be removed.
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_ = chromedp.Cancel(cctx)
		cancel()
		cancelBrowser()
		cancelAlloc()
		logf.stop()
		if t.Failed() {
			t.Logf("browser output (end):\n%s", out.tail(4000))
		}
	})
	tb := &tab{t: t, ctx: ctx, base: p.URL, name: "first tab", rec: &recorder{}}
	tb.start(func() string { return path + "; browser output:\n" + out.tail(3000) })
	return tb
}

// isolated opens a tab in a new browser context of the same browser: like a
// second person on another computer, it shares no cookies with other tabs.
func (tb *tab) isolated(name string) *tab {
	tb.t.Helper()
	ctx, cancel := chromedp.NewContext(tb.ctx, chromedp.WithNewBrowserContext())
	tb.t.Cleanup(cancel)
	nt := &tab{t: tb.t, ctx: ctx, base: tb.base, name: name, rec: &recorder{}}
	nt.start(func() string { return "a tab in a new browser context" })
	return nt
}

// start opens the tab. The first action on a chromedp context must not carry
// a timeout (the tab, or the browser, lives as long as that action's
// context), so the timeout is enforced from outside.
func (tb *tab) start(what func() string) {
	tb.t.Helper()
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(tb.ctx) }()
	select {
	case err := <-done:
		if err != nil {
			tb.t.Fatalf("starting %s: %v", what(), err)
		}
	case <-time.After(startTimeout):
		tb.t.Fatalf("starting %s: no answer within %s", what(), startTimeout)
	}
	if err := chromedp.Listen(tb.ctx, tb.watch); err != nil {
		tb.t.Fatalf("listen: %v", err)
	}
	// A fixed language and a desktop viewport make every run alike,
	// whatever the machine's locale.
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": "en"}}); err != nil {
		tb.t.Fatalf("set Accept-Language: %v", err)
	}
	tb.run(desktopViewport())
}

func desktopViewport() chromedp.Action[chromedp.Void] { return chromedp.EmulateViewport(1280, 900) }

// watch records what the page reports as broken: uncaught exceptions and
// console errors (a blocked script, a CSP violation, a failed sub-resource).
// It runs on chromedp's event loop, so it only appends under a lock.
func (tb *tab) watch(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *network.EventResponseReceived:
		if ev.Type == network.ResourceTypeDocument {
			tb.rec.mu.Lock()
			tb.rec.document = ev.RequestID
			tb.rec.mu.Unlock()
		}
		return
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = fmt.Sprintf("uncaught exception: %s", d.Text)
		if d.Exception != nil && d.Exception.Description != "" {
			msg += ": " + d.Exception.Description
		}
	case *log.EventEntryAdded:
		e := ev.Entry
		if e == nil || e.Level != log.EntryLevelError {
			return
		}
		// An error page's own status is reported as a failed load, which
		// is expected; a failed stylesheet, script or image is not.
		if e.Source == log.EntrySourceNetwork && !strings.Contains(e.URL, "/static/") {
			return
		}
		msg = fmt.Sprintf("console %s error: %s %s", e.Source, e.Text, e.URL)
	default:
		return
	}
	tb.rec.mu.Lock()
	tb.rec.problems = append(tb.rec.problems, msg)
	tb.rec.mu.Unlock()
}

// takeProblems returns and clears what watch recorded.
func (tb *tab) takeProblems() []string {
	tb.rec.mu.Lock()
	defer tb.rec.mu.Unlock()
	p := tb.rec.problems
	tb.rec.problems = nil
	return p
}

// servedHTML returns the body of the document now in the tab as the server
// sent it, before any script changed it.
func (tb *tab) servedHTML() []byte {
	tb.t.Helper()
	tb.rec.mu.Lock()
	id := tb.rec.document
	tb.rec.mu.Unlock()
	if id == "" {
		tb.t.Fatalf("%s: no document response seen at %s", tb.name, tb.where())
	}
	ctx, cancel := tb.step()
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: id})
	if err != nil {
		tb.t.Fatalf("%s: the body of %s: %v", tb.name, tb.where(), err)
	}
	return res.Body
}

// in returns the tab bound to another test, such as a subtest, so that its
// failures stop the right goroutine.
func (tb *tab) in(t *testing.T) *tab {
	return &tab{t: t, ctx: tb.ctx, base: tb.base, name: tb.name, rec: tb.rec}
}

// step gives one action its deadline.
func (tb *tab) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(tb.ctx, stepTimeout)
}

// run runs actions that return nothing.
func (tb *tab) run(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := tb.step()
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatalf("%s: %v (at %s)", tb.name, err, tb.where())
	}
}

// open navigates to a path of the portal and returns the HTTP status of the
// document that finally loaded (after redirects).
func (tb *tab) open(path string) int64 {
	tb.t.Helper()
	ctx, cancel := tb.step()
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(tb.base+path))
	if err != nil {
		tb.t.Fatalf("%s: open %s: %v", tb.name, path, err)
	}
	return res.Status
}

// follow runs steps that cause a navigation (a click on a link or a submit
// button) and returns the status of the document that loads.
func (tb *tab) follow(what string, steps ...chromedp.Action[chromedp.Void]) int64 {
	tb.t.Helper()
	ctx, cancel := tb.step()
	defer cancel()
	res, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		tb.t.Fatalf("%s: %s: %v (at %s)", tb.name, what, err, tb.where())
	}
	return res.Status
}

// click clicks the element that the CSS selector finds and waits for the
// page it leads to.
func (tb *tab) click(selector string) int64 {
	tb.t.Helper()
	return tb.follow("click "+selector, chromedp.Click(chromedp.CSS(selector)))
}

// evalJS evaluates a JavaScript expression in the page and decodes its value.
func evalJS[T any](tb *tab, expr string, opts ...chromedp.EvaluateOption) T {
	tb.t.Helper()
	ctx, cancel := tb.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		tb.t.Fatalf("%s: evaluate %.80q: %v (at %s)", tb.name, expr, err, tb.where())
	}
	return v
}

// text returns the trimmed text of the first element the selector finds, and
// whether there is one.
func (tb *tab) text(selector string) (string, bool) {
	tb.t.Helper()
	s := evalJS[*string](tb, fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? e.textContent.replace(/\s+/g, " ").trim() : null; })()`, jsString(selector)))
	if s == nil {
		return "", false
	}
	return *s, true
}

// mustText is text for an element that has to be there.
func (tb *tab) mustText(selector string) string {
	tb.t.Helper()
	s, ok := tb.text(selector)
	if !ok {
		tb.t.Fatalf("%s: no element %s at %s", tb.name, selector, tb.where())
	}
	return s
}

// location is the URL of the document in the tab.
func (tb *tab) location() *url.URL {
	tb.t.Helper()
	ctx, cancel := tb.step()
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		tb.t.Fatalf("%s: location: %v", tb.name, err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		tb.t.Fatalf("%s: location %q: %v", tb.name, loc, err)
	}
	return u
}

// where names the current page for messages; it never fails the test.
func (tb *tab) where() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "unknown page"
	}
	return strings.TrimPrefix(loc, tb.base)
}

// signIn signs in as a demo persona ("buyer", "facilitator", "coordinator")
// the way a person does: the sign-in page, then that persona's button.
func (tb *tab) signIn(persona string) {
	tb.t.Helper()
	if st := tb.open("/signin"); st != 200 {
		tb.t.Fatalf("%s: /signin answered %d", tb.name, st)
	}
	button := fmt.Sprintf(`form[action="/auth/demo"]:has(input[name="persona"][value=%s]) button[type="submit"]`, jsString(persona))
	if st := tb.click(button); st != 200 {
		tb.t.Fatalf("%s: signing in as %s ended on status %d at %s", tb.name, persona, st, tb.where())
	}
	if _, ok := tb.text(`.account a[href="/profile"]`); !ok {
		tb.t.Fatalf("%s: after signing in as %s there is no profile link in the header (at %s)", tb.name, persona, tb.where())
	}
}

// signInAsMember gives the tab a session for a demo member who is not a
// persona (the sign-in page offers personas only), for journeys that need
// more participants than the personas give.
func (tb *tab) signInAsMember(p *portal, key string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := p.auth.MemberByIdentity(ctx, auth.DemoProvider, key)
	if err != nil {
		tb.t.Fatalf("demo member %s: %v", key, err)
	}
	sid := auth.NewSessionSecret()
	if err := p.auth.CreateSession(ctx, sid, m.ID, time.Hour, time.Hour, ""); err != nil {
		tb.t.Fatal(err)
	}
	sctx, scancel := tb.step()
	defer scancel()
	if _, err := chromedp.Call(sctx, network.SetCookie, network.SetCookieParams{Name: "portal_session", Value: sid, URL: p.URL + "/"}); err != nil {
		tb.t.Fatalf("%s: set the session cookie: %v", tb.name, err)
	}
	tb.open("/")
	if _, ok := tb.text(`.account a[href="/profile"]`); !ok {
		tb.t.Fatalf("%s: the session for %s does not sign in", tb.name, key)
	}
}

// jsString quotes s as a JavaScript (and CSS) string literal.
func jsString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// repoRoot walks up from the test's directory to the one holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// testLogf passes chromedp's messages to the test log until the test's
// cleanup stops it: logging after a test has ended panics.
type testLogf struct {
	mu      sync.Mutex
	t       *testing.T
	stopped bool
}

func (l *testLogf) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stopped {
		l.t.Logf("chromedp: "+format, args...)
	}
}

func (l *testLogf) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
}

// lockedBuffer collects output written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) tail(n int) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.b.String()
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

func (w *lockedBuffer) linesContaining(sub string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, l := range strings.Split(w.b.String(), "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}
