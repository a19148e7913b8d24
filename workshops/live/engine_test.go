package live

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
)

// Concurrent appends (two servers, many clients) get each number once and
// skip none. This test first checked findOneAndUpdate with upsert and $inc
// on a counter document: FerretDB 1.24 handed out duplicates, so the
// number is now claimed by inserting the event under room/seq as _id.
func TestSequenceUnderConcurrency(t *testing.T) {
	e := newEnv(t, nil, Options{})
	stores := []*MongoStore{e.events, NewMongoStore(e.st.DB)} // two "servers"
	var mu sync.Mutex
	var got []int64
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev, err := stores[i%2].Append(context.Background(), &Event{Room: "room-a", Key: fmt.Sprint("m/", i), Type: "chat", Data: []byte("{}"), At: time.Now()})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			got = append(got, ev.Seq)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(got)
	for i, s := range got {
		if s != int64(i+1) {
			t.Fatalf("seqs %v are not 1..20", got)
		}
	}
	if h, _ := e.events.Head(context.Background(), "room-a"); h != 20 {
		t.Fatalf("head = %d", h)
	}
	evs, err := e.events.Range(context.Background(), "room-a", 5, 7)
	if err != nil || len(evs) != 3 || evs[0].Seq != 5 || evs[2].Seq != 7 {
		t.Fatalf("range 5..7 = %v, %v", evs, err)
	}
	// A resend of a stored key is refused with the stored seq.
	ev, err := e.events.Append(context.Background(), &Event{Room: "room-a", Key: "m/3", Type: "chat", Data: []byte("{}"), At: time.Now()})
	if !errors.Is(err, ErrDuplicate) || ev.Seq == 0 {
		t.Fatalf("resend: %v %v", ev, err)
	}
}

func TestPresenceDeduplicatedWithRoleAndOrganisation(t *testing.T) {
	e := newEnv(t, nil, Options{Tick: 20 * time.Millisecond})
	f := e.dial("fac", "r1", nil)
	f.welcome()
	a1 := e.dial("anna", "r1", nil)
	a1.welcome()
	a2 := e.dial("anna", "r1", nil) // a second tab
	a2.welcome()
	// The facilitator sees Anna join once, with organisation and role.
	var seen []string
	for !slices.Contains(seen, "m-anna") {
		m := f.expect("presence", nil)
		for _, x := range m["joined"].([]any) {
			p := x.(map[string]any)
			seen = append(seen, str(p["id"]))
			if str(p["id"]) == "m-anna" && (str(p["organisation"]) != "Ministry of the Interior" || str(p["role"]) != RoleParticipant) {
				t.Fatalf("presence entry %v", p)
			}
		}
	}
	// A third connection sees each person once in its welcome.
	j := e.dial("jonas", "r1", nil)
	w := j.welcome()
	ids := peopleIDs(w["people"])
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"m-anna", "m-fac", "m-jonas"}) {
		t.Fatalf("welcome people = %v", ids)
	}
	// Closing one of Anna's tabs keeps her present; closing both removes her.
	a1.ws.Close()
	j.expect("presence", func(m map[string]any) bool { return num(m["count"]) == 3 })
	a2.ws.Close()
	m := j.expect("presence", func(m map[string]any) bool { return len(m["left"].([]any)) > 0 })
	if l := m["left"].([]any); len(l) != 1 || str(l[0]) != "m-anna" || num(m["count"]) != 2 {
		t.Fatalf("after both tabs closed: %v", m)
	}
}

