package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// The breakout scenario (-breakouts G): a facilitator opens a poll and
// starts G random breakout groups of participants/G people; every
// participant then inserts fragments into its group's shared notes at a
// steady rate (-note-rate inserts a second in all) and votes once.
// Each fragment carries its sender, number and send time; every member of
// the group records when it arrives (delivery latency). Afterwards a fresh
// facilitator snapshot gives each group's final document, where every
// fragment the server accepted must be present exactly once (lost updates).
// The floor gets the same clients, groups and schedule: its hub forwards
// each fragment to the sender's group, votes to everyone.

var fragRe = regexp.MustCompile(`\[n (\d+) (\d+) (\d+)\]`)

func fragment(client, k int, at time.Time) string {
	return "[n " + strconv.Itoa(client) + " " + strconv.Itoa(k) + " " + strconv.FormatInt(at.UnixNano(), 10) + "]"
}

// boFrame is the part of the portal's (and the floor's) frames the
// scenario reads.
type boFrame struct {
	Type string `json:"type"`
	Seq  int64  `json:"seq"`
	You  struct {
		ID string `json:"id"`
	} `json:"you"`
	Breakouts struct {
		Groups []struct {
			ID      string `json:"id"`
			Members []struct {
				ID string `json:"id"`
			} `json:"members"`
		} `json:"groups"`
	} `json:"breakouts"`
	Doc   string                      `json:"doc"`
	Rev   int64                       `json:"rev"`
	Ops   []json.RawMessage           `json:"ops"`
	Poll  *struct{ ID, State string } `json:"poll"`
	Code  string                      `json:"code"`
	Ref   string                      `json:"ref"`
	State struct {
		Notes map[string]struct {
			Text string `json:"text"`
		} `json:"notes"`
	} `json:"state"`
}

// boClient is one participant in the breakout scenario.
type boClient struct {
	i     int
	ws    *websocket.Conn
	mu    sync.Mutex
	wmu   sync.Mutex
	me    string
	group string
	rev   int64
	len   int
	poll  string
	lat   []int64 // microseconds, fragments of others
	sent  []string
	ref   map[string]bool // keys refused with an error frame
	codes map[string]int
	ready chan struct{}
	done  chan struct{}
}

func (c *boClient) write(v any) error {
	b, _ := json.Marshal(v)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

func (c *boClient) read(portal bool) {
	defer close(c.done)
	readyOnce := sync.OnceFunc(func() { close(c.ready) })
	if !portal {
		readyOnce()
	}
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		now := time.Now()
		frames.Add(1)
		var f boFrame
		if json.Unmarshal(b, &f) != nil {
			continue
		}
		c.mu.Lock()
		switch f.Type {
		case "welcome":
			c.me = f.You.ID
		case "breakout.start":
			for _, g := range f.Breakouts.Groups {
				for _, m := range g.Members {
					if m.ID == c.me {
						c.group = g.ID
					}
				}
			}
			readyOnce()
		case "poll":
			if f.Poll != nil && f.Poll.State == "open" {
				c.poll = f.Poll.ID
			}
		case "error":
			c.ref[f.Ref] = true
			c.codes[f.Code]++
		case "notes.op":
			if f.Doc != c.group {
				break
			}
			if f.Rev > c.rev {
				c.rev = f.Rev
				n := 0
				for _, o := range f.Ops {
					if len(o) > 0 && o[0] == '"' {
						var s string
						_ = json.Unmarshal(o, &s)
						n += len(s) // fragments are ASCII: bytes are UTF-16 units
					} else if v, _ := strconv.Atoi(string(o)); v > 0 {
						n += v
					}
				}
				c.len = n
			}
			for _, o := range f.Ops {
				if len(o) == 0 || o[0] != '"' {
					continue
				}
				for _, m := range fragRe.FindAllStringSubmatch(string(o), -1) {
					if from, _ := strconv.Atoi(m[1]); from != c.i {
						sent, _ := strconv.ParseInt(m[3], 10, 64)
						c.lat = append(c.lat, now.Sub(time.Unix(0, sent)).Microseconds())
					}
				}
			}
		}
		c.mu.Unlock()
	}
}

