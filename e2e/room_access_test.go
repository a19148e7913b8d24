package e2e

import (
	"strings"
	"testing"
)

// TestLiveRoomAccessEnds signs the member out while their room is open (in
// the same browser, as another tab would): the room's socket is closed with
// 4003 and the page says, in the page's language, that the access ended,
// never a raw code, and stops reconnecting.
func TestLiveRoomAccessEnds(t *testing.T) {
	first, _, mem := facilitatorAndMember(t)
	room := liveWorkshop(mem, "fr")
	mem.enterRoomAt(withLang(room, "fr"))
	want := evalJS[string](mem, `document.getElementById("room").dataset.tAccessEnded`)
	if !strings.HasPrefix(want, "Votre accès à cette salle a pris fin") {
		t.Fatalf("the page carries %q for the end of access", want)
	}
	// Sign out with the page's own form, through fetch so the room page stays.
	ok := evalJS[bool](mem, `(() => { const f = document.querySelector('form[action="/auth/logout"]'); if (!f) return false;
		fetch(f.action, {method: "POST", body: new URLSearchParams(new FormData(f)), credentials: "same-origin", redirect: "manual"}); return true; })()`)
	if !ok {
		t.Fatal("no sign-out form on the room page")
	}
	mem.waitFor("the room to say the access ended", `document.getElementById("room").dataset.state === "access-ended"`)
	if got := mem.mustText("[data-room-state]"); got != want {
		t.Errorf("the room state reads %q, want %q", got, want)
	}
	page := mem.mustText("#room")
	for _, raw := range []string{"4003", "access_ended"} {
		if strings.Contains(page, raw) {
			t.Errorf("the room shows the raw code %q", raw)
		}
	}
	for _, tb := range []*tab{first, mem} {
		if problems := tb.takeProblems(); len(problems) > 0 {
			// A closed websocket is expected here; anything else is not.
			for _, p := range problems {
				if !strings.Contains(p, "WebSocket") {
					t.Errorf("%s: the page reported a problem: %s", tb.name, p)
				}
			}
		}
	}
}
