package live

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

var countries = []string{"BE", "DE", "FR", "NL", "SE"}

// u001..u500: participants with a country and a language, for breakouts.
func init() {
	for i := 1; i <= 500; i++ {
		id := fmt.Sprintf("u%03d", i)
		people[id] = Person{ID: "m-" + id, Name: "Member " + id, Role: RoleParticipant,
			Country: countries[i%len(countries)], Language: []string{"en", "fr"}[i%2]}
	}
}

// crowd dials n participants and waits until the facilitator sees them
// all present (assignments are made from presence).
func crowd(t *testing.T, e *env, f *peer, room string, from, n int) []*peer {
	t.Helper()
	ps := make([]*peer, n)
	for i := range ps {
		ps[i] = e.dial(fmt.Sprintf("u%03d", from+i), room, nil)
	}
	for _, p := range ps {
		p.welcome()
	}
	f.expect("presence", func(m map[string]any) bool { return num(m["count"]) >= int64(n+1) })
	return ps
}

// groupsOf reads a breakout view into member id -> group id.
func groupsOf(v any) (map[string]string, []map[string]any) {
	of := map[string]string{}
	var gs []map[string]any
	for _, x := range v.(map[string]any)["groups"].([]any) {
		g := x.(map[string]any)
		gs = append(gs, g)
		for _, m := range g["members"].([]any) {
			of[str(m.(map[string]any)["id"])] = str(g["id"])
		}
	}
	return of, gs
}

// until collects frames of the given types until one satisfies stop.
func (p *peer) until(types []string, stop func(map[string]any) bool) []map[string]any {
	p.t.Helper()
	var got []map[string]any
	deadline := time.After(wait)
	for {
		select {
		case m, open := <-p.frames:
			if !open {
				p.t.Fatalf("%s: connection ended", p.name)
			}
			if stop(m) {
				return got
			}
			if slices.Contains(types, str(m["type"])) {
				got = append(got, m)
			}
		case <-deadline:
			p.t.Fatalf("%s: stop frame did not come", p.name)
		}
	}
}

func isType(typ string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == typ }
}