type boResult struct {
	name                string
	p50, p95, p99, max  time.Duration
	deliveries          int
	sent, refused, lost int
	duplicated          int
	frames              int64 // frames the clients received while typing and voting
	codes               map[string]int
}

func (r boResult) String() string {
	s := fmt.Sprintf("%-6s breakouts: fragments sent=%d refused=%d deliveries to group members=%d frames received=%d latency p50=%s p95=%s p99=%s max=%s",
		r.name, r.sent, r.refused, r.deliveries, r.frames, ms(r.p50), ms(r.p95), ms(r.p99), ms(r.max))
	if r.name == "portal" {
		s += fmt.Sprintf("  lost updates=%d duplicated=%d", r.lost, r.duplicated)
	}
	if len(r.codes) > 0 {
		s += fmt.Sprintf("  error frames=%v", r.codes)
	}
	return s
}

// runBreakouts runs the scenario against one target. fac is the
// facilitator's token (portal) or "" (floor).
func runBreakouts(ctx context.Context, o options, d *dialer, t target, fac string, portal bool) (*boResult, error) {
	frames.Store(0)
	n, groups := o.participants, o.breakouts
	size := max(1, n/groups)
	cs := make([]*boClient, n)
	start := time.Now()
	err := dialAll(ctx, d, t, n, func(i int, ws *websocket.Conn, _ time.Duration) error {
		c := &boClient{i: i, ws: ws, ref: map[string]bool{}, codes: map[string]int{}, ready: make(chan struct{}), done: make(chan struct{})}
		cs[i] = c
		go c.read(portal)
		return nil
	})
	defer func() {
		for _, c := range cs {
			if c != nil {
				_ = c.ws.Close()
			}
		}
	}()
	if err != nil {
		return nil, err
	}
	fmt.Printf("%-6s %d clients connected in %s", t.name, n, time.Since(start).Round(time.Millisecond))
	waited := settle(2*time.Second, o.settleLimit)
	fmt.Printf("; joining traffic settled after %s\n", waited.Round(time.Millisecond))

	var facWS *websocket.Conn
	if portal {
		var err error
		facWS, err = d.dial(ctx, t.url, fac)
		if err != nil {
			return nil, fmt.Errorf("facilitator: %w", err)
		}
		defer facWS.Close()
		facFrames := make(chan boFrame, 1<<16)
		go func() {
			defer close(facFrames)
			for {
				_, b, err := facWS.ReadMessage()
				if err != nil {
					return
				}
				var f boFrame
				if json.Unmarshal(b, &f) == nil && (f.Type == "poll" || f.Type == "breakout.start" || f.Type == "error") {
					facFrames <- f
				}
			}
		}()
		await := func(typ string) (boFrame, error) {
			timeout := time.After(60 * time.Second)
			for {
				select {
				case f, ok := <-facFrames:
					if !ok {
						return f, fmt.Errorf("facilitator socket ended waiting for %s", typ)
					}
					if f.Type == "error" {
						return f, fmt.Errorf("facilitator got error %s", f.Code)
					}
					if f.Type == typ {
						return f, nil
					}
				case <-timeout:
					return boFrame{}, fmt.Errorf("facilitator: no %s frame", typ)
				}
			}
		}
		send := func(v any) { b, _ := json.Marshal(v); _ = facWS.WriteMessage(websocket.TextMessage, b) }
		send(map[string]any{"type": "poll.create", "question": "Which option?", "options": []string{"A", "B", "C"}, "key": "bo-poll"})
		f, err := await("poll")
		if err != nil {
			return nil, err
		}
		send(map[string]any{"type": "poll.open", "poll": f.Poll.ID, "key": "bo-open"})
		if _, err := await("poll"); err != nil {
			return nil, err
		}
		send(map[string]any{"type": "breakout.start", "mode": "random", "size": size, "key": "bo-start"})
		if _, err := await("breakout.start"); err != nil {
			return nil, err
		}
	} else {
		for _, c := range cs {
			c.group = "g" + strconv.Itoa(c.i%groups+1)
			if err := c.write(map[string]any{"type": "join", "group": c.group}); err != nil {
				return nil, err
			}
		}
		time.Sleep(time.Second) // the floor's hub registers the groups
	}
	for _, c := range cs {
		select {
		case <-c.ready:
		case <-time.After(60 * time.Second):
			return nil, fmt.Errorf("client %d: no breakout.start", c.i)
		}
	}
	settle(time.Second, 30*time.Second)

	// Every client inserts at a steady rate, with a random phase, and
	// votes once at a random moment.
	every := time.Duration(float64(time.Second) * float64(n) / o.noteRate)
	rounds := int(o.duration / every)
	if t.profile != nil {
		defer t.profile(o.duration)()
	}
	begin := time.Now()
	frames0 := frames.Load()
	var swg sync.WaitGroup
	for _, c := range cs {
		swg.Add(1)
		go func(c *boClient) {
			defer swg.Done()
			r := rand.New(rand.NewPCG(uint64(c.i), 1))
			phase := time.Duration(r.Int64N(int64(every)))
			voteAt := r.IntN(max(1, rounds))
			for k := 0; k < rounds; k++ {
				time.Sleep(time.Until(begin.Add(phase + time.Duration(k)*every)))
				c.mu.Lock()
				frag := fragment(c.i, k, time.Now())
				ops := []any{frag}
				if c.len > 0 {
					ops = append(ops, c.len)
				}
				key := "n" + strconv.Itoa(c.i) + "-" + strconv.Itoa(k)
				frame := map[string]any{"type": "notes.op", "doc": c.group, "rev": c.rev, "ops": ops, "key": key, "group": c.group, "text": frag}
				c.sent = append(c.sent, key+" "+frag)
				poll := c.poll
				c.mu.Unlock()
				if c.write(frame) != nil {
					return
				}
				if k == voteAt {
					if portal && poll != "" {
						_ = c.write(map[string]any{"type": "vote", "poll": poll, "choices": []int{r.IntN(3)}, "key": "v" + strconv.Itoa(c.i)})
					} else if !portal {
						_ = c.write(map[string]any{"type": "vote", "text": strconv.Itoa(r.IntN(3))})
					}
				}
			}
		}(c)
	}
	swg.Wait()
	settle(3*time.Second, 60*time.Second)

	res := &boResult{name: t.name, codes: map[string]int{}, frames: frames.Load() - frames0}
	var all []int64
	sentIn := map[string][]string{} // group -> fragments accepted
	for _, c := range cs {
		c.mu.Lock()
		all = append(all, c.lat...)
		for _, s := range c.sent {
			key, frag, _ := strings.Cut(s, " ")
			res.sent++
			if c.ref[key] {
				res.refused++
				continue
			}
			sentIn[c.group] = append(sentIn[c.group], frag)
		}
		for k, v := range c.codes {
			res.codes[k] += v
		}
		c.mu.Unlock()
	}
	res.deliveries = len(all)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	q := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return time.Duration(all[max(0, min(len(all)-1, int(p*float64(len(all))+0.5)-1))]) * time.Microsecond
	}
	res.p50, res.p95, res.p99 = q(.5), q(.95), q(.99)
	if len(all) > 0 {
		res.max = time.Duration(all[len(all)-1]) * time.Microsecond
	}
	if portal {
		// A fresh snapshot: the documents as the room holds them now.
		ws, err := d.dial(ctx, t.url, fac)
		if err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
		defer ws.Close()
		_ = ws.SetReadDeadline(time.Now().Add(60 * time.Second))
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return nil, fmt.Errorf("snapshot: %w", err)
			}
			var f boFrame
			if json.Unmarshal(b, &f) != nil || f.Type != "snapshot" {
				continue
			}
			for g, frags := range sentIn {
				text := f.State.Notes[g].Text
				for _, fr := range frags {
					switch strings.Count(text, fr) {
					case 0:
						res.lost++
					case 1:
					default:
						res.duplicated++
					}
				}
			}
			break
		}
	}
	return res, nil
}
