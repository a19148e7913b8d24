package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// demoLaterWorkshop is the demo's market dialogue, next week.
const demoLaterWorkshop = "00000000000000000000d002"

// shownJS reports whether the room's designed state kind is shown.
func shownJS(kind string) string {
	return `(() => { const b = document.querySelector('[data-room-shut="` + kind + `"]'); return !!b && !b.hidden && getComputedStyle(b).display !== "none"; })()`
}

// noRawCodes fails when the page shows an error code or the old wording.
func noRawCodes(t *testing.T, tb *tab) {
	t.Helper()
	text := evalJS[string](tb, `document.body.innerText`)
	for _, bad := range []string{"room_closed", "room_not_open", "Not possible now", "closed to you"} {
		if strings.Contains(text, bad) {
			t.Errorf("%s: the page shows %q", tb.name, bad)
		}
	}
	if red := evalJS[string](tb, `getComputedStyle(document.getElementById("room")).color`); red == "rgb(179, 38, 30)" {
		t.Errorf("%s: the whole room is red", tb.name)
	}
}

// TestRoomStatesNotYetOpenAndClosed: a room that is not open yet says when
// it opens, in the member's zone, with a calendar link and the way in
// disabled; a room closed while the member is in it shows what happened,
// keeps the chat readable and disables every input with the reason; a
// reload shows the closed room the same way.
func TestRoomStatesNotYetOpenAndClosed(t *testing.T) {
	first, fac, mem := facilitatorAndMember(t)

	// Not open yet.
	if st := mem.open("/workshops/" + demoLaterWorkshop); st != 200 {
		t.Fatalf("the later workshop answered %d", st)
	}
	if !evalJS[bool](mem, shownJS("room_not_open")) || evalJS[bool](mem, shownJS("room_closed")) {
		t.Fatal("the not-yet-open room does not show its state")
	}
	if !evalJS[bool](mem, `document.querySelector("[data-room-enter]").disabled`) {
		t.Error("the way into a room that is not open is not disabled")
	}
	// The opening time is in the member's zone, named, 24-hour in English.
	opens := evalJS[string](mem, `document.querySelector('[data-room-shut="room_not_open"] time').textContent`)
	if strings.Contains(opens, "AM") || strings.Contains(opens, "PM") || !strings.Contains(opens, "UTC") || strings.Contains(opens, "-") {
		t.Errorf("the opening time reads %q", opens)
	}
	if !evalJS[bool](mem, `!!document.querySelector('[data-room-shut="room_not_open"] a[href$="/calendar.ics"]')`) {
		t.Error("no calendar link in the not-yet-open state")
	}
	noRawCodes(t, mem)

	// Closed while the member is in it.
	room := liveWorkshop(fac, "en")
	for _, tb := range []*tab{fac, mem} {
		tb.enterRoomAt(room)
	}
	sayInRoom(mem, "Before the close.")
	fac.open(room)
	fac.click(`form[action$="/close"] button`)
	mem.waitFor("the closed state", shownJS("room_closed"))
	for _, sel := range []string{"#chat-input", "[data-room-chatform] button", "[data-room-hand]", "#notes-room", "#qa-text"} {
		if !evalJS[bool](mem, `document.querySelector(`+jsString(sel)+`).disabled`) {
			t.Errorf("%s stays enabled in a closed room", sel)
		}
	}
	if got := mem.mustText("[data-room-chat-reason]"); got != "The room is closed, so nothing can be sent now." {
		t.Errorf("the chat's reason reads %q", got)
	}
	if got := mem.mustText("#notes-room-status"); got == "Saved." {
		t.Error("the notes of a closed room say Saved.")
	}
	if got := mem.mustText("[data-room-state]"); got != "The room is closed." {
		t.Errorf("the connection state reads %q", got)
	}
	if got := evalJS[[]string](mem, chatJS); len(got) != 1 || !strings.HasSuffix(got[0], "Before the close.") {
		t.Errorf("the chat of the closed room reads %q", got)
	}
	noRawCodes(t, mem)
	// The facilitator is now offered to open it again, not to close it.
	if evalJS[bool](fac, `!!document.querySelector('form[action$="/close"]')`) || !evalJS[bool](fac, `!!document.querySelector('form[action$="/open"]')`) {
		t.Error("after closing, the facilitator should be offered to open the room, not to close it")
	}

	// A reload shows the closed room before anyone tries to enter.
	mem.open(room)
	if !evalJS[bool](mem, shownJS("room_closed")) || !evalJS[bool](mem, `document.querySelector("[data-room-enter]").disabled`) {
		t.Error("after a reload the closed room does not show its state")
	}
	mem.run(chromedp.Evaluate[chromedp.Void](`document.querySelector("[data-room-enter]").click()`))
	noRawCodes(t, mem)

	for _, tb := range []*tab{first, fac, mem} {
		if problems := tb.takeProblems(); len(problems) > 0 {
			t.Errorf("%s: the pages reported problems:\n%s", tb.name, strings.Join(problems, "\n"))
		}
	}
}