func TestBreakoutFiftyGroupsIsolatedThenRecalled(t *testing.T) {
	e := newEnv(t, nil, Options{Tick: 20 * time.Millisecond})
	f := e.enter("fac")
	ps := crowd(t, e, f, "r1", 1, 150)

	f.sendJSON(map[string]any{"type": "breakout.start", "mode": "random", "size": 3, "seconds": 600, "key": "b1"})
	start := f.expect("breakout.start", nil)
	of, gs := groupsOf(start["breakouts"])
	if len(gs) != 50 || len(of) != 150 {
		t.Fatalf("%d groups, %d assigned", len(gs), len(of))
	}
	for _, g := range gs {
		if len(g["members"].([]any)) != 3 {
			t.Fatalf("group %v", g)
		}
	}
	byGroup := map[string][]*peer{}
	for _, p := range ps {
		p.expect("breakout.start", nil)
		g := of[people[p.name].ID]
		byGroup[g] = append(byGroup[g], p)
	}

	// One member per group chats, another writes the group's notes, a
	// third raises a hand.
	for g, members := range byGroup {
		members[0].sendJSON(map[string]any{"type": "chat", "text": "hello from " + g, "key": "c"})
		members[1].sendJSON(map[string]any{"type": "notes.op", "doc": g, "rev": 0, "ops": []any{"notes of " + g}, "key": "n"})
		members[2].sendJSON(map[string]any{"type": "hand", "raised": true, "key": "h"})
	}
	// The facilitator gets every group's chat, notes and hands, the hands
	// each tagged with their group.
	seen := map[string]int{}
	var lastHands []any
	for len(seen) < 150 {
		m := <-f.frames
		switch m["type"] {
		case "chat", "notes.op":
			seen[str(m["type"])+str(m["group"])+str(m["doc"])]++
		case "hand":
			seen["hand"+str(m["by"].(map[string]any)["id"])]++
			lastHands = m["hands"].([]any)
		}
	}
	if len(lastHands) != 50 {
		t.Fatalf("facilitator sees %d hands", len(lastHands))
	}
	for _, h := range lastHands {
		hm := h.(map[string]any)
		if of[str(hm["person"].(map[string]any)["id"])] != str(hm["group"]) {
			t.Fatalf("hand without its group: %v", hm)
		}
	}
	// A visit, a chat in the visited group, then a broadcast: the marker
	// after which every member must have had exactly its group's frames.
	f.sendJSON(map[string]any{"type": "breakout.visit", "group": "g7", "key": "v"})
	f.expect("breakout.visit", nil)
	f.sendJSON(map[string]any{"type": "chat", "text": "facilitator here", "key": "fc"})
	f.expect("chat", func(m map[string]any) bool { return str(m["group"]) == "g7" })
	f.sendJSON(map[string]any{"type": "breakout.broadcast", "text": "Five minutes left", "key": "bb"})
	for _, p := range ps {
		g := of[people[p.name].ID]
		got := p.until([]string{"chat", "notes.op", "hand"}, isType("breakout.broadcast"))
		want := 3
		if g == "g7" {
			want = 4
		}
		if len(got) != want {
			t.Fatalf("%s in %s got %d group frames: %v", p.name, g, len(got), got)
		}
		for _, m := range got {
			switch m["type"] {
			case "chat":
				if str(m["group"]) != g {
					t.Fatalf("%s in %s got %v", p.name, g, m)
				}
			case "notes.op":
				if str(m["doc"]) != g {
					t.Fatalf("%s in %s got %v", p.name, g, m)
				}
			case "hand":
				for _, h := range m["hands"].([]any) {
					if str(h.(map[string]any)["group"]) != g {
						t.Fatalf("%s in %s sees hand %v", p.name, g, h)
					}
				}
			}
		}
	}

	// Recall: everyone is back in the main room, hands in one queue, and
	// chat reaches everyone again.
	f.sendJSON(map[string]any{"type": "breakout.end", "key": "end"})
	for _, p := range ps {
		m := p.expect("breakout.end", nil)
		if m["breakouts"].(map[string]any)["running"] != false || len(m["hands"].([]any)) != 50 {
			t.Fatalf("end frame %v", m)
		}
	}
	ps[0].sendJSON(map[string]any{"type": "chat", "text": "back", "key": "back"})
	for _, p := range ps {
		p.expect("chat", func(m map[string]any) bool { return str(m["text"]) == "back" && m["group"] == nil })
	}
	// Group notes stay readable, and cannot be edited after the round.
	ps[0].sendJSON(map[string]any{"type": "notes.op", "doc": of[people[ps[0].name].ID], "rev": 1, "ops": []any{"late "}, "key": "late"})
	if m := ps[0].expect("error", nil); str(m["code"]) != string(ErrForbidden) {
		t.Fatalf("edit after the round: %v", m)
	}
	out, err := e.eng.Outcome(context.Background(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Breakouts) != 50 {
		t.Fatalf("outcome has %d groups", len(out.Breakouts))
	}
	for _, b := range out.Breakouts {
		if b.Members != 3 || b.Notes != "notes of "+b.ID {
			t.Fatalf("outcome group %+v", b)
		}
	}
}

func TestBreakoutModesAttributeManualChoice(t *testing.T) {
	e := newEnv(t, nil, Options{Tick: 20 * time.Millisecond})
	f := e.enter("fac")
	ps := crowd(t, e, f, "r1", 1, 10)

	// By country: one group per country present, which it carries as its
	// attribute and key for pages to name in their language ("Netherlands",
	// never "NL"); it has no name of its own unless the facilitator gives one.
	f.sendJSON(map[string]any{"type": "breakout.start", "mode": "attribute", "attribute": "country", "key": "a"})
	of, gs := groupsOf(f.expect("breakout.start", nil)["breakouts"])
	if len(gs) != len(countries) || len(of) != 10 {
		t.Fatalf("groups %v", gs)
	}
	for _, g := range gs {
		if str(g["attr"]) != "country" || str(g["key"]) == "" || str(g["name"]) != "" {
			t.Fatalf("group by country %v", g)
		}
		for _, m := range g["members"].([]any) {
			if str(m.(map[string]any)["country"]) != str(g["key"]) {
				t.Fatalf("group %v", g)
			}
		}
	}
	// Only one round at a time; participants cannot start one.
	f.sendJSON(map[string]any{"type": "breakout.start", "mode": "random", "size": 2, "key": "again"})
	f.expect("error", func(m map[string]any) bool { return str(m["ref"]) == "again" })
	ps[0].sendJSON(map[string]any{"type": "breakout.start", "mode": "random", "size": 2, "key": "p"})
	ps[0].expect("error", func(m map[string]any) bool { return str(m["code"]) == string(ErrForbidden) })
	f.sendJSON(map[string]any{"type": "breakout.end", "key": "e1"})
	f.expect("breakout.end", nil)

	// Manual: named empty groups, the facilitator moves people.
	f.sendJSON(map[string]any{"type": "breakout.start", "mode": "manual", "count": 2, "names": []string{"Tenders", "Audits"}, "key": "m"})
	v := f.expect("breakout.start", nil)
	of, gs = groupsOf(v["breakouts"])
	if len(of) != 0 || str(gs[0]["name"]) != "Tenders" || str(gs[1]["name"]) != "Audits" {
		t.Fatalf("manual start %v", v)
	}
	f.sendJSON(map[string]any{"type": "breakout.move", "member": "m-u001", "group": "g2", "key": "mv"})
	m := ps[0].expect("breakout.move", nil)
	if str(m["group"]) != "g2" || str(m["member"].(map[string]any)["name"]) != "Member u001" {
		t.Fatalf("move %v", m)
	}
	// An unassigned member's chat stays in the main room, away from g2.
	ps[1].sendJSON(map[string]any{"type": "chat", "text": "main", "key": "x"})
	ps[0].sendJSON(map[string]any{"type": "chat", "text": "g2 only", "key": "y"})
	f.expect("chat", func(m map[string]any) bool { return str(m["text"]) == "g2 only" })
	f.sendJSON(map[string]any{"type": "breakout.end", "key": "e2"})
	got := ps[2].until([]string{"chat"}, func(m map[string]any) bool { return m["type"] == "breakout.end" && num(m["round"]) == num(v["round"]) })
	if len(got) != 1 || str(got[0]["text"]) != "main" {
		t.Fatalf("main-room member got %v", got)
	}

	// Choice: members pick; a late joiner is in the main room until they do.
	f.sendJSON(map[string]any{"type": "breakout.start", "mode": "choice", "count": 3, "key": "c"})
	f.expect("breakout.start", nil)
	ps[3].sendJSON(map[string]any{"type": "breakout.pick", "group": "g3", "key": "k"})
	f.expect("breakout.pick", func(m map[string]any) bool { return str(m["group"]) == "g3" })
	late := e.enter("u100")
	snap := late.expect("snapshot", nil)["state"].(map[string]any)["breakouts"].(map[string]any)
	if snap["running"] != true || str(snap["mine"]) != "" || str(snap["mode"]) != "choice" {
		t.Fatalf("late joiner's snapshot %v", snap)
	}
	late.sendJSON(map[string]any{"type": "breakout.pick", "group": "g3", "key": "k"})
	late.expect("breakout.pick", func(m map[string]any) bool { return str(m["member"].(map[string]any)["id"]) == "m-u100" })
	ps[3].sendJSON(map[string]any{"type": "chat", "text": "welcome to g3", "key": "w"})
	late.expect("chat", func(m map[string]any) bool { return str(m["text"]) == "welcome to g3" })
	late.sendJSON(map[string]any{"type": "breakout.pick", "group": "g9", "key": "bad"})
	late.expect("error", func(m map[string]any) bool { return str(m["ref"]) == "bad" })
}

// editor is a test notes client doing what room-notes.js does: one op in
// flight, remote ops transformed over it.
type editor struct {
	p        *peer
	me, doc  string
	text     []uint16
	rev      int64
	inflight textOp
	key      string
	n        int
}

func (ed *editor) send(op textOp) {
	var err error
	if ed.text, err = op.apply(ed.text); err != nil {
		ed.p.t.Errorf("%s: own op: %v", ed.p.name, err)
		return
	}
	ed.n++
	ed.key = fmt.Sprintf("%s-%d", ed.p.name, ed.n)
	ed.inflight = op
	if err := ed.p.ws.WriteJSON(map[string]any{"type": "notes.op", "doc": ed.doc, "rev": ed.rev, "ops": op, "key": ed.key}); err != nil {
		ed.p.t.Errorf("%s: send: %v", ed.p.name, err)
	}
}

// handle takes one frame; it reports false when the stream ended.
func (ed *editor) handle(m map[string]any) {
	if m["type"] == "error" || m["type"] == "noop" {
		ed.p.t.Errorf("%s: error %v", ed.p.name, m)
	}
	if m["type"] != "notes.op" || str(m["doc"]) != ed.doc {
		return
	}
	if str(m["by"].(map[string]any)["id"]) == ed.me && str(m["key"]) == ed.key && ed.inflight != nil {
		ed.inflight, ed.rev = nil, num(m["rev"])
		return
	}
	raw, _ := json.Marshal(m["ops"])
	var op textOp
	if err := json.Unmarshal(raw, &op); err != nil {
		ed.p.t.Errorf("%s: op %s: %v", ed.p.name, raw, err)
		return
	}
	if ed.inflight != nil {
		a2, b2, err := transform(op, ed.inflight)
		if err != nil {
			ed.p.t.Errorf("%s: transform: %v", ed.p.name, err)
			return
		}
		op, ed.inflight = a2, b2
	}
	var err error
	if ed.text, err = op.apply(ed.text); err != nil {
		ed.p.t.Errorf("%s: remote op: %v", ed.p.name, err)
	}
	ed.rev = num(m["rev"])
}

// insertAt inserts s at a unit position of the editor's text.
func insertAt(n, pos int, s string) textOp {
	var o textOp
	o = o.push(opPart{n: pos})
	o = o.push(opPart{ins: utf16.Encode([]rune(s))})
	return o.push(opPart{n: n - pos})
}

// boundaries are the places between fragments ("[...]"), so concurrent
// inserts never split one another.
func boundaries(text []uint16) []int {
	b := []int{0}
	for i, c := range text {
		if c == ']' {
			b = append(b, i+1)
		}
	}
	return b
}

func runEditors(t *testing.T, ps []*peer, doc string, rev0 int64, rounds int) []*editor {
	t.Helper()
	eds := make([]*editor, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		eds[i] = &editor{p: p, me: people[p.name].ID, doc: doc, rev: rev0}
		wg.Add(1)
		go func(ed *editor, seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 7))
			for k := 0; k < rounds; k++ {
				b := boundaries(ed.text)
				ed.send(insertAt(len(ed.text), b[r.IntN(len(b))], fmt.Sprintf("[%s-%d]", ed.p.name, k)))
				for ed.inflight != nil {
					select {
					case m := <-ed.p.frames:
						ed.handle(m)
					case <-time.After(wait):
						t.Errorf("%s: own op %s not confirmed at rev %d", ed.p.name, ed.key, ed.rev)
						return
					}
				}
			}
			for ed.rev < rev0+int64(len(ps)*rounds) { // until everyone's ops are here
				select {
				case m := <-ed.p.frames:
					ed.handle(m)
				case <-time.After(wait):
					t.Errorf("%s: at rev %d", ed.p.name, ed.rev)
					return
				}
			}
		}(eds[i], uint64(i))
	}
	wg.Wait()
	return eds
}

