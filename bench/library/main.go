// Command library measures the library on the embedded database, in one
// process as `portal demo` runs it (server and embedded FerretDB together):
//
//   - resident memory growth while one client uploads a large file over
//     loopback (the body is generated on the fly, so the client holds
//     nothing either);
//
//   - upload throughput, as a ratio to writing the same bytes to a local file;
//
//   - search latency over N generated resources, and the database commands
//     each search issues (counted with the driver's command monitor).
//
//     go run ./bench/library -mib 100 -resources 10000
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/circularfairict/portal/bench/internal/dbchild"
	"github.com/circularfairict/portal/search"
	"io"
	"log/slog"
	"math/rand"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/event"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/demo"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/server"
	"github.com/circularfairict/portal/store"
)

func main() {
	mib := flag.Int("mib", 100, "size of the uploaded file in MiB")
	n := flag.Int("resources", 10000, "resources generated for the search benchmark")
	searches := flag.Int("searches", 20, "searches per query")
	separate := flag.Bool("separate-db", false, "run the embedded database in a child process, so RSS is the portal's alone (as with MongoDB in production)")
	dbChild := flag.String(dbchild.Flag, "", "internal: serve the embedded database in DIR until stdin closes")
	cpuProfile := flag.String("cpuprofile", "", "write this process's CPU profile of the searches (server and embedded database) to this file")
	flag.Parse()
	ctx := context.Background()
	if *dbChild != "" {
		check(dbchild.Serve(ctx, *dbChild))
		return
	}

	dir, err := os.MkdirTemp("", "pbl")
	check(err)
	defer os.RemoveAll(dir)
	if *separate {
		stop, err := dbchild.Start(dir)
		check(err)
		defer stop()
	}
	var commands atomic.Int64
	mon := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		switch e.CommandName {
		case "find", "getMore", "aggregate", "count":
			commands.Add(1)
		}
	}}
	st, err := store.Open(ctx, store.Options{DataDir: dir, Owner: !*separate})
	check(err)
	defer st.Close(ctx)
	// A second client on the same server, with the command monitor.
	mc, err := store.Connect(ctx, st.URI, time.Minute, func(o *options.ClientOptions) { o.SetMonitor(mon) })
	check(err)
	monitored := st.WithClient(mc, st.DB.Name())

	check(demo.Seed(ctx, auth.NewStore(st.DB)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	base := "http://" + ln.Addr().String()
	cfg := &config.Config{Mode: config.ModeDemo, Addr: ln.Addr().String(), BaseURL: base, DataDir: dir,
		SessionKey: []byte(strings.Repeat("k", 32)), SessionTTL: time.Hour, BodyMaxBytes: 1 << 20,
		UploadMaxBytes: (*mib + 1) << 20, RateLimit: 1 << 30, LogLevel: "error", ShutdownGrace: 5 * time.Second}
	srv, err := server.New(ctx, server.Deps{Config: cfg, Store: monitored, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	check(err)
	go func() { _ = srv.Listen(ln) }()
	defer srv.Shutdown(5 * time.Second)

	where := "embedded database in this process"
	if *separate {
		where = "embedded database in a child process"
	}
	fmt.Printf("machine: %s/%s, %d CPUs, %s; %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), where)
	client := signIn(base)

	// 1. Upload: RSS growth and throughput.
	size := int64(*mib) << 20
	runtime.GC()
	before := rss()
	var peak atomic.Int64
	peak.Store(before)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				if r := rss(); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	}()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	upload(client, base, size)
	upTime := time.Since(start)
	runtime.ReadMemStats(&ms1)
	if p := os.Getenv("BENCH_ALLOCS"); p != "" {
		f, _ := os.Create(p)
		_ = pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
	close(stop)
	wg.Wait()
	fmt.Printf("Go heap during the upload: %.0f MiB allocated in total, %d collections, heap in use after %.1f MiB\n",
		mb(int64(ms1.TotalAlloc-ms0.TotalAlloc)), ms1.NumGC-ms0.NumGC, mb(int64(ms1.HeapInuse)))
	fileTime := writeLocal(dir, size)
	fmt.Printf("upload %d MiB over loopback: %.2f s (%.1f MiB/s); RSS before %.1f MiB, peak %.1f MiB, growth %.1f MiB\n",
		*mib, upTime.Seconds(), float64(*mib)/upTime.Seconds(), mb(before), mb(peak.Load()), mb(peak.Load()-before))
	fmt.Printf("writing the same bytes to a local file: %.2f s (%.1f MiB/s); upload/local time ratio %.1f\n",
		fileTime.Seconds(), float64(*mib)/fileTime.Seconds(), upTime.Seconds()/fileTime.Seconds())

	// 2. Search over n resources.
	lib := srv.Library()
	a := auth.NewStore(st.DB)
	owner, err := a.MemberByIdentity(ctx, auth.DemoProvider, "buyer")
	check(err)
	start = time.Now()
	generate(ctx, lib, owner.ID, *n)
	fmt.Printf("generated %d resources in %.1f s (each indexed as it was created)\n", *n, time.Since(start).Seconds())
	// The search index rebuilt from the database, as `portal reindex` does.
	ix := srv.SearchIndex()
	start = time.Now()
	stats, err := ix.Rebuild(ctx, nil)
	check(err)
	fmt.Printf("search index rebuilt from the database: %d documents in %.1f s; index %.1f MiB on disk; RSS %.1f MiB\n",
		stats.Added+stats.Updated, time.Since(start).Seconds(), mb(search.Size(cfg.SearchIndexDir())), mb(rss()))
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		check(err)
		check(pprof.StartCPUProfile(f))
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	for _, q := range []string{"", "laptops", "reparabilite", "leverancier fabriek", "type=criteria_set&theme=repairability", "q=laptop&lang=fr&sort=downloads"} {
		path := "/api/v1/resources?"
		if strings.Contains(q, "=") {
			path += q
		} else if q != "" {
			path += "q=" + strings.ReplaceAll(q, " ", "+")
		}
		var lat []time.Duration
		var cmds int64
		total := 0
		for i := 0; i < *searches; i++ {
			commands.Store(0)
			t0 := time.Now()
			res, err := client.Get(base + path)
			check(err)
			var out struct{ Total int }
			check(json.NewDecoder(res.Body).Decode(&out))
			res.Body.Close()
			lat = append(lat, time.Since(t0))
			cmds = commands.Load()
			total = out.Total
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		fmt.Printf("search %-45q total %5d  median %6.0f ms  p90 %6.0f ms  db commands per search %d\n",
			path, total, ms(lat[len(lat)/2]), ms(lat[len(lat)*9/10]), cmds)
	}
}

// signIn returns a client with the demo buyer's session.
func signIn(base string) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 30 * time.Minute}
	res, err := c.Get(base + "/signin")
	check(err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	tok := csrfRe.FindSubmatch(body)[1]
	res, err = c.PostForm(base+"/auth/demo", map[string][]string{"_csrf": {string(tok)}, "persona": {"buyer"}})
	check(err)
	res.Body.Close()
	res, err = c.Get(base + "/")
	check(err)
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	csrfToken = string(csrfRe.FindSubmatch(body)[1])
	return c
}

var csrfToken string

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// upload streams a generated CSV of size bytes as a multipart body.
func upload(c *http.Client, base string, size int64) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		for k, v := range map[string]string{"title": "Large monitoring dataset", "summary": "Generated", "type": "report", "languages": "en", "licence": "cc_by", "visibility": "public"} {
			_ = mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("file", "large.csv")
		bw := bufio.NewWriterSize(fw, 256<<10)
		line := []byte("supplier,factory,country,audit,finding,follow-up,2025-01-01\n")
		var n int64
		for n < size {
			k := min(int64(len(line)), size-n)
			_, _ = bw.Write(line[:k])
			n += k
		}
		_ = bw.Flush()
		_ = mw.Close()
		_ = pw.Close()
	}()
	req, _ := http.NewRequest("POST", base+"/api/v1/resources", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", csrfToken)
	res, err := c.Do(req)
	check(err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 201 {
		panic(fmt.Sprintf("upload: %d %s", res.StatusCode, body))
	}
}

// writeLocal writes size bytes to a file in dir and syncs it.
func writeLocal(dir string, size int64) time.Duration {
	line := []byte("supplier,factory,country,audit,finding,follow-up,2025-01-01\n")
	start := time.Now()
	f, err := os.Create(filepath.Join(dir, "local.csv"))
	check(err)
	bw := bufio.NewWriterSize(f, 256<<10)
	var n int64
	for n < size {
		k := min(int64(len(line)), size-n)
		_, _ = bw.Write(line[:k])
		n += k
	}
	check(bw.Flush())
	check(f.Sync())
	check(f.Close())
	return time.Since(start)
}

var words = strings.Fields(`laptop laptops desktop monitor smartphone tablet printer server cloud repairability lifetime refurbished
	recycled energy labour rights transparency supplier factory audit clause criteria tender contract spare parts battery warranty
	réparabilité ordinateurs portables fournisseur usine critères reconditionné leverancier fabriek duurzaam herstel
	Lieferkette Reparierbarkeit Bildschirm Kriterien Arbeitsrechte Nachweis`)

// generate creates n small resources with varied metadata and text.
func generate(ctx context.Context, lib *resources.Service, owner string, n int) {
	rng := rand.New(rand.NewSource(1))
	types := lib.Tax.Terms(resources.VocType)
	themes := lib.Tax.Terms(resources.VocTheme)
	products := lib.Tax.Terms(resources.VocProduct)
	langs := []string{"en", "fr", "nl", "de"}
	for i := 0; i < n; i++ {
		var text bytes.Buffer
		for j := 0; j < 60; j++ {
			text.WriteString(words[rng.Intn(len(words))])
			text.WriteByte(' ')
		}
		text.WriteString("\nresource " + strconv.Itoa(i) + "\n")
		sp, err := lib.Receive(ctx, &text, "r.txt")
		check(err)
		m := resources.Meta{Title: words[rng.Intn(len(words))] + " " + words[rng.Intn(len(words))] + " " + strconv.Itoa(i), Summary: "Generated resource",
			Type: types[rng.Intn(len(types))].ID, Themes: []string{themes[rng.Intn(len(themes))].ID}, Products: []string{products[rng.Intn(len(products))].ID},
			Languages: []string{langs[rng.Intn(len(langs))]}, Licence: "cc_by", Visibility: resources.VisibilityPublic, Country: []string{"NL", "FR", "BE", "DE", "IE"}[rng.Intn(5)]}
		_, _, err = lib.Create(ctx, owner, m, sp, "", "")
		sp.Close()
		check(err)
	}
}

// rss is the resident set size of this process, from /proc (Linux).
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func mb(n int64) float64         { return float64(n) / (1 << 20) }
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
func check(err error) {
	if err != nil {
		panic(err)
	}
}
