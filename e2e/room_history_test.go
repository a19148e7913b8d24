package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// chatJS lists the room's chat lines as the page shows them.
const chatJS = `[...document.querySelectorAll("[data-room-chat] li[data-seq]")].map(li => li.textContent.trim())`

// sayInRoom sends a chat message with the room's own form and waits until
// the chat shows it.
func sayInRoom(tb *tab, text string) {
	tb.t.Helper()
	n := len(evalJS[[]string](tb, chatJS))
	tb.run(chromedp.SetValue(chromedp.CSS("#chat-input"), text))
	tb.run(chromedp.Click(chromedp.CSS("[data-room-chatform] button")))
	tb.waitFor("the message in the chat", fmt.Sprintf("%s.length === %d", chatJS, n+1))
}

// TestRoomHistoryReloadAndLateJoin: nothing said in the room is lost. The
// facilitator speaks before the member arrives; the member, joining late,
// sees it. Both reload the page and see exactly the chat they saw before.
func TestRoomHistoryReloadAndLateJoin(t *testing.T) {
	first, fac, mem := facilitatorAndMember(t)
	room := liveWorkshop(fac, "en")
	fac.enterRoomAt(room)
	sayInRoom(fac, "Welcome, we start with the cases in a minute.")
	sayInRoom(fac, "Please read **clause 4** first.")

	// The member joins late: the messages sent before are there.
	mem.enterRoomAt(room)
	mem.waitFor("the earlier messages", chatJS+`.length === 2`)
	got := evalJS[[]string](mem, chatJS)
	if !strings.HasSuffix(got[0], ": Welcome, we start with the cases in a minute.") || !strings.HasPrefix(got[0], "Lucas Martin") ||
		!strings.HasSuffix(got[1], ": Please read clause 4 first.") {
		t.Fatalf("the late member sees %q", got)
	}
	if !evalJS[bool](mem, `document.querySelector("[data-room-chat] li span strong")?.textContent === "clause 4"`) {
		t.Error("the history lost its Markdown-lite markup")
	}
	sayInRoom(mem, "Thanks, reading it now.")
	fac.waitFor("the member's message", chatJS+`.length === 3`)

	// A reload shows exactly what was there before it, for both.
	for _, tb := range []*tab{mem, fac} {
		before := evalJS[[]string](tb, chatJS)
		tb.enterRoomAt(room)
		tb.waitFor("the chat history after the reload", chatJS+`.length === 3`)
		if after := evalJS[[]string](tb, chatJS); strings.Join(after, "\n") != strings.Join(before, "\n") {
			t.Errorf("%s: after a reload the chat reads\n%q\nbefore it read\n%q", tb.name, after, before)
		}
		if evalJS[bool](tb, `!document.querySelector("[data-room-chat-earlier]").hidden`) {
			t.Errorf("%s: offers earlier messages in a room of three", tb.name)
		}
	}

	for _, tb := range []*tab{first, fac, mem} {
		if problems := tb.takeProblems(); len(problems) > 0 {
			t.Errorf("%s: the pages reported problems:\n%s", tb.name, strings.Join(problems, "\n"))
		}
	}
}

// TestRoomActivityReachesTypingMember: a poll opened while the member is
// typing in the chat shows a banner with a button, speaks once through
// the polite region, and leaves the typed text and the caret where they
// were; the button takes the member to the poll. A hidden tab counts the
// activity in its title.
func TestRoomActivityReachesTypingMember(t *testing.T) {
	first, fac, mem := facilitatorAndMember(t)
	room := liveWorkshop(fac, "en")
	for _, tb := range []*tab{fac, mem} {
		tb.enterRoomAt(room)
	}
	typeAt(mem, "#chat-input", 0, "I was about to say")
	// The member's tab counts as hidden from here (as when another tab is in
	// front), so the title shows unseen activity.
	mem.run(chromedp.Evaluate[chromedp.Void](`Object.defineProperty(document, "hidden", { configurable: true, get: () => true })`))
	title := evalJS[string](mem, `document.title`)

	const question = "Shall we take a break?"
	fac.run(openRoomControls("poll"))
	fac.run(chromedp.SetValue(chromedp.CSS("[data-ctl-question]"), question))
	fac.run(chromedp.SetValue(chromedp.CSS("[data-ctl-options]"), "Yes\nNo"))
	fac.run(chromedp.Click(chromedp.CSS("[data-ctl-poll-create]")))
	fac.waitFor("the new poll", pollJS(question))
	clickPollButton(fac, question, "Open")

	mem.waitFor("the activity banner", `!document.querySelector("[data-room-activity]").hidden`)
	if got := mem.mustText("[data-room-activity-text]"); got != "A poll has opened: "+question {
		t.Errorf("the banner reads %q", got)
	}
	if got := mem.mustText("[data-room-activity-live]"); got != "A poll has opened: "+question {
		t.Errorf("the live region reads %q", got)
	}
	if got := evalJS[string](mem, `document.querySelector("#chat-input").value`); got != "I was about to say" {
		t.Errorf("the typed text became %q", got)
	}
	if !evalJS[bool](mem, `document.activeElement === document.querySelector("#chat-input")`) {
		t.Error("the activity took the focus away from the chat input")
	}
	if got := evalJS[string](mem, `document.title`); got != "(1) "+title {
		t.Errorf("the hidden tab's title reads %q", got)
	}
	mem.run(chromedp.Click(chromedp.CSS("[data-room-activity-show]")))
	if !evalJS[bool](mem, `document.querySelector("[data-room-polls]").contains(document.activeElement)`) {
		t.Error("Show me does not take the member to the poll")
	}
	if evalJS[bool](fac, `!document.querySelector("[data-room-activity]").hidden`) {
		t.Error("the facilitator gets a banner for the poll they opened")
	}

	for _, tb := range []*tab{first, fac, mem} {
		if problems := tb.takeProblems(); len(problems) > 0 {
			t.Errorf("%s: the pages reported problems:\n%s", tb.name, strings.Join(problems, "\n"))
		}
	}
}
