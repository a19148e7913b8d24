package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// typeAt types text at a position of a textarea with real key events, as
// a member would, so the notes editor sees its input events.
func typeAt(tb *tab, sel string, pos int, text string) {
	tb.t.Helper()
	evalJS[bool](tb, fmt.Sprintf(`(() => { const ta = document.querySelector(%s); ta.focus(); const p = %d < 0 ? ta.value.length : %d; ta.setSelectionRange(p, p); return true; })()`, jsString(sel), pos, pos))
	tb.run(chromedp.KeyEvent(text))
}

// TestLiveRoomNotesAndBreakouts: a facilitator and a member type in the
// room's shared notes at once and both end with both texts; then the
// facilitator opens breakout groups the members choose, the member picks
// one and writes its notes, the facilitator visits that group, reads the
// notes and chats there, and calls everyone back.
func TestLiveRoomNotesAndBreakouts(t *testing.T) {
	first, fac, mem := facilitatorAndMember(t)
	room := liveWorkshop(fac, "en")
	for _, tb := range []*tab{fac, mem} {
		tb.enterRoomAt(room)
	}
	fac.waitFor("the member in the presence list", `[...document.querySelectorAll("[data-room-people] li")].some(li => li.textContent.startsWith("Anna de Vries"))`)

	// Both type at once: the member at the end, the facilitator at the start.
	showActivity(mem, "notes")
	showActivity(fac, "notes")
	typeAt(mem, "#notes-room", -1, "Anna writes here.")
	typeAt(fac, "#notes-room", 0, "Lucas first. ")
	for _, tb := range []*tab{fac, mem} {
		tb.waitFor("both texts in the notes", `(() => { const v = document.querySelector("#notes-room").value; return v.includes("Anna writes here.") && v.includes("Lucas first. "); })()`)
		tb.waitFor("the saved state", `document.querySelector("#notes-room-status").textContent === "Saved."`)
	}
	if a, b := evalJS[string](fac, `document.querySelector("#notes-room").value`), evalJS[string](mem, `document.querySelector("#notes-room").value`); a != b {
		t.Fatalf("the notes differ: %q vs %q", a, b)
	}

	// Breakouts the members choose.
	fac.run(openRoomControls("breakout"))
	fac.run(chromedp.SetValue(chromedp.CSS("#bo-mode"), "choice"))
	fac.run(chromedp.SetValue(chromedp.CSS("#bo-count"), "2"))
	fac.run(chromedp.Click(chromedp.CSS("[data-ctl-breakout-start]")))
	mem.waitFor("the group choice", `document.querySelectorAll("[data-breakout-pick] button").length === 2`)
	// The member was typing in the notes: the groups do not take the stage
	// from under them; the banner offers them, and "Show me" puts them there.
	mem.waitFor("the banner for the groups", `!document.querySelector("[data-room-activity]").hidden`)
	if !evalJS[bool](mem, stageAloneJS("notes")) {
		t.Error("the breakout groups took the stage from a member typing in the notes")
	}
	mem.run(chromedp.Click(chromedp.CSS("[data-room-activity-show]")))
	mem.waitFor("the groups alone on the stage", stageAloneJS("breakout"))
	if got := mem.mustText("[data-breakout-status]"); got != "You are in the main room." {
		t.Errorf("before choosing, the member reads %q", got)
	}
	mem.run(chromedp.Click(chromedp.CSS("[data-breakout-pick] button:nth-of-type(2)")))
	mem.waitFor("the member in group 2", `document.querySelector("[data-breakout-status]").textContent === "You are in Group 2"`)
	mem.waitFor("the group notes", `!document.querySelector("[data-notes-group]").hidden`)
	typeAt(mem, "#notes-group", -1, "Group two notes")
	mem.waitFor("the group notes saved", `document.querySelector("#notes-group-status").textContent === "Saved."`)

	fac.waitFor("group 2 in the visit list", `[...document.querySelector("#bo-visit").options].some(o => o.value === "g2")`)
	fac.run(chromedp.SetValue(chromedp.CSS("#bo-visit"), "g2"))
	evalJS[bool](fac, `document.querySelector("#bo-visit").dispatchEvent(new Event("change")) || true`)
	fac.waitFor("the visited group's notes", `document.querySelector("#notes-group").value === "Group two notes"`)
	fac.run(chromedp.SetValue(chromedp.CSS("#chat-input"), "Visiting group two"))
	fac.run(chromedp.Click(chromedp.CSS("[data-room-chatform] button")))
	mem.waitFor("the facilitator's chat in the group", `[...document.querySelectorAll("[data-room-chat] li")].some(li => li.textContent.includes("[Group 2] Lucas Martin") && li.textContent.includes("Visiting group two"))`)

	fac.run(chromedp.Click(chromedp.CSS("[data-ctl-breakout-end]")))
	mem.waitFor("the end of the breakouts", `document.querySelector("[data-breakout-status]").textContent.startsWith("The breakout groups have ended")`)
	mem.waitFor("read-only group notes", `document.querySelector("#notes-group").readOnly && document.querySelector("#notes-group").value === "Group two notes"`)

	for _, tb := range []*tab{first, fac, mem} {
		if problems := tb.takeProblems(); len(problems) > 0 {
			t.Errorf("%s: the pages reported problems:\n%s", tb.name, strings.Join(problems, "\n"))
		}
	}
}

