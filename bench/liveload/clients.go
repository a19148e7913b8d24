package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// target is a server under measurement: where its room is and how to
// authenticate.
type target struct {
	name  string
	url   string                // ws:// URL of the room
	token func(i int) string    // bearer token of receiver i ("" for none)
	mem   func() (int64, int64) // RSS and Go heap+stack in use, bytes
	// profile, when set, records the server's profiles for d in the
	// background; wait for the returned function before the server stops.
	profile func(d time.Duration) (wait func())
}

// startProfile records d of one of the portal's profiles (kind: profile
// for CPU; allocs for what it allocated meanwhile, as a delta) from its
// profiler address (PORTAL_PPROF_ADDR) into file.
func startProfile(addr, kind, what, file string, d time.Duration) func() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", addr, kind, max(1, int(d.Seconds()))))
		if err != nil {
			fmt.Fprintln(os.Stderr, "liveload: profile:", err)
			return
		}
		defer res.Body.Close()
		f, err := os.Create(file)
		if err == nil {
			_, err = io.Copy(f, res.Body)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "liveload: profile:", err)
			return
		}
		fmt.Printf("portal %s profile of %s written to %s (go tool pprof %s)\n", what, d, file, file)
	}()
	return func() { <-done }
}

// dialer spreads connections over loopback source addresses 127.0.0.1 …
// 127.0.0.<sources>, each with its own ephemeral ports.
type dialer struct {
	sources int
	next    atomic.Uint64
}

func (d *dialer) dial(ctx context.Context, rawURL, token string) (*websocket.Conn, error) {
	src := int(d.next.Add(1) % uint64(max(1, d.sources)))
	nd := &net.Dialer{Timeout: 30 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+src))}}
	wd := websocket.Dialer{NetDialContext: nd.DialContext, HandshakeTimeout: 60 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	ws, res, err := wd.DialContext(ctx, rawURL, h)
	if err != nil {
		if res != nil {
			return nil, fmt.Errorf("%v (HTTP %s)", err, res.Status)
		}
		return nil, err
	}
	return ws, nil
}

// conn is one client connection and its reader.
type conn struct {
	ws    *websocket.Conn
	rec   *receiver // nil for sender sockets
	ready chan struct{}
	ended chan struct{}
	errs  []string // error frames (sender sockets)
	mu    sync.Mutex
}

// frames counts every frame the tool's clients received, to see when the
// joining flood (welcomes, presence) has settled.
var frames atomic.Int64

// retries counts handshakes tried again after a 503.
var retries atomic.Int64

// handshakes is how many connections are opened at once (-handshakes).
var handshakes = 64

// connect opens n connections with up to 64 handshakes at a time. Each
// connection reads until it ends; it is ready once it got its first frame
// (the portal's welcome) or, for servers that greet nobody, at once.
func connect(ctx context.Context, d *dialer, t target, n int, measured, greets bool) ([]*conn, error) {
	conns := make([]*conn, n)
	hs, wel := make([]time.Duration, n), make([]time.Duration, n)
	defer func() {
		if greets && n >= 100 {
			fmt.Printf("%-6s connecting: handshake %s, welcome after it %s; handshakes retried after a 503: %d\n", t.name, spread(hs), spread(wel), retries.Load())
		}
	}()
	err := dialAll(ctx, d, t, n, func(i int, ws *websocket.Conn, handshake time.Duration) error {
		hs[i] = handshake
		w0 := time.Now()
		c := &conn{ws: ws, ready: make(chan struct{}), ended: make(chan struct{})}
		if measured {
			c.rec = newReceiver()
		}
		if !greets {
			close(c.ready)
		}
		conns[i] = c
		go c.read(greets)
		select {
		case <-c.ready:
			wel[i] = time.Since(w0)
			return nil
		case <-c.ended:
			return fmt.Errorf("connection %d ended before its welcome", i)
		case <-time.After(60 * time.Second):
			return fmt.Errorf("connection %d: no welcome within 60s", i)
		}
	})
	if err != nil {
		closeAll(conns)
		return nil, err
	}
	return conns, nil
}

