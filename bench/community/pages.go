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
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/event"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/search"
	"github.com/circularfairict/portal/server"
	"github.com/circularfairict/portal/store"
)

// measure serves dir in this process, signs in as the demo buyer and
// times every page a member uses.
func measure(ctx context.Context, dir string, n int, budget time.Duration, only *regexp.Regexp, owner bool, showCommands bool, profile func()) error {
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
	var logMu sync.Mutex
	var logged []string
	mon := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		switch e.CommandName {
		case "hello", "isMaster", "ismaster", "ping", "endSessions", "buildInfo", "saslStart", "saslContinue":
		default:
			commands.Add(1)
			if showCommands {
				logMu.Lock()
				logged = append(logged, describeCommand(e))
				logMu.Unlock()
			}
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
	// The start-up catch-up compares every document's stamp with the
	// index's: measuring during it would time the catch-up, not the pages.
	t1 := time.Now()
	srv.SearchIndex().Wait()
	fmt.Printf("search index caught up in %.1f s more\n", time.Since(t1).Seconds())
	profile()

	q := url.QueryEscape
	// area groups the searches for the summary: each is measured as its
	// own page and pooled with the other searches of its area.
	pages := []struct{ name, path, area string }{
		{"home", "/", ""},
		{"library", "/library", ""},
		{"library, facets", "/library?type=criteria_set&theme=repairability", ""},
		{"library, searched (fr word)", "/library?q=" + q("réparabilité"), areaLibrary},
		{"library, searched (nl phrase)", "/library?q=" + q(`"onafhankelijk rapport"`), areaLibrary},
		{"library, searched (prefix)", "/library?q=" + q("leveranc"), areaLibrary},
		{"library, searched (facet + word)", "/library?type=criteria_set&q=" + q("audit"), areaLibrary},
		{"library, searched (en, 2 words)", "/library?q=" + q("spare parts"), areaLibrary},
		{"resource", "/library/" + t.Resource, ""},
		{"discussions", "/discussions", ""},
		{"category", "/discussions/c/" + t.Category, ""},
		{"long thread, first page", "/threads/" + t.LongThread, ""},
		{fmt.Sprintf("long thread, last page (%d)", th.Pages()), fmt.Sprintf("/threads/%s?page=%d", t.LongThread, th.Pages()), ""},
		{"notifications", "/discussions/notifications", ""},
		{"members", "/members", ""},
		{"members, searched", "/members?q=" + q(t.MemberName), ""},
		{"group", "/groups/" + t.Group, ""},
		{"workshops", "/workshops", ""},
		{"workshop", "/workshops/" + t.Workshop, ""},
		{"discussions, searched (en)", "/discussions/search?q=" + q("due diligence"), areaDiscussions},
		{"discussions, searched (fr word)", "/discussions/search?q=" + q("réparabilité"), areaDiscussions},
		{"discussions, searched (prefix)", "/discussions/search?q=" + q("remedia"), areaDiscussions},
		// The combined page counts every area on each request and lists
		// the active tab's results: each tab is a request of its own.
		{"search, library tab", "/search?q=" + q("réparabilité"), areaCombined},
		{"search, discussions tab", "/search?tab=discussions&q=" + q("due diligence"), areaCombined},
		{"search, people tab", "/search?tab=people&q=" + q(t.MemberName), areaCombined},
		{"search, workshops tab", "/search?tab=workshops&q=" + q("workshop"), areaCombined},
	}
	la, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("machine: %s/%s, %d CPUs, %s; load average %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), strings.Join(strings.Fields(string(la))[:3], " "))
	fmt.Printf("%-36s %6s %8s %8s %8s %12s %8s\n", "page", "status", "requests", "p50 ms", "p95 ms", "db commands", "cpu ms")
	byArea := map[string][]time.Duration{}
	var slow []string
	measured := 0
	for _, p := range pages {
		if only != nil && !only.MatchString(p.name) {
			continue
		}
		var lat []time.Duration
		var cpu time.Duration
		status := 0
		var cmds int64
		began := time.Now()
		// The first request warms caches and is not counted; a page stops
		// early once it has used its budget (the code before a fix can take
		// seconds a request).
		for i := 0; i < n+1 && (i < 3 || time.Since(began) < budget); i++ {
			commands.Store(0)
			logMu.Lock()
			logged = logged[:0]
			logMu.Unlock()
			start, cpu0 := time.Now(), processCPU()
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
				cpu += processCPU() - cpu0
			}
		}
		if p.area != "" {
			byArea[p.area] = append(byArea[p.area], lat...)
		}
		p50, p95 := percentiles(lat)
		measured++
		if p95 > pageP95 {
			slow = append(slow, p.name)
		}
		fmt.Printf("%-36s %6d %8d %8.0f %8.0f %12d %8.1f\n", p.name, status, len(lat), ms(p50), ms(p95), cmds, ms(cpu)/float64(max(len(lat), 1)))
		if showCommands {
			logMu.Lock()
			for _, l := range logged {
				fmt.Println("    " + l)
			}
			logMu.Unlock()
		}
	}
	summarise(byArea, measured, slow)
	// What the sweeper's catch-up costs a server every ten minutes.
	t2 := time.Now()
	swept, followed, err := srv.SearchIndex().Sweep(ctx)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	fmt.Printf("periodic search catch-up (search.Index.Sweep): %.1f ms; %d logged changes read, %d documents compared in full\n",
		ms(time.Since(t2)), followed, swept.Added+swept.Updated+swept.Removed+swept.Unchanged)
	fmt.Printf("search index on disk: %.1f MiB (%s)\n", float64(search.Size(cfg.SearchIndexDir()))/(1<<20), cfg.SearchIndexDir())
	fmt.Printf("resident memory (VmRSS) of this process after the run: %s (server, embedded database unless -separate-db, and the client)\n", vmRSS())
	return nil
}

// processCPU is the CPU time this process has used (user and system): the
// server, the embedded database and the client are all in it, so the CPU a
// request used is a figure of the work it took, which the other tenants of
// a shared machine disturb far less than its wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// describeCommand names a command by its verb, collection and filter, which
// is what tells an _id lookup from a pass over a collection on the embedded
// database.
func describeCommand(e *event.CommandStartedEvent) string {
	coll, _ := e.Command.Lookup(e.CommandName).StringValueOK()
	out := e.CommandName + " " + coll
	for _, k := range []string{"filter", "pipeline", "updates", "q"} {
		if v, err := e.Command.LookupErr(k); err == nil {
			s := v.String()
			if len(s) > 160 {
				s = s[:160] + "…"
			}
			out += " " + k + "=" + s
		}
	}
	return out
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

// Issue 15's targets.
const (
	searchP50 = 30 * time.Millisecond
	searchP95 = 100 * time.Millisecond
	pageP95   = 150 * time.Millisecond
)

// The areas of the search summary.
const (
	areaLibrary     = "library"
	areaDiscussions = "discussions"
	areaCombined    = "combined"
)

// percentiles returns the median and the 95th percentile of lat (nearest
// rank: with 20 samples the 95th is the second slowest).
func percentiles(lat []time.Duration) (p50, p95 time.Duration) {
	if len(lat) == 0 {
		return 0, 0
	}
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2], s[min(len(s)-1, len(s)*95/100)]
}

// summarise prints the searches of each area pooled, against the targets,
// and which pages miss the page target.
func summarise(byArea map[string][]time.Duration, pages int, slow []string) {
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	fmt.Printf("\n%-12s %8s %8s %8s   %s\n", "search area", "requests", "p50 ms", "p95 ms", fmt.Sprintf("target p50 <= %d ms, p95 <= %d ms", searchP50.Milliseconds(), searchP95.Milliseconds()))
	for _, a := range []string{areaLibrary, areaDiscussions, areaCombined} {
		lat := byArea[a]
		if len(lat) == 0 {
			continue
		}
		p50, p95 := percentiles(lat)
		fmt.Printf("%-12s %8d %8.0f %8.0f   p50 %s, p95 %s\n", a, len(lat), ms(p50), ms(p95), verdict(p50 <= searchP50), verdict(p95 <= searchP95))
	}
	fmt.Printf("pages with p95 <= %d ms: %d of %d", pageP95.Milliseconds(), pages-len(slow), pages)
	if len(slow) > 0 {
		fmt.Printf(" (over: %s)", strings.Join(slow, "; "))
	}
	fmt.Println()
}

// vmRSS is this process's resident memory as the kernel reports it.
func vmRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:"))
		}
	}
	return "unknown"
}
