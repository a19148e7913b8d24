// Command soak runs a mixed load against the portal for a long time and
// reports, at an interval, how many requests failed and of which kind, and
// how the server's memory and goroutines develop: a leak shows as a rising
// line, a slow failure as a growing error count.
//
// It starts `portal demo` on a loopback port with a fresh data directory
// (or uses -url, which must be a portal in demo mode: the tool signs in as
// the demo personas) and runs three kinds of traffic at once:
//
//   - browsing: visitors and signed-in members open the main pages, a
//     library search, a thread and a resource;
//   - posting: members start discussion threads and reply to them through
//     the JSON API;
//   - room: members sit in the demo's live workshop room over the
//     websocket and chat with idempotency keys, reconnecting when dropped.
//
// Memory comes from the portal's /metrics (process_resident_memory_bytes,
// go_memstats_heap_inuse_bytes, go_goroutines).
//
//	go run ./bench/soak -duration 10m -interval 30s
//	go run ./bench/soak -url http://127.0.0.1:8080 -duration 1h
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/circularfairict/portal/bench/internal/metrics"
)

type options struct {
	url       string
	portalBin string
	duration  time.Duration
	interval  time.Duration
	browsers  int
	posters   int
	chatters  int
	think     time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "", "a running portal in demo mode (default: start one)")
	flag.StringVar(&o.portalBin, "portal-bin", "", "portal binary to start (default: go build the repository's)")
	flag.DurationVar(&o.duration, "duration", 2*time.Minute, "how long the load runs")
	flag.DurationVar(&o.interval, "interval", 10*time.Second, "how often to report")
	flag.IntVar(&o.browsers, "browsers", 4, "concurrent browsing clients")
	flag.IntVar(&o.posters, "posters", 2, "concurrent members posting in discussions")
	flag.IntVar(&o.chatters, "chatters", 4, "members chatting in the live room")
	flag.DurationVar(&o.think, "think", 200*time.Millisecond, "pause between one client's actions")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

// tally counts successes and errors by kind, safely from many goroutines.
type tally struct {
	ok     atomic.Int64
	mu     sync.Mutex
	errors map[string]int
}

func (t *tally) fail(kind string) {
	t.mu.Lock()
	t.errors[kind]++
	t.mu.Unlock()
}

func (t *tally) errorCounts() (map[string]int, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out, n := make(map[string]int, len(t.errors)), 0
	for k, v := range t.errors {
		out[k] = v
		n += v
	}
	return out, n
}

func run(o options) error {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	base := strings.TrimRight(o.url, "/")
	if base == "" {
		stop, b, err := startPortal(o.portalBin)
		if err != nil {
			return err
		}
		defer stop()
		base = b
	}
	fmt.Printf("soak: %s for %s: %d browsing, %d posting, %d in the live room; report every %s\n",
		base, o.duration, o.browsers, o.posters, o.chatters, o.interval)

	t := &tally{errors: map[string]int{}}
	runCtx, stopLoad := context.WithTimeout(ctx, o.duration)
	defer stopLoad()
	var wg sync.WaitGroup
	start := func(n int, name string, f func(ctx context.Context, c *client)) error {
		for i := 0; i < n; i++ {
			persona := []string{"buyer", "coordinator", "facilitator"}[i%3]
			if name == "browse" && i%2 == 1 {
				persona = "" // half the browsing is by visitors
			}
			c, err := newClient(base, persona, o.think, t, name)
			if err != nil {
				return fmt.Errorf("%s client %d: %w", name, i, err)
			}
			wg.Add(1)
			go func() { defer wg.Done(); f(runCtx, c) }()
		}
		return nil
	}
	for _, w := range []struct {
		n    int
		name string
		f    func(context.Context, *client)
	}{{o.browsers, "browse", browse}, {o.posters, "post", post}, {o.chatters, "room", chat}} {
		if err := start(w.n, w.name, w.f); err != nil {
			stopLoad()
			wg.Wait()
			return err
		}
	}

	began := time.Now()
	fmt.Printf("%8s %10s %8s %9s %9s %10s\n", "elapsed", "requests", "errors", "rss MiB", "heap MiB", "goroutines")
	var samples []sample
	report := func() {
		s := readMetrics(base)
		s.at = time.Since(began)
		samples = append(samples, s)
		_, n := t.errorCounts()
		fmt.Printf("%8s %10d %8d %9.1f %9.1f %10.0f\n", s.at.Round(time.Second), t.ok.Load(), n, s.rss/(1<<20), s.heap/(1<<20), s.goroutines)
	}
	report()
	tick := time.NewTicker(o.interval)
	defer tick.Stop()
loop:
	for {
		select {
		case <-runCtx.Done():
			break loop
		case <-tick.C:
			report()
		}
	}
	wg.Wait()
	report()

	errs, n := t.errorCounts()
	fmt.Printf("\n%d successful requests and room messages, %d errors\n", t.ok.Load(), n)
	kinds := make([]string, 0, len(errs))
	for k := range errs {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Printf("  %-40s %d\n", k, errs[k])
	}
	if len(samples) > 1 {
		first, last := samples[0], samples[len(samples)-1]
		peak := first
		for _, s := range samples {
			if s.rss > peak.rss {
				peak = s
			}
		}
		fmt.Printf("rss %.1f -> %.1f MiB (peak %.1f at %s); heap in use %.1f -> %.1f MiB; goroutines %.0f -> %.0f\n",
			first.rss/(1<<20), last.rss/(1<<20), peak.rss/(1<<20), peak.at.Round(time.Second), first.heap/(1<<20), last.heap/(1<<20), first.goroutines, last.goroutines)
	}
	return nil
}