// TestRoomBreakoutNamesByAttribute: groups formed by language or by
// country are named for what they gather, in the reader's language
// ("Dutch speakers", "Netherlands"; in French "Langue : néerlandais",
// "Pays-Bas"), never by code, for the member and in the facilitator's
// controls.
func TestRoomBreakoutNamesByAttribute(t *testing.T) {
	first, fac, mem := facilitatorAndMember(t)
	room := liveWorkshop(fac, "en")
	fac.enterRoomAt(room)
	mem.enterRoomAt(room)
	fac.waitFor("the member in the presence list", `[...document.querySelectorAll("[data-room-people] li")].some(li => li.textContent.startsWith("Anna de Vries"))`)
	start := func(attr string) {
		t.Helper()
		fac.run(openRoomControls("breakout"))
		fac.run(chromedp.SetValue(chromedp.CSS("#bo-mode"), "attribute"))
		evalJS[bool](fac, `document.querySelector("#bo-mode").dispatchEvent(new Event("change")) || true`)
		fac.run(chromedp.SetValue(chromedp.CSS("#bo-attr"), attr))
		fac.run(chromedp.Click(chromedp.CSS("[data-ctl-breakout-start]")))
		fac.waitFor("the running groups", `!document.querySelector("[data-ctl-breakout-end]").disabled`)
	}
	end := func() {
		t.Helper()
		fac.run(openRoomControls("breakout"), chromedp.Click(chromedp.CSS("[data-ctl-breakout-end]")))
		mem.waitFor("the end of the breakouts", `document.querySelector("[data-breakout-status]").textContent === document.getElementById("room").dataset.tBreakoutEnded`)
		fac.waitFor("the end of the round", `document.querySelector("[data-ctl-breakout-end]").disabled`)
	}
	start("language")
	mem.waitFor("the member's group by language", `document.querySelector("[data-breakout-status]").textContent === "You are in Dutch speakers"`)
	if got := evalJS[[]string](fac, `[...document.querySelector("#bo-visit").options].map(o => o.textContent)`); strings.Join(got, "|") != "Main room|Dutch speakers" {
		t.Errorf("the facilitator's groups read %q", got)
	}
	end()

	// By country, with the member's page in French.
	mem.enterRoomAt(withLang(room, "fr"))
	start("country")
	mem.waitFor("the member's group by country, in French", `document.querySelector("[data-breakout-status]").textContent === "Vous êtes dans Pays-Bas"`)
	if got := evalJS[string](fac, `[...document.querySelector("#bo-visit").options].map(o => o.textContent).join("|")`); got != "Main room|Netherlands" {
		t.Errorf("the facilitator's groups read %q", got)
	}
	if text := evalJS[string](mem, `document.getElementById("room").innerText`); strings.Contains(text, " NL") || strings.Contains(text, " nl") {
		t.Error("a group is shown by its code")
	}
	end()

	for _, tb := range []*tab{first, fac, mem} {
		if problems := tb.takeProblems(); len(problems) > 0 {
			t.Errorf("%s: the pages reported problems:\n%s", tb.name, strings.Join(problems, "\n"))
		}
	}
}
