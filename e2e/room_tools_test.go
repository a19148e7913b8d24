package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// questionJS finds the Q&A item whose question is q.
func questionJS(q string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("[data-qa-list] .qa-item")].find(li => li.querySelector(".qa-text").textContent === %s)`, jsString(q))
}

// boardJS finds the board whose prompt is p.
func boardJS(p string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("[data-boards-list] .board")].find(a => a.querySelector("h4").textContent === %s)`, jsString(p))
}

// noteJS finds a note by its text on the board whose prompt is p.
func noteJS(p, text string) string {
	return fmt.Sprintf(`[...(%s)?.querySelectorAll(".note") || []].find(li => li.querySelector(".note-text").textContent === %s)`, boardJS(p), jsString(text))
}

// clickIn clicks the button with the given text inside the element el
// (a JavaScript expression) and reports whether there was one.
func clickIn(tb *tab, el, label string) {
	tb.t.Helper()
	ok := evalJS[bool](tb, fmt.Sprintf(`(() => { const e = %s; const b = e && [...e.querySelectorAll("button, summary")].find(b => b.textContent === %s); if (b) { b.focus(); b.click(); } return !!b; })()`, el, jsString(label)))
	if !ok {
		tb.t.Fatalf("%s: no %q button in %s", tb.name, label, el)
	}
}

// enterRoom opens the live workshop and connects to its room.
func enterRoom(t *testing.T, tb *tab, lang string) {
	t.Helper()
	tb.enterRoomAt(withLang(liveWorkshop(tb, lang), lang))
}

