// Command community seeds a community-scale data set into a data directory
// and measures the pages a member uses on it.
//
// Generating (-out DIR) runs what `portal demo` seeds (the personas, the
// demo library, discussions and workshops), then adds, at -scale 1, 2,000
// members, 20 groups with their categories, 10,000 resources with three
// pages of clause-like text each in English, French, Dutch or German
// (written from the glossary's terms), 5,000 threads with 50,000 replies,
// 500 workshops with registrations and 200,000 live-room chat events. Each
// goes through the owning package's own write path (the library service
// for resources, so files are spooled, checked, extracted and stored as an
// upload is; forum.ImportReplies and the live store's AppendMany where one
// insert per reply or event would take too long; auth.PutGroup for a
// group's members, see join). After the members and groups, the library,
// the discussions and the workshops are written in three lanes at once,
// and the search index is filled once at the end. The directory then
// serves with `portal demo -data DIR`.
//
// Measuring (-pages DIR) starts the portal in this process on that
// directory, signs in as the demo buyer, requests every page -n times and
// prints p50 and p95 with the database commands each request issued.
//
//	go run ./bench/community -out /tmp/community -scale 0.2
//	go run ./bench/community -pages /tmp/community -n 20
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/circularfairict/portal/bench/internal/dbchild"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/demo"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/gctune"
	"github.com/circularfairict/portal/server"
	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/workshops"
)

// targets names what the page benchmark opens; the generator writes it
// next to the database.
type targets struct {
	LongThread string `json:"long_thread"`
	Resource   string `json:"resource"`
	Category   string `json:"category"`
	Group      string `json:"group"`
	Workshop   string `json:"workshop"`
	MemberName string `json:"member_name"`
}

const targetsFile = "bench-community.json"

func main() {
	out := flag.String("out", "", "generate the community into this (new or empty) data directory")
	scale := flag.Float64("scale", 1, "size of the community relative to the full one (0.1 for a quick run)")
	pages := flag.String("pages", "", "measure the pages on this generated data directory")
	n := flag.Int("n", 20, "requests per page")
	only := flag.String("only", "", "measure only the pages whose name matches this regular expression")
	budget := flag.Duration("budget", time.Minute, "time per page after which it stops with fewer than -n requests (at least two)")
	separate := flag.Bool("separate-db", false, "run the embedded database in a child process (as with MongoDB in production)")
	dbChild := flag.String(dbchild.Flag, "", "internal: serve the embedded database in DIR until stdin closes")
	cpuProfile := flag.String("cpuprofile", "", "write this process's CPU profile (server and embedded database) to this file; with -pages, from the end of the start-up catch-up")
	showCommands := flag.Bool("commands", false, "print the database commands of each page's last request (name, collection, filter)")
	flag.Parse()
	ctx := context.Background()
	var profiled *os.File
	profile := func() {
		if *cpuProfile == "" {
			return
		}
		var err error
		profiled, err = os.Create(*cpuProfile)
		check(err)
		check(pprof.StartCPUProfile(profiled))
	}
	defer func() {
		if profiled != nil {
			pprof.StopCPUProfile()
			profiled.Close()
		}
	}()
	switch {
	case *dbChild != "":
		profile()
		check(dbchild.Serve(ctx, *dbChild))
	case *out != "":
		profile()
		check(generate(ctx, *out, *scale))
	case *pages != "":
		if *separate {
			stop, err := dbchild.Start(*pages)
			check(err)
			defer stop()
		}
		// The collector as `portal serve` sets it on the embedded database,
		// so that the pages are timed as a member gets them.
		if stop, headroom := gctune.ForEmbedded(os.LookupEnv, !*separate); stop != nil {
			defer stop()
			fmt.Printf("garbage collector tuned as the server does: GC percent 100-400 by the live heap, headroom %d MiB (set GOGC to measure otherwise)\n", headroom>>20)
		}
		var re *regexp.Regexp
		if *only != "" {
			re = regexp.MustCompile(*only)
		}
		check(measure(ctx, *pages, *n, *budget, re, !*separate, *showCommands, profile))
	default:
		flag.Usage()
		os.Exit(2)
	}
}