type sample struct {
	at                    time.Duration
	rss, heap, goroutines float64
}

// readMetrics reads three gauges from the portal's Prometheus text output.
func readMetrics(base string) sample {
	g := metrics.Gauges(base, "process_resident_memory_bytes", "go_memstats_heap_inuse_bytes", "go_goroutines")
	return sample{rss: g["process_resident_memory_bytes"], heap: g["go_memstats_heap_inuse_bytes"], goroutines: g["go_goroutines"]}
}

// client is one simulated person: a cookie jar, the CSRF token of the
// last page, and the tally its results go to.
type client struct {
	base  string
	http  *http.Client
	csrf  string
	think time.Duration
	t     *tally
	kind  string
	// member is false for a visitor, who is not shown members-only pages.
	member bool
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func newClient(base, persona string, think time.Duration, t *tally, kind string) (*client, error) {
	jar, _ := cookiejar.New(nil)
	c := &client{base: base, think: think, t: t, kind: kind, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if _, err := c.page("/signin"); err != nil {
		return nil, err
	}
	if persona == "" {
		return c, nil
	}
	c.member = true
	form := url.Values{"persona": {persona}, "_csrf": {c.csrf}}
	res, err := c.http.PostForm(base+"/auth/demo", form)
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("demo sign-in as %s answered %d (is %s a portal in demo mode?)", persona, res.StatusCode, base)
	}
	_, err = c.page("/")
	return c, err
}

// page GETs a page, keeps its CSRF token and returns the body.
func (c *client) page(path string) (string, error) {
	res, err := c.http.Get(c.base + path)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	if m := csrfRe.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	if res.StatusCode != 200 {
		return string(b), statusError(res.StatusCode)
	}
	return string(b), nil
}

type statusError int

func (e statusError) Error() string { return "status " + strconv.Itoa(int(e)) }

// record counts one result under the client's kind of traffic.
func (c *client) record(what string, err error) {
	if err == nil {
		c.t.ok.Add(1)
		return
	}
	var st statusError
	switch {
	case errors.As(err, &st):
		c.t.fail(fmt.Sprintf("%s: %s %s", c.kind, what, err))
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		// the run ended during the request
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.t.fail(fmt.Sprintf("%s: %s timeout", c.kind, what))
		} else {
			c.t.fail(fmt.Sprintf("%s: %s %T", c.kind, what, errors.Unwrap(err)))
		}
	}
}

func (c *client) pause(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(c.think):
		return true
	}
}

var (
	threadRe   = regexp.MustCompile(`href="(/threads/[0-9a-f]{24})"`)
	resourceRe = regexp.MustCompile(`href="(/library/[0-9a-f]{24})"`)
)

// browse opens the pages a person reads, following links to a thread and
// a resource the lists show.
func browse(ctx context.Context, c *client) {
	paths := []string{"/", "/library", "/library?q=laptop", "/discussions", "/workshops", "/groups"}
	if c.member {
		// The general category is for members: visitors get 404 there.
		paths = append(paths, "/discussions/c/general", "/members", "/discussions/notifications")
	}
	for i := 0; ctx.Err() == nil; i++ {
		p := paths[i%len(paths)]
		body, err := c.page(p)
		c.record("GET "+strings.SplitN(p, "?", 2)[0], err)
		for _, re := range []*regexp.Regexp{threadRe, resourceRe} {
			if m := re.FindStringSubmatch(body); m != nil && i%3 == 0 {
				_, err := c.page(m[1])
				c.record("GET "+strings.Split(m[1], "/")[1]+" page", err)
			}
		}
		if !c.pause(ctx) {
			return
		}
	}
}

