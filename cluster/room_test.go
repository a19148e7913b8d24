package cluster

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/circularfairict/portal/auth"
)

// newWorkshop makes a workshop whose room is open now, through the API as
// its facilitator, and returns its id.
func (c *cluster) newWorkshop(title string) string {
	c.t.Helper()
	fac := c.signIn(c.member("Fiona Facilitator", auth.RoleFacilitator))
	now := time.Now().UTC()
	var w struct {
		ID string `json:"id"`
	}
	res, err := fac.json("POST", "/api/v1/workshops", map[string]any{
		"title": title, "starts_at": now.Add(-10 * time.Minute).Format(time.RFC3339),
		"ends_at": now.Add(2 * time.Hour).Format(time.RFC3339), "capacity": 100,
		"agenda": []map[string]any{{"title": "Cases", "minutes": 120}}}, &w)
	if err != nil || res.StatusCode != http.StatusCreated || w.ID == "" {
		c.t.Fatalf("create workshop: %v %v", res, err)
	}
	return w.ID
}

// event is a durable frame as one client saw it.
type event struct {
	Seq  int64  `json:"seq"`
	Type string `json:"type"`
	Text string `json:"text"`
}

// roomClient is one member's connection to a room through the proxy. It
// keeps every durable frame it got after its first snapshot, in order, and
// reconnects with last_seq as the protocol asks.
type roomClient struct {
	t        *testing.T
	cl       *client
	workshop string
	name     string

	mu       sync.Mutex
	ws       *websocket.Conn
	instance string // the replica holding the socket
	lastSeq  int64
	events   []event
	acks     map[string]int64
	dups     int
	reconns  int
	closed   chan struct{} // closed when the current socket's reader ends
	problems []string
}