func TestChatOrderAndVerbatimText(t *testing.T) {
	e := newEnv(t, nil, Options{RatePerSec: 1000, RateBurst: 1000})
	a := e.dial("anna", "r1", nil)
	a.welcome()
	j := e.dial("jonas", "r1", nil)
	j.welcome()
	const n = 30
	for i := 0; i < n; i++ {
		a.sendJSON(map[string]any{"type": "chat", "key": fmt.Sprint("k", i), "text": fmt.Sprintf("message %d <b>*x*</b>", i)})
	}
	var prev int64
	for i := 0; i < n; i++ {
		m := j.expect("chat", nil)
		if want := fmt.Sprintf("message %d <b>*x*</b>", i); str(m["text"]) != want {
			t.Fatalf("chat %d text = %q, want %q", i, m["text"], want)
		}
		if strings.Contains(str(m["html"]), "<b>") || !strings.Contains(str(m["html"]), "&lt;b&gt;") {
			t.Fatalf("html not escaped: %q", m["html"])
		}
		if s := num(m["seq"]); s <= prev {
			t.Fatalf("seq %d after %d", s, prev)
		} else {
			prev = s
		}
		if from := m["from"].(map[string]any); str(from["id"]) != "m-anna" {
			t.Fatalf("from = %v", from)
		}
	}
	// The group commit's counters: every command stored once, in at
	// most as many writes, none larger than maxBatch.
	if st := e.eng.Stats(); st.EventsStored != n || st.EventWrites < 1 || st.EventWrites > n || st.LargestBatch < 1 || st.LargestBatch > maxBatch {
		t.Fatalf("stats after %d chats: %+v", n, st)
	}
}

