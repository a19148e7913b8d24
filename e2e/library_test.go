package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// recordProgress keeps what the progress bar announces in sessionStorage,
// which survives the navigation to the new resource's page.
const recordProgress = `(() => {
  sessionStorage.setItem("progress", "[]");
  const out = document.querySelector("[data-percent]");
  new MutationObserver(() => {
    const seen = JSON.parse(sessionStorage.getItem("progress"));
    seen.push(out.textContent);
    sessionStorage.setItem("progress", JSON.stringify(seen));
  }).observe(out, {childList: true, characterData: true, subtree: true});
})()`

// TestLibraryJourney uploads a file through the page with its progress bar,
// cancels a slow upload, finds the file through a facet and a search, and
// downloads it.
func TestLibraryJourney(t *testing.T) {
	p := startPortal(t)
	b := newBrowser(t, p)
	b.name = "buyer"
	b.signIn("buyer")

	dir := t.TempDir()
	title := "Repairability clause for tablets"
	// A few MiB, so the browser reports upload progress on its way.
	var doc bytes.Buffer
	doc.WriteString("Clause: the tablets shall be repairable; spare batteries for seven years.\n")
	for doc.Len() < 4<<20 {
		doc.WriteString("Repairability evidence: disassembly instructions, spare parts list, prices.\n")
	}
	file := filepath.Join(dir, "tablet-clause.md")
	if err := os.WriteFile(file, doc.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(doc.Bytes())

	if st := b.click(`.site-nav a[href="/library"]`); st != 200 {
		t.Fatalf("library answered %d", st)
	}
	if st := b.click(`a[href="/library/upload"]`); st != 200 {
		t.Fatalf("upload page answered %d", st)
	}

	fill := func() {
		b.run(
			chromedp.SendKeys(chromedp.CSS("#f-title"), title),
			chromedp.SendKeys(chromedp.CSS("#f-summary"), "A contract clause on repairability of tablets, used in a 2025 tender."),
			chromedp.SetValue(chromedp.CSS("#f-type"), "contract_clause"),
			chromedp.Click(chromedp.CSS(`input[name="products"][value="tablets"]`)),
			chromedp.Click(chromedp.CSS(`input[name="themes"][value="repairability"]`)),
			chromedp.Click(chromedp.CSS(`input[name="visibility"][value="public"]`)),
			chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{file}),
		)
	}

	t.Run("no progress bar before an upload", func(t *testing.T) {
		tb := b.in(t)
		if shown := evalJS[bool](tb, progressShown); shown {
			t.Fatal("the upload form shows its progress bar or Cancel upload before any upload")
		}
	})

	t.Run("empty form reports every field", func(t *testing.T) {
		tb := b.in(t)
		tb.run(chromedp.SendKeys(chromedp.CSS("#f-summary"), "Typed before the mistake."))
		tb.run(chromedp.Click(chromedp.CSS(`form[data-upload] button[type="submit"]`)))
		tb.run(chromedp.WaitVisible(chromedp.CSS(".error-summary")))
		got := evalJS[[]string](tb, `[...document.querySelectorAll(".error-summary a")].map(a => a.getAttribute("href"))`)
		for _, want := range []string{"#f-title", "#f-type", "#f-file"} {
			if !slices.Contains(got, want) {
				t.Errorf("the error summary lists %q, not %s", got, want)
			}
		}
		if shown := evalJS[bool](tb, progressShown); shown {
			t.Error("a refused upload leaves the progress bar shown")
		}
		if v := evalJS[string](tb, `document.querySelector("#f-summary").value`); v != "Typed before the mistake." {
			t.Errorf("the summary typed became %q", v)
		}
		if focused := evalJS[bool](tb, `document.activeElement.matches(".error-summary")`); !focused {
			t.Error("the error summary does not take the focus")
		}
		evalJS[string](tb, `document.querySelector("#f-summary").value = ""`)
	})

	t.Run("cancel a slow upload", func(t *testing.T) {
		tb := b.in(t)
		fill()
		// About 1 MiB/s: the 4 MiB upload takes long enough to cancel.
		tb.throttle(1 << 20)
		tb.run(chromedp.Click(chromedp.CSS(`form[data-upload] button[type="submit"]`)))
		tb.run(chromedp.WaitVisible(chromedp.CSS("[data-progress]")))
		tb.run(chromedp.Click(chromedp.CSS("[data-cancel]")))
		tb.run(chromedp.WaitVisible(chromedp.CSS("[data-message]")))
		if got := tb.mustText("[data-message]"); !strings.Contains(got, "cancelled") {
			t.Fatalf("message after cancel: %q", got)
		}
		tb.throttle(-1)
		if got := tb.location().Path; got != "/library/upload" {
			t.Fatalf("after cancelling the browser is at %s", got)
		}
	})

	t.Run("upload with progress", func(t *testing.T) {
		tb := b.in(t)
		tb.run(chromedp.Evaluate[chromedp.Void](recordProgress))
		st := tb.follow("upload", chromedp.Click(chromedp.CSS(`form[data-upload] button[type="submit"]`)))
		if st != 200 {
			t.Fatalf("after upload: status %d at %s", st, tb.where())
		}
		if !strings.HasPrefix(tb.location().Path, "/library/") || tb.mustText("h1") != title {
			t.Fatalf("after upload the browser is at %s (%s)", tb.where(), tb.mustText("h1"))
		}
		if got := tb.mustText(".flash"); got != "Your resource is shared. Thank you!" {
			t.Errorf("flash %q", got)
		}
		if shown := evalJS[bool](tb, progressShown); shown {
			t.Error("the resource page shows an upload progress bar with no upload running")
		}
		seen := evalJS[[]string](tb, `JSON.parse(sessionStorage.getItem("progress") || "[]")`)
		if len(seen) == 0 || seen[len(seen)-1] != "100% uploaded" {
			t.Errorf("the progress bar announced %q, want it to end at 100%%", seen)
		}
	})

	t.Run("add a version", func(t *testing.T) {
		tb := b.in(t)
		page := tb.location().Path
		tb.run(
			chromedp.SendKeys(chromedp.CSS("#v-note"), "Spare batteries for ten years."),
			chromedp.SetUploadFiles(chromedp.CSS("#v-file"), []string{file}),
		)
		if st := tb.follow("add a version", chromedp.Click(chromedp.CSS(`form[data-flash="version_added"] button[type="submit"]`))); st != 200 {
			t.Fatalf("after adding a version: %d at %s", st, tb.where())
		}
		if got := tb.location().Path; got != page {
			t.Fatalf("after adding a version the browser is at %s", got)
		}
		if got := tb.mustText(".flash"); got != "The new version has been added." {
			t.Errorf("flash after adding a version: %q", got)
		}
	})

	t.Run("find through a facet and a search", func(t *testing.T) {
		tb := b.in(t)
		tb.open("/library")
		// A filter applies as it is ticked.
		if st := tb.click(`input[name="product"][value="tablets"]`); st != 200 {
			t.Fatalf("facet: %d", st)
		}
		if got := tb.mustText(".resource-card h3 a"); got != title {
			t.Fatalf("facet product=tablets gives %q first", got)
		}
		if n := evalJS[int](tb, `document.querySelectorAll(".resource-card").length`); n != 1 {
			t.Errorf("facet product=tablets lists %d resources", n)
		}
		tb.open("/library")
		tb.run(chromedp.SendKeys(chromedp.CSS("#q"), "repairable tablet"))
		if st := tb.click(`.search-row button[type="submit"]`); st != 200 {
			t.Fatalf("search: %d", st)
		}
		if got := tb.mustText(".resource-card h3 a"); got != title {
			t.Fatalf("search finds %q first", got)
		}
		if st := tb.click(".resource-card h3 a"); st != 200 {
			t.Fatalf("resource page: %d", st)
		}
	})

	t.Run("download", func(t *testing.T) {
		tb := b.in(t)
		href := evalJS[string](tb, `document.querySelector("a[data-download]").href`)
		got := evalJS[string](tb, `(async () => {
			const r = await fetch(`+jsString(href)+`);
			const d = await crypto.subtle.digest("SHA-256", await r.arrayBuffer());
			return r.status + " " + r.headers.get("content-disposition") + " " + [...new Uint8Array(d)].map(x => x.toString(16).padStart(2, "0")).join("");
		})()`, chromedp.EvalAwaitPromise)
		want := "200 attachment; filename=\"tablet-clause.md\"; filename*=UTF-8''tablet-clause.md " + hex.EncodeToString(sum[:])
		if got != want {
			t.Fatalf("download:\n got %s\nwant %s", got, want)
		}
	})
	if problems := b.takeProblems(); len(problems) > 0 {
		t.Errorf("the pages reported problems:\n%s", strings.Join(problems, "\n"))
	}
}