// post starts a thread now and then and replies to the latest one.
func post(ctx context.Context, c *client) {
	var thread string
	for i := 0; ctx.Err() == nil; i++ {
		if thread == "" || i%10 == 0 {
			var out struct {
				Thread struct {
					ID string `json:"id"`
				} `json:"thread"`
			}
			err := c.postJSON(ctx, "/api/v1/threads", map[string]string{"category": "general",
				"title": fmt.Sprintf("Soak thread %d %d", time.Now().UnixNano(), i), "body": "Started by the soak test."}, &out)
			c.record("POST thread", err)
			if err == nil {
				thread = out.Thread.ID
			}
		} else {
			err := c.postJSON(ctx, "/api/v1/threads/"+thread+"/posts", map[string]string{"body": fmt.Sprintf("Reply %d from the soak test.", i)}, nil)
			c.record("POST reply", err)
		}
		if !c.pause(ctx) {
			return
		}
	}
}

func (c *client) postJSON(ctx context.Context, path string, in, out any) error {
	b, _ := json.Marshal(in)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusCreated {
		return statusError(res.StatusCode)
	}
	if out != nil {
		return json.Unmarshal(body, out)
	}
	return nil
}

// liveWorkshop is the demo's workshop that is always live.
const liveWorkshop = "00000000000000000000d001"

// chat sits in the live room and sends a message every think interval
// (at least 300 ms: the room allows about 5 frames a second), counting
// acknowledgements as successes and error frames by code.
func chat(ctx context.Context, c *client) {
	u, _ := url.Parse(c.base)
	var cookies []string
	for _, ck := range c.http.Jar.Cookies(u) {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	hdr := http.Header{"Cookie": {strings.Join(cookies, "; ")}, "Origin": {c.base}}
	every := max(c.think, 300*time.Millisecond)
	n := 0
	for ctx.Err() == nil {
		ws, res, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+u.Host+"/api/v1/workshops/"+liveWorkshop+"/live", hdr)
		if res != nil && res.Body != nil {
			res.Body.Close()
		}
		if err != nil {
			if res != nil {
				err = statusError(res.StatusCode)
			}
			c.record("dial", err)
			if !c.pause(ctx) {
				return
			}
			continue
		}
		done := make(chan struct{})
		go func() { // reader: acknowledgements and refusals
			defer close(done)
			for {
				var f struct{ Type, Code string }
				if err := ws.ReadJSON(&f); err != nil {
					if ctx.Err() == nil {
						c.t.fail("room: socket closed")
					}
					return
				}
				switch f.Type {
				case "ack":
					c.t.ok.Add(1)
				case "error":
					c.t.fail("room: error " + f.Code)
				}
			}
		}()
		tick := time.NewTicker(every)
	send:
		for {
			select {
			case <-ctx.Done():
				break send
			case <-done:
				break send
			case <-tick.C:
				n++
				_ = ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
				if err := ws.WriteJSON(map[string]string{"type": "chat", "key": fmt.Sprintf("soak-%p-%d", c, n), "text": fmt.Sprintf("Soak message %d", n)}); err != nil {
					c.record("send", err)
					break send
				}
			}
		}
		tick.Stop()
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		ws.Close()
		<-done
	}
}

// startPortal builds (unless bin is given) and starts `portal demo` on a
// free loopback port with a fresh data directory and its rate limit lifted
// (all traffic comes from one address), and returns how to stop it.
func startPortal(bin string) (func(), string, error) {
	dir, err := os.MkdirTemp("", "soak")
	if err != nil {
		return nil, "", err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	if bin == "" {
		bin = filepath.Join(dir, "portal")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Dir, build.Stdout, build.Stderr = repoRoot(), os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			cleanup()
			return nil, "", fmt.Errorf("go build: %w", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cleanup()
		return nil, "", err
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	logf, err := os.Create(filepath.Join(dir, "portal.log"))
	if err != nil {
		cleanup()
		return nil, "", err
	}
	cmd := exec.Command(bin, "demo", "--addr", addr, "--data", filepath.Join(dir, "data"))
	cmd.Env = append(os.Environ(), "PORTAL_RATE_LIMIT=100000000", "PORTAL_LOG_LEVEL=warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		cleanup()
		return nil, "", err
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if b, err := os.ReadFile(logf.Name()); err == nil && len(bytes.TrimSpace(b)) > 0 {
			fmt.Printf("the portal logged %d warnings and %d errors; the end of its log:\n%s\n",
				bytes.Count(b, []byte(`"level":"WARN"`)), bytes.Count(b, []byte(`"level":"ERROR"`)), tail(b, 3000))
		}
		logf.Close()
		cleanup()
	}
	base := "http://" + addr
	deadline := time.Now().Add(90 * time.Second)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return stop, base, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, "", errors.New("the portal did not become ready in 90 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// repoRoot walks up from the working directory to the portal's go.mod.
func repoRoot() string {
	dir, _ := os.Getwd()
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(b, []byte("module github.com/circularfairict/portal\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "."
		}
		dir = parent
	}
}
