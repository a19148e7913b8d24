package live

import (
	"slices"
	"testing"
	"time"
)

// chatTexts reads the texts of a list of chat frames.
func chatTexts(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, str(x.(map[string]any)["text"]))
	}
	return out
}

// entryState enters (a reload or a late join: no last_seq) and returns the
// snapshot's state.
func (e *env) entryState(who string) (*peer, map[string]any) {
	e.t.Helper()
	p := e.enter(who)
	return p, p.expect("snapshot", nil)["state"].(map[string]any)
}

// A member who reloads, or joins after the chat started, gets the chat
// history in the state they enter with: the last page, then older pages on
// request, each message as it was sent live.
func TestChatHistoryOnEntryAndEarlierPages(t *testing.T) {
	e := newEnv(t, nil, Options{ChatPage: 2, RatePerSec: 1000, RateBurst: 1000})
	a := e.enter("anna")
	f := e.enter("fac")
	texts := []string{"first", "second **bold**", "third", "fourth", "fifth"}
	var live []map[string]any
	for i, text := range texts {
		who := a
		if i%2 == 1 {
			who = f
		}
		who.sendJSON(map[string]any{"type": "chat", "text": text, "key": "c" + itoa(i)})
		live = append(live, a.expect("chat", func(m map[string]any) bool { return str(m["text"]) == text }))
	}

	// Jonas joins late; Anna reloads. Both get the last page (two
	// messages) and know there is more.
	for _, who := range []string{"jonas", "anna"} {
		p, st := e.entryState(who)
		if got := chatTexts(st["chat"]); !slices.Equal(got, []string{"fourth", "fifth"}) || st["chat_more"] != true {
			t.Fatalf("%s enters with chat %q, more %v", who, got, st["chat_more"])
		}
		first := st["chat"].([]any)[0].(map[string]any)
		if num(first["seq"]) != num(live[3]["seq"]) || str(first["html"]) != str(live[3]["html"]) || str(first["at"]) != str(live[3]["at"]) ||
			str(first["from"].(map[string]any)["id"]) != "m-fac" || first["type"] != "chat" {
			t.Fatalf("%s: history entry %v differs from the live frame %v", who, first, live[3])
		}
		// "Load earlier messages": pages back until the first.
		var earlier []string
		before := num(first["seq"])
		for {
			p.sendJSON(map[string]any{"type": "chat.history", "before": before})
			m := p.expect("chat.history", nil)
			msgs := m["messages"].([]any)
			earlier = append(chatTexts(msgs), earlier...)
			if m["more"] != true {
				break
			}
			before = num(msgs[0].(map[string]any)["seq"])
		}
		if !slices.Equal(earlier, texts[:3]) {
			t.Fatalf("%s: earlier pages %q", who, earlier)
		}
	}

	// The history survives a restart: it is rebuilt from the stored events.
	e.eng.Close()
	e2 := newEnv(t, e.st, Options{ChatPage: 10})
	_, st := e2.entryState("jonas")
	if got := chatTexts(st["chat"]); !slices.Equal(got, texts) || st["chat_more"] != false {
		t.Fatalf("after a restart: %q, more %v", got, st["chat_more"])
	}
}

// Breakout groups' chat is in the history of the group's members and of
// the facilitators, never of another group's members, in the snapshot and
// in earlier pages, during the round, after it and after a second round.
func TestChatHistoryBreakoutGroupsOnlyTheirOwn(t *testing.T) {
	e := newEnv(t, nil, Options{Tick: 20 * time.Millisecond, RatePerSec: 1000, RateBurst: 1000})
	f := e.enter("fac")
	ps := crowd(t, e, f, "r1", 1, 4) // u001..u004
	ps[0].sendJSON(map[string]any{"type": "chat", "text": "before the round", "key": "c0"})
	f.expect("chat", nil)

	f.sendJSON(map[string]any{"type": "breakout.start", "mode": "manual", "count": 2, "names": []string{"Tenders", "Audits"}, "key": "b"})
	f.expect("breakout.start", nil)
	// u001 and u002 in g1, u003 in g2, u004 stays in the main room.
	for i, g := range []string{"g1", "g1", "g2"} {
		f.sendJSON(map[string]any{"type": "breakout.move", "member": people[ps[i].name].ID, "group": g, "key": "mv" + itoa(i)})
		f.expect("breakout.move", nil)
	}
	says := map[string]string{"u001": "g1 from u001", "u002": "g1 from u002", "u003": "g2 from u003", "u004": "main during the round"}
	for i, p := range ps {
		p.sendJSON(map[string]any{"type": "chat", "text": says[p.name], "key": "c" + itoa(i+1)})
		f.expect("chat", func(m map[string]any) bool { return str(m["text"]) == says[p.name] })
	}
	// In manual mode everyone starts the round in the main room, so its
	// chat is in the history of those moved out of it too.
	want := map[string][]string{
		"u001": {"before the round", "g1 from u001", "g1 from u002", "main during the round"},
		"u002": {"before the round", "g1 from u001", "g1 from u002", "main during the round"},
		"u003": {"before the round", "g2 from u003", "main during the round"},
		"u004": {"before the round", "main during the round"},
		"fac":  {"before the round", "g1 from u001", "g1 from u002", "g2 from u003", "main during the round"},
	}
	check := func(when string) {
		t.Helper()
		for who, w := range want {
			p, st := e.entryState(who)
			if got := chatTexts(st["chat"]); !slices.Equal(got, w) {
				t.Fatalf("%s, %s: history %q, want %q", when, who, got, w)
			}
			// An earlier page asked for by hand is filtered the same way.
			p.sendJSON(map[string]any{"type": "chat.history", "before": 1 << 40})
			if got := chatTexts(p.expect("chat.history", nil)["messages"]); !slices.Equal(got, w) {
				t.Fatalf("%s, %s: chat.history %q, want %q", when, who, got, w)
			}
			p.ws.Close()
		}
	}
	check("during the round")
	f.sendJSON(map[string]any{"type": "breakout.end", "key": "e"})
	f.expect("breakout.end", nil)
	check("after the round")
	// A second round puts everyone in one new group; the first
	// round's groups keep their own history.
	f.sendJSON(map[string]any{"type": "breakout.start", "mode": "random", "size": 10, "key": "b2"})
	f.expect("breakout.start", nil)
	check("during a second round")
}
