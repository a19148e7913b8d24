package live

import (
	"bytes"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func init() {
	people["bert"] = Person{ID: "m-bert", Name: "Bert Janssens", Organisation: "City of Ghent", Role: RoleParticipant}
	people["zoe"] = Person{ID: "m-zoe", Name: "Zoe Keller", Organisation: "Federal procurement office", Role: RoleParticipant}
}

// A large room sends the list a page at a time: the welcome carries the
// count and the first page, only followers get who joins and leaves, and
// a people request pages on from a cursor.
func TestLargeRoomPresencePages(t *testing.T) {
	e := newEnv(t, nil, Options{Tick: 20 * time.Millisecond, CountEvery: 20 * time.Millisecond, PeoplePage: 2, PresenceLimit: 3})
	f := e.dial("fac", "r1", nil)
	if w := f.welcome(); w["following"] != true || num(w["count"]) != 1 || str(w["next"]) != "" {
		t.Fatalf("first welcome %v", w)
	}
	a := e.dial("anna", "r1", nil)
	a.welcome()
	f.expect("presence", func(m map[string]any) bool { return num(m["count"]) == 2 })
	j := e.dial("jonas", "r1", nil)
	if w := j.welcome(); w["following"] != true || num(w["count"]) != 3 || str(w["next"]) == "" ||
		!slices.Equal(peopleIDs(w["people"]), []string{"m-fac", "m-anna"}) {
		t.Fatalf("small room welcome %v", w)
	}
	f.expect("presence", func(m map[string]any) bool { return num(m["count"]) == 3 })

	// The fourth person makes the room large: those who followed because it
	// was small get the first page instead of the changes.
	z := e.dial("zoe", "r1", nil)
	z.welcome()
	// (Zoe joined a small room: she too followed until now.)
	m := f.expect("presence", func(m map[string]any) bool { return m["following"] == false })
	if num(m["count"]) != 4 || str(m["next"]) == "" || !slices.Equal(peopleIDs(m["people"]), []string{"m-fac", "m-anna"}) {
		t.Fatalf("switch to a large room: %v", m)
	}

	z.expect("presence", func(m map[string]any) bool { return m["following"] == false })
	b := e.dial("bert", "r1", nil)
	w := b.welcome()
	if w["following"] != false || num(w["count"]) != 5 || !slices.Equal(peopleIDs(w["people"]), []string{"m-fac", "m-anna"}) {
		t.Fatalf("large room welcome %v", w)
	}
	// Everyone else learns the count only.
	m = f.expect("presence", func(m map[string]any) bool { return num(m["count"]) == 5 })
	if _, ok := m["joined"]; ok {
		t.Fatalf("a client that does not follow got the changes: %v", m)
	}
	// Paging on, and following from here.
	b.sendJSON(map[string]any{"type": "people", "after": w["next"], "follow": true})
	p := b.expect("people", nil)
	if !slices.Equal(peopleIDs(p["people"]), []string{"m-bert", "m-jonas"}) || p["following"] != true || num(p["count"]) != 5 {
		t.Fatalf("second page %v", p)
	}
	b.sendJSON(map[string]any{"type": "people", "after": p["next"]})
	p = b.expect("people", nil)
	if !slices.Equal(peopleIDs(p["people"]), []string{"m-zoe"}) || str(p["next"]) != "" {
		t.Fatalf("last page %v", p)
	}
	b.sendJSON(map[string]any{"type": "people", "after": "not a cursor"})
	if p = b.expect("people", nil); !slices.Equal(peopleIDs(p["people"]), []string{"m-fac", "m-anna"}) {
		t.Fatalf("a bad cursor should give the first page: %v", p)
	}
	j.ws.Close()
	m = b.expect("presence", func(m map[string]any) bool { return num(m["count"]) == 4 })
	if l, _ := m["left"].([]any); len(l) != 1 || str(l[0]) != "m-jonas" {
		t.Fatalf("follower's change: %v", m)
	}
	m = f.expect("presence", func(m map[string]any) bool { return num(m["count"]) == 4 })
	if _, ok := m["left"]; ok {
		t.Fatalf("a client that does not follow got the changes: %v", m)
	}
}

// An idle socket has no writer goroutine; its pings come from a timer that
// starts one. The pongs keep it open well past the pong wait.
func TestIdleSocketIsPinged(t *testing.T) {
	e := newEnv(t, nil, Options{PingInterval: 20 * time.Millisecond, PongWait: 150 * time.Millisecond})
	a := e.dial("anna", "r1", url.Values{"noread": {"1"}})
	pings := make(chan struct{}, 100)
	a.ws.SetPingHandler(func(data string) error {
		select {
		case pings <- struct{}{}:
		default:
		}
		return a.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	go a.readAll()
	a.welcome()
	for i := 0; i < 15; i++ { // 15 pings: longer than the pong wait
		select {
		case <-pings:
		case <-time.After(wait):
			t.Fatalf("%d pings, then none", i)
		}
	}
	a.sendJSON(map[string]any{"type": "chat", "text": "still here", "key": "k"})
	a.expect("ack", nil)
}

// A room skips its own presence on the bus by the start of the message,
// before decoding a list that can hold thousands: that start must stay
// what busMsg encodes.
func TestOwnPresenceRecognisedUndecoded(t *testing.T) {
	b := mustJSON(busMsg{Kind: "presence", From: "A", People: []Person{{ID: "x"}}})
	if own := []byte(`{"k":"presence","f":` + string(mustJSON("A")) + `,`); !bytes.HasPrefix(b, own) {
		t.Fatalf("presence encodes as %s", b)
	}
}
