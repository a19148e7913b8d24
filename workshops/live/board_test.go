package live

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"
)

// Twenty more members for the concurrent board tests.
func init() {
	for i := 0; i < 20; i++ {
		id := fmt.Sprintf("b%02d", i)
		people[id] = Person{ID: "m-" + id, Name: "Board member " + id, Organisation: "Municipality " + id, Role: RoleParticipant}
	}
}

func noteOf(m map[string]any) map[string]any { n, _ := m["note"].(map[string]any); return n }

func changeIs(change string) func(map[string]any) bool {
	return func(m map[string]any) bool { return str(m["change"]) == change }
}

// openBoard opens a board as the facilitator and returns its id.
func openBoard(f *peer, prompt string, votes int, hidden bool, seconds int) string {
	f.t.Helper()
	f.sendJSON(map[string]any{"type": "board.open", "prompt": prompt, "votes": votes, "hidden": hidden, "seconds": seconds, "key": "open-" + prompt})
	m := f.expect("board", func(m map[string]any) bool {
		return str(m["change"]) == "board.open" && str(m["view"].(map[string]any)["prompt"]) == prompt
	})
	return str(m["board"])
}

// addNote adds a note and returns its id, from the author's own frame.
func addNote(p *peer, board, text string) string {
	p.t.Helper()
	p.sendJSON(map[string]any{"type": "board.note", "board": board, "text": text, "key": "note-" + text})
	m := p.expect("board", func(m map[string]any) bool { return str(m["change"]) == "board.note" && str(noteOf(m)["text"]) == text })
	if noteOf(m)["mine"] != true {
		p.t.Fatalf("%s: the author's frame does not mark the note as theirs: %v", p.name, m)
	}
	return str(noteOf(m)["id"])
}

func errCode(p *peer, ref string) string {
	p.t.Helper()
	return str(p.expect("error", func(m map[string]any) bool { return str(m["ref"]) == ref })["code"])
}

func boardOf(st map[string]any, id string) map[string]any {
	for _, b := range listOf(st, "boards") {
		if str(b["id"]) == id {
			return b
		}
	}
	return nil
}

func notesByID(b map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, x := range b["notes"].([]any) {
		n := x.(map[string]any)
		out[str(n["id"])] = n
	}
	return out
}

