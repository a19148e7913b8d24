package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// xssCorpus holds payloads for fields that pages render. Each marks what it
// would create with data-xss and sets window.__xss if it ran.
var xssCorpus = []string{
	`<script data-xss>window.__xss=1</script>`,
	`<img data-xss src=x onerror="window.__xss=1">`,
	`"><svg data-xss onload=window.__xss=1>`,
	`'><a data-xss href="javascript:window.__xss=1">x</a>`,
	`<style data-xss>body{display:none}</style>`,
	`&lt;img data-xss src=x onerror=window.__xss=1&gt;`,
	`{{template "layout" .}}<iframe data-xss src="javascript:window.__xss=1">`,
	`<math><mtext><table><mglyph><style><img data-xss src=x onerror=window.__xss=1>`,
}

// checkNoXSS fails if a payload created an element or ran, on the current
// page of tb.
func checkNoXSS(t *testing.T, tb *tab, where string) {
	t.Helper()
	if n := evalJS[int](tb, `document.querySelectorAll("[data-xss]").length`); n != 0 {
		t.Errorf("%s: %d elements from payloads made it into the page", where, n)
	}
	if ran := evalJS[bool](tb, `window.__xss === 1`); ran {
		t.Errorf("%s: a payload ran", where)
	}
	if p := tb.takeProblems(); len(p) > 0 {
		t.Errorf("%s: the page reported problems (a blocked script would show here):\n%s", where, strings.Join(p, "\n"))
	}
}

// Member input with markup in every field that pages show is rendered as
// text everywhere: in the review queue, the directory, the member's page,
// the header and the token list. Nothing executes, nothing is injected.
func TestXSSCorpusInMemberFields(t *testing.T) {
	p := startPortal(t)
	newcomer := newBrowser(t, p)
	newcomer.name = "newcomer"
	newcomer.signIn("newcomer")
	coordinator := newcomer.isolated("coordinator")
	coordinator.signIn("coordinator")

	for i, payload := range xssCorpus {
		name := "N" + payload
		if len(name) > 100 {
			name = name[:100]
		}
		newcomer.open("/profile")
		newcomer.run(
			chromedp.SetValue(chromedp.CSS("#f-name"), name),
			chromedp.SetValue(chromedp.CSS("#f-organisation"), "Org "+payload),
			chromedp.SetValue(chromedp.CSS("#f-job_title"), payload),
			chromedp.SetValue(chromedp.CSS("#f-org_type"), "region"),
			chromedp.SetValue(chromedp.CSS("#f-country"), "NL"),
			chromedp.Evaluate[chromedp.Void](`for (const id of ["f-buyer-yes", "f-lang-nl", "f-conduct"]) document.getElementById(id).checked = true`),
		)
		if st := newcomer.click(`form[action="/profile"] button[type=submit]`); st != 200 {
			t.Fatalf("payload %d: saving the profile ended on %d", i, st)
		}
		checkNoXSS(t, newcomer, "profile after save")
		if i == 0 {
			coordinator.open("/admin/members")
			checkNoXSS(t, coordinator, "review queue")
			coordinator.follow("approve the newcomer", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll(".review-list li")]
  .find(li => li.querySelector("h3").textContent.startsWith("N<"))
  .querySelector('button[value="approve"]').click()`))
		}
		for _, path := range []string{"/members", "/admin/members?status=approved", "/admin/audit"} {
			coordinator.open(path)
			checkNoXSS(t, coordinator, path)
		}
		newcomer.open("/profile/tokens")
		newcomer.run(chromedp.SetValue(chromedp.CSS("#f-name"), payload[:min(len(payload), 60)]))
		newcomer.click(`form[action="/profile/tokens"] button[type=submit]`)
		checkNoXSS(t, newcomer, "token list")
	}
	// The member's own page, as another member sees it.
	coordinator.open("/members")
	link := evalJS[string](coordinator, `[...document.querySelectorAll("table a")].find(a => a.textContent.startsWith("N")).getAttribute("href")`)
	coordinator.open(link)
	checkNoXSS(t, coordinator, "member page")
	if got := coordinator.mustText("main h1"); !strings.HasPrefix(got, "N<") {
		t.Errorf("the member page does not show the name as text: %q", got)
	}
}
