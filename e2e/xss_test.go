package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/circularfairict/portal/resources"
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

// Every corpus payload as the name of an uploaded file, sent through the
// library's real upload form (the file is made in the page, since several
// payloads hold a slash that no file on disk can have in its name). The
// resource page shows the name as text, to the member who uploaded it and
// to another member, and nothing executes.
func TestXSSCorpusInFileNames(t *testing.T) {
	p := startPortal(t)
	buyer := newBrowser(t, p)
	buyer.name = "buyer"
	buyer.signIn("buyer")
	other := buyer.isolated("coordinator")
	other.signIn("coordinator")

	for i, payload := range xssCorpus {
		// Chromium sends a double quote in a multipart file name as %22
		// (as the HTML standard says); the server then cleans the name and
		// gives it the extension of what the file is, text.
		shown := resources.DownloadName(strings.ReplaceAll(payload, `"`, "%22"), resources.KindText)
		buyer.open("/library/upload")
		buyer.run(
			chromedp.SetValue(chromedp.CSS("#f-title"), fmt.Sprintf("File name test %d", i)),
			chromedp.SetValue(chromedp.CSS("#f-summary"), "A resource whose file name carries markup."),
			chromedp.SetValue(chromedp.CSS("#f-type"), "contract_clause"),
			chromedp.Click(chromedp.CSS(`input[name="visibility"][value="public"]`)),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
  const dt = new DataTransfer();
  dt.items.add(new File(["Plain text whose name carries a payload.\n"], %s, {type: "text/plain"}));
  document.querySelector("#f-file").files = dt.files;
})()`, jsString(payload))),
		)
		if st := buyer.follow("upload", chromedp.Click(chromedp.CSS(`form[data-upload] button[type="submit"]`))); st != 200 {
			t.Fatalf("payload %d: the upload ended on %d at %s", i, st, buyer.where())
		}
		page := buyer.location().Path
		if !strings.HasPrefix(page, "/library/") || page == "/library/upload" {
			t.Fatalf("payload %d: after the upload the browser is at %s: %s", i, buyer.where(), buyer.mustText("main"))
		}
		for _, tb := range []*tab{buyer, other} {
			if tb != buyer {
				tb.open(page)
			}
			checkNoXSS(t, tb, fmt.Sprintf("%s as %s (payload %d)", page, tb.name, i))
			names := evalJS[[]string](tb, `[...document.querySelectorAll("a[download]")].map(a => a.textContent).filter(s => s.startsWith("Version "))`)
			if len(names) != 1 || !strings.HasSuffix(names[0], ": "+shown) {
				t.Errorf("payload %d: %s shows the versions %q to %s, want one ending in %q", i, page, names, tb.name, shown)
			}
		}
	}
}

// Every corpus payload as a chat message from a member and as the
// facilitator's announcement, in the demo's live room: both people see the
// text exactly as typed, and nothing executes.
func TestXSSCorpusInRoom(t *testing.T) {
	_, fac, mem := facilitatorAndMember(t)
	// Entering opens the facilitator's controls too.
	for _, tb := range []*tab{fac, mem} {
		enterLiveRoom(tb, "en")
	}

	chatTexts := `[...document.querySelectorAll("[data-room-chat] li:not(.notice) > span")].map(s => s.textContent)`
	for i, payload := range xssCorpus {
		mem.run(
			chromedp.SetValue(chromedp.CSS("#chat-input"), payload),
			chromedp.Click(chromedp.CSS("[data-room-chatform] button[type=submit]")),
		)
		for _, tb := range []*tab{fac, mem} {
			tb.waitFor(fmt.Sprintf("chat message %d", i), chatTexts+fmt.Sprintf(".length >= %d", i+1))
			got := evalJS[[]string](tb, chatTexts)
			if got[len(got)-1] != payload {
				t.Errorf("%s: chat message %d reads %q, want %q", tb.name, i, got[len(got)-1], payload)
			}
			checkNoXSS(t, tb, fmt.Sprintf("room chat as %s (payload %d)", tb.name, i))
		}

		fac.run(
			chromedp.SetValue(chromedp.CSS("#ctl-ann"), payload),
			chromedp.Click(chromedp.CSS("[data-ctl-announce-send]")),
		)
		for _, tb := range []*tab{fac, mem} {
			tb.waitFor(fmt.Sprintf("announcement %d", i), fmt.Sprintf(`document.querySelector("[data-room-announcement]").textContent === %s`, jsString(payload)))
			checkNoXSS(t, tb, fmt.Sprintf("room announcement as %s (payload %d)", tb.name, i))
		}
	}
}
