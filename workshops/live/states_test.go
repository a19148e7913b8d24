package live

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// laterInfo: room "later" starts in two hours, the others now.
func laterInfo(ctx context.Context, room string) (RoomInfo, error) {
	info, err := testInfo(ctx, room)
	if room == "later" {
		info.StartsAt, info.EndsAt = time.Now().Add(2*time.Hour), time.Now().Add(3*time.Hour)
		info.EarlyEntry = 15 * time.Minute
	}
	return info, err
}

// The room tells a participant why it refuses them, with a code for each
// state (not yet open, closed, muted, removed) that the room page turns
// into a sentence in all four languages; the workshop page asks the room
// whether it is open before anyone enters.
func TestRefusalsSayWhyInEveryLanguage(t *testing.T) {
	e := newEnv(t, nil, Options{Info: laterInfo, RatePerSec: 1000, RateBurst: 1000})
	ctx := context.Background()
	codes := map[ErrorCode]bool{}

	// Not open yet: refused with its own code (and a close reason the
	// browser can read), not as "closed".
	st, err := e.eng.Status(ctx, "later")
	if err != nil || st.IsOpen || !st.NotYet || st.Open != OpenAuto || !st.OpensAt.Before(time.Now().Add(2*time.Hour)) {
		t.Fatalf("status before the start: %+v, %v", st, err)
	}
	early := e.dial("anna", "later", nil)
	m := early.expect("error", nil)
	codes[ErrorCode(str(m["code"]))] = true
	if str(m["code"]) != string(ErrNotOpen) || early.closeCode() != CloseRoomShut {
		t.Fatalf("a participant before the start: %v", m)
	}
	// A facilitator may enter, and open it early.
	f := e.dial("fac", "later", nil)
	f.welcome()
	f.sendJSON(map[string]any{"type": "room.open", "key": "o"})
	f.expect("room.open", nil)
	if st, _ := e.eng.Status(ctx, "later"); !st.IsOpen || st.NotYet || st.Open != OpenOpen {
		t.Fatalf("status once opened: %+v", st)
	}
	a := e.dial("anna", "later", nil)
	a.welcome()

	// Muted: the chat is refused, the hand is not.
	f.sendJSON(map[string]any{"type": "mute", "muted": true, "key": "mu"})
	a.expect("mute", nil)
	a.sendJSON(map[string]any{"type": "chat", "text": "hello?", "key": "c"})
	m = a.expect("error", nil)
	codes[ErrorCode(str(m["code"]))] = true
	if str(m["code"]) != string(ErrMuted) || str(m["ref"]) != "c" {
		t.Fatalf("chat while muted: %v", m)
	}
	a.sendJSON(map[string]any{"type": "hand", "raised": true, "key": "h"})
	a.expect("hand", nil)

	// Closed: participants are sent away with the reason; a participant
	// coming back is refused with it; the status says so.
	f.sendJSON(map[string]any{"type": "room.close", "key": "cl"})
	if code := a.closeCode(); code != CloseRoomShut {
		t.Fatalf("close code after room.close = %d", code)
	}
	back := e.dial("anna", "later", nil)
	m = back.expect("error", nil)
	codes[ErrorCode(str(m["code"]))] = true
	if str(m["code"]) != string(ErrClosed) {
		t.Fatalf("a participant in a closed room: %v", m)
	}
	if st, _ := e.eng.Status(ctx, "later"); st.IsOpen || st.NotYet || st.Open != OpenClosed {
		t.Fatalf("status once closed: %+v", st)
	}

	// Removed: the socket closes with 4001 and the member cannot return.
	j := e.enter("jonas")
	fr := e.enter("fac")
	fr.sendJSON(map[string]any{"type": "remove", "member": "m-jonas", "key": "rm"})
	if code := j.closeCode(); code != CloseRemoved {
		t.Fatalf("removed: close code %d", code)
	}
	m = e.dial("jonas", "r1", nil).expect("error", nil)
	codes[ErrorCode(str(m["code"]))] = true
	if str(m["code"]) != string(ErrRemoved) {
		t.Fatalf("a removed member coming back: %v", m)
	}

	// Every refusal above, and the room's other errors, are sentences in
	// every catalog (the room page shows them, never the code).
	for _, c := range []ErrorCode{ErrBadFrame, ErrForbidden, ErrRateLimited, ErrInvalid, ErrUnavailable, ErrSlow, ErrShutdown} {
		codes[c] = true
	}
	for _, lang := range []string{"en", "fr", "nl", "de"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "frontend", "locales", lang+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var cat map[string]string
		if err := json.Unmarshal(b, &cat); err != nil {
			t.Fatal(err)
		}
		for c := range codes {
			if msg := cat["room.err."+string(c)]; len(msg) < 12 {
				t.Errorf("%s: no sentence for %s (%q)", lang, c, msg)
			}
		}
	}
}

// A facilitator renames a breakout group: everyone's room shows the new
// name, a reload keeps it, and the outcome lists the group under it. A
// participant may not rename.
func TestBreakoutRenameReachesRoomAndOutcome(t *testing.T) {
	e := newEnv(t, nil, Options{Tick: 20 * time.Millisecond})
	f := e.enter("fac")
	ps := crowd(t, e, f, "r1", 1, 4)
	f.sendJSON(map[string]any{"type": "breakout.start", "mode": "random", "size": 2, "key": "b"})
	f.expect("breakout.start", nil)
	ps[0].sendJSON(map[string]any{"type": "breakout.rename", "group": "g1", "name": "Mine", "key": "x"})
	if m := ps[0].expect("error", nil); str(m["code"]) != string(ErrForbidden) {
		t.Fatalf("a participant renames: %v", m)
	}
	f.sendJSON(map[string]any{"type": "breakout.rename", "group": "g9", "name": "Nowhere", "key": "bad"})
	if m := f.expect("error", nil); str(m["code"]) != string(ErrInvalid) {
		t.Fatalf("renaming a group that does not exist: %v", m)
	}
	f.sendJSON(map[string]any{"type": "breakout.rename", "group": "g2", "name": "  Hospitals  ", "key": "r"})
	if m := ps[3].expect("breakout.rename", nil); str(m["group"]) != "g2" || str(m["name"]) != "Hospitals" {
		t.Fatalf("rename frame %v", m)
	}
	f.sendJSON(map[string]any{"type": "breakout.end", "key": "e"})
	f.expect("breakout.end", nil)
	_, st := e.entryState("u001")
	_, gs := groupsOf(st["breakouts"])
	if str(gs[0]["name"]) != "" || str(gs[1]["name"]) != "Hospitals" {
		t.Fatalf("groups after a reload: %v", gs)
	}
	o, err := e.eng.Outcome(context.Background(), "r1")
	if err != nil || len(o.Breakouts) != 2 || o.Breakouts[1].Name != "Hospitals" || o.Breakouts[0].Name != "" {
		t.Fatalf("outcome breakouts %+v, %v", o.Breakouts, err)
	}
}