// progressShown is true when a progress bar or a "Cancel upload" button
// takes up room on the page.
const progressShown = `[...document.querySelectorAll("[data-progress], [data-progress] progress, [data-cancel]")].some(e => e.getClientRects().length > 0)`

// TestLibraryPhone: on a 360x740 phone the first result is on the first
// screen, with the filters behind a Filter button that says how many are in
// force; ticking a filter applies it.
func TestLibraryPhone(t *testing.T) {
	p := startPortal(t)
	tb := newBrowser(t, p)
	tb.name = "visitor on a phone"
	tb.run(chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile))
	if st := tb.open("/library"); st != 200 {
		t.Fatalf("library: %d", st)
	}
	top := evalJS[float64](tb, `document.querySelector(".resource-card").getBoundingClientRect().top`)
	if top >= 740 {
		t.Fatalf("the first result starts %.0f px down, below the first screen", top)
	}
	if evalJS[bool](tb, `document.querySelector("#facets").getClientRects().length > 0`) {
		t.Fatal("the filters are open before the Filter button is pressed")
	}
	// Dates in the language's format, not as ISO codes.
	if d := tb.mustText(".resource-card time"); !regexp.MustCompile(`^\d{1,2} [A-Z][a-z]+ \d{4}$`).MatchString(d) {
		t.Errorf("a result's date reads %q", d)
	}
	toggle := `[data-filter-toggle]`
	if got := evalJS[string](tb, `document.querySelector("[data-filter-toggle]").getAttribute("aria-expanded")`); got != "false" {
		t.Fatalf("Filter button aria-expanded=%q", got)
	}
	// Keyboard: the button is reached and opened like any button.
	tb.run(chromedp.Focus(chromedp.CSS(toggle)), chromedp.KeyEvent("\r"))
	if !evalJS[bool](tb, `document.querySelector("#facets").getClientRects().length > 0`) {
		t.Fatal("Enter on the Filter button does not open the filters")
	}
	if st := tb.click(`input[name="language"][value="en"]`); st != 200 {
		t.Fatalf("ticking a filter: %d", st)
	}
	if got := tb.location().Query().Get("language"); got != "en" {
		t.Fatalf("ticking a filter did not apply it: %s", tb.where())
	}
	if got := tb.mustText(toggle); got != "Filter (1 active)" {
		t.Errorf("Filter button says %q", got)
	}
	if !evalJS[bool](tb, `document.activeElement.matches('input[name="language"][value="en"]:checked')`) {
		t.Error("the ticked filter does not have the focus after the results reload")
	}
	if problems := tb.takeProblems(); len(problems) > 0 {
		t.Errorf("the pages reported problems:\n%s", strings.Join(problems, "\n"))
	}
}

