package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// waitTimeout bounds how long a live change may take to reach a page.
const waitTimeout = 15 * time.Second

// waitFor polls a JavaScript condition in the tab until it is true.
func (tb *tab) waitFor(what, cond string) {
	tb.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !evalJS[bool](tb, "!!("+cond+")") {
		if time.Now().After(deadline) {
			tb.t.Fatalf("%s: waited %s for %s (at %s)", tb.name, waitTimeout, what, tb.where())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pollJS finds the room's poll box whose question is q.
// facilitatorAndMember starts the demo portal and signs in the facilitator
// and the buyer personas in two isolated browser contexts; first is the
// browser they share, whose problems the journeys also check.
func facilitatorAndMember(t *testing.T) (first, fac, mem *tab) {
	t.Helper()
	first = newBrowser(t, startPortal(t))
	fac, mem = first.isolated("facilitator"), first.isolated("buyer")
	fac.signIn("facilitator")
	mem.signIn("buyer")
	return first, fac, mem
}

// liveWorkshop is the path of the workshop the list marks as live now
// (the demo always has one).
func liveWorkshop(tb *tab, lang string) string {
	tb.t.Helper()
	tb.open(withLang("/workshops", lang))
	href := evalJS[string](tb, `(() => { const b = document.querySelector(".workshop-list .badge"); return b ? b.closest("h2").querySelector("a").getAttribute("href") : ""; })()`)
	if !strings.HasPrefix(href, "/workshops/") {
		tb.t.Fatalf("%s: the workshop list marks no workshop as live now", tb.name)
	}
	return href
}

// enterRoomAt opens a workshop page, enters its room and waits until it is
// connected; it returns the page's HTTP status.
func (tb *tab) enterRoomAt(path string) int64 {
	tb.t.Helper()
	st := tb.open(path)
	if st != 200 {
		tb.t.Fatalf("%s: %s answered %d", tb.name, path, st)
	}
	tb.run(chromedp.Click(chromedp.CSS("[data-room-enter]")))
	tb.waitFor("the room to connect", `document.getElementById("room").dataset.state === "connected"`)
	return st
}

func pollJS(q string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("[data-room-polls] .poll")].find(d => d.querySelector("h4").textContent === %s)`, jsString(q))
}

// resultsJS lists a poll's result lines as the page writes them, or null
// while it shows none.
func resultsJS(q string) string {
	return fmt.Sprintf(`(() => { const d = %s; const ul = d && d.querySelector("ul.poll-results"); return ul ? [...ul.querySelectorAll("li")].map(li => li.textContent.trim()) : null; })()`, pollJS(q))
}

// TestLiveRoom puts a facilitator and a member in the demo's live workshop,
// each in their own browser context: the facilitator creates and opens a
// poll in the room, the member votes, both see the result as HTML bars with
// the numbers written out; the member raises a hand and the facilitator sees
// it in the queue and lowers it.
func TestLiveRoom(t *testing.T) {
	first, fac, mem := facilitatorAndMember(t)

	room := liveWorkshop(fac, "en")
	for _, tb := range []*tab{fac, mem} {
		tb.enterRoomAt(room)
		if got := tb.mustText("[data-room-state]"); got != "Connected." {
			t.Errorf("%s: connection state reads %q", tb.name, got)
		}
	}
	// Each sees the other in the presence list.
	fac.waitFor("the member in the presence list", `[...document.querySelectorAll("[data-room-people] li")].some(li => li.textContent.startsWith("Anna de Vries (participant"))`)
	mem.waitFor("the facilitator in the presence list", `[...document.querySelectorAll("[data-room-people] li")].some(li => li.textContent.startsWith("Lucas Martin (facilitator"))`)

	// The facilitator creates a poll with the room's own controls.
	const question = "Which clause do we discuss first?"
	fac.run(openRoomControls("poll"))
	fac.run(chromedp.SetValue(chromedp.CSS("[data-ctl-question]"), question))
	fac.run(chromedp.SetValue(chromedp.CSS("[data-ctl-options]"), "Audit rights\nRemedies\nDisclosure of factories"))
	fac.run(chromedp.Click(chromedp.CSS("[data-ctl-poll-create]")))
	fac.waitFor("the new poll", pollJS(question))
	// A draft is the facilitators' own until it opens.
	time.Sleep(300 * time.Millisecond)
	if evalJS[bool](mem, "!!"+pollJS(question)) {
		t.Error("the member sees the poll while it is a draft")
	}
	clickPollButton(fac, question, "Open")
	mem.waitFor("the open poll's form", pollJS(question)+`?.querySelector("form input[type=radio]")`)

	// The member chooses the second option with the keyboard's friend, the
	// label, and votes.
	mem.run(chromedp.Click(chromedp.CSS(`[data-room-polls] .poll form label:nth-of-type(2) input`)))
	mem.run(chromedp.Click(chromedp.CSS(`[data-room-polls] .poll form button[type=submit]`)))

	// Facilitators see the counts at once.
	want := []string{"Audit rights: 0 votes (0%)", "Remedies: 1 vote (100%)", "Disclosure of factories: 0 votes (0%)"}
	fac.waitFor("the vote in the results", resultsJS(question)+`?.[1]?.startsWith("Remedies: 1")`)
	checkResults(t, fac, question, want)
	// Members see them once published.
	if got := evalJS[[]string](mem, resultsJS(question)); got != nil {
		t.Errorf("the member sees results before they are published: %q", got)
	}
	clickPollButton(fac, question, "Publish results")
	mem.waitFor("the published results", resultsJS(question))
	// The facilitator is offered only what applies to an open, published poll.
	fac.waitFor("the poll's actions to follow its state", pollJS(question)+`&& [...`+pollJS(question)+`.querySelectorAll(":scope > button")].map(b => b.textContent).join() === "Close"`)
	checkResults(t, mem, question, want)

	// The member raises a hand; the facilitator sees the queue.
	mem.run(chromedp.Click(chromedp.CSS("[data-room-hand]")))
	mem.waitFor("the hand button to show the hand raised", `document.querySelector("[data-room-hand]").dataset.raised === "true"`)
	if got := mem.mustText("[data-room-hand]"); got != "Lower my hand" {
		t.Errorf("with the hand up the button reads %q", got)
	}
	fac.waitFor("the member's hand in the queue", `[...document.querySelectorAll("[data-room-hands] li")].some(li => li.textContent.startsWith("Anna de Vries"))`)
	// The facilitator takes the hand: the queue empties for both.
	fac.run(chromedp.Click(chromedp.CSS(`[data-room-hands] li button[aria-label="Done: Anna de Vries"]`)))
	for _, tb := range []*tab{fac, mem} {
		// An empty queue is a sentence, not item 1 of a list.
		tb.waitFor("the empty queue", `document.querySelector("[data-room-hands]").hidden && !document.querySelector("[data-room-hands-empty]").hidden && document.querySelector("[data-room-hands-empty]").textContent === "No raised hands."`)
	}
	mem.waitFor("the hand button to show the hand lowered", `document.querySelector("[data-room-hand]").dataset.raised === "false" && document.querySelector("[data-room-hand]").textContent === "Raise my hand"`)
	// Two people present: the whole list is there, nothing more to show.
	for _, tb := range []*tab{fac, mem} {
		if evalJS[bool](tb, `getComputedStyle(document.querySelector("[data-room-people-more]")).display !== "none"`) {
			t.Errorf("%s: offers to show more people with two present", tb.name)
		}
	}

	for _, tb := range []*tab{first, fac, mem} {
		if problems := tb.takeProblems(); len(problems) > 0 {
			t.Errorf("%s: the pages reported problems:\n%s", tb.name, strings.Join(problems, "\n"))
		}
	}
}

// clickPollButton clicks the facilitator's button with the given text in a
// poll's box.
func clickPollButton(tb *tab, question, label string) {
	tb.t.Helper()
	ok := evalJS[bool](tb, fmt.Sprintf(`(() => { const d = %s; const b = d && [...d.querySelectorAll("button")].find(b => b.textContent === %s); if (b) b.click(); return !!b; })()`, pollJS(question), jsString(label)))
	if !ok {
		tb.t.Fatalf("%s: no %q button on the poll %q", tb.name, label, question)
	}
}

// checkResults checks a poll's result lines and that they are HTML that
// screen readers read: numbers in text, the bars themselves hidden from them.
func checkResults(t *testing.T, tb *tab, question string, want []string) {
	t.Helper()
	got := evalJS[[]string](tb, resultsJS(question))
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%s: results = %q, want %q", tb.name, got, want)
	}
	if evalJS[bool](tb, pollJS(question)+`.querySelector("canvas") !== null`) {
		t.Errorf("%s: results drawn on a canvas", tb.name)
	}
	bars := evalJS[[]string](tb, fmt.Sprintf(`[...%s.querySelectorAll(".poll-results .bar")].map(b => b.getAttribute("aria-hidden") + " " + b.style.width)`, pollJS(question)))
	if strings.Join(bars, "|") != "true 0%|true 100%|true 0%" {
		t.Errorf("%s: bars = %q, want three bars hidden from screen readers, 0%%, 100%%, 0%% wide", tb.name, bars)
	}
}

// openRoomControls puts tool on the facilitator's stage (from "other
// activities") and opens its control groups: each sits beside the tool
// it controls, collapsed.
func openRoomControls(tool string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { document.querySelector("[data-stage-pick=%[1]s]").click(); document.querySelectorAll("[data-stage-tool=%[1]s] .room-controls").forEach(d => d.open = true); })()`, tool))
}

// showActivity picks tool from the stage's "other activities", as a
// member does, and waits until the stage shows it alone.
func showActivity(tb *tab, tool string) {
	tb.t.Helper()
	tb.run(chromedp.Click(chromedp.CSS("[data-stage-pick=" + tool + "]")))
	tb.waitFor("the "+tool+" alone on the stage", stageAloneJS(tool))
}

// stageAloneJS tells whether the stage shows tool and no other activity.
func stageAloneJS(tool string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("[data-stage-tool]")].every(c => (c.dataset.stageTool === %s) === (c.offsetParent !== null))`, jsString(tool))
}