// Dot voting with hidden votes: each member has N dots, several may go on
// one note, the N+1st is refused; before the reveal a participant sees
// only their own dots and dots left, never anyone's counts; after it,
// everyone sees the counts; the outcome ranks clusters and notes.
func TestBoardDotVotingHiddenAndReveal(t *testing.T) {
	e := newEnv(t, nil, Options{RatePerSec: 1000, RateBurst: 1000})
	f := e.enter("fac")
	a := e.enter("anna")
	j := e.enter("jonas")
	bid := openBoard(f, "Barriers to asking suppliers for factory lists", 3, true, 0)
	if m := j.expect("board", changeIs("board.open")); str(m["board"]) != bid || num(m["view"].(map[string]any)["dots"]) != 3 || m["view"].(map[string]any)["hidden"] != true {
		t.Fatalf("the board as a participant sees it open: %v", m)
	}
	nA := addNote(a, bid, "Suppliers call it confidential")
	nB := addNote(j, bid, "No time to check the answers")
	nC := addNote(j, bid, "Legal doubts about asking")
	if m := a.expect("board", func(m map[string]any) bool { return str(noteOf(m)["id"]) == nC }); noteOf(m)["mine"] != nil || noteOf(m)["votes"] != nil {
		t.Fatalf("someone else's note on a hidden board: %v", m)
	}

	vote := func(p *peer, note string, on bool, key string) {
		p.sendJSON(map[string]any{"type": "board.vote", "board": bid, "note": note, "on": on, "key": key})
	}
	vote(a, nA, true, "a1")
	vote(a, nB, true, "a2")
	vote(a, nB, true, "a3") // two dots on one note
	m := a.expect("board", func(m map[string]any) bool { return str(m["change"]) == "board.vote" && num(m["left"]) == 0 })
	if n := noteOf(m); str(n["id"]) != nB || num(n["dots"]) != 2 || n["votes"] != nil {
		t.Fatalf("the voter's own frame on a hidden board: %v", m)
	}
	vote(a, nC, true, "a4")
	if code := errCode(a, "a4"); code != string(ErrNoDots) {
		t.Fatalf("a fourth dot of three: %s", code)
	}
	// The facilitator sees counts as they come.
	f.expect("board", func(m map[string]any) bool { return str(noteOf(m)["id"]) == nB && num(noteOf(m)["votes"]) == 2 })
	vote(j, nB, true, "j1")
	m = j.expect("board", changeIs("board.vote"))
	if n := noteOf(m); num(n["dots"]) != 1 || num(m["left"]) != 2 || n["votes"] != nil {
		t.Fatalf("jonas's own dot: %v", m)
	}
	// Taking a dot back gives it back.
	vote(a, nB, false, "a5")
	a.expect("board", func(m map[string]any) bool { return str(m["change"]) == "board.vote" && num(m["left"]) == 1 })
	vote(a, nC, false, "a6")
	if code := errCode(a, "a6"); code != string(ErrInvalid) {
		t.Fatalf("taking back a dot never placed: %s", code)
	}
	f.expect("board", func(m map[string]any) bool { return str(noteOf(m)["id"]) == nB && num(noteOf(m)["votes"]) == 2 })

	// Nothing jonas received before the reveal carries a count of
	// someone else's dots: anna's dots reached him as noops.
	jf := e.enter("jonas")
	jb := boardOf(stateOf(jf), bid)
	for id, n := range notesByID(jb) {
		if n["votes"] != nil {
			t.Fatalf("a participant's snapshot shows votes before the reveal: %v", n)
		}
		if want := map[string]int64{nB: 1}[id]; num(n["dots"]) != want {
			t.Fatalf("jonas's dots on %s = %v, want %d", id, n["dots"], want)
		}
		if mine := n["mine"] == true; mine != (id != nA) {
			t.Fatalf("mine on %s = %v", id, n["mine"])
		}
	}
	if num(jb["left"]) != 2 || jb["revealed"] != false {
		t.Fatalf("jonas's snapshot of the board: %v", jb)
	}
	for len(j.raw) > 0 {
		b := <-j.raw
		var fr struct {
			Type, Change string
			Note         map[string]any
		}
		_ = json.Unmarshal(b, &fr)
		if fr.Type == "board" && fr.Note != nil && fr.Note["votes"] != nil {
			t.Fatalf("jonas received a count before the reveal: %s", b)
		}
	}
	ff := e.enter("fac")
	if n := notesByID(boardOf(stateOf(ff), bid)); num(n[nA]["votes"]) != 1 || num(n[nB]["votes"]) != 2 || num(n[nC]["votes"]) != 0 {
		t.Fatalf("the facilitator's snapshot: %v", n)
	}

	// Clusters, then the reveal.
	for _, c := range [][2]string{{nA, "Suppliers"}, {nB, "Capacity"}, {nC, "Capacity"}} {
		f.sendJSON(map[string]any{"type": "board.cluster", "board": bid, "note": c[0], "cluster": c[1], "key": "cl-" + c[0]})
		j.expect("board", func(m map[string]any) bool { return str(noteOf(m)["id"]) == c[0] && str(noteOf(m)["cluster"]) == c[1] })
	}
	f.sendJSON(map[string]any{"type": "board.reveal", "board": bid, "key": "rev"})
	m = j.expect("board", changeIs("board.reveal"))
	v := m["view"].(map[string]any)
	if n := notesByID(v); v["revealed"] != true || num(n[nA]["votes"]) != 1 || num(n[nB]["votes"]) != 2 || num(n[nC]["votes"]) != 0 {
		t.Fatalf("the reveal as a participant sees it: %v", v)
	}
	vote(a, nC, true, "a7")
	if m := j.expect("board", changeIs("board.vote")); num(noteOf(m)["votes"]) != 1 {
		t.Fatalf("a dot after the reveal: %v", m)
	}

	out, err := e.eng.Outcome(context.Background(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Boards) != 1 {
		t.Fatalf("outcome boards: %+v", out.Boards)
	}
	ob := out.Boards[0]
	if ob.ID != bid || !ob.Revealed || len(ob.Clusters) != 2 || ob.Clusters[0].Name != "Capacity" || ob.Clusters[0].Votes != 3 ||
		ob.Clusters[0].Notes[0].ID != nB || ob.Clusters[0].Notes[0].Votes != 2 || ob.Clusters[1].Name != "Suppliers" || ob.Clusters[1].Votes != 1 {
		t.Fatalf("outcome board: %+v", ob)
	}
}

// Twenty members add and edit notes at the same time: every acknowledged
// note is there with its last text, live, in a fresh snapshot and in the
// outcome rebuilt from the database.
func TestBoardConcurrentNotesNothingLost(t *testing.T) {
	e := newEnv(t, nil, Options{RatePerSec: 1000, RateBurst: 1000})
	f := e.enter("fac")
	bid := openBoard(f, "What would help?", 0, false, 0)
	const clients, perClient, edits = 20, 5, 2
	var mu sync.Mutex
	want := map[string]string{} // note id -> last text
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		p := e.dial(fmt.Sprintf("b%02d", i), "r1", nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			// acks collects the acknowledgements of n frames by key.
			acks := func(n int) (map[string]int64, error) {
				got := map[string]int64{}
				// 300 appends queue behind one another: a wider bound under -race.
				deadline := time.After(6 * wait)
				for len(got) < n {
					select {
					case m, ok := <-p.frames:
						if !ok {
							return nil, fmt.Errorf("%s: connection ended", p.name)
						}
						if m["type"] == "error" {
							return nil, fmt.Errorf("%s: %v", p.name, m)
						}
						if m["type"] == "ack" {
							got[str(m["key"])] = num(m["seq"])
						}
					case <-deadline:
						return nil, fmt.Errorf("%s: %d of %d acks", p.name, len(got), n)
					}
				}
				return got, nil
			}
			for k := 0; k < perClient; k++ {
				p.sendJSON(map[string]any{"type": "board.note", "board": bid, "text": fmt.Sprintf("%s idea %d", p.name, k), "colour": NoteColours[k%len(NoteColours)], "key": fmt.Sprint("n", k)})
			}
			got, err := acks(perClient)
			if err != nil {
				errs <- err
				return
			}
			ids := map[int]string{}
			for k := 0; k < perClient; k++ {
				ids[k] = "n" + itoa64(got[fmt.Sprint("n", k)])
			}
			for r := 1; r <= edits; r++ {
				for k := 0; k < perClient; k++ {
					p.sendJSON(map[string]any{"type": "board.note.edit", "board": bid, "note": ids[k], "text": fmt.Sprintf("%s idea %d, edit %d", p.name, k, r), "key": fmt.Sprint("e", r, "-", k)})
				}
			}
			if _, err := acks(perClient * edits); err != nil {
				errs <- err
				return
			}
			mu.Lock()
			for k := 0; k < perClient; k++ {
				want[ids[k]] = fmt.Sprintf("%s idea %d, edit %d", p.name, k, edits)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(want) != clients*perClient {
		t.Fatalf("%d notes acknowledged, want %d", len(want), clients*perClient)
	}
	// Live: the facilitator's frames end with every note at its last text.
	live := map[string]string{}
	deadline := time.After(6 * wait)
	for !mapsEqual(live, want) {
		select {
		case m := <-f.frames:
			if m["type"] == "board" && noteOf(m) != nil {
				live[str(noteOf(m)["id"])] = str(noteOf(m)["text"])
			}
		case <-deadline:
			t.Fatalf("live frames: %d notes, want %d", len(live), len(want))
		}
	}
	check := func(where string, got map[string]string) {
		t.Helper()
		if !mapsEqual(got, want) {
			for id, text := range want {
				if got[id] != text {
					t.Fatalf("%s: note %s = %q, want %q (%d notes of %d)", where, id, got[id], text, len(got), len(want))
				}
			}
			t.Fatalf("%s: %d notes, want %d", where, len(got), len(want))
		}
	}
	fresh := e.enter("anna")
	snap := map[string]string{}
	for id, n := range notesByID(boardOf(stateOf(fresh), bid)) {
		snap[id] = str(n["text"])
	}
	check("fresh snapshot", snap)
	out, err := e.eng.Outcome(context.Background(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	rebuilt := map[string]string{}
	for _, c := range out.Boards[0].Clusters {
		for _, n := range c.Notes {
			rebuilt[n.ID] = n.Text
		}
	}
	check("outcome", rebuilt)
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Rights on every board message.
func TestBoardRights(t *testing.T) {
	e := newEnv(t, nil, Options{RatePerSec: 1000, RateBurst: 1000})
	f := e.enter("fac")
	a := e.enter("anna")
	j := e.enter("jonas")
	a.sendJSON(map[string]any{"type": "board.open", "prompt": "mine", "votes": 2, "key": "po"})
	if code := errCode(a, "po"); code != string(ErrForbidden) {
		t.Fatalf("board.open by a participant: %s", code)
	}
	bid := openBoard(f, "Ideas", 0, false, 0)
	nA := addNote(a, bid, "Anna's idea")
	for _, typ := range []string{"board.cluster", "board.reveal", "board.close"} {
		a.sendJSON(map[string]any{"type": typ, "board": bid, "note": nA, "cluster": "x", "key": "x-" + typ})
		if code := errCode(a, "x-"+typ); code != string(ErrForbidden) {
			t.Fatalf("%s by a participant: %s", typ, code)
		}
	}
	// Nobody edits another's note; only facilitators delete another's.
	j.sendJSON(map[string]any{"type": "board.note.edit", "board": bid, "note": nA, "text": "Jonas was here", "key": "je"})
	if code := errCode(j, "je"); code != string(ErrForbidden) {
		t.Fatalf("edit of another's note: %s", code)
	}
	f.sendJSON(map[string]any{"type": "board.note.edit", "board": bid, "note": nA, "text": "The facilitator was here", "key": "fe"})
	if code := errCode(f, "fe"); code != string(ErrForbidden) {
		t.Fatalf("a facilitator's edit of a member's note: %s", code)
	}
	j.sendJSON(map[string]any{"type": "board.note.delete", "board": bid, "note": nA, "key": "jd"})
	if code := errCode(j, "jd"); code != string(ErrForbidden) {
		t.Fatalf("delete of another's note: %s", code)
	}
	// Shape and limits.
	for i, bad := range []map[string]any{
		{"type": "board.note", "board": bid, "text": "x", "colour": "red"},
		{"type": "board.note", "board": bid, "text": "  "},
		{"type": "board.note", "board": bid, "text": string(make([]byte, MaxNote+1))},
		{"type": "board.note", "board": "board999", "text": "x"},
		{"type": "board.vote", "board": bid, "note": nA, "on": true}, // a board without voting
	} {
		bad["key"] = fmt.Sprint("bad", i)
		a.sendJSON(bad)
		if code := errCode(a, fmt.Sprint("bad", i)); code != string(ErrInvalid) {
			t.Fatalf("%v: %s", bad, code)
		}
	}
	f.sendJSON(map[string]any{"type": "board.open", "prompt": "Too many dots", "votes": MaxDots + 1, "key": "fo"})
	if code := errCode(f, "fo"); code != string(ErrInvalid) {
		t.Fatalf("more dots than allowed: %s", code)
	}
	f.sendJSON(map[string]any{"type": "board.reveal", "board": bid, "key": "rv"})
	if code := errCode(f, "rv"); code != string(ErrInvalid) {
		t.Fatalf("reveal of a board whose votes are not hidden: %s", code)
	}

	a.sendJSON(map[string]any{"type": "board.note.edit", "board": bid, "note": nA, "text": "Anna's better idea", "colour": "blue", "key": "ae"})
	if m := j.expect("board", changeIs("board.note.edit")); str(noteOf(m)["text"]) != "Anna's better idea" || str(noteOf(m)["colour"]) != "blue" {
		t.Fatalf("an edit: %v", m)
	}
	nB := addNote(j, bid, "Jonas's idea")
	f.sendJSON(map[string]any{"type": "board.note.delete", "board": bid, "note": nB, "key": "fd"})
	if m := a.expect("board", changeIs("board.note.delete")); str(noteOf(m)["id"]) != nB || m["deleted"] != true {
		t.Fatalf("a facilitator's delete: %v", m)
	}
	a.sendJSON(map[string]any{"type": "board.note.delete", "board": bid, "note": nA, "key": "ad"})
	j.expect("board", changeIs("board.note.delete"))

	// A closed board is read-only.
	nC := addNote(a, bid, "Last idea")
	f.sendJSON(map[string]any{"type": "board.close", "board": bid, "key": "cl"})
	if m := a.expect("board", changeIs("board.close")); m["view"].(map[string]any)["closed"] != true {
		t.Fatalf("close: %v", m)
	}
	for i, fr := range []map[string]any{
		{"type": "board.note", "board": bid, "text": "late"},
		{"type": "board.note.edit", "board": bid, "note": nC, "text": "late"},
		{"type": "board.note.delete", "board": bid, "note": nC},
	} {
		fr["key"] = fmt.Sprint("late", i)
		a.sendJSON(fr)
		if code := errCode(a, fmt.Sprint("late", i)); code != string(ErrBoardClosed) {
			t.Fatalf("%v on a closed board: %s", fr["type"], code)
		}
	}
	f.sendJSON(map[string]any{"type": "board.cluster", "board": bid, "note": nC, "cluster": "Late", "key": "lc"})
	if code := errCode(f, "lc"); code != string(ErrBoardClosed) {
		t.Fatalf("cluster on a closed board: %s", code)
	}
	vb := openBoard(f, "Vote", 1, false, 0)
	nV := addNote(j, vb, "Vote for me")
	f.sendJSON(map[string]any{"type": "board.close", "board": vb, "key": "cl2"})
	j.expect("board", changeIs("board.close"))
	j.sendJSON(map[string]any{"type": "board.vote", "board": vb, "note": nV, "on": true, "key": "late-vote"})
	if code := errCode(j, "late-vote"); code != string(ErrVotingClosed) {
		t.Fatalf("a dot on a closed board: %s", code)
	}
}

// Timed voting closes at the board's opening time plus its seconds: the
// room refuses a later dot before storing it, and applying events decides
// from their own time, the same on every server and after a restart.
func TestBoardTimedVoting(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	e := newEnv(t, nil, Options{RatePerSec: 1000, RateBurst: 1000, Now: now})
	f := e.enter("fac")
	a := e.enter("anna")
	bid := openBoard(f, "Quick vote", 2, false, 60)
	m := a.expect("board", changeIs("board.open"))
	ends, err := time.Parse(time.RFC3339Nano, str(m["view"].(map[string]any)["ends_at"]))
	if err != nil || !ends.Equal(now().Truncate(time.Millisecond).Add(60*time.Second)) {
		t.Fatalf("ends_at = %v (%v)", m["view"].(map[string]any)["ends_at"], err)
	}
	n := addNote(a, bid, "Option")
	a.sendJSON(map[string]any{"type": "board.vote", "board": bid, "note": n, "on": true, "key": "v1"})
	a.expect("board", changeIs("board.vote"))
	advance(61 * time.Second)
	a.sendJSON(map[string]any{"type": "board.vote", "board": bid, "note": n, "on": true, "key": "v2"})
	if code := errCode(a, "v2"); code != string(ErrVotingClosed) {
		t.Fatalf("a dot after the voting time: %s", code)
	}
	addNote(a, bid, "Notes are still welcome")

	// apply alone, from stored events with their own times.
	st := newState(RoomInfo{})
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	anna := people["anna"]
	evs := []*Event{
		{Seq: 1, Type: "board.open", Actor: people["fac"], At: at, Data: []byte(`{"prompt":"p","votes":2,"seconds":60}`)},
		{Seq: 2, Type: "board.note", Actor: anna, At: at.Add(time.Second), Data: []byte(`{"board":"board1","text":"x"}`)},
		{Seq: 3, Type: "board.vote", Actor: anna, At: at.Add(59 * time.Second), Data: []byte(`{"board":"board1","note":"n2","on":true}`)},
		{Seq: 4, Type: "board.vote", Actor: anna, At: at.Add(60 * time.Second), Data: []byte(`{"board":"board1","note":"n2","on":true}`)},
	}
	var applied []bool
	for _, ev := range evs {
		applied = append(applied, st.apply(ev))
	}
	if !slices.Equal(applied, []bool{true, true, true, false}) || st.boards.list[0].notes[0].votes != 1 {
		t.Fatalf("applied %v, votes %d", applied, st.boards.list[0].notes[0].votes)
	}
}

// A burst of dots that all pass the room's check before any is applied
// still gives no member more than N: apply holds the limit.
func TestBoardDotLimitHeldByApply(t *testing.T) {
	st := newState(RoomInfo{})
	at := time.Now()
	anna := people["anna"]
	st.apply(&Event{Seq: 1, Type: "board.open", Actor: people["fac"], At: at, Data: []byte(`{"prompt":"p","votes":2}`)})
	st.apply(&Event{Seq: 2, Type: "board.note", Actor: anna, At: at, Data: []byte(`{"board":"board1","text":"x"}`)})
	for seq := int64(3); seq < 8; seq++ {
		st.apply(&Event{Seq: seq, Type: "board.vote", Actor: anna, At: at, Data: []byte(`{"board":"board1","note":"n2","on":true}`)})
	}
	if b := st.boards.list[0]; b.notes[0].votes != 2 || b.used("m-anna") != 2 {
		t.Fatalf("votes %d, used %d", b.notes[0].votes, b.used("m-anna"))
	}
}

// A member who reconnects with last_seq inside the window gets exactly the
// Q&A and board events they missed, each as their audience may see it.
func TestToolsReplayAfterReconnect(t *testing.T) {
	e := newEnv(t, nil, Options{RatePerSec: 1000, RateBurst: 1000})
	f := e.enter("fac")
	a := e.enter("anna")
	j := e.enter("jonas")
	bid := openBoard(f, "Before", 2, true, 0)
	// Both have seen the board open before they go: otherwise the open
	// itself may be among the missed events of one of them.
	j.expect("board", changeIs("board.open"))
	a.expect("board", changeIs("board.open"))
	jLast, aLast := j.lastSeq(), a.lastSeq()
	j.ws.NetConn().Close()
	a.ws.NetConn().Close()

	// While both are away: an anonymous question, an upvote, a note, dots.
	a2 := e.dial("anna", "r1", nil) // anna's other tab keeps working
	a2.welcome()
	a2.sendJSON(map[string]any{"type": "question.ask", "text": "Anonymous one", "anonymous": true, "key": "q"})
	qid := str(qOf(a2.expect("question", nil))["id"])
	f.sendJSON(map[string]any{"type": "question.upvote", "question": qid, "on": true, "key": "up"})
	f.expect("question", changeIs("question.upvote"))
	nid := addNote(a2, bid, "Missed note")
	a2.sendJSON(map[string]any{"type": "board.vote", "board": bid, "note": nid, "on": true, "key": "v"})
	a2.expect("board", changeIs("board.vote"))
	f.sendJSON(map[string]any{"type": "question.pin", "question": qid, "pinned": true, "key": "pin"})
	head := num(f.expect("question", changeIs("question.pin"))["seq"])

	replay := func(who string, last int64) []map[string]any {
		p := e.dial(who, "r1", url.Values{"last_seq": {fmt.Sprint(last)}})
		if w := p.welcome(); str(w["replay"]) != "events" {
			t.Fatalf("%s: replay = %v", who, w["replay"])
		}
		var got []map[string]any
		for want := last + 1; want <= head; {
			select {
			case m := <-p.frames:
				if _, durable := m["seq"]; !durable {
					continue
				}
				if num(m["seq"]) != want {
					t.Fatalf("%s: replayed seq %d, want %d", who, num(m["seq"]), want)
				}
				got = append(got, m)
				want++
			case <-time.After(wait):
				t.Fatalf("%s: replay incomplete", who)
			}
		}
		for len(p.raw) > 0 { // nothing else durable arrived
			var m map[string]any
			_ = json.Unmarshal(<-p.raw, &m)
			if s, ok := m["seq"]; ok && num(s) > head {
				t.Fatalf("%s: more than the missed events: %v", who, m)
			}
		}
		return got
	}
	types := func(fs []map[string]any) []string {
		var out []string
		for _, m := range fs {
			out = append(out, str(m["type"])+"/"+str(m["change"]))
		}
		return out
	}
	jr := replay("jonas", jLast)
	if got := types(jr); !slices.Equal(got, []string{"question/question.ask", "question/question.upvote", "board/board.note", "noop/", "question/question.pin"}) {
		t.Fatalf("jonas's replay: %v", got)
	}
	if q := qOf(jr[0]); q["author"] != nil || q["mine"] != nil {
		t.Fatalf("the anonymous question replayed to jonas: %v", q)
	}
	if n := noteOf(jr[2]); n["mine"] != nil || n["votes"] != nil {
		t.Fatalf("the note replayed to jonas: %v", n)
	}
	ar := replay("anna", aLast)
	if got := types(ar); !slices.Equal(got, []string{"question/question.ask", "question/question.upvote", "board/board.note", "board/board.vote", "question/question.pin"}) {
		t.Fatalf("anna's replay: %v", got)
	}
	if q := qOf(ar[0]); q["mine"] != true || q["author"] == nil {
		t.Fatalf("anna's own anonymous question replayed to her: %v", q)
	}
	if n := noteOf(ar[3]); num(n["dots"]) != 1 || num(ar[3]["left"]) != 1 || n["votes"] != nil {
		t.Fatalf("anna's own dot replayed to her: %v", ar[3])
	}
	fr := replay("fac", jLast)
	if n := noteOf(fr[3]); num(n["votes"]) != 1 || n["dots"] != nil {
		t.Fatalf("the dot replayed to a facilitator: %v", fr[3])
	}
	if q := qOf(fr[0]); q["author"] != nil {
		t.Fatalf("the anonymous question replayed to a facilitator: %v", q)
	}
}

// A new engine on the same database shows the same questions and boards.
func TestToolsSurviveRestart(t *testing.T) {
	e := newEnv(t, nil, Options{RatePerSec: 1000, RateBurst: 1000})
	f := e.enter("fac")
	a := e.enter("anna")
	a.sendJSON(map[string]any{"type": "question.ask", "text": "Kept?", "anonymous": true, "key": "q"})
	qid := str(qOf(a.expect("question", nil))["id"])
	f.sendJSON(map[string]any{"type": "question.upvote", "question": qid, "on": true, "key": "u"})
	f.sendJSON(map[string]any{"type": "question.answer", "question": qid, "answered": true, "text": "Yes.", "key": "an"})
	bid := openBoard(f, "Kept board", 3, true, 600)
	n1 := addNote(a, bid, "One")
	addNote(a, bid, "Two")
	a.sendJSON(map[string]any{"type": "board.vote", "board": bid, "note": n1, "on": true, "key": "v1"})
	a.sendJSON(map[string]any{"type": "board.vote", "board": bid, "note": n1, "on": true, "key": "v2"})
	// Both dots are stored before the cluster move is sent: the two
	// sockets' frames have no order between them otherwise.
	a.expect("ack", func(m map[string]any) bool { return m["key"] == "v2" })
	f.sendJSON(map[string]any{"type": "board.cluster", "board": bid, "note": n1, "cluster": "Firsts", "key": "c"})
	if m := f.expect("board", changeIs("board.cluster")); num(noteOf(m)["votes"]) != 2 {
		t.Fatalf("the clustered note should carry its two dots: %v", m)
	}

	snaps := func(e *env) map[string]string {
		out := map[string]string{}
		for _, who := range []string{"fac", "anna", "jonas"} {
			p := e.dial(who, "r1", nil)
			p.welcome()
			st := stateOf(p)
			b, _ := json.Marshal([]any{st["questions"], st["boards"]})
			out[who] = string(b)
			p.ws.Close()
		}
		return out
	}
	before := snaps(e)
	outBefore, _ := e.eng.Outcome(context.Background(), "r1")
	e.eng.Close()
	e2 := newEnv(t, e.st, Options{})
	after := snaps(e2)
	for who := range before {
		if before[who] != after[who] {
			t.Fatalf("%s's snapshot changed across a restart:\nbefore %s\nafter  %s", who, before[who], after[who])
		}
	}
	outAfter, _ := e2.eng.Outcome(context.Background(), "r1")
	b1, _ := json.Marshal(outBefore)
	b2, _ := json.Marshal(outAfter)
	if string(b1) != string(b2) || len(outAfter.Boards) != 1 || len(outAfter.Questions) != 1 {
		t.Fatalf("outcome before %s\nafter %s", b1, b2)
	}
}

// A board opened with starter notes shows them to everyone at once; they
// are the facilitator's notes, take dots like any other, and too many or
// too long starter notes are refused before anything is stored.
func TestBoardStarterNotes(t *testing.T) {
	e := newEnv(t, nil, Options{RatePerSec: 1000, RateBurst: 1000})
	f := e.enter("fac")
	a := e.enter("anna")
	f.sendJSON(map[string]any{"type": "board.open", "prompt": "Barriers", "votes": 2, "notes": []string{" Cost ", "Confidentiality"}, "key": "o"})
	m := a.expect("board", changeIs("board.open"))
	notes, _ := m["view"].(map[string]any)["notes"].([]any)
	if len(notes) != 2 || str(notes[0].(map[string]any)["text"]) != "Cost" || str(notes[1].(map[string]any)["text"]) != "Confidentiality" {
		t.Fatalf("starter notes as a member sees them: %v", notes)
	}
	bid, nid := str(m["board"]), str(notes[1].(map[string]any)["id"])
	a.sendJSON(map[string]any{"type": "board.vote", "board": bid, "note": nid, "on": true, "key": "v"})
	a.expect("ack", func(m map[string]any) bool { return m["key"] == "v" })
	a.sendJSON(map[string]any{"type": "board.note.edit", "board": bid, "note": nid, "text": "Mine now", "key": "e"})
	if m := a.expect("error", nil); m["code"] != string(ErrForbidden) {
		t.Fatalf("a member editing a starter note: %v", m)
	}
	long := make([]string, MaxStarterNotes+1)
	for i := range long {
		long[i] = "x"
	}
	for _, bad := range [][]string{long, {string(make([]byte, MaxNote+1))}, {"   "}} {
		f.sendJSON(map[string]any{"type": "board.open", "prompt": "Refused", "notes": bad, "key": "bad"})
		if m := f.expect("error", nil); m["code"] != string(ErrInvalid) {
			t.Fatalf("bad starter notes: %v", m)
		}
	}
	out, err := e.eng.Outcome(context.Background(), "r1")
	if err != nil || len(out.Boards) != 1 {
		t.Fatalf("outcome: %v %v", out.Boards, err)
	}
	got := 0
	for _, c := range out.Boards[0].Clusters {
		for _, n := range c.Notes {
			if n.Text == "Confidentiality" {
				got = n.Votes
			}
		}
	}
	if got != 1 {
		t.Fatalf("the starter note's dot in the outcome: %d", got)
	}
}