func checkNotes(t *testing.T, text string, eds []*editor, rounds int) {
	t.Helper()
	for _, ed := range eds {
		if got := string(utf16.Decode(ed.text)); got != text {
			t.Fatalf("%s diverged:\n%q\nserver:\n%q", ed.p.name, got, text)
		}
		for k := 0; k < rounds; k++ {
			if c := strings.Count(text, fmt.Sprintf("[%s-%d]", ed.p.name, k)); c != 1 {
				t.Fatalf("fragment %s-%d found %d times in %q", ed.p.name, k, c, text)
			}
		}
	}
}

func TestNotesConcurrentEditorsConverge(t *testing.T) {
	e := newEnv(t, nil, Options{Tick: 20 * time.Millisecond})
	f := e.enter("fac")
	ps := crowd(t, e, f, "r1", 1, 20)

	// Same line and different lines: three editors on a two-line text,
	// all sending against revision 1 at once.
	ps[0].sendJSON(map[string]any{"type": "notes.op", "doc": "", "rev": 0, "ops": []any{"first line\nsecond line"}, "key": "seed"})
	for _, p := range ps {
		p.expect("notes.op", nil)
	}
	ops := []string{`[5,"A",17]`, `[5,"B",17]`, `[17,"C",5]`}
	for i, o := range ops {
		ps[i].sendJSON(map[string]any{"type": "notes.op", "doc": "", "rev": 1, "ops": json.RawMessage(o), "key": "k"})
	}
	text := u16("first line\nsecond line")
	for i := 0; i < 3; i++ {
		m := ps[5].expect("notes.op", nil)
		raw, _ := json.Marshal(m["ops"])
		text, _ = mustOp(t, string(raw)).apply(text)
	}
	got := string(utf16.Decode(text))
	if !strings.Contains(got, "secondC line") || strings.Count(got, "A") != 1 || strings.Count(got, "B") != 1 ||
		!(strings.HasPrefix(got, "firstAB line") || strings.HasPrefix(got, "firstBA line")) {
		t.Fatalf("merged text %q", got)
	}

	// Twenty editors, ten inserts each, on a fresh group-free doc (the
	// room's notes after the three above), nothing lost, all converge.
	out, _ := e.eng.Outcome(context.Background(), "r1")
	base := u16(out.Notes)
	for _, p := range ps {
		for len(p.frames) > 0 {
			<-p.frames
		}
	}
	ps[0].sendJSON(map[string]any{"type": "notes.op", "doc": "", "rev": 4, "ops": []any{-len(base)}, "key": "clear"})
	for _, p := range ps {
		p.expect("notes.op", func(m map[string]any) bool { return num(m["rev"]) == 5 })
	}
	eds := runEditors(t, ps, "", 5, 10)
	out, err := e.eng.Outcome(context.Background(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	checkNotes(t, out.Notes, eds, 10)
}

// A member who reconnects gets their group's missed events and no other
// group's; after a restart the rebuilt room has the groups and the notes.
func TestBreakoutReplayAndRestart(t *testing.T) {
	e := newEnv(t, nil, Options{Tick: 20 * time.Millisecond})
	f := e.enter("fac")
	ps := crowd(t, e, f, "r1", 1, 4)
	f.sendJSON(map[string]any{"type": "breakout.start", "mode": "manual", "count": 2, "key": "s"})
	f.expect("breakout.start", nil)
	for i, p := range ps {
		f.sendJSON(map[string]any{"type": "breakout.move", "member": people[p.name].ID, "group": []string{"g1", "g2"}[i%2], "key": fmt.Sprint("m", i)})
		f.expect("breakout.move", nil)
	}
	ps[0].sendJSON(map[string]any{"type": "notes.op", "doc": "g1", "rev": 0, "ops": []any{"g1 notes"}, "key": "n1"})
	ps[0].expect("notes.op", nil)
	ps[2].expect("notes.op", nil)
	last := ps[2].lastSeq()
	ps[2].ws.Close()

	ps[0].sendJSON(map[string]any{"type": "chat", "text": "g1 chat", "key": "c1"})
	ps[1].sendJSON(map[string]any{"type": "chat", "text": "g2 chat", "key": "c2"})
	ps[0].sendJSON(map[string]any{"type": "notes.op", "doc": "g1", "rev": 1, "ops": []any{8, " more"}, "key": "n2"})
	ps[1].sendJSON(map[string]any{"type": "notes.op", "doc": "g2", "rev": 0, "ops": []any{"g2 notes"}, "key": "n3"})
	ps[0].sendJSON(map[string]any{"type": "notes.op", "doc": "", "rev": 0, "ops": []any{"room notes"}, "key": "n4"})
	f.expect("notes.op", func(m map[string]any) bool { return str(m["key"]) == "n4" })
	// Group isolation for writes too: a g2 member cannot edit g1's notes.
	ps[1].sendJSON(map[string]any{"type": "notes.op", "doc": "g1", "rev": 2, "ops": []any{13, "!"}, "key": "x"})
	ps[1].expect("error", func(m map[string]any) bool { return str(m["code"]) == string(ErrForbidden) })

	back := e.dial("u003", "r1", url.Values{"last_seq": {fmt.Sprint(last)}})
	if w := back.welcome(); w["replay"] != "events" {
		t.Fatalf("welcome %v", w)
	}
	got := back.until([]string{"chat", "notes.op"}, func(m map[string]any) bool { return str(m["key"]) == "n4" })
	if len(got) != 2 || str(got[0]["text"]) != "g1 chat" || str(got[1]["key"]) != "n2" {
		t.Fatalf("replay %v", got)
	}

	e2 := newEnv(t, e.st, Options{}) // a new process on the same database
	g1 := e2.dial("u001", "r1", nil)
	g1.welcome()
	st := g1.expect("snapshot", nil)["state"].(map[string]any)
	bo := st["breakouts"].(map[string]any)
	notes := st["notes"].(map[string]any)
	if bo["running"] != true || str(bo["mine"]) != "g1" || notes["g2"] != nil ||
		str(notes["g1"].(map[string]any)["text"]) != "g1 notes more" || str(notes[""].(map[string]any)["text"]) != "room notes" {
		t.Fatalf("snapshot after restart: %v %v", bo, notes)
	}
	out, err := e2.eng.Outcome(context.Background(), "r1")
	if err != nil || out.Notes != "room notes" || len(out.Breakouts) != 2 || out.Breakouts[1].Notes != "g2 notes" || out.Breakouts[0].Members != 2 {
		t.Fatalf("outcome %+v %v", out, err)
	}
	// Erasing a member keeps the group's notes whole (others' edits were
	// made against theirs) and takes their name out of the assignment.
	if err := e.events.EraseMember(context.Background(), "m-u001"); err != nil {
		t.Fatal(err)
	}
	after, err := e2.eng.Outcome(context.Background(), "r1")
	if err != nil || after.Notes != out.Notes || after.Breakouts[0].Notes != out.Breakouts[0].Notes || after.Breakouts[0].Members != 2 {
		t.Fatalf("outcome after erasure %+v %v", after, err)
	}
	evs, _ := e.events.Since(context.Background(), "r1", 0)
	for _, ev := range evs {
		if strings.Contains(string(ev.Data), "u001") || ev.Actor.ID == "m-u001" {
			t.Fatalf("erased member still in %s: %s", ev.Type, ev.Data)
		}
	}
}

// TestBreakoutCountsWhoIsConnectedNow: a round is formed from the tabs
// connected when it starts, not from the list last sent to clients (which
// is refreshed once a tick): a member who has just (re)connected is in a
// group, and one who has just left is not.
func TestBreakoutCountsWhoIsConnectedNow(t *testing.T) {
	e := newEnv(t, nil, Options{Tick: time.Hour})
	f := e.enter("fac")
	gone := e.enter("u002")
	gone.ws.Close()
	// The engine counted the join before the welcome it sent.
	e.enter("u001")
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.sendJSON(map[string]any{"type": "breakout.start", "mode": "attribute", "attribute": "country", "key": "k"})
		of, _ := groupsOf(f.expect("breakout.start", nil)["breakouts"])
		if _, ok := of["m-u002"]; !ok || time.Now().After(deadline) {
			if _, ok := of["m-u001"]; !ok {
				t.Fatalf("the member who just joined is in no group: %v", of)
			}
			if _, ok := of["m-u002"]; ok {
				t.Fatalf("the member who left is in a group: %v", of)
			}
			break
		}
		// The leave is still on its way to the room: try again.
		f.sendJSON(map[string]any{"type": "breakout.end", "key": "e"})
		f.expect("breakout.end", nil)
	}
}

// receives, which compares in place, answers as building the member's
// scope and comparing would.
func TestBreakoutReceivesMatchesTheScope(t *testing.T) {
	for _, round := range []int64{0, 1, 9, 10, 123} {
		b := &breakoutState{round: round, of: map[string]string{"ann": "g1", "bob": "g12", "cy": ""}}
		for _, member := range []string{"ann", "bob", "cy", "dee"} {
			for _, scope := range []string{"", "1/g1", "9/g1", "10/g12", "123/g1", "123/", "1/", "9/", "10/g1", "1/g12", "12/g1", "/g1", "1g1", "123/g12"} {
				want := scope == "" || (round > 0 && scope == b.scope(b.of[member]))
				if got := b.receives(member, scope); got != want {
					t.Errorf("round %d, %s, scope %q: %v, want %v", round, member, scope, got, want)
				}
			}
		}
	}
}
