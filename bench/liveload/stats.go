package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The chat text the sender posts: a marker, the message number and the
// send time in Unix nanoseconds. Receivers find both in the text, which
// the portal carries verbatim.
const marker = "lb"

func chatText(id int, at time.Time) string {
	return marker + " " + strconv.Itoa(id) + " " + strconv.FormatInt(at.UnixNano(), 10)
}

func parseChatText(s string) (id int, sent int64, ok bool) {
	f := strings.Fields(s)
	if len(f) != 3 || f[0] != marker {
		return 0, 0, false
	}
	id, err1 := strconv.Atoi(f[1])
	sent, err2 := strconv.ParseInt(f[2], 10, 64)
	return id, sent, err1 == nil && err2 == nil
}

// chatFrame is the part of a chat frame the receivers read; the portal and
// the floor server both send it (the portal with more fields).
type chatFrame struct {
	Type string `json:"type"`
	Seq  int64  `json:"seq"`
	Text string `json:"text"`
}

var chatTypeKey = []byte(`"type":"chat"`)

// receiver is one measured connection: what it got, by message number.
type receiver struct {
	mu       sync.Mutex
	got      map[int]int // message number -> times received
	lat      []int64     // delivery latencies, microseconds
	lastSeq  int64
	disorder int // seq not above the previous one
}

func newReceiver() *receiver { return &receiver{got: map[int]int{}} }

// frame takes one text frame; it reports whether it was a chat frame.
func (r *receiver) frame(b []byte, now time.Time) bool {
	if !bytes.Contains(b, chatTypeKey) {
		return false
	}
	var f chatFrame
	if json.Unmarshal(b, &f) != nil || f.Type != "chat" {
		return false
	}
	id, sent, ok := parseChatText(f.Text)
	if !ok {
		return false
	}
	r.mu.Lock()
	r.got[id]++
	if r.got[id] == 1 {
		r.lat = append(r.lat, now.Sub(time.Unix(0, sent)).Microseconds())
	}
	if f.Seq <= r.lastSeq {
		r.disorder++
	}
	r.lastSeq = f.Seq
	r.mu.Unlock()
	return true
}

func (r *receiver) count(sent int) (unique int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id := range r.got {
		if id < sent {
			unique++
		}
	}
	return unique
}

// result is one server's figures for one run.
type result struct {
	Name          string
	Clients       int
	Sent          int
	Expected      int // Sent × receivers
	Delivered     int // first deliveries
	Lost          int
	Duplicated    int
	Disordered    int
	Disconnected  int64
	P50, P95, P99 time.Duration
	Max           time.Duration
	PerSec        float64 // deliveries per second over the sending time
	SendFor       time.Duration
}

func summarise(name string, rs []*receiver, sent int, sendFor time.Duration, disconnected int64) result {
	res := result{Name: name, Clients: len(rs), Sent: sent, Expected: sent * len(rs), SendFor: sendFor, Disconnected: disconnected}
	var all []int64
	for _, r := range rs {
		r.mu.Lock()
		for id, n := range r.got {
			if id >= sent {
				continue
			}
			res.Delivered++
			res.Duplicated += n - 1
		}
		res.Disordered += r.disorder
		all = append(all, r.lat...)
		r.mu.Unlock()
	}
	res.Lost = res.Expected - res.Delivered
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	q := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		i := int(p*float64(len(all))+0.5) - 1
		i = max(0, min(i, len(all)-1))
		return time.Duration(all[i]) * time.Microsecond
	}
	res.P50, res.P95, res.P99 = q(0.50), q(0.95), q(0.99)
	if len(all) > 0 {
		res.Max = time.Duration(all[len(all)-1]) * time.Microsecond
	}
	if sendFor > 0 {
		res.PerSec = float64(res.Delivered) / sendFor.Seconds()
	}
	return res
}

func (r result) String() string {
	return fmt.Sprintf("%-6s clients=%d sent=%d delivered=%d/%d lost=%d duplicated=%d out-of-order=%d disconnected=%d  latency p50=%s p95=%s p99=%s max=%s  deliveries/s=%.0f",
		r.Name, r.Clients, r.Sent, r.Delivered, r.Expected, r.Lost, r.Duplicated, r.Disordered, r.Disconnected,
		ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max), r.PerSec)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
