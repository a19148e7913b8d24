// Command liveload measures the portal's live workshop room under load
// and, in the same run, the same traffic through a minimal gorilla
// websocket broadcast server (the floor for this machine).
//
// It starts `portal demo` on a loopback port with a fresh data directory,
// creates a facilitator and N participants with API tokens, creates and
// opens a workshop through the JSON API, connects N websocket clients with
// `Authorization: Bearer`, and has the facilitator send chat messages at
// -rate per second for -duration. Each message carries its number and send
// time in its text; every client reports when it arrives. It prints
// delivery latency (p50, p95, p99) to all N, deliveries per second, lost,
// duplicated and out-of-order messages, then the same for the floor and
// the ratio p99(portal)/p99(floor). With -idle it connects N clients that
// send nothing and reports server memory per connection instead.
//
// The portal allows one socket about 5 frames a second; the sender is one
// member with ceil(rate/4) sockets (tabs), used in turn. The floor gets the
// same sockets and the same schedule.
//
// With -breakouts G it runs the breakout scenario instead (breakout.go):
// G groups typing shared notes and voting at once, with delivery latency
// to group members, the floor's latency for the same group traffic, and
// lost updates in the final notes. The breakout scenario also runs a
// durable floor: the same server storing each message in a local SQLite
// file (one synced insert per message, in its own process) before it
// broadcasts it, the floor for traffic that must not be lost; the target
// is p99(portal) ≤ 1.5x p99(durable floor) with 0 lost updates. A third,
// the database floor, stores each message through an embedded database of
// the portal's kind instead (driver, FerretDB, SQLite): what that storage
// path costs before any of the portal's own work (-no-db-floor skips it).
//
//	go run ./bench/liveload -participants 1000 -rate 20 -duration 30s
//	go run ./bench/liveload -participants 10000 -idle
//	go run ./bench/liveload -participants 500 -breakouts 50 -note-rate 100 -duration 30s
//
// -cpuprofile FILE records the portal's CPU profile while the load runs
// (the portal serves its profiler on a loopback port for this); -memprofile
// FILE records what the portal allocated over the same window (a delta of
// its allocation profile: go tool pprof -sample_index=alloc_space).
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

type options struct {
	participants int
	rate         float64
	duration     time.Duration
	idle         bool
	sources      int
	portalBin    string
	skipFloor    bool
	skipDurable  bool
	skipDBFloor  bool
	skipPortal   bool
	settleLimit  time.Duration
	idleWait     time.Duration
	breakouts    int
	noteRate     float64
	cpuProfile   string
	memProfile   string
}

func main() {
	var o options
	serve := flag.String("serve-floor", "", "internal: run the floor server on this address")
	floorDB := flag.String("floor-db", "", "internal: with -serve-floor, store each message in this SQLite file before broadcasting it")
	floorEmbedded := flag.String("floor-embedded", "", "internal: with -serve-floor, store each message in an embedded database in this directory before broadcasting it")
	flag.IntVar(&o.participants, "participants", 1000, "clients connected to the room (receivers)")
	flag.Float64Var(&o.rate, "rate", 20, "chat messages per second from the sender")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "how long the sender sends")
	flag.BoolVar(&o.idle, "idle", false, "connect idle clients only and report server memory per connection")
	flag.IntVar(&o.sources, "sources", 4, "loopback source addresses to spread connections over (127.0.0.1…)")
	flag.StringVar(&o.portalBin, "portal-bin", "", "portal binary (default: go build the repository's)")
	flag.BoolVar(&o.skipFloor, "no-floor", false, "measure the portal only")
	flag.BoolVar(&o.skipDurable, "no-durable-floor", false, "breakout scenario: skip the durable floor (each message stored in SQLite before it is broadcast)")
	flag.BoolVar(&o.skipDBFloor, "no-db-floor", false, "breakout scenario: skip the database floor (each message stored through the embedded database before it is broadcast)")
	flag.BoolVar(&o.skipPortal, "no-portal", false, "measure the floor only")
	flag.DurationVar(&o.idleWait, "idle-wait", 130*time.Second, "with -idle: wait this long after connecting before measuring memory")
	flag.DurationVar(&o.settleLimit, "settle", 3*time.Minute, "longest wait for the joining flood to settle")
	flag.IntVar(&o.breakouts, "breakouts", 0, "run the breakout scenario with this many groups: notes inserts and votes instead of chat")
	flag.Float64Var(&o.noteRate, "note-rate", 100, "breakout scenario: notes inserts per second, all participants together")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write the portal's CPU profile while the load runs to this file")
	flag.StringVar(&o.memProfile, "memprofile", "", "write what the portal allocated while the load runs (an allocation profile) to this file")
	flag.IntVar(&handshakes, "handshakes", 64, "connections opened at once (fewer spare a busy embedded database)")
	flag.Parse()
	if *serve != "" {
		if err := serveFloor(*serve, *floorDB, *floorEmbedded); err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "liveload:", err)
		os.Exit(1)
	}
}