// join connects; it retries while the proxy has no replica for it (one is
// restarting).
func (cl *client) join(t *testing.T, workshop, name string) *roomClient {
	rc := &roomClient{t: t, cl: cl, workshop: workshop, name: name, acks: map[string]int64{}, lastSeq: -1}
	if err := rc.connect(); err != nil {
		t.Fatalf("%s joins: %v", name, err)
	}
	// The room's stream starts at the member's snapshot: wait for it, so
	// that what others say next reaches this member as events (on a busy
	// machine a snapshot could otherwise come after the first messages,
	// which it then holds as history rather than as events).
	deadline := time.Now().Add(30 * time.Second)
	for {
		rc.mu.Lock()
		got := rc.lastSeq >= 0
		rc.mu.Unlock()
		if got {
			return rc
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s joins: no snapshot within 30 s", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (rc *roomClient) connect() error {
	u, _ := url.Parse(rc.cl.c.proxy)
	var cookies []string
	for _, ck := range rc.cl.http.Jar.Cookies(u) {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	hdr := http.Header{"Cookie": {strings.Join(cookies, "; ")}, "Origin": {rc.cl.c.proxy}}
	rc.mu.Lock()
	q := ""
	if rc.lastSeq >= 0 {
		q = "?last_seq=" + strconv.FormatInt(rc.lastSeq, 10)
	}
	rc.mu.Unlock()
	var lastErr error
	for try := 0; try < 100; try++ {
		ws, res, err := websocket.DefaultDialer.Dial("ws://"+u.Host+"/api/v1/workshops/"+rc.workshop+"/live"+q, hdr)
		if err == nil {
			rc.mu.Lock()
			rc.ws, rc.instance, rc.closed = ws, res.Header.Get("X-Portal-Instance"), make(chan struct{})
			if rc.lastSeq >= 0 {
				rc.reconns++
			}
			closed := rc.closed
			rc.mu.Unlock()
			go rc.read(ws, closed)
			return nil
		}
		lastErr = err
		if res != nil && res.StatusCode != http.StatusBadGateway && res.StatusCode != http.StatusServiceUnavailable {
			return fmt.Errorf("dial: %v (status %d)", err, res.StatusCode)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return lastErr
}

func (rc *roomClient) read(ws *websocket.Conn, closed chan struct{}) {
	defer close(closed)
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var f struct {
			Type      string `json:"type"`
			Seq       int64  `json:"seq"`
			Text      string `json:"text"`
			Key       string `json:"key"`
			Code      string `json:"code"`
			Duplicate bool   `json:"duplicate"`
			RoomSeq   int64  `json:"room_seq"`
			Replay    string `json:"replay"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			rc.problem("bad frame %s", b)
			continue
		}
		rc.mu.Lock()
		switch {
		case f.Type == "ack":
			if f.Duplicate {
				rc.dups++
			}
			rc.acks[f.Key] = f.Seq
		case f.Type == "error":
			if f.Code != "shutdown" {
				rc.problems = append(rc.problems, "error "+f.Code+" on "+rc.instance)
			}
		case f.Type == "welcome" && f.Replay == "snapshot" && rc.lastSeq >= 0:
			rc.problems = append(rc.problems, "a reconnect got a snapshot, not the events it missed")
		case f.Type == "snapshot":
			if rc.lastSeq < 0 {
				rc.lastSeq = f.Seq
			}
		case f.Seq > 0:
			switch {
			case rc.lastSeq < 0:
				rc.problems = append(rc.problems, fmt.Sprintf("event %d before the snapshot", f.Seq))
			case f.Seq != rc.lastSeq+1:
				// Replays and live events must continue the stream exactly:
				// a gap is a lost event, a repeat a doubled one.
				rc.problems = append(rc.problems, fmt.Sprintf("on %s, seq %d after %d", rc.instance, f.Seq, rc.lastSeq))
				if f.Seq > rc.lastSeq {
					rc.lastSeq = f.Seq
				}
			default:
				rc.lastSeq = f.Seq
				rc.events = append(rc.events, event{Seq: f.Seq, Type: f.Type, Text: f.Text})
			}
		}
		rc.mu.Unlock()
	}
}

func (rc *roomClient) problem(format string, args ...any) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.problems = append(rc.problems, fmt.Sprintf(format, args...))
}

// say sends a chat message whose key and text are both key; a write to a
// socket that is going away is left for resend.
func (rc *roomClient) say(key string) {
	rc.mu.Lock()
	ws := rc.ws
	rc.mu.Unlock()
	_ = ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_ = ws.WriteJSON(map[string]string{"type": "chat", "key": key, "text": key})
}

// acked reports whether the server acknowledged key.
func (rc *roomClient) acked(key string) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	_, ok := rc.acks[key]
	return ok
}

// ensure reconnects when the socket closed, then resends every key not yet
// acknowledged, as a client must; it returns when all are acknowledged.
func (rc *roomClient) ensure(keys []string, within time.Duration) {
	rc.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-rc.closed:
			if err := rc.connect(); err != nil {
				rc.t.Fatalf("%s reconnects: %v", rc.name, err)
			}
		default:
		}
		missing := 0
		for _, k := range keys {
			if !rc.acked(k) {
				missing++
				rc.say(k)
				time.Sleep(220 * time.Millisecond) // the room allows about 5 frames a second
			}
		}
		if missing == 0 {
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
	rc.t.Fatalf("%s: keys not acknowledged within %s", rc.name, within)
}

// waitSeq waits until the client has seen the room up to seq.
func (rc *roomClient) waitSeq(seq int64, within time.Duration) {
	rc.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		rc.mu.Lock()
		last := rc.lastSeq
		closed := rc.closed
		rc.mu.Unlock()
		if last >= seq {
			return
		}
		select {
		case <-closed:
			if err := rc.connect(); err != nil {
				rc.t.Fatalf("%s reconnects: %v", rc.name, err)
			}
		case <-time.After(50 * time.Millisecond):
		}
	}
	rc.t.Fatalf("%s saw the room up to seq %d, not %d", rc.name, rc.lastSeq, seq)
}

func (rc *roomClient) close() {
	rc.mu.Lock()
	ws := rc.ws
	rc.mu.Unlock()
	_ = ws.Close()
}

// joinBoth signs in n members and connects them until both replicas hold
// some of the sockets.
func (c *cluster) joinBoth(workshop string, n int) []*roomClient {
	c.t.Helper()
	var rcs []*roomClient
	on := map[string]int{}
	for i := 0; i < n || on["portal-a"] == 0 || on["portal-b"] == 0; i++ {
		if i > n+6 {
			c.t.Fatalf("sockets not spread over both replicas: %v", on)
		}
		name := fmt.Sprintf("Member %c%d", 'A'+i%26, i)
		rc := c.signIn(c.member(name, auth.RoleMember)).join(c.t, workshop, name)
		on[rc.instance]++
		rcs = append(rcs, rc)
	}
	return rcs
}

// sameStream checks that every client saw the same events, in the same
// order, from the latest first snapshot on, and each key exactly once.
func sameStream(t *testing.T, rcs []*roomClient, keys []string) {
	t.Helper()
	var from int64
	for _, rc := range rcs {
		rc.mu.Lock()
		if len(rc.problems) > 0 {
			t.Errorf("%s: %v", rc.name, rc.problems)
		}
		if len(rc.events) > 0 && rc.events[0].Seq > from {
			from = rc.events[0].Seq
		}
		rc.mu.Unlock()
	}
	var ref []event
	for i, rc := range rcs {
		rc.mu.Lock()
		var got []event
		for _, e := range rc.events {
			if e.Seq >= from {
				got = append(got, e)
			}
		}
		rc.mu.Unlock()
		if i == 0 {
			ref = got
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(ref) {
			t.Fatalf("%s saw another order than %s:\n%v\n%v", rc.name, rcs[0].name, got, ref)
		}
	}
	count := map[string]int{}
	for _, e := range ref {
		if e.Type == "chat" {
			count[e.Text]++
		}
	}
	for _, k := range keys {
		if count[k] != 1 {
			t.Errorf("message %s appears %d times in the room", k, count[k])
		}
	}
}

// maxAck is the highest seq acknowledged to any client.
func maxAck(rcs []*roomClient) int64 {
	var m int64
	for _, rc := range rcs {
		rc.mu.Lock()
		for _, s := range rc.acks {
			m = max(m, s)
		}
		rc.mu.Unlock()
	}
	return m
}

// talk has every client say its share of messages at once and waits until
// each is acknowledged; it returns the keys.
func talk(t *testing.T, rcs []*roomClient, round string, each int) []string {
	var all []string
	keys := make([][]string, len(rcs))
	for i, rc := range rcs {
		for j := range each {
			keys[i] = append(keys[i], fmt.Sprintf("%s-%s-%d", round, strings.ReplaceAll(rc.name, " ", ""), j))
		}
		all = append(all, keys[i]...)
	}
	var wg sync.WaitGroup
	for i, rc := range rcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc.ensure(keys[i], 60*time.Second)
		}()
	}
	wg.Wait()
	return all
}

// Members on both replicas chat at once: every one sees the same events in
// the same order (seqs come from the database, events cross over NATS).
func TestRoomAcrossReplicasSeesOneOrder(t *testing.T) {
	c := newCluster(t, nil)
	w := c.newWorkshop("One order")
	rcs := c.joinBoth(w, 6)
	keys := talk(t, rcs, "r1", 6)
	top := maxAck(rcs)
	for _, rc := range rcs {
		rc.waitSeq(top, 30*time.Second)
	}
	sameStream(t, rcs, keys)
	for _, rc := range rcs {
		rc.close()
	}
}

// A replica is killed mid-room: its members reconnect through the proxy to
// the other with last_seq and get exactly the events they missed; what was
// acknowledged before the kill is kept, and resends are not doubled.
func TestRoomSurvivesAKilledReplica(t *testing.T) {
	c := newCluster(t, nil)
	w := c.newWorkshop("Killed replica")
	rcs := c.joinBoth(w, 6)
	keys := talk(t, rcs, "before", 3)

	victim := rcs[0].instance
	var onVictim []*roomClient
	for _, rc := range rcs {
		if rc.instance == victim {
			onVictim = append(onVictim, rc)
		}
	}
	// Members keep talking while the replica dies under them.
	var wg sync.WaitGroup
	during := make([][]string, len(rcs))
	for i, rc := range rcs {
		for j := range 4 {
			during[i] = append(during[i], fmt.Sprintf("during-%d-%d", i, j))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, k := range during[i][:2] {
				rc.say(k)
				time.Sleep(220 * time.Millisecond)
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	c.kill(strings.TrimPrefix(victim, "portal-"))
	wg.Wait()
	for _, rc := range onVictim {
		select {
		case <-rc.closed:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s's socket on the killed %s stayed open", rc.name, victim)
		}
	}
	for i, rc := range rcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc.ensure(during[i], 60*time.Second)
		}()
		keys = append(keys, during[i]...)
	}
	wg.Wait()
	for _, rc := range onVictim {
		if rc.instance == victim {
			t.Fatalf("%s reconnected to the killed replica", rc.name)
		}
	}
	keys = append(keys, talk(t, rcs, "after", 2)...)
	top := maxAck(rcs)
	for _, rc := range rcs {
		rc.waitSeq(top, 30*time.Second)
	}
	sameStream(t, rcs, keys)
	// A member who joins now starts from a snapshot of the room as it is.
	late := c.signIn(c.member("Lena Late", auth.RoleMember)).join(t, w, "Lena Late")
	late.waitSeq(top, 10*time.Second)
	for _, rc := range append(rcs, late) {
		rc.close()
	}
}
