package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// waitingWorkshop has the facilitator's tab create, with the workshop
// form, a workshop that starts in two hours with a waiting room (and its
// chat), and returns its page.
func waitingWorkshop(fac *tab) string {
	fac.t.Helper()
	if st := fac.open("/workshops/new"); st != 200 {
		fac.t.Fatalf("the workshop form answered %d", st)
	}
	fac.run(chromedp.Evaluate[chromedp.Void](`(() => {
  const at = (h) => new Date(Date.now() + h * 3600e3).toISOString().slice(0, 16);
  document.querySelector("#f-title").value = "Clinic with a waiting room";
  document.querySelector("#f-start").value = at(2);
  document.querySelector("#f-end").value = at(3);
  document.querySelector("#f-tz").value = "UTC";
  document.querySelector("#f-waiting").checked = true;
  document.querySelector("#f-waiting-chat").checked = true;
})()`))
	if st := fac.click(`form[action="/workshops"] button[type=submit]`); st != 200 {
		fac.t.Fatalf("saving the workshop answered %d", st)
	}
	page := fac.location().Path
	if !strings.HasPrefix(page, "/workshops/") || strings.Count(page, "/") != 2 {
		fac.t.Fatalf("the saved workshop is at %s", page)
	}
	return page
}

// enterWaitingRoom: a member who comes early enters the waiting room of a
// workshop a facilitator has just planned (for the accessibility walk).
func enterWaitingRoom(tb *tab, lang string) int64 {
	tb.t.Helper()
	fac := tb.isolated("facilitator")
	fac.signIn("facilitator")
	page := waitingWorkshop(fac)
	st := tb.open(withLang(page, lang))
	tb.run(chromedp.Click(chromedp.CSS("[data-room-enter]")))
	tb.waitFor("the waiting room", `document.getElementById("room").dataset.state === "waiting"`)
	tb.run(chromedp.Evaluate[chromedp.Void](`(() => { const h = document.documentElement; h.tabIndex = -1; h.focus(); h.blur(); h.removeAttribute("tabindex"); scrollTo(0, 0); })()`))
	return st
}

// TestRoomWaitingRoom: a workshop whose facilitator wants a waiting room
// lets a member who comes early in to wait: the page offers it, the room
// shows when it opens (in the member's zone) instead of the stage, the
// chat works (the facilitator allowed it) while the hand waits for the
// room with the reason; the facilitator sees the member marked waiting and
// reads the chat; when the facilitator opens the room, the member is let
// in with the whole room, without reloading.
func TestRoomWaitingRoom(t *testing.T) {
	first, fac, mem := facilitatorAndMember(t)
	page := waitingWorkshop(fac)

	mem.open(page)
	if got := mem.mustText("[data-room-enter]"); got != "Enter the waiting room" || evalJS[bool](mem, `document.querySelector("[data-room-enter]").disabled`) {
		t.Fatalf("the way in reads %q (or is disabled)", got)
	}
	mem.run(chromedp.Click(chromedp.CSS("[data-room-enter]")))
	mem.waitFor("the waiting room", `document.getElementById("room").dataset.state === "waiting"`)
	if got := mem.mustText("[data-room-state]"); got != "In the waiting room." {
		t.Errorf("the connection state reads %q", got)
	}
	if !evalJS[bool](mem, `document.querySelector("[data-room-waiting]").offsetParent !== null && [...document.querySelectorAll("[data-stage-tool], [data-stage-switch]")].every(e => e.offsetParent === null)`) {
		t.Error("the waiting room does not take the stage's place")
	}
	opens := mem.mustText("[data-room-waiting-opens]")
	if opens == "" || strings.Contains(opens, "AM") || strings.Contains(opens, "PM") || !strings.Contains(opens, "UTC") {
		t.Errorf("the opening time reads %q", opens)
	}
	if got := mem.mustText("[data-room-waiting-others]"); got != "Nobody else is waiting yet." {
		t.Errorf("who else waits reads %q", got)
	}
	if !evalJS[bool](mem, `document.querySelector("[data-room-hand]").disabled`) || mem.mustText("[data-room-wait-reason]") != "Available once the room opens." {
		t.Error("the hand is live in the waiting room, or without its reason")
	}
	sayInRoom(mem, "Early, sorry")

	// The facilitator sees who waits and what they say.
	fac.enterRoomAt(page)
	fac.waitFor("the member marked waiting", `[...document.querySelectorAll("[data-room-people] li")].some(li => li.textContent.startsWith("Anna de Vries (participant") && li.textContent.includes("waiting"))`)
	fac.waitFor("the waiting member's message", chatJS+`.some(s => s.endsWith("Early, sorry"))`)
	sayInRoom(fac, "Welcome, we start soon")
	mem.waitFor("the facilitator's answer", chatJS+`.some(s => s.endsWith("Welcome, we start soon"))`)

	// Opened: the member is in, with the room's stage and the chat so far.
	fac.open(page)
	fac.click(`form[action$="/open"] button`)
	mem.waitFor("the room", `document.getElementById("room").dataset.state === "connected"`)
	mem.waitFor("the stage", stageAloneJS("agenda"))
	if !evalJS[bool](mem, `document.querySelector("[data-room-waiting]").hidden && !document.querySelector("[data-room-hand]").disabled`) {
		t.Error("the member let in still has the waiting room, or a disabled hand")
	}
	if got := evalJS[[]string](mem, chatJS); len(got) != 2 {
		t.Errorf("the member let in has the chat %q", got)
	}
	if got := mem.mustText("[data-room-activity-live]"); got != "The room is open: welcome in." {
		t.Errorf("the screen reader hears %q", got)
	}

	for _, tb := range []*tab{first, fac, mem} {
		if problems := tb.takeProblems(); len(problems) > 0 {
			t.Errorf("%s: the pages reported problems:\n%s", tb.name, strings.Join(problems, "\n"))
		}
	}
}