// raiseFileLimit lifts the open-file limit to the hard limit: each client
// is a file descriptor here, and each connection one more in the server.
func raiseFileLimit(need int) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		fmt.Fprintln(os.Stderr, "liveload: cannot raise the open-file limit:", err)
	}
	if int(l.Cur) < need {
		fmt.Fprintf(os.Stderr, "liveload: warning: open-file limit %d is below the %d this run needs\n", l.Cur, need)
	}
}

func run(o options) error {
	senders := 0
	if !o.idle && o.breakouts == 0 {
		senders = max(1, int((o.rate+3.999)/4))
	}
	raiseFileLimit(o.participants + senders + 256)
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("load average at start: %s", load)
	fmt.Printf("liveload %s: participants=%d rate=%g/s duration=%s idle=%v senders=%d sources=%d  %s/%s %s, %d CPUs\n",
		time.Now().UTC().Format(time.RFC3339), o.participants, o.rate, o.duration, o.idle, senders, o.sources,
		runtime.GOOS, runtime.GOARCH, runtime.Version(), runtime.NumCPU())
	d := &dialer{sources: o.sources}
	ctx := context.Background()
	var portalRes, floorRes *result
	var boPortal, boFloor, boDurable, boDatabase *boResult

	// The floor runs first, in its own process, and is stopped before the
	// portal starts: at 5,000 participants a floor measured right after the
	// portal phase (portal still running, this process full of the portal
	// clients' garbage) was slower than the portal itself.
	if !o.skipFloor {
		var err error
		if o.breakouts > 0 {
			if boFloor, err = runFloor(ctx, o, d, senders, "", "", nil); err != nil {
				return err
			}
		} else if floorRes, err = runChatFloor(ctx, o, d, senders); err != nil {
			return err
		}
	}
	// The durable floor is the same server storing each message in a
	// local SQLite file (one insert, one synced commit) before broadcasting
	// it: the floor for traffic that must survive a reload, as the
	// portal's notes and votes must.
	if !o.skipFloor && !o.skipDurable && o.breakouts > 0 {
		tmp, err := os.MkdirTemp("", "liveload-durable")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		stored := func() int64 { return countStored(tmp + "/floor.db") }
		if boDurable, err = runFloor(ctx, o, d, senders, tmp+"/floor.db", "", stored); err != nil {
			return err
		}
	}
	// The database floor is the same server storing each message through
	// an embedded database of the portal's kind (driver, wire protocol,
	// FerretDB, SQLite): what the portal's storage alone costs, without
	// any of its rooms, rights or rendering.
	if !o.skipFloor && !o.skipDBFloor && o.breakouts > 0 {
		tmp, err := os.MkdirTemp("", "liveload-dbfloor")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		stored := func() int64 { return countStoredEmbedded(tmp) }
		if boDatabase, err = runFloor(ctx, o, d, senders, "", tmp, stored); err != nil {
			return err
		}
	}
	if !o.skipPortal {
		tmp, err := os.MkdirTemp("", "liveload")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		bin := o.portalBin
		if bin == "" {
			fmt.Println("building the portal …")
			if bin, err = buildPortal(tmp); err != nil {
				return err
			}
		}
		dataDir := tmp + "/data"
		pprofAddr := ""
		if o.cpuProfile != "" || o.memProfile != "" {
			if pprofAddr, err = freeAddr(); err != nil {
				return err
			}
		}
		p, err := startPortal(bin, dataDir, pprofAddr)
		if err != nil {
			return err
		}
		defer p.close()
		start := time.Now()
		ps, err := makePeople(ctx, dataDir, o.participants)
		if err != nil {
			return fmt.Errorf("participants: %w", err)
		}
		room, err := makeWorkshop(p.base, ps.facilitator)
		if err != nil {
			return fmt.Errorf("workshop: %w", err)
		}
		fmt.Printf("portal %s: %d participants with tokens and workshop %s in %s\n", p.base, o.participants, room, time.Since(start).Round(time.Millisecond))
		t := target{name: "portal", url: strings.Replace(p.base, "http://", "ws://", 1) + "/api/v1/workshops/" + room + "/live",
			token: func(i int) string { return ps.members[i] },
			mem: func() (int64, int64) {
				h, s, _ := goMem(p.base)
				return p.rss(), h + s
			}}
		if o.cpuProfile != "" || o.memProfile != "" {
			t.profile = func(d time.Duration) func() {
				var waits []func()
				if o.cpuProfile != "" {
					waits = append(waits, startProfile(pprofAddr, "profile", "CPU", o.cpuProfile, d))
				}
				if o.memProfile != "" {
					waits = append(waits, startProfile(pprofAddr, "allocs", "allocation", o.memProfile, d))
				}
				return func() {
					for _, w := range waits {
						w()
					}
				}
			}
		}
		if o.breakouts > 0 {
			w0, n0, _ := groupCommit(p.base)
			gc0 := gcCycles(p.base)
			r, err := runBreakouts(ctx, o, d, t, ps.facilitator, true)
			if err != nil {
				return fmt.Errorf("portal: %w; the portal's log ends:\n%s", err, tail(tmp+"/portal.log", 3000))
			}
			fmt.Println(r)
			if w1, n1, largest := groupCommit(p.base); w1 > w0 {
				fmt.Printf("portal group commit: %d commands stored in %d writes (mean %.2f per write, largest %d)\n",
					n1-n0, w1-w0, float64(n1-n0)/float64(w1-w0), largest)
			}
			if h, _, _ := goMem(p.base); h > 0 {
				fmt.Printf("portal garbage collection: %d cycles during the phase; heap in use at its end %.1f MiB\n",
					gcCycles(p.base)-gc0, float64(h)/(1<<20))
			}
			boPortal = r
		} else if r, err := measure(ctx, o, d, t, senders, func(int) string { return ps.facilitator }, true); err != nil {
			return fmt.Errorf("portal: %w; the portal's log ends:\n%s", err, tail(tmp+"/portal.log", 3000))
		} else {
			portalRes = r
		}
	}
	if boPortal != nil && boFloor != nil && boFloor.p99 > 0 {
		fmt.Printf("breakouts: ratio p99(portal)/p99(floor) = %.2f; lost updates %d\n", float64(boPortal.p99)/float64(boFloor.p99), boPortal.lost)
	}
	if boPortal != nil && boDurable != nil && boDurable.p99 > 0 {
		fmt.Printf("breakouts: ratio p99(portal)/p99(durable floor) = %.2f; lost updates %d (targets: ≤ 1.5, 0)\n", float64(boPortal.p99)/float64(boDurable.p99), boPortal.lost)
	}
	if boDatabase != nil && boDurable != nil && boDurable.p99 > 0 {
		fmt.Printf("breakouts: ratio p99(database floor)/p99(durable floor) = %.2f (the storage path alone, no portal)\n", float64(boDatabase.p99)/float64(boDurable.p99))
	}
	if boPortal != nil && boDatabase != nil && boDatabase.p99 > 0 {
		fmt.Printf("breakouts: ratio p99(portal)/p99(database floor) = %.2f\n", float64(boPortal.p99)/float64(boDatabase.p99))
	}
	if !o.idle && portalRes != nil && floorRes != nil && floorRes.P99 > 0 {
		fmt.Printf("ratio p99(portal)/p99(floor) = %.2f  (p50 %.2f, p95 %.2f)\n",
			float64(portalRes.P99)/float64(floorRes.P99), float64(portalRes.P50)/float64(max(1, floorRes.P50)), float64(portalRes.P95)/float64(max(1, floorRes.P95)))
	}
	return nil
}