// TestLiveRoomQuestionsAndBoard: a member asks an anonymous question that
// the facilitator sees without a name and pins; the facilitator opens a
// board with two hidden dots per member; the member adds a note and spends
// both dots on it from the keyboard's point of view (focus stays on the
// button), sees no count before the reveal, and the ranked result after.
func TestLiveRoomQuestionsAndBoard(t *testing.T) {
	first, fac, mem := facilitatorAndMember(t)
	enterRoom(t, fac, "en")
	enterRoom(t, mem, "en")

	const q = "Has anyone obtained a factory list from a laptop supplier?"
	// Questions are one of the "other activities" while the agenda is on
	// the stage.
	showActivity(mem, "qa")
	showActivity(fac, "qa")
	mem.run(chromedp.SetValue(chromedp.CSS("#qa-text"), q), chromedp.Click(chromedp.CSS("#qa-anon")), chromedp.Click(chromedp.CSS("[data-qa-ask] button[type=submit]")))
	mem.waitFor("the member's own question", questionJS(q))
	if got := evalJS[string](mem, questionJS(q)+`.querySelector(".meta").textContent`); !strings.HasPrefix(got, "Your question (anonymous to everyone else)") {
		t.Errorf("the asker's own question reads %q", got)
	}
	fac.waitFor("the question", questionJS(q))
	if got := evalJS[string](fac, questionJS(q)+`.textContent`); strings.Contains(got, "Anna") || !strings.Contains(got, "Anonymous") {
		t.Errorf("the facilitator sees the anonymous question as %q", got)
	}
	clickIn(fac, questionJS(q), "Pin")
	mem.waitFor("the pinned mark", questionJS(q)+`?.querySelector(".meta").textContent.includes("Pinned")`)
	fac.waitFor("the pin toggle pressed", questionJS(q)+`?.querySelector("button[aria-pressed=true]")?.textContent === "Pin"`)

	const prompt = "Barriers to asking suppliers for factory lists"
	fac.run(openRoomControls("board"))
	fac.run(chromedp.SetValue(chromedp.CSS("[data-ctl-board-prompt]"), prompt), chromedp.SetValue(chromedp.CSS("[data-ctl-board-dots]"), "2"),
		chromedp.Click(chromedp.CSS("[data-ctl-board-hidden]")), chromedp.Click(chromedp.CSS("[data-ctl-board-open]")))
	mem.waitFor("the board", boardJS(prompt))
	// The member picked the questions: the board does not take their stage
	// away, it is offered, and "Show me" puts it there alone.
	mem.waitFor("the banner for the board", `!document.querySelector("[data-room-activity]").hidden`)
	if got := mem.mustText("[data-room-activity-text]"); got != "A board has opened: "+prompt {
		t.Errorf("the banner reads %q", got)
	}
	if !evalJS[bool](mem, stageAloneJS("qa")) {
		t.Error("the board took the stage from a member who had picked the questions")
	}
	if got := evalJS[string](mem, `document.querySelector("[data-stage-pick=board] [data-stage-live]").hidden ? "" : document.querySelector("[data-stage-pick=board]").textContent`); got != "Boards · now" {
		t.Errorf("the switcher marks the room's activity as %q", got)
	}
	mem.run(chromedp.Click(chromedp.CSS("[data-room-activity-show]")))
	mem.waitFor("the board alone on the stage", stageAloneJS("board"))
	if !evalJS[bool](fac, stageAloneJS("board")) {
		t.Error("the facilitator's stage does not follow the board they opened")
	}

	const note = "Suppliers call the list confidential"
	mem.run(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const b = %s; b.querySelector(".note-form textarea").value = %s; b.querySelector(".note-form select").value = "yellow"; b.querySelector(".note-form button").click(); })()`, boardJS(prompt), jsString(note))))
	mem.waitFor("the note", noteJS(prompt, note))
	if got := evalJS[string](mem, noteJS(prompt, note)+`.querySelector(".meta").textContent`); got != "Yellow · Your note" {
		t.Errorf("the note's marks read %q", got)
	}
	fac.waitFor("the note", noteJS(prompt, note))

	for i := 1; i <= 2; i++ {
		clickIn(mem, noteJS(prompt, note), "Add a dot")
		mem.waitFor(fmt.Sprintf("dot %d", i), fmt.Sprintf(`%s?.querySelector(".meta").textContent.includes("Your dots: %d")`, noteJS(prompt, note), i))
		// The focus stays on the button through the re-rendering.
		if got := evalJS[string](mem, `document.activeElement.textContent`); got != "Add a dot" {
			t.Errorf("after dot %d the focus is on %q", i, got)
		}
	}
	if got := evalJS[string](mem, boardJS(prompt)+`.querySelector(".meta").textContent`); !strings.HasPrefix(got, "You have 0 of 2 dots left.") {
		t.Errorf("the board's status reads %q", got)
	}
	if got := evalJS[string](mem, noteJS(prompt, note)+`.querySelector("button").getAttribute("aria-disabled")`); got != "true" {
		t.Errorf("Add a dot with no dots left: aria-disabled=%q", got)
	}
	fac.waitFor("the count for the facilitator", noteJS(prompt, note)+`?.querySelector(".meta").textContent.includes("2 votes")`)
	if got := evalJS[string](mem, boardJS(prompt)+`.textContent`); strings.Contains(got, "votes") && !strings.Contains(got, "Votes stay hidden") {
		t.Errorf("the member sees a count before the reveal: %q", got)
	}

	// A member typing a note keeps their text and their place while other
	// notes arrive and the board is drawn again.
	mem.run(chromedp.SendKeys(chromedp.CSS("[data-boards-list] .note-form textarea"), "Half-written"))
	const other = "Nobody asked before"
	fac.run(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const b = %s; b.querySelector(".note-form textarea").value = %s; b.querySelector(".note-form button").click(); })()`, boardJS(prompt), jsString(other))))
	mem.waitFor("the facilitator's note", noteJS(prompt, other))
	if got := evalJS[string](mem, `document.activeElement.tagName + ":" + document.activeElement.value`); got != "TEXTAREA:Half-written" {
		t.Errorf("while typing, a new note moved the member's focus or text: %q", got)
	}

	// The facilitator moves the note into a cluster with a form, then reveals.
	clickIn(fac, noteJS(prompt, note), "Move to a cluster")
	fac.run(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const n = %s; n.querySelector("input[type=text]").value = "Confidentiality"; n.querySelector("details form button").click(); })()`, noteJS(prompt, note))))
	mem.waitFor("the cluster", `[...(`+boardJS(prompt)+`)?.querySelectorAll(".cluster h5") || []].map(h => h.textContent).join("|") === "Not grouped|Confidentiality"`)
	clickIn(fac, boardJS(prompt), "Reveal the votes")
	mem.waitFor("the results", boardJS(prompt)+`?.querySelector(".board-results li")`)
	if got := evalJS[[]string](mem, boardJS(prompt)+`.querySelectorAll(".board-results li")`+`.values().map(li => li.textContent).toArray()`); strings.Join(got, "|") != note+": 2 votes|"+other+": 0 votes" {
		t.Errorf("the member's ranked results read %q", got)
	}

	for _, tb := range []*tab{first, fac, mem} {
		if problems := tb.takeProblems(); len(problems) > 0 {
			t.Errorf("%s: the pages reported problems:\n%s", tb.name, strings.Join(problems, "\n"))
		}
	}
}

// roomWithTools enters the live room and uses the Q&A and the boards, so
// the accessibility check sees them with content: a facilitator opens a
// board with hidden, timed votes; everyone asks a question, adds a note
// and places a dot; every form in the tools is opened.
func roomWithTools(tb *tab, lang string) int64 {
	tb.t.Helper()
	st := enterLiveRoom(tb, lang)
	fac := evalJS[bool](tb, `document.getElementById("room").dataset.facilitator === "1"`)
	who := map[bool]string{true: "facilitator", false: "member"}[fac]
	board := `[...document.querySelectorAll("[data-boards-list] .board")].pop()`
	if fac {
		prompt := "What stops us asking for factory lists? (" + lang + ")"
		tb.run(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
  document.querySelector("[data-ctl-board-prompt]").value = %s;
  document.querySelector("[data-ctl-board-hidden]").checked = true;
  document.querySelector("[data-ctl-board-minutes]").value = "30";
  document.querySelector("[data-ctl-board-open]").click();
})()`, jsString(prompt))))
		board = boardJS(prompt)
	}
	tb.waitFor("a board", board+`?.querySelector(".note-form")`)
	text := "Note from the " + who + " (" + lang + ")"
	tb.run(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
  document.querySelector("#qa-text").value = %s;
  document.querySelector("#qa-anon").checked = true;
  document.querySelector("[data-qa-ask] button[type=submit]").click();
  const b = %s;
  b.querySelector(".note-form textarea").value = %s;
  b.querySelector(".note-form select").value = "green";
  b.querySelector(".note-form button").click();
})()`, jsString("Question from the "+who+" ("+lang+")"), board, jsString(text))))
	note := fmt.Sprintf(`[...document.querySelectorAll(".note")].find(li => li.querySelector(".note-text").textContent === %s)`, jsString(text))
	tb.waitFor("the note", note)
	tb.run(chromedp.Evaluate[chromedp.Void](note + `.querySelector(".tool-actions button").click()`))
	tb.waitFor("the dot", note+`.querySelector(".meta").textContent.includes("1")`)
	// The board is on the stage; the facilitator's check sees the
	// questions, with their controls, from "other activities".
	if fac {
		showActivity(tb, "qa")
		tb.waitFor("the question", `document.querySelector("[data-qa-list] .qa-item")`)
	}
	tb.run(chromedp.Evaluate[chromedp.Void](`(() => {
  document.querySelectorAll(".room-tool details, .room-controls").forEach(d => d.open = true);
  const h = document.documentElement;
  h.tabIndex = -1; h.focus(); h.blur(); h.removeAttribute("tabindex");
  scrollTo(0, 0);
})()`))
	return st
}