// openPortal opens the store on dir and a server on it, as `portal demo`
// does; opts adjusts the client (the benchmark's command monitor).
func openPortal(ctx context.Context, dir string, owner bool) (*store.Store, *config.Config) {
	// A long operation timeout, so that the code before a fix is measured
	// rather than failed.
	st, err := store.Open(ctx, store.Options{DataDir: dir, Owner: owner, Timeout: 5 * time.Minute})
	check(err)
	cfg := &config.Config{Mode: config.ModeDemo, Addr: "127.0.0.1:0", BaseURL: "http://127.0.0.1", DataDir: dir,
		SessionKey: []byte(strings.Repeat("k", 32)), SessionTTL: time.Hour, BodyMaxBytes: 1 << 20,
		UploadMaxBytes: 16 << 20, RateLimit: 1 << 30, LogLevel: "error", ShutdownGrace: 5 * time.Second}
	return st, cfg
}

func generate(ctx context.Context, dir string, scale float64) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty: the generator starts from a new data directory", dir)
	}
	check(os.MkdirAll(dir, 0o700))
	start := time.Now()
	st, cfg := openPortal(ctx, dir, true)
	defer st.Close(ctx)
	srv, err := server.New(ctx, server.Deps{Config: cfg, Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	defer srv.Shutdown(5 * time.Second)
	// The library writes without the search index: indexing one resource
	// at a time made bleve write and merge a segment per resource (a third
	// of the generator's time at scale 0.05). The catch-up at the end
	// fills the index in batches as `portal reindex` does, from the same
	// database, so the index is the one the product would have. The forum
	// and auth stores below have no index either.
	srv.Library().SetIndex(nil)
	a, f, ws := auth.NewStore(st.DB), forum.NewStore(st.DB), workshops.NewStore(st.DB)
	if st.Embedded { // as the server reads (see forum.Store.ReadByID)
		a.ReadByID()
		f.ReadByID()
	}
	// What `portal demo` seeds, so the personas sign in and the demo's
	// pages exist among the generated ones.
	for _, seed := range []func() error{
		func() error { return demo.Seed(ctx, a) },
		func() error { return demo.SeedLibrary(ctx, a, srv.Library()) },
		func() error { return demo.SeedDiscussions(ctx, a, f) },
		func() error { return demo.SeedWorkshops(ctx, a, ws) },
		func() error { return demo.SeedOutcomes(ctx, a, ws, srv.Core()) },
	} {
		if err := seed(); err != nil {
			return err
		}
	}
	sz := scaled(scale)
	fmt.Printf("generating at scale %g into %s: %+v\n", scale, dir, sz)
	g := &generator{ctx: ctx, st: st, srv: srv, a: a, f: f, ws: ws, v: newVocab(), rng: rand.New(rand.NewSource(1)), start: start}
	if err := g.run(sz); err != nil {
		return err
	}
	// Nothing generated has reached the index yet: filled here once (in
	// batches, as `portal reindex` does), every copy of the directory
	// would otherwise pay it at its first start.
	t1 := time.Now()
	if _, err := srv.SearchIndex().CatchUp(ctx, nil); err != nil {
		return err
	}
	fmt.Printf("search index caught up in %.1f s\n", time.Since(t1).Seconds())
	// What the page benchmark opens.
	t := targets{LongThread: g.threads[0].ID, Category: g.catNamed("criteria-and-labels").Slug, Workshop: g.pastOrAny().ID,
		MemberName: strings.Fields(g.members[len(g.members)/2].Name)[0]}
	for _, grp := range g.groups {
		if grp.Slug == "national-buyers" {
			t.Group = grp.Slug
		}
	}
	ids, err := demo.LibraryIDs(ctx, a)
	if err != nil {
		return err
	}
	t.Resource = ids["laptop-spec"]
	b, _ := json.MarshalIndent(t, "", "  ")
	check(os.WriteFile(filepath.Join(dir, targetsFile), b, 0o600))
	fmt.Printf("generated in %.1f s; serve it with: portal demo -data %s\n", time.Since(start).Seconds(), dir)
	return nil
}

func (g *generator) pastOrAny() *workshops.Workshop {
	if len(g.past) > 0 {
		return g.past[len(g.past)/2]
	}
	return &workshops.Workshop{ID: demo.LiveWorkshopID}
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}