// runFloor runs the breakout scenario against a floor server in its own
// process (durable when dbPath is set, the database floor when dbDir is),
// stops it, and collects this process's garbage so that the next phase
// does not pay for it.
func runFloor(ctx context.Context, o options, d *dialer, senders int, dbPath, dbDir string, stored func() int64) (*boResult, error) {
	name := "floor"
	if dbPath != "" {
		name = "durable"
	}
	if dbDir != "" {
		name = "db"
	}
	f, err := startFloor(dbPath, dbDir)
	if err != nil {
		return nil, err
	}
	t := target{name: name, url: strings.Replace(f.base, "http://", "ws://", 1) + "/ws",
		mem: func() (int64, int64) { return f.rss(), floorMem(f.base) }}
	r, err := runBreakouts(ctx, o, d, t, "", false)
	f.close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	fmt.Println(r)
	if stored != nil {
		fmt.Printf("%-6s stored %d messages\n", name, stored())
	}
	runtime.GC()
	debug.FreeOSMemory()
	return r, nil
}

// runChatFloor is the chat scenario's floor phase.
func runChatFloor(ctx context.Context, o options, d *dialer, senders int) (*result, error) {
	f, err := startFloor("", "")
	if err != nil {
		return nil, err
	}
	t := target{name: "floor", url: strings.Replace(f.base, "http://", "ws://", 1) + "/ws",
		mem: func() (int64, int64) { return f.rss(), floorMem(f.base) }}
	r, err := measure(ctx, o, d, t, senders, nil, false)
	f.close()
	if err != nil {
		return nil, fmt.Errorf("floor: %w", err)
	}
	runtime.GC()
	debug.FreeOSMemory()
	return r, nil
}

