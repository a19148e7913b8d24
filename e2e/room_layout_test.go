package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// inViewJS tells whether the element sel is wholly inside the viewport
// (for the stage: its top is in view and it shows at least 300 px).
func inViewJS(sel string, stage bool) string {
	if stage {
		return fmt.Sprintf(`(() => { const r = document.querySelector(%s).getBoundingClientRect(); return r.top >= 0 && r.left >= 0 && r.right <= innerWidth && Math.min(r.bottom, innerHeight) - r.top >= 300; })()`, jsString(sel))
	}
	return fmt.Sprintf(`(() => { const e = document.querySelector(%s); const r = e.getBoundingClientRect(); return r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; })()`, jsString(sel))
}

// press sends one key (kb.Tab, kb.Enter, " ", kb.ArrowRight…) as a
// keyboard would, with shift when asked.
func press(tb *tab, key string, shift bool) {
	tb.t.Helper()
	var opts []chromedp.KeyOption
	if shift {
		opts = append(opts, chromedp.KeyModifiers(chromedp.ModifierShift))
	}
	tb.run(chromedp.KeyEvent(key, opts...))
}

// tabTo presses Tab until the focus is on an element matching the
// JavaScript predicate (on document.activeElement, named e), as a
// keyboard-only member moves through the page.
func tabTo(tb *tab, what, pred string) {
	tb.t.Helper()
	for i := 0; i < 250; i++ {
		if evalJS[bool](tb, `(() => { const e = document.activeElement; return !!e && (`+pred+`); })()`) {
			return
		}
		press(tb, kb.Tab, false)
	}
	tb.t.Fatalf("%s: Tab never reached %s", tb.name, what)
}