func TestRenderLite(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"**bold** and *em*", "<strong>bold</strong> and <em>em</em>"},
		{"see https://example.org/a?b=1&c=2", `see <a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener noreferrer" target="_blank">https://example.org/a?b=1&amp;c=2</a>`},
		{"[the criteria](https://example.org/gpp)", `<a href="https://example.org/gpp" rel="nofollow noopener noreferrer" target="_blank">the criteria</a>`},
		{`[x](javascript:alert(1))`, `[x](javascript:alert(1))`},
		{`<img src=x onerror=alert(1)>`, `&lt;img src=x onerror=alert(1)&gt;`},
		{`[a" onmouseover="x](https://e.org)`, `<a href="https://e.org" rel="nofollow noopener noreferrer" target="_blank">a&#34; onmouseover=&#34;x</a>`},
	}
	for _, tt := range tests {
		if got := RenderLite(tt.in); got != tt.want {
			t.Errorf("RenderLite(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestHandQueue(t *testing.T) {
	e := newEnv(t, nil, Options{})
	f := e.dial("fac", "r1", nil)
	f.welcome()
	a := e.dial("anna", "r1", nil)
	a.welcome()
	j := e.dial("jonas", "r1", nil)
	j.welcome()
	a.sendJSON(map[string]any{"type": "hand", "raised": true, "key": "h1"})
	f.expect("hand", func(m map[string]any) bool { return len(m["hands"].([]any)) == 1 })
	j.sendJSON(map[string]any{"type": "hand", "raised": true, "key": "h2"})
	m := f.expect("hand", func(m map[string]any) bool { return len(m["hands"].([]any)) == 2 })
	order := func(m map[string]any) []string {
		var ids []string
		for _, h := range m["hands"].([]any) {
			ids = append(ids, str(h.(map[string]any)["person"].(map[string]any)["id"]))
		}
		return ids
	}
	if got := order(m); !slices.Equal(got, []string{"m-anna", "m-jonas"}) {
		t.Fatalf("queue = %v", got)
	}
	// A participant cannot clear someone else's hand.
	j.sendJSON(map[string]any{"type": "hand.clear", "member": "m-anna", "key": "c0"})
	if m := j.expect("error", nil); str(m["code"]) != string(ErrForbidden) || str(m["ref"]) != "c0" {
		t.Fatalf("error = %v", m)
	}
	f.sendJSON(map[string]any{"type": "hand.clear", "member": "m-anna", "key": "c1"})
	m = j.expect("hand.clear", nil)
	if got := order(m); !slices.Equal(got, []string{"m-jonas"}) {
		t.Fatalf("queue after clear = %v", got)
	}
	j.sendJSON(map[string]any{"type": "hand", "raised": false, "key": "h3"})
	f.expect("hand", func(m map[string]any) bool { return len(m["hands"].([]any)) == 0 })
}

func TestRightsOnEveryMessage(t *testing.T) {
	e := newEnv(t, nil, Options{RatePerSec: 1000, RateBurst: 1000})
	f := e.dial("fac", "r1", nil)
	f.welcome()
	a := e.dial("anna", "r1", nil)
	a.welcome()
	for _, typ := range []string{"agenda", "timer", "announce", "mute", "remove", "poll.create", "poll.open", "room.close"} {
		a.sendJSON(map[string]any{"type": typ, "key": "x-" + typ, "item": 1, "seconds": 60, "text": "hi", "muted": true, "member": "m-jonas", "poll": "prep1",
			"question": "q", "options": []string{"a", "b"}})
		if m := a.expect("error", nil); str(m["code"]) != string(ErrForbidden) || str(m["ref"]) != "x-"+typ {
			t.Fatalf("%s by a participant: %v", typ, m)
		}
	}
	f.sendJSON(map[string]any{"type": "agenda", "item": 2, "key": "ag"})
	if m := a.expect("agenda", nil); num(m["item"]) != 2 {
		t.Fatalf("agenda = %v", m)
	}
	// Muted chat: participants are refused, facilitators still speak.
	f.sendJSON(map[string]any{"type": "mute", "muted": true, "key": "mu"})
	a.expect("mute", nil)
	a.sendJSON(map[string]any{"type": "chat", "text": "hello?", "key": "c1"})
	if m := a.expect("error", nil); str(m["code"]) != string(ErrMuted) {
		t.Fatalf("chat while muted: %v", m)
	}
	f.sendJSON(map[string]any{"type": "chat", "text": "one moment", "key": "c2"})
	a.expect("chat", nil)
	// Removal closes the socket and refuses reconnection.
	f.sendJSON(map[string]any{"type": "remove", "member": "m-anna", "key": "rm"})
	if code := a.closeCode(); code != CloseRemoved {
		t.Fatalf("removed participant's close code = %d", code)
	}
	again := e.dial("anna", "r1", nil)
	if m := again.expect("error", nil); str(m["code"]) != string(ErrRemoved) {
		t.Fatalf("reconnect after removal: %v", m)
	}
	if code := again.closeCode(); code != CloseRemoved {
		t.Fatalf("reconnect close code = %d", code)
	}
	// Closing the room sends participants away; facilitators stay.
	j := e.dial("jonas", "r1", nil)
	j.welcome()
	f.sendJSON(map[string]any{"type": "room.close", "key": "close"})
	if code := j.closeCode(); code != CloseRoomShut {
		t.Fatalf("close code after room.close = %d", code)
	}
	f.expect("room.close", nil)
	j2 := e.dial("jonas", "r1", nil)
	if m := j2.expect("error", nil); str(m["code"]) != string(ErrClosed) {
		t.Fatalf("join a closed room: %v", m)
	}
}

func TestPollVotesChangeAndAnonymity(t *testing.T) {
	e := newEnv(t, nil, Options{})
	f := e.dial("fac", "r1", nil)
	f.welcome()
	snap := f.expect("snapshot", nil)
	if ps := snap["state"].(map[string]any)["polls"].([]any); len(ps) != 1 || str(ps[0].(map[string]any)["id"]) != "prep1" {
		t.Fatalf("prepared poll missing from the facilitator's snapshot: %v", ps)
	}
	a := e.dial("anna", "r1", nil)
	a.welcome()
	if ps := a.expect("snapshot", nil)["state"].(map[string]any)["polls"].([]any); len(ps) != 0 {
		t.Fatalf("a participant sees a draft poll: %v", ps)
	}
	f.sendJSON(map[string]any{"type": "poll.create", "key": "p", "question": "Which clause?", "options": []string{"A", "B", "C"}, "anonymous": true})
	m := f.expect("poll", func(m map[string]any) bool { return str(m["change"]) == "poll.create" })
	id := str(m["poll"].(map[string]any)["id"])
	// A poll created live is a draft too: the participant gets its seq as
	// a noop, and the first poll frame she sees is its opening.
	a.expect("noop", func(n map[string]any) bool { return num(n["seq"]) == num(m["seq"]) })
	// Voting on a draft poll is refused.
	a.sendJSON(map[string]any{"type": "vote", "poll": id, "choices": []int{0}, "key": "v0"})
	if m := a.expect("error", nil); str(m["code"]) != string(ErrInvalid) {
		t.Fatalf("vote on draft: %v", m)
	}
	f.sendJSON(map[string]any{"type": "poll.open", "poll": id, "key": "o"})
	if m := a.expect("poll", nil); str(m["change"]) != "poll.open" {
		t.Fatalf("the participant's first poll frame is %v, want the opening", m)
	}
	a.sendJSON(map[string]any{"type": "vote", "poll": id, "choices": []int{0}, "key": "v1"})
	f.expect("poll", func(m map[string]any) bool { return str(m["change"]) == "vote" })
	a.sendJSON(map[string]any{"type": "vote", "poll": id, "choices": []int{2}, "key": "v2"}) // changes her vote
	m = f.expect("poll", func(m map[string]any) bool {
		c := m["poll"].(map[string]any)["counts"].([]any)
		return num(c[2]) == 1
	})
	pv := m["poll"].(map[string]any)
	if c := pv["counts"].([]any); num(c[0]) != 0 || num(pv["total"]) != 1 {
		t.Fatalf("after a change of vote: %v", pv)
	}
	// Before publication participants see only the number of votes.
	pm := a.expect("poll", func(m map[string]any) bool {
		return str(m["change"]) == "vote" && num(m["poll"].(map[string]any)["total"]) == 1
	})
	if _, has := pm["poll"].(map[string]any)["counts"]; has {
		t.Fatalf("participant sees counts before publication: %v", pm)
	}
	f.sendJSON(map[string]any{"type": "poll.close", "poll": id, "key": "c"})
	f.sendJSON(map[string]any{"type": "poll.publish", "poll": id, "key": "pub"})
	pm = a.expect("poll", func(m map[string]any) bool { return str(m["change"]) == "poll.publish" })
	if c := pm["poll"].(map[string]any)["counts"].([]any); num(c[2]) != 1 {
		t.Fatalf("published results = %v", pm)
	}
	// No frame about this anonymous poll names a voter, to anyone.
	for _, p := range []*peer{f, a} {
		for len(p.raw) > 0 {
			b := <-p.raw
			if strings.Contains(string(b), `"poll"`) && strings.Contains(string(b), "m-anna") && strings.Contains(string(b), id) {
				t.Fatalf("%s received a frame naming the voter of an anonymous poll: %s", p.name, b)
			}
		}
	}
	// A named poll shows voters to the facilitator.
	f.sendJSON(map[string]any{"type": "poll.open", "poll": "prep1", "key": "o2"})
	a.expect("poll", func(m map[string]any) bool { return str(m["change"]) == "poll.open" })
	a.sendJSON(map[string]any{"type": "vote", "poll": "prep1", "choices": []int{1}, "key": "v3"})
	m = f.expect("poll", func(m map[string]any) bool { return str(m["change"]) == "vote" })
	if v := m["poll"].(map[string]any)["voters"].([]any); len(v[1].([]any)) != 1 {
		t.Fatalf("voters of a named poll: %v", m)
	}
}

func TestRateAndReadLimits(t *testing.T) {
	e := newEnv(t, nil, Options{RatePerSec: 1, RateBurst: 3})
	a := e.dial("anna", "r1", nil)
	a.welcome()
	for i := 0; i < 6; i++ {
		a.sendJSON(map[string]any{"type": "chat", "text": "hi", "key": fmt.Sprint("k", i)})
	}
	if m := a.expect("error", nil); str(m["code"]) != string(ErrRateLimited) {
		t.Fatalf("error = %v", m)
	}
	// A frame over the read limit ends the connection with 1009.
	big := strings.Repeat("x", 17<<10)
	_ = a.ws.WriteJSON(map[string]any{"type": "chat", "text": big})
	if code := a.closeCode(); code != 1009 {
		t.Fatalf("close code after an oversized frame = %d", code)
	}
}

func TestSlowClientIsDropped(t *testing.T) {
	e := newEnv(t, nil, Options{RatePerSec: 10000, RateBurst: 10000, ReplayWindow: 8, SendQueue: 16, WriteWait: 2 * time.Second})
	e.writeBuf = 4096
	slow := e.dial("jonas", "r1", url.Values{"noread": {"1"}, "slow": {"1"}})
	_ = slow.ws.NetConn().(interface{ SetReadBuffer(int) error }).SetReadBuffer(4096)
	a := e.dial("anna", "r1", nil)
	a.welcome()
	text := strings.Repeat("é", 1900) // 3.8 kB a frame
	const n = 100
	for i := 0; i < n; i++ {
		a.sendJSON(map[string]any{"type": "chat", "text": text, "key": fmt.Sprint("k", i)})
	}
	// The fast participant gets every message although the slow one
	// does not read: the room never waits for it.
	for i := 0; i < n; i++ {
		a.expect("chat", nil)
	}
	deadline := time.Now().Add(wait)
	for e.eng.Stats().Dropped == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the slow client was not dropped")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestReconnectReplaysExactlyWhatWasMissed(t *testing.T) {
	e := newEnv(t, nil, Options{RatePerSec: 1000, RateBurst: 1000})
	j := e.dial("jonas", "r1", nil)
	j.welcome()
	a := e.dial("anna", "r1", nil)
	a.welcome()
	a.sendJSON(map[string]any{"type": "chat", "text": "before", "key": "b"})
	j.expect("chat", nil)
	last := j.lastSeq()
	j.ws.NetConn().Close() // drop TCP without a close frame
	const k = 7
	for i := 0; i < k; i++ {
		a.sendJSON(map[string]any{"type": "chat", "text": fmt.Sprint("missed ", i), "key": fmt.Sprint("m", i)})
		a.expect("ack", nil)
	}
	j2 := e.dial("jonas", "r1", url.Values{"last_seq": {fmt.Sprint(last)}})
	w := j2.welcome()
	if str(w["replay"]) != "events" {
		t.Fatalf("replay = %v", w["replay"])
	}
	for i := 0; i < k; i++ {
		select {
		case m := <-j2.frames:
			if _, durable := m["seq"]; !durable { // presence may come in between
				i--
				continue
			}
			if m["type"] != "chat" || str(m["text"]) != fmt.Sprint("missed ", i) || num(m["seq"]) <= last {
				t.Fatalf("replayed frame %d = %v", i, m)
			}
			last = num(m["seq"])
		case <-time.After(wait):
			t.Fatal("replay incomplete")
		}
	}
	a.sendJSON(map[string]any{"type": "chat", "text": "live again", "key": "after"})
	if m := j2.expect("chat", nil); str(m["text"]) != "live again" {
		t.Fatalf("after replay: %v", m)
	}
}

func TestResyncBeyondReplayWindow(t *testing.T) {
	e := newEnv(t, nil, Options{RatePerSec: 1000, RateBurst: 1000, ReplayWindow: 5})
	a := e.dial("anna", "r1", nil)
	a.welcome()
	for i := 0; i < 12; i++ {
		a.sendJSON(map[string]any{"type": "chat", "text": "x", "key": fmt.Sprint("m", i)})
		a.expect("ack", nil)
	}
	a.sendJSON(map[string]any{"type": "hand", "raised": true, "key": "h"})
	a.expect("hand", nil)
	j := e.dial("jonas", "r1", url.Values{"last_seq": {"2"}})
	if w := j.welcome(); str(w["replay"]) != "snapshot" {
		t.Fatalf("replay = %v", w["replay"])
	}
	s := j.expect("snapshot", nil)
	if num(s["seq"]) != 13 || len(s["state"].(map[string]any)["hands"].([]any)) != 1 {
		t.Fatalf("snapshot = %v", s)
	}
}

func TestDuplicateKeyStoredOnce(t *testing.T) {
	e := newEnv(t, nil, Options{})
	a := e.dial("anna", "r1", nil)
	a.welcome()
	a.sendJSON(map[string]any{"type": "chat", "text": "once", "key": "same"})
	first := a.expect("ack", nil)
	a.ws.Close()
	a2 := e.dial("anna", "r1", nil) // the resend after a reconnect
	a2.welcome()
	a2.sendJSON(map[string]any{"type": "chat", "text": "once", "key": "same"})
	second := a2.expect("ack", nil)
	if second["duplicate"] != true || num(second["seq"]) != num(first["seq"]) {
		t.Fatalf("acks %v then %v", first, second)
	}
	n, err := e.st.DB.Collection(colEvents).CountDocuments(context.Background(), bson.M{"room": "r1", "type": "chat"})
	if err != nil || n != 1 {
		t.Fatalf("stored %d chat events (err %v)", n, err)
	}
	// The same key from another member is another message.
	j := e.dial("jonas", "r1", nil)
	j.welcome()
	j.sendJSON(map[string]any{"type": "chat", "text": "mine", "key": "same"})
	if m := j.expect("ack", nil); m["duplicate"] == true {
		t.Fatalf("another member's key counted as a duplicate: %v", m)
	}
}

func TestRoomSurvivesRestart(t *testing.T) {
	e := newEnv(t, nil, Options{})
	f := e.dial("fac", "r1", nil)
	f.welcome()
	a := e.dial("anna", "r1", nil)
	a.welcome()
	a.sendJSON(map[string]any{"type": "hand", "raised": true, "key": "h"})
	f.expect("hand", nil)
	f.sendJSON(map[string]any{"type": "agenda", "item": 1, "key": "ag"})
	f.sendJSON(map[string]any{"type": "poll.open", "poll": "prep1", "key": "po"})
	a.expect("poll", nil)
	a.sendJSON(map[string]any{"type": "vote", "poll": "prep1", "choices": []int{1}, "key": "v"})
	f.expect("poll", func(m map[string]any) bool { return str(m["change"]) == "vote" })
	e.eng.Close() // the server stops
	if code := f.closeCode(); code != CloseGoingAway {
		t.Fatalf("close code at shutdown = %d", code)
	}

	e2 := newEnv(t, e.st, Options{}) // a new process on the same database
	f2 := e2.dial("fac", "r1", nil)
	f2.welcome()
	st := f2.expect("snapshot", nil)["state"].(map[string]any)
	if num(st["agenda_item"]) != 1 || len(st["hands"].([]any)) != 1 {
		t.Fatalf("state after restart: %v", st)
	}
	p := st["polls"].([]any)[0].(map[string]any)
	if p["state"] != PollOpen || num(p["counts"].([]any)[1]) != 1 {
		t.Fatalf("poll after restart: %v", p)
	}
}

// The replay ring keeps exactly the last ReplayWindow events' frames, in
// order, however many pass, and its backing array stays bounded (the
// frames are shifted to the front once per window, not copied per event).
func TestReplayRingKeepsTheLastWindow(t *testing.T) {
	const window = 5
	r := &room{e: &Engine{o: Options{ReplayWindow: window}}, ringFrom: 1}
	for seq := int64(1); seq <= 23; seq++ {
		r.keep(frames{seq: seq, all: []byte("x")})
		live := r.ring[r.ringHead:]
		first := max(1, seq-window+1)
		if int64(len(live)) != seq-first+1 || live[0].seq != first || live[len(live)-1].seq != seq {
			t.Fatalf("after seq %d the ring holds %d frames from %d", seq, len(live), live[0].seq)
		}
		if r.ringFrom != first {
			t.Fatalf("after seq %d ringFrom = %d, want %d", seq, r.ringFrom, first)
		}
		if len(r.ring) > 2*window || cap(r.ring) > 4*window {
			t.Fatalf("after seq %d the ring's array holds %d frames (room for %d)", seq, len(r.ring), cap(r.ring))
		}
		for _, f := range r.ring[:r.ringHead] {
			if f.all != nil {
				t.Fatalf("a dropped frame is still referenced before the head")
			}
		}
	}
}
