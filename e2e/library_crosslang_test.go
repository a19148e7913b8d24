package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestLibraryCrossLanguageSearch: a visitor reading in French types a French
// word with the keyboard only; the French document that contains it comes
// first, the English documents about the same concept follow with the
// concept named, every result shows its passage with the matched words
// marked, a language filter narrows them, and the results page has no axe
// violation in any of the four languages.
func TestLibraryCrossLanguageSearch(t *testing.T) {
	p := startPortal(t)
	axeSource := loadAxe(t)
	tb := newBrowser(t, p)
	tb.name = "visitor searching in French"
	if st := tb.open("/library"); st != 200 {
		t.Fatalf("library: %d", st)
	}
	tb.follow("pick French", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("lang-select"); s.value = "fr"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`))
	tb.waitFor("the library in French", `document.documentElement.lang === "fr" && document.readyState === "complete" && document.querySelector(".library-search")`)
	field := `.library-search input[name="q"]`
	tb.run(chromedp.Focus(chromedp.CSS(field)), chromedp.SendKeys(chromedp.CSS(field), "réparabilité"))
	if st := tb.follow("search with Enter", chromedp.KeyEvent("\r")); st != 200 {
		t.Fatalf("search: %d", st)
	}
	type card struct {
		Title string `json:"title"`
		Marks int    `json:"marks"`
		Via   string `json:"via"`
	}
	cards := func() []card {
		return evalJS[[]card](tb, `[...document.querySelectorAll(".resource-card")].map(c => ({
			title: c.querySelector("h3 a").textContent.trim(),
			marks: c.querySelectorAll(".snippet mark").length,
			via: (c.querySelector(".via") || {textContent: ""}).textContent.trim()}))`)
	}
	got := cards()
	if len(got) < 3 {
		t.Fatalf("réparabilité finds %d resources: %+v", len(got), got)
	}
	if !strings.HasPrefix(got[0].Title, "Lot de smartphones reconditionnés") || got[0].Via != "" {
		t.Errorf("the French document with the word typed is not first, or is marked as found through a concept: %+v", got[0])
	}
	english := 0
	for _, c := range got {
		if c.Marks == 0 {
			t.Errorf("%q shows no marked passage", c.Title)
		}
		if strings.HasPrefix(c.Title, "Laptop specifications") || strings.HasPrefix(c.Title, "Case study") {
			english++
			if !strings.Contains(c.Via, "réparabilité") {
				t.Errorf("%q does not name the concept it was found through: %q", c.Title, c.Via)
			}
		}
	}
	if english < 2 {
		t.Errorf("the English documents about repairability are missing: %+v", got)
	}

	// A facet narrows them: English only.
	if evalJS[bool](tb, `document.querySelector("[data-filter-toggle]") !== null && document.querySelector("#facets").getClientRects().length === 0`) {
		tb.run(chromedp.Click(chromedp.CSS(`[data-filter-toggle]`)))
	}
	if st := tb.click(`input[name="language"][value="en"]`); st != 200 {
		t.Fatalf("ticking English: %d", st)
	}
	if q := tb.location().Query(); q.Get("language") != "en" || q.Get("q") != "réparabilité" {
		t.Fatalf("the filter did not apply to the search: %s", tb.where())
	}
	narrowed := cards()
	if len(narrowed) != english {
		t.Errorf("English only: %d results, want the %d English ones: %+v", len(narrowed), english, narrowed)
	}
	for _, c := range narrowed {
		if strings.HasPrefix(c.Title, "Lot de") {
			t.Errorf("the French document is still listed under English only")
		}
	}

	// The results page in the four languages: no axe violation.
	for _, lang := range languages {
		if st := tb.open(withLang("/library?q=r%C3%A9parabilit%C3%A9", lang)); st != 200 {
			t.Fatalf("%s: %d", lang, st)
		}
		if !evalJS[bool](tb, `typeof window.axe === "object"`) {
			tb.run(chromedp.Evaluate[chromedp.Void](axeSource))
		}
		for _, v := range evalJS[[]axeViolation](tb, axeRun, chromedp.EvalAwaitPromise) {
			for _, n := range v.Nodes {
				t.Errorf("%s: axe %s at %s: %s", lang, v.ID, n.Target, v.Help)
			}
		}
		if n := evalJS[int](tb, `document.querySelectorAll(".resource-card .snippet mark").length`); n == 0 {
			t.Errorf("%s: no marked passage", lang)
		}
	}
	if problems := tb.takeProblems(); len(problems) > 0 {
		t.Errorf("the pages reported problems:\n%s", strings.Join(problems, "\n"))
	}
}
