package live

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// waitInfo: room "wait" starts in two hours and has a waiting room with
// its chat; room "quiet" the same without the chat; others as testInfo.
func waitInfo(ctx context.Context, room string) (RoomInfo, error) {
	info, err := testInfo(ctx, room)
	if room == "wait" || room == "quiet" {
		info.StartsAt, info.EndsAt = time.Now().Add(2*time.Hour), time.Now().Add(3*time.Hour)
		info.EarlyEntry = 15 * time.Minute
		info.WaitingRoom, info.WaitingChat = true, room == "wait"
	}
	return info, err
}

// Early arrivals wait in the waiting room: told when it opens, they see
// who else waits, chat if the facilitator allows it (facilitators read and
// answer), may do nothing else and get nothing else of the room; when the
// facilitator opens the room they are let in with the whole room, the chat
// so far included. Without the chat, their messages are refused and the
// room's chat does not reach them.
func TestWaitingRoomLetsEarlyArrivalsIn(t *testing.T) {
	e := newEnv(t, nil, Options{Info: waitInfo, RatePerSec: 1000, RateBurst: 1000, Tick: 20 * time.Millisecond})
	ctx := context.Background()
	if st, err := e.eng.Status(ctx, "wait"); err != nil || st.IsOpen || !st.NotYet || !st.MayWait {
		t.Fatalf("status of a room with a waiting room before it opens: %+v %v", st, err)
	}
	a := e.dial("anna", "wait", nil)
	if w := a.welcome(); !w["you"].(map[string]any)["waiting"].(bool) {
		t.Fatalf("welcome of a waiting member: %v", w)
	}
	m := a.expect("waiting", nil)
	opens, _ := time.Parse(time.RFC3339, str(m["opens_at"]))
	if m["chat"] != true || opens.IsZero() || !opens.Before(time.Now().Add(2*time.Hour)) {
		t.Fatalf("waiting frame %v", m)
	}
	j := e.dial("jonas", "wait", nil)
	j.welcome()
	j.expect("waiting", nil)
	// Anna sees Jonas waiting.
	a.expect("presence", func(m map[string]any) bool {
		for _, p := range m["joined"].([]any) {
			if p := p.(map[string]any); str(p["id"]) == "m-jonas" && p["waiting"] == true {
				return true
			}
		}
		return false
	})
	f := e.dial("fac", "wait", nil)
	f.welcome()
	f.expect("snapshot", nil)

	// They chat; the facilitator reads it and answers.
	a.sendJSON(map[string]any{"type": "chat", "text": "Early, sorry", "key": "c1"})
	j.expect("chat", func(m map[string]any) bool { return str(m["text"]) == "Early, sorry" })
	f.expect("chat", func(m map[string]any) bool { return str(m["text"]) == "Early, sorry" })
	f.sendJSON(map[string]any{"type": "chat", "text": "Welcome, we start soon", "key": "c2"})
	a.expect("chat", func(m map[string]any) bool { return str(m["text"]) == "Welcome, we start soon" })
	// Anything else is refused, and the room's own events do not reach them.
	a.sendJSON(map[string]any{"type": "hand", "raised": true, "key": "h"})
	if m := a.expect("error", nil); str(m["code"]) != string(ErrNotOpen) || str(m["ref"]) != "h" {
		t.Fatalf("a hand in the waiting room: %v", m)
	}
	f.sendJSON(map[string]any{"type": "announce", "text": "Facilitators only, before the start", "key": "an"})
	f.expect("announce", nil)

	// The facilitator opens the room: both are let in with the whole room.
	f.sendJSON(map[string]any{"type": "room.open", "key": "o"})
	for _, p := range []*peer{a, j} {
		// Frames arrive in order: what came before "admitted" came while
		// waiting, and holds nothing of the room but presence and chat.
		for m := range p.frames {
			if typ := str(m["type"]); typ == "admitted" {
				break
			} else if typ != "presence" && typ != "chat" {
				t.Fatalf("%s got %v in the waiting room", p.name, m)
			}
		}
		st := p.expect("snapshot", nil)["state"].(map[string]any)
		if got := chatTexts(st["chat"]); !slices.Equal(got, []string{"Early, sorry", "Welcome, we start soon"}) {
			t.Fatalf("%s is let in with the chat %q", p.name, got)
		}
		if ann, _ := st["announcement"].(map[string]any); str(ann["text"]) != "Facilitators only, before the start" {
			t.Fatalf("%s is let in without the room's state: %v", p.name, st["announcement"])
		}
	}
	a.sendJSON(map[string]any{"type": "hand", "raised": true, "key": "h2"})
	f.expect("hand", nil)
}

// Without the waiting room's chat, a waiting member cannot chat and does
// not get the room's chat; the schedule opening the room lets them in.
func TestWaitingRoomWithoutChatOpensOnSchedule(t *testing.T) {
	var later atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(later.Load())) }
	e := newEnv(t, nil, Options{Info: waitInfo, RatePerSec: 1000, RateBurst: 1000, Tick: 20 * time.Millisecond, Now: now})
	a := e.dial("anna", "quiet", nil)
	a.welcome()
	if m := a.expect("waiting", nil); m["chat"] != false || m["messages"] != nil {
		t.Fatalf("waiting frame without chat %v", m)
	}
	a.sendJSON(map[string]any{"type": "chat", "text": "Anyone?", "key": "c1"})
	if m := a.expect("error", nil); str(m["code"]) != string(ErrNotOpen) {
		t.Fatalf("chat in a waiting room without chat: %v", m)
	}
	f := e.dial("fac", "quiet", nil)
	f.welcome()
	f.sendJSON(map[string]any{"type": "chat", "text": "Facilitators preparing", "key": "c2"})
	f.expect("chat", nil)
	// The schedule lets participants in 15 minutes before the start.
	later.Store(int64(2 * time.Hour))
	a.expect("admitted", nil)
	st := a.expect("snapshot", nil)["state"].(map[string]any)
	if got := chatTexts(st["chat"]); !slices.Equal(got, []string{"Facilitators preparing"}) {
		t.Fatalf("let in with the chat %q", got)
	}
}
