package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/circularfairict/portal/demo"
)

// TestOutcomeReviewAndPublish: in the demo's live clinic the facilitator
// runs two run-sheet steps (an announcement, a board), closes the room, edits the assembled draft on the
// review page and publishes it; the outcome is then in the library, found
// by search by another member, and linked back to the workshop.
func TestOutcomeReviewAndPublish(t *testing.T) {
	p := startPortal(t)
	fac := newBrowser(t, p)
	fac.name = "facilitator"
	fac.signIn("facilitator")
	page := "/workshops/" + demo.LiveWorkshopID

	t.Run("run-sheet step in the room", func(t *testing.T) {
		tb := fac.in(t)
		tb.open(page)
		tb.run(chromedp.Click(chromedp.CSS("[data-room-enter]")))
		tb.waitFor("the room to connect", `document.getElementById("room").dataset.state === "connected"`)
		tb.run(chromedp.Click(chromedp.CSS(`[data-runsheet] li[data-step="1"] button`)))
		tb.waitFor("the announcement", `document.querySelector("[data-room-announcement]").textContent.includes("names only with your consent")`)
		if got := tb.mustText(`[data-runsheet] li[data-step="1"] [data-step-state]`); got != "Done" {
			t.Fatalf("step 1 marked %q", got)
		}
		// Step 4 opens the prepared board; its prompt then goes into the outcome.
		tb.run(chromedp.Click(chromedp.CSS(`[data-runsheet] li[data-step="4"] button`)))
		tb.waitFor("the board", `document.querySelector("[data-boards-list]").textContent.includes("due-diligence report useful to you")`)
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
			"### What would make a supplier's due-diligence report useful to you?", "## Action items"} {
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