// TestNotFoundSignIn: a visitor who follows a members-only resource's link
// gets the 404 (nothing says the resource exists), with a way to sign in
// that comes back to the same address.
func TestNotFoundSignIn(t *testing.T) {
	p := startPortal(t)
	member := newBrowser(t, p)
	member.signIn("buyer")
	member.open("/library")
	href := evalJS[string](member, `fetch("/api/v1/resources?per_page=100").then(r => r.json()).then(j => (j.items.find(i => i.visibility === "members") || {}).url || "")`, chromedp.EvalAwaitPromise)
	if href == "" {
		t.Fatal("no members-only resource in the demo library")
	}
	visitor := member.isolated("visitor")
	if st := visitor.open(href); st != 404 {
		t.Fatalf("visitor: %d", st)
	}
	if st := visitor.click(`main a[href^="/signin?next="]`); st != 200 {
		t.Fatalf("sign-in link: %d", st)
	}
	if st := visitor.follow("demo sign-in", chromedp.Click(chromedp.CSS(`form:has(input[name="persona"][value="buyer"]) button`))); st != 200 {
		t.Fatalf("sign in: %d", st)
	}
	if got := visitor.location().Path; got != href {
		t.Fatalf("after signing in the visitor is at %s, want %s", got, href)
	}
}

// throttle limits the tab's upload throughput in bytes per second; -1 lifts the limit.
func (tb *tab) throttle(upload float64) {
	tb.t.Helper()
	ctx, cancel := tb.step()
	defer cancel()
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{DownloadThroughput: -1, UploadThroughput: upload}},
	}); err != nil {
		tb.t.Fatalf("throttle: %v", err)
	}
}