// countStored counts the durable floor's stored messages after it stopped.
func countStored(path string) int64 {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return -1
	}
	defer db.Close()
	var n int64
	if db.QueryRow(`SELECT count(*) FROM events`).Scan(&n) != nil {
		return -1
	}
	return n
}

func floorMem(base string) int64 {
	res, err := http.Get(base + "/mem")
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	var m map[string]int64
	_ = json.NewDecoder(res.Body).Decode(&m)
	return m["heap_inuse"] + m["stack_inuse"]
}

// measure connects the clients to one target and runs the idle or the chat
// scenario on it.
func measure(ctx context.Context, o options, d *dialer, t target, senders int, senderToken func(int) string, greets bool) (*result, error) {
	frames.Store(0)
	time.Sleep(time.Second)
	rss0, go0 := t.mem()
	start := time.Now()
	recv, err := connect(ctx, d, t, o.participants, true, greets)
	if err != nil {
		return nil, err
	}
	defer closeAll(recv)
	fmt.Printf("%-6s %d clients connected in %s", t.name, o.participants, time.Since(start).Round(time.Millisecond))
	waited := settle(2*time.Second, o.settleLimit)
	fmt.Printf("; joining traffic settled after %s (%d frames)\n", waited.Round(time.Millisecond), frames.Load())
	if o.idle {
		// Go collects at least every two minutes and returns freed memory
		// to the system in the background: wait past that, so the figure
		// is what the idle connections hold, not the garbage of joining.
		fmt.Printf("%-6s waiting %s before measuring memory\n", t.name, o.idleWait)
		time.Sleep(o.idleWait)
		rss1, go1 := t.mem()
		n := float64(o.participants)
		fmt.Printf("%-6s idle: server RSS %.1f → %.1f MiB: %.1f KiB per connection; Go heap+stacks %.1f → %.1f MiB: %.1f KiB per connection; ended early: %d\n",
			t.name, mib(rss0), mib(rss1), float64(rss1-rss0)/1024/n, mib(go0), mib(go1), float64(go1-go0)/1024/n, countEnded(recv))
		return &result{Name: t.name}, nil
	}
	st := senderToken
	if st == nil {
		st = func(int) string { return "" }
	}
	send, err := connect(ctx, d, target{name: t.name, url: t.url, token: st}, senders, false, greets)
	if err != nil {
		return nil, fmt.Errorf("sender: %w", err)
	}
	defer closeAll(send)
	settle(time.Second, 30*time.Second)

	// The sender: message i goes at start + i/rate on socket i mod senders.
	total := int(o.rate * o.duration.Seconds())
	interval := time.Duration(float64(time.Second) / o.rate)
	begin := time.Now()
	if t.profile != nil {
		defer t.profile(o.duration)()
	}
	for i := 0; i < total; i++ {
		if wait := time.Until(begin.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		c := send[i%senders]
		msg, _ := json.Marshal(map[string]any{"type": "chat", "text": chatText(i, time.Now()), "key": fmt.Sprintf("lb-%d", i)})
		if err := c.ws.WriteMessage(websocket.TextMessage, msg); err != nil {
			return nil, fmt.Errorf("send %d: %w", i, err)
		}
	}
	sendFor := time.Since(begin)
	// Wait for the last deliveries: until everyone has everything, or
	// nothing arrived for 5 s.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		done := true
		for _, c := range recv {
			if c.rec.count(total) < total {
				select {
				case <-c.ended:
				default:
					done = false
				}
			}
			if !done {
				break
			}
		}
		if done {
			break
		}
		before := frames.Load()
		time.Sleep(500 * time.Millisecond)
		if frames.Load() == before && time.Since(begin) > o.duration+5*time.Second {
			break
		}
	}
	rs := make([]*receiver, len(recv))
	for i, c := range recv {
		rs[i] = c.rec
	}
	res := summarise(t.name, rs, total, sendFor, countEnded(recv))
	fmt.Println(res)
	for _, c := range send {
		c.mu.Lock()
		if len(c.errs) > 0 {
			fmt.Printf("%-6s sender socket got %d error frames, first: %s\n", t.name, len(c.errs), c.errs[0])
		}
		c.mu.Unlock()
	}
	return &res, nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// tail returns the end of a file.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