// TestRoomLayout: the room as a room. At 1280x900 the participant's
// stage, chat input and hand button are in view once entered, with no
// facilitator control; keyboard-only, the member chats, raises a hand,
// votes and adds a note to a board while the facilitator runs the whole
// run-sheet with "next"; at 360x740 the stage, chat and people are an
// ARIA tablist worked with the arrow keys, whose badges count what
// arrived unseen.
func TestRoomLayout(t *testing.T) {
	first, fac, mem := facilitatorAndMember(t)
	room := liveWorkshop(fac, "en")
	for _, tb := range []*tab{fac, mem} {
		tb.enterRoomAt(room)
	}

	t.Run("desktop", func(t *testing.T) {
		// A chat longer than the window must scroll inside its panel, not
		// push the input out of view.
		for i := 1; i <= 14; i++ {
			sayInRoom(fac, fmt.Sprintf("Line %d of a busy chat", i))
		}
		mem.waitFor("the busy chat", chatJS+`.length >= 14`)
		mem.run(chromedp.Evaluate[chromedp.Void](`document.getElementById("room").scrollIntoView({block: "start"})`))
		for sel, stage := range map[string]bool{"[data-room-panel=stage]": true, "#chat-input": false, "[data-room-hand]": false, "[data-room-chatform] button": false} {
			if !evalJS[bool](mem, inViewJS(sel, stage)) {
				t.Errorf("at 1280x900 %s is not in view: %v", sel, evalJS[map[string]float64](mem, `document.querySelector(`+jsString(sel)+`).getBoundingClientRect().toJSON()`))
			}
		}
		if n := evalJS[int](mem, `document.querySelectorAll("[data-ctl-poll-create], [data-ctl-agenda], [data-runsheet], [data-runsheet-next], [data-room-present], [data-ctl-mute], .room-controls").length`); n != 0 {
			t.Errorf("the participant is offered %d facilitator controls", n)
		}
		if !evalJS[bool](mem, `document.querySelector("[data-room-tabs]").hidden`) {
			t.Error("the tabs show on a desktop")
		}
		// The stage shows the current activity alone (the others are not
		// on the page, not merely scrolled away), the others one click away.
		if !evalJS[bool](mem, stageAloneJS("agenda")) {
			t.Error("the stage does not show the agenda alone")
		}
		if got := evalJS[[]string](mem, `[...document.querySelectorAll("[data-stage-pick]")].map(b => b.dataset.stagePick + ":" + b.getAttribute("aria-pressed"))`); strings.Join(got, " ") != "agenda:true poll:false breakout:false board:false qa:false notes:false" {
			t.Errorf("the other activities read %q", got)
		}
		if got := mem.mustText("[data-room-step]"); got != "Welcome and ground rules (10 min)" {
			t.Errorf("the top bar names the step %q", got)
		}
	})

	t.Run("keyboard-and-runsheet", func(t *testing.T) {
		// Chat: Tab to the input, type, Enter.
		mem.run(chromedp.Evaluate[chromedp.Void](`document.activeElement.blur(); scrollTo(0, 0)`))
		tabTo(mem, "the chat input", `e.id === "chat-input"`)
		mem.run(chromedp.KeyEvent("Hello from the keyboard"))
		press(mem, kb.Enter, false)
		mem.waitFor("the keyboard's message", chatJS+`.some(s => s.endsWith(": Hello from the keyboard"))`)
		// Hand: Shift+Tab back to the hand button, Enter.
		for i := 0; i < 60 && !evalJS[bool](mem, `document.activeElement.matches("[data-room-hand]")`); i++ {
			press(mem, kb.Tab, true)
		}
		press(mem, kb.Enter, false)
		mem.waitFor("the hand up", `document.querySelector("[data-room-hand]").dataset.raised === "true"`)
		fac.waitFor("the member's hand in the queue", `[...document.querySelectorAll("[data-room-hands] li")].some(li => li.textContent.startsWith("Anna de Vries"))`)

		// The facilitator runs the run-sheet with "next": the announcement,
		// then the poll.
		steps := evalJS[int](fac, `document.querySelectorAll("[data-runsheet] [data-step]").length`)
		if steps < 4 {
			t.Fatalf("the demo's run-sheet has %d steps", steps)
		}
		next := func(n int) {
			fac.run(chromedp.Click(chromedp.CSS("[data-runsheet-next]")))
			fac.waitFor(fmt.Sprintf("step %d done", n), fmt.Sprintf(`document.querySelectorAll("[data-runsheet] [data-done]").length === %d`, n))
		}
		next(1)
		mem.waitFor("the announcement", `document.querySelector("[data-room-announcement]").textContent.startsWith("Welcome!")`)
		next(2)
		const q = "Does your current ICT contract require a supplier's due-diligence report?"
		mem.waitFor("the poll on the stage", pollJS(q)+`?.querySelector("input")`)
		mem.waitFor("the poll alone on the stage", stageAloneJS("poll"))
		fac.waitFor("the poll alone on the facilitator's stage", stageAloneJS("poll"))
		// Vote: Tab to the first option, Space, Tab to Vote, Enter.
		mem.run(chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
		tabTo(mem, "the poll's first option", `e.matches("[data-room-polls] input") && e.value === "0"`)
		press(mem, " ", false)
		tabTo(mem, "the Vote button", `e.matches("[data-room-polls] button[type=submit]")`)
		press(mem, kb.Enter, false)
		fac.waitFor("the member's vote", pollJS(q)+`?.textContent.includes("1 vote")`)
		next(3)
		next(4)
		mem.waitFor("the board", `document.querySelector("[data-boards-list] .note-form textarea")`)
		mem.waitFor("the board alone on the stage", stageAloneJS("board"))
		// Note: Tab to the board's note field, type, Tab to Add, Enter.
		mem.run(chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
		tabTo(mem, "the board's note field", `e.matches("[data-boards-list] .note-form textarea")`)
		mem.run(chromedp.KeyEvent("Typed without a mouse"))
		tabTo(mem, "the note's Add button", `e.matches("[data-boards-list] .note-form button[type=submit]")`)
		press(mem, kb.Enter, false)
		mem.waitFor("the note on the board", `[...document.querySelectorAll("[data-boards-list] .note-text")].some(p => p.textContent === "Typed without a mouse")`)
		for n := 5; n <= steps; n++ {
			next(n)
		}
		if !evalJS[bool](fac, `document.querySelector("[data-runsheet-next]").disabled`) {
			t.Error("next stays active after the last step")
		}
		// The sheet started breakout groups: end them, back to one room.
		fac.run(openRoomControls("breakout"))
		// (The sheet's steps are marked done when sent; the groups are
		// running once the room says so.)
		fac.waitFor("the running groups", `!document.querySelector("[data-ctl-breakout-end]").disabled`)
		// The sheet's last steps may move the room's stage after the pick
		// above (their events arrive later on a busy server): show the
		// breakouts again, alone, before ending them.
		showActivity(fac, "breakout")
		fac.run(openRoomControls("breakout"))
		fac.run(chromedp.Click(chromedp.CSS("[data-ctl-breakout-end]")))
		mem.waitFor("the main room", `document.querySelector("[data-breakout-status]").textContent === document.getElementById("room").dataset.tBreakoutEnded || document.querySelector("[data-breakout-status]").textContent === document.getElementById("room").dataset.tBreakoutNone`)
	})

	t.Run("phone-tabs", func(t *testing.T) {
		mem.run(chromedp.EmulateViewport(360, 740))
		mem.enterRoomAt(room)
		if evalJS[bool](mem, `document.querySelector("[data-room-tabs]").hidden`) {
			t.Fatal("no tabs at 360 px")
		}
		tabs := evalJS[[]string](mem, `[...document.querySelectorAll("[role=tablist] [role=tab]")].map(b => b.getAttribute("aria-selected") + ":" + b.dataset.roomTab + ":" + document.getElementById(b.getAttribute("aria-controls")).getAttribute("role"))`)
		if strings.Join(tabs, " ") != "true:stage:tabpanel false:chat:tabpanel false:people:tabpanel" {
			t.Fatalf("the tabs read %q", tabs)
		}
		if !evalJS[bool](mem, `document.getElementById("room-chat").hidden && !document.getElementById("room-stage").hidden`) {
			t.Fatal("the stage tab does not show the stage alone")
		}
		// What arrives on a tab not shown is counted on its badge.
		sayInRoom(fac, "A message for the phone")
		mem.waitFor("the chat badge", `document.querySelector("[data-room-tab=chat] [data-room-badge]").textContent.startsWith("1")`)
		if got := mem.mustText("[data-room-tab=chat] [data-room-badge] .visually-hidden"); got != "1 new" {
			t.Errorf("the badge says %q to a screen reader", got)
		}
		// Keyboard: focus the selected tab, ArrowRight selects the chat.
		mem.run(chromedp.Focus(chromedp.CSS("[data-room-tab=stage]")))
		press(mem, kb.ArrowRight, false)
		if !evalJS[bool](mem, `document.activeElement.dataset.roomTab === "chat" && document.activeElement.getAttribute("aria-selected") === "true" && !document.getElementById("room-chat").hidden && document.getElementById("room-stage").hidden`) {
			t.Fatal("ArrowRight does not select the chat tab")
		}
		if !evalJS[bool](mem, `document.querySelector("[data-room-tab=chat] [data-room-badge]").hidden`) {
			t.Error("the chat badge stays once the chat is shown")
		}
		if !evalJS[bool](mem, inViewJS("#chat-input", false)) {
			t.Error("the chat input is not in view one tap after the chat tab")
		}
		// The stage's activity counts on the stage tab meanwhile.
		fac.run(openRoomControls("agenda"), chromedp.SetValue(chromedp.CSS("[data-ctl-announce]"), "Back in five minutes"))
		fac.run(chromedp.Click(chromedp.CSS("[data-ctl-announce-send]")))
		mem.waitFor("the stage badge", `document.querySelector("[data-room-tab=stage] [data-room-badge]").textContent.startsWith("1")`)
		press(mem, kb.End, false)
		if !evalJS[bool](mem, `document.activeElement.dataset.roomTab === "people" && !document.getElementById("room-people").hidden`) {
			t.Error("End does not select the last tab")
		}
		press(mem, kb.Home, false)
		if !evalJS[bool](mem, `document.activeElement.dataset.roomTab === "stage" && document.querySelector("[data-room-tab=stage] [data-room-badge]").hidden`) {
			t.Error("Home does not select the stage, or its badge stays")
		}
		mem.run(desktopViewport())
	})

	for _, tb := range []*tab{first, fac, mem} {
		if problems := tb.takeProblems(); len(problems) > 0 {
			t.Errorf("%s: the pages reported problems:\n%s", tb.name, strings.Join(problems, "\n"))
		}
	}
}