// dialAll opens n connections to t, -handshakes at a time, retrying a
// handshake answered 503 as the browser client does, and passes each open
// socket to opened (from several goroutines at once). It stops opening at
// the first failure and returns it.
func dialAll(ctx context.Context, d *dialer, t target, n int, opened func(i int, ws *websocket.Conn, handshake time.Duration) error) error {
	var wg sync.WaitGroup
	var firstErr atomic.Value
	sem := make(chan struct{}, handshakes)
	for i := 0; i < n && firstErr.Load() == nil; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			tok := ""
			if t.token != nil {
				tok = t.token(i)
			}
			t0 := time.Now()
			ws, err := d.dial(ctx, t.url, tok)
			// A busy embedded database may answer a handshake with 503
			// (its lookups time out); the browser client reconnects with
			// backoff, and so does this one, a few times.
			for try := 1; err != nil && try <= 10 && strings.Contains(err.Error(), "503"); try++ {
				retries.Add(1)
				time.Sleep(time.Duration(min(try, 6)) * 500 * time.Millisecond)
				ws, err = d.dial(ctx, t.url, tok)
			}
			if err != nil {
				err = fmt.Errorf("connection %d: %w", i, err)
			} else {
				err = opened(i, ws, time.Since(t0))
			}
			if err != nil {
				firstErr.CompareAndSwap(nil, err)
			}
		}(i)
	}
	wg.Wait()
	err, _ := firstErr.Load().(error)
	return err
}

func (c *conn) read(greets bool) {
	defer close(c.ended)
	first := greets
	// Chat frames are short; anything longer than buf (welcomes and
	// presence lists in a large room) is skipped without being kept.
	buf := make([]byte, 4096)
	for {
		_, r, err := c.ws.NextReader()
		if err != nil {
			return
		}
		n, err := io.ReadFull(r, buf)
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF: // the whole frame
		case err == nil: // longer than buf
			if _, err := io.Copy(io.Discard, r); err != nil {
				return
			}
			n = 0
		default:
			return
		}
		b := buf[:n]
		now := time.Now()
		frames.Add(1)
		if first {
			first = false
			close(c.ready)
		}
		if c.rec != nil {
			c.rec.frame(b, now)
		} else if strings.Contains(string(b), `"type":"error"`) {
			c.mu.Lock()
			c.errs = append(c.errs, string(b))
			c.mu.Unlock()
		}
	}
}

func closeAll(cs []*conn) {
	for _, c := range cs {
		if c != nil {
			_ = c.ws.Close()
		}
	}
	for _, c := range cs {
		if c != nil {
			<-c.ended
		}
	}
}

func countEnded(cs []*conn) (n int64) {
	for _, c := range cs {
		select {
		case <-c.ended:
			n++
		default:
		}
	}
	return n
}

// settle waits until no frame arrived for quiet, at most limit.
func settle(quiet, limit time.Duration) time.Duration {
	start := time.Now()
	last, lastAt := frames.Load(), time.Now()
	for time.Since(start) < limit {
		time.Sleep(100 * time.Millisecond)
		if n := frames.Load(); n != last {
			last, lastAt = n, time.Now()
		} else if time.Since(lastAt) >= quiet {
			break
		}
	}
	return time.Since(start)
}

// spread summarises durations: median of the first tenth, of all, of the
// last tenth, and the longest.
func spread(ds []time.Duration) string {
	med := func(x []time.Duration) time.Duration {
		y := append([]time.Duration(nil), x...)
		sort.Slice(y, func(i, j int) bool { return y[i] < y[j] })
		return y[len(y)/2]
	}
	k := max(1, len(ds)/10)
	all := med(ds)
	longest := time.Duration(0)
	for _, d := range ds {
		longest = max(longest, d)
	}
	return fmt.Sprintf("median first 10%% %s, all %s, last 10%% %s, max %s", ms(med(ds[:k])), ms(all), ms(med(ds[len(ds)-k:])), ms(longest))
}
