package live

import (
	"sync/atomic"
	"testing"
	"time"
)

// A socket whose rights end is refused its next frame (access_ended for
// that frame, nothing stored or broadcast) and closed with 4003; one that
// only listens is closed before it is sent anything more. The guards run
// in the socket's reader and writer, so the room goes on for the others.
func TestGuardEndsConnections(t *testing.T) {
	e := newEnv(t, nil, Options{})
	var annMay, jonasMay atomic.Bool
	annMay.Store(true)
	jonasMay.Store(true)
	e.guard("anna", Guard{Frame: annMay.Load})
	e.guard("jonas", Guard{Delivery: jonasMay.Load})
	fac, anna, jonas := e.enter("fac"), e.enter("anna"), e.enter("jonas")

	anna.sendJSON(map[string]any{"type": "chat", "key": "a1", "text": "before"})
	anna.expect("ack", func(m map[string]any) bool { return m["key"] == "a1" })
	jonas.expect("chat", func(m map[string]any) bool { return m["text"] == "before" })

	t.Run("frame", func(t *testing.T) {
		annMay.Store(false)
		anna.sendJSON(map[string]any{"type": "chat", "key": "a2", "text": "after"})
		anna.expect("error", func(m map[string]any) bool { return m["code"] == "access_ended" && m["ref"] == "a2" })
		if code := anna.closeCode(); code != CloseForbidden {
			t.Fatalf("anna closed with %d", code)
		}
		// The facilitator's next chat comes after anything Anna's frame
		// would have caused: her refused chat is not among what precedes it.
		fac.sendJSON(map[string]any{"type": "chat", "key": "f1", "text": "marker"})
		for {
			m := fac.expect("chat", nil)
			if m["text"] == "after" {
				t.Fatal("the refused chat was broadcast")
			}
			if m["text"] == "marker" {
				break
			}
		}
	})
	t.Run("delivery", func(t *testing.T) {
		jonasMay.Store(false)
		fac.sendJSON(map[string]any{"type": "chat", "key": "f2", "text": "not for jonas"})
		fac.expect("ack", func(m map[string]any) bool { return m["key"] == "f2" })
		deadline := time.After(wait)
		for open := true; open; {
			select {
			case m, ok := <-jonas.frames:
				if ok && m["type"] == "chat" && m["text"] == "not for jonas" {
					t.Fatal("delivered to a socket whose rights ended")
				}
				open = ok
			case <-deadline:
				t.Fatal("jonas still connected")
			}
		}
		if code := jonas.closeCode(); code != CloseForbidden {
			t.Fatalf("jonas closed with %d", code)
		}
	})
}
