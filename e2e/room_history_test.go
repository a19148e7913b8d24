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
