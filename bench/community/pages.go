package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/event"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/server"
	"github.com/circularfairict/portal/store"
)

// measure serves dir in this process, signs in as the demo buyer and
// times every page a member uses.
func measure(ctx context.Context, dir string, n int, budget time.Duration, only *regexp.Regexp, owner bool) error {
	b, err := os.ReadFile(filepath.Join(dir, targetsFile))
	if err != nil {
		return fmt.Errorf("%s: not a generated data directory (run -out first): %w", dir, err)
	}
	var t targets
	if err := json.Unmarshal(b, &t); err != nil {
		return err
	}
	st, cfg := openPortal(ctx, dir, owner)
	defer st.Close(ctx)
	// The server's client counts the commands it sends (not the driver's
	// handshakes and heartbeats).
	var commands atomic.Int64
	mon := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		switch e.CommandName {
		case "hello", "isMaster", "ismaster", "ping", "endSessions", "buildInfo", "saslStart", "saslContinue":
		default:
			commands.Add(1)
		}
	}}
	mc, err := store.Connect(ctx, st.URI, 5*time.Minute, func(o *options.ClientOptions) { o.SetMonitor(mon) })
	if err != nil {
		return err
	}
	monitored := st.WithClient(mc, st.DB.Name())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	cfg.Addr, cfg.BaseURL = ln.Addr().String(), base
	t0 := time.Now()
	srv, err := server.New(ctx, server.Deps{Config: cfg, Store: monitored, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	go func() { _ = srv.Listen(ln) }()
	defer srv.Shutdown(5 * time.Second)
	fmt.Printf("server started in %.1f s\n", time.Since(t0).Seconds())

	c, err := signIn(base)
	if err != nil {
		return err
	}
	th, err := forum.NewStore(st.DB).Thread(ctx, t.LongThread)
	if err != nil {
		return err
	}
	pages := []struct{ name, path string }{
		{"home", "/"},
		{"library", "/library"},
		{"library, facets", "/library?type=criteria_set&theme=repairability"},
		{"library, searched", "/library?q=" + url.QueryEscape("réparabilité")},
		{"resource", "/library/" + t.Resource},
		{"discussions", "/discussions"},
		{"category", "/discussions/c/" + t.Category},
		{"long thread, first page", "/threads/" + t.LongThread},
		{fmt.Sprintf("long thread, last page (%d)", th.Pages()), fmt.Sprintf("/threads/%s?page=%d", t.LongThread, th.Pages())},
		{"notifications", "/discussions/notifications"},
		{"members", "/members"},
		{"members, searched", "/members?q=" + url.QueryEscape(t.MemberName)},
		{"group", "/groups/" + t.Group},
		{"workshops", "/workshops"},
		{"workshop", "/workshops/" + t.Workshop},
		{"discussions, searched", "/discussions/search?q=" + url.QueryEscape("due diligence")},
	}
	la, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("machine: %s/%s, %d CPUs, %s; load average %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), strings.Join(strings.Fields(string(la))[:3], " "))
	fmt.Printf("%-34s %6s %8s %8s %8s %12s\n", "page", "status", "requests", "p50 ms", "p95 ms", "db commands")
	for _, p := range pages {
		if only != nil && !only.MatchString(p.name) {
			continue
		}
		var lat []time.Duration
		status := 0
		var cmds int64
		began := time.Now()
		// The first request warms caches and is not counted; a page stops
		// early once it has used its budget (the code before a fix can take
		// seconds a request).
		for i := 0; i < n+1 && (i < 3 || time.Since(began) < budget); i++ {
			commands.Store(0)
			start := time.Now()
			res, err := c.Get(base + p.path)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			d := time.Since(start)
			status, cmds = res.StatusCode, commands.Load()
			if i > 0 {
				lat = append(lat, d)
			}
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		fmt.Printf("%-34s %6d %8d %8.0f %8.0f %12d\n", p.name, status, len(lat), ms(lat[len(lat)/2]), ms(lat[min(len(lat)-1, len(lat)*95/100)]), cmds)
	}
	return nil
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// signIn returns a client holding the demo buyer's session, signed in
// through the demo's persona form as a visitor does.
func signIn(base string) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 5 * time.Minute}
	res, err := c.Get(base + "/signin")
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfRe.FindSubmatch(body)
	if m == nil {
		return nil, fmt.Errorf("sign-in page has no CSRF token")
	}
	res, err = c.PostForm(base+"/auth/demo", url.Values{"_csrf": {string(m[1])}, "persona": {"buyer"}})
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("demo sign-in: status %d", res.StatusCode)
	}
	return c, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
