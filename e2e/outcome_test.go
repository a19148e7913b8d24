package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/circularfairict/portal/demo"
)

// TestOutcomeReviewAndPublish: in the demo's live clinic the facilitator
// runs the run-sheet with two members in the room: an announcement, a board
// with hidden dot voting that both members use and the facilitator reveals,
// and a breakout step whose group notes carry an action item; then closes
// the room, edits the assembled draft on the review page and publishes it.
// The outcome, with the board's result and the group's notes, is then in
// the library, found by search by another member, and linked back to the
// workshop.
func TestOutcomeReviewAndPublish(t *testing.T) {
	p := startPortal(t)
	fac := newBrowser(t, p)
	fac.name = "facilitator"
	fac.signIn("facilitator")
	page := "/workshops/" + demo.LiveWorkshopID
	const prompt = "What would make a supplier's due-diligence report useful to you?"
	// Two participants: the buyer persona and a demo member without a
	// persona (the other personas would be facilitators of this room).
	members := []*tab{fac.isolated("buyer"), fac.isolated("jonas")}

	t.Run("run-sheet steps in the room with two members", func(t *testing.T) {
		tb := fac.in(t)
		tb.enterRoomAt(page)
		for i, m := range members {
			m = m.in(t)
			members[i] = m
			if m.name == "buyer" {
				m.signIn(m.name)
			} else {
				m.signInAsMember(p, m.name)
			}
			m.enterRoomAt(page)
		}
		tb.waitFor("both members present", `document.querySelectorAll("[data-room-people] li").length >= 3`)

		tb.run(chromedp.Click(chromedp.CSS(`[data-runsheet] li[data-step="1"] button`)))
		tb.waitFor("the announcement", `document.querySelector("[data-room-announcement]").textContent.includes("names only with your consent")`)
		if got := tb.mustText(`[data-runsheet] li[data-step="1"] [data-step-state]`); got != "Done" {
			t.Fatalf("step 1 marked %q", got)
		}

		// Step 4 opens the prepared board: three hidden dots per member.
		tb.run(chromedp.Click(chromedp.CSS(`[data-runsheet] li[data-step="4"] button`)))
		notes := []string{"A list of factories with audit dates", "Grievances raised and how they were handled"}
		for i, m := range members {
			m.waitFor("the board", boardJS(prompt))
			m.run(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const b = %s; b.querySelector(".note-form textarea").value = %s; b.querySelector(".note-form button").click(); })()`, boardJS(prompt), jsString(notes[i]))))
			m.waitFor("the note", noteJS(prompt, notes[i]))
		}
		// Both members put dots on the first note, one more on the second.
		for i, m := range members {
			m.waitFor("the other member's note", noteJS(prompt, notes[1-i]))
			clickIn(m, noteJS(prompt, notes[0]), "Add a dot")
			m.waitFor("the dot", noteJS(prompt, notes[0])+`?.querySelector(".meta")?.textContent.includes("Your dots: 1")`)
		}
		clickIn(members[0], noteJS(prompt, notes[1]), "Add a dot")
		tb.waitFor("the dots counted", noteJS(prompt, notes[0])+`?.querySelector(".meta")?.textContent.includes("2 votes")`)
		tb.waitFor("the third dot counted", noteJS(prompt, notes[1])+`?.querySelector(".meta")?.textContent.includes("1 vote")`)
		clickIn(tb, boardJS(prompt), "Reveal the votes")
		for _, m := range members {
			m.waitFor("the ranked results", boardJS(prompt)+`?.querySelector(".board-results li")`)
			got := evalJS[[]string](m, boardJS(prompt)+`.querySelectorAll(".board-results li").values().map(li => li.textContent).toArray()`)
			// The run-sheet's two starter notes are on the board too, without dots.
			if strings.Join(got, "|") != notes[0]+": 2 votes|"+notes[1]+": 1 vote|Named factories, not only countries: 0 votes|What was found and what the supplier did about it: 0 votes" {
				t.Errorf("%s reads the results %q", m.name, got)
			}
		}

		// Step 5 splits the room at random into groups of four: both
		// members land in the one group, and write its notes together.
		tb.run(chromedp.Click(chromedp.CSS(`[data-runsheet] li[data-step="5"] button`)))
		for _, m := range members {
			m.waitFor("the group", `document.querySelector("[data-breakout-status]").textContent === "You are in Group 1"`)
			m.waitFor("the group notes", `!document.querySelector("[data-notes-group]").hidden`)
		}
		typeAt(members[0], "#notes-group", -1, "- [ ] Ask laptop suppliers for their factory lists\n")
		members[1].waitFor("the first member's line", `document.querySelector("#notes-group").value.includes("factory lists")`)
		typeAt(members[1], "#notes-group", -1, "Audit dates matter more than logos.")
		for _, m := range members {
			m.waitFor("both lines in the group notes", `(() => { const v = document.querySelector("#notes-group").value; return v.includes("factory lists") && v.includes("logos."); })()`)
			m.waitFor("the saved state", `document.querySelector("#notes-group-status").textContent === "Saved."`)
		}
		tb.run(openRoomControls("breakout"), chromedp.Click(chromedp.CSS("[data-ctl-breakout-end]")))
		for _, m := range members {
			m.waitFor("the end of the breakouts", `document.querySelector("[data-breakout-status]").textContent.startsWith("The breakout groups have ended")`)
		}
		for _, x := range append([]*tab{tb}, members...) {
			if problems := x.takeProblems(); len(problems) > 0 {
				t.Errorf("%s: the pages reported problems:\n%s", x.name, strings.Join(problems, "\n"))
			}
		}
	})

	var resource string
	t.Run("close, review, edit, publish", func(t *testing.T) {
		tb := fac.in(t)
		tb.open(page)
		if st := tb.click(`form[action="` + page + `/close"] button`); st != 200 {
			t.Fatalf("close: %d", st)
		}
		if st := tb.click(`a[href="` + page + `/outcome"]`); st != 200 {
			t.Fatalf("review page: %d", st)
		}
		draft := evalJS[string](tb, `document.querySelector("#o-markdown").value`)
		for _, want := range []string{"# Case clinic: human-rights due diligence clauses in ICT contracts", "## Agenda", "## Attendance",
			"### What would make a supplier's due-diligence report useful to you?", "A list of factories with audit dates", "Audit dates matter more than logos.",
			"Ask laptop suppliers for their factory lists", "## Action items"} {
			if !strings.Contains(draft, want) {
				t.Fatalf("draft lacks %q:\n%s", want, draft)
			}
		}
		tb.run(chromedp.Evaluate[chromedp.Void](`(() => {
  const ta = document.querySelector("#o-markdown");
  ta.value += "\n## Agreed\n\nThe clinic agrees on a quokka clause for supplier disclosure.\n\n- [ ] Circulate the quokka clause\n";
})()`))
		tb.run(chromedp.SetValue(chromedp.CSS("#o-visibility"), "members"))
		if st := tb.click(`button[name="action"][value="publish"]`); st != 200 {
			t.Fatalf("publish: %d", st)
		}
		loc := tb.location().Path
		if !strings.HasPrefix(loc, "/library/") {
			t.Fatalf("publishing led to %s", loc)
		}
		resource = strings.TrimPrefix(loc, "/library/")
		if got := tb.mustText(".outcome-doc"); !strings.Contains(got, "quokka clause for supplier disclosure") {
			t.Fatalf("the published document lacks the edit: %s", got)
		}
		if n := evalJS[int](tb, `document.querySelectorAll('a[href="`+page+`"]').length`); n == 0 {
			t.Error("the outcome does not link back to the workshop")
		}
	})

	t.Run("another member finds it in the library", func(t *testing.T) {
		buyer := fac.isolated("buyer").in(t)
		buyer.signIn("buyer")
		buyer.open("/library")
		buyer.run(chromedp.SendKeys(chromedp.CSS("#q"), "quokka clause"))
		if st := buyer.click(`.search-row button[type="submit"]`); st != 200 {
			t.Fatalf("search: %d", st)
		}
		href := evalJS[string](buyer, `(() => { const a = document.querySelector(".resource-card h3 a"); return a ? a.getAttribute("href") : ""; })()`)
		if href != "/library/"+resource {
			t.Fatalf("search finds %q first, want the outcome %s", href, resource)
		}
		if got := buyer.mustText(".resource-card h3 a"); !strings.HasPrefix(got, "Outcome: Case clinic") {
			t.Errorf("result title %q", got)
		}
	})
}
