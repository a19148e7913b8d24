package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/circularfairict/portal/demo"
)

// languages are the portal's interface languages; every page is checked in
// each, since translations change lengths, wrapping and the lang attribute.
var languages = []string{"en", "fr", "nl", "de"}

// axeRun runs axe-core on the whole document for WCAG 2.0, 2.1 and 2.2 A/AA
// (target-size is a WCAG 2.2 AA rule that axe does not run by default) and
// returns only what a report needs.
const axeRun = `(async () => {
  const r = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
    rules: {'target-size': {enabled: true}},
    resultTypes: ['violations'],
  });
  return r.violations.map(v => ({
    id: v.id, impact: v.impact || '', help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.map(String).join(' '), summary: n.failureSummary || ''})),
  }));
})()`

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  string `json:"target"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// focusOrder lists the keyboard-focusable elements in tab order (positive
// tabindex first, then document order), as "tag.class href" descriptions.
const focusOrder = `(() => {
  const sel = 'a[href], area[href], button, input, select, textarea, iframe, summary, [tabindex], [contenteditable=""], [contenteditable="true"]';
  const els = [...document.querySelectorAll(sel)].filter(e =>
    !e.disabled && e.tabIndex >= 0 && e.type !== 'hidden' && e.getClientRects().length > 0);
  const positive = els.filter(e => e.tabIndex > 0).sort((a, b) => a.tabIndex - b.tabIndex);
  const rest = els.filter(e => e.tabIndex === 0);
  return [...positive, ...rest].slice(0, 3).map(e =>
    e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(/\s+/).join('.') : '') + ' ' + (e.getAttribute('href') || ''));
})()`

// a11yPage is one page to check.
type a11yPage struct {
	name   string
	path   string // opened with ?lang=xx added
	status int64
	// reach, when set, replaces opening path: it brings the tab to the page
	// in language lang and returns the status.
	reach func(tb *tab, lang string) int64
	// as names who looks at the page: "" a visitor, else a demo persona
	// ("buyer", "coordinator", "facilitator") or "newcomer" (a pending
	// member).
	as string
}

var a11yPages = []a11yPage{
	{name: "home", path: "/", status: 200},
	{name: "library", path: "/library", status: 200},
	{name: "discussions", path: "/discussions", status: 200},
	{name: "workshops", path: "/workshops", status: 200},
	{name: "signin", path: "/signin", status: 200},
	{name: "signed-out", path: "/?flash=signedout", status: 200},
	{name: "not-found", path: "/no-such-page", status: 404},
	// The language error has no GET route: a browser reaches it by sending
	// the language form with a value that is not in the list.
	{name: "language-error", status: 400, reach: sendBadLanguage},
	{name: "library-search", path: "/library?q=laptop&type=criteria_set", status: 200},
	{name: "library-upload", path: "/library/upload", status: 200, as: "buyer"},
	{name: "library-upload-errors", status: 400, as: "buyer", reach: submitEmptyUpload},
	{name: "library-filtered", path: "/library?language=en&type=criteria_set", status: 200},
	{name: "library-not-found", path: "/library/000000000000000000000000", status: 404},
	{name: "workshop-form", path: "/workshops/new", status: 200, as: "facilitator"},
	{name: "resource", status: 200, as: "buyer", reach: openFirstResource},
	{name: "groups", path: "/groups", status: 200},
	{name: "group-public", path: "/groups/ethics-working-group", status: 200},
	{name: "home-member", path: "/", status: 200, as: "buyer"},
	{name: "members", path: "/members", status: 200, as: "buyer"},
	{name: "members-filtered", path: "/members?country=BE&q=zzz", status: 200, as: "buyer"},
	{name: "member-page", status: 200, as: "buyer", reach: firstMemberPage},
	{name: "profile", path: "/profile", status: 200, as: "buyer"},
	{name: "tokens", path: "/profile/tokens", status: 200, as: "buyer"},
	{name: "tokens-admin-scope", path: "/profile/tokens", status: 200, as: "coordinator"},
	{name: "sessions", path: "/profile/sessions", status: 200, as: "buyer"},
	{name: "account-delete", path: "/profile/delete", status: 200, as: "buyer"},
	{name: "groups-member", path: "/groups", status: 200, as: "buyer"},
	{name: "group-coordinated", path: "/groups/national-buyers", status: 200, as: "coordinator"},
	{name: "admin-members", path: "/admin/members", status: 200, as: "coordinator"},
	{name: "admin-audit", path: "/admin/audit", status: 200, as: "coordinator"},
	{name: "admin-backups", status: 200, as: "coordinator", reach: backUpNow},
	{name: "profile-pending", path: "/profile", status: 200, as: "newcomer"},
	{name: "profile-errors", status: 400, as: "newcomer", reach: submitEmptyProfile},
	{name: "waiting-for-approval", path: "/members", status: 403, as: "newcomer"},
	{name: "discussions-pending", path: "/discussions", status: 200, as: "newcomer"},
	{name: "home-pending", path: "/", status: 200, as: "newcomer"},
	{name: "home-coordinator", path: "/", status: 200, as: "coordinator"},
	{name: "discussions-member", path: "/discussions", status: 200, as: "buyer"},
	{name: "forum-since-visit", path: "/discussions?since=visit", status: 200, as: "buyer"},
	{name: "forum-category", path: "/discussions/c/criteria-and-labels", status: 200, as: "buyer"},
	{name: "forum-thread", status: 200, as: "buyer", reach: firstThreadPage},
	{name: "forum-thread-moderator", status: 200, as: "coordinator", reach: firstThreadPage},
	{name: "forum-new-thread", path: "/discussions/c/general/new", status: 200, as: "buyer"},
	{name: "forum-search", path: "/discussions/search?q=battery", status: 200, as: "buyer"},
	{name: "search", path: "/search", status: 200},
	{name: "search-library", path: "/search?q=battery", status: 200, as: "buyer"},
	{name: "search-discussions", path: "/search?q=battery&tab=discussions", status: 200, as: "buyer"},
	{name: "search-people", path: "/search?q=an&tab=people", status: 200, as: "coordinator"},
	{name: "search-workshops", path: "/search?q=clinic&tab=workshops", status: 200, as: "buyer"},
	{name: "forum-notifications", path: "/discussions/notifications", status: 200, as: "buyer"},
	{name: "forum-settings", path: "/discussions/settings", status: 200, as: "buyer"},
	{name: "forum-review", path: "/discussions/review", status: 200, as: "coordinator"},
	{name: "workshop-room-member", status: 200, as: "buyer", reach: enterLiveRoom},
	{name: "workshop-room-facilitator", status: 200, as: "facilitator", reach: enterLiveRoom},
	{name: "workshop-room-member-phone", status: 200, as: "buyer", reach: enterLiveRoomPhone},
	{name: "workshop-room-presenter", status: 200, as: "facilitator", reach: enterPresenterView},
	{name: "workshop-room-not-open", path: "/workshops/00000000000000000000d002", status: 200, as: "buyer"},
	{name: "workshop-room-not-open-facilitator", path: "/workshops/00000000000000000000d002", status: 200, as: "facilitator"},
	{name: "workshop-room-waiting", status: 200, as: "buyer", reach: enterWaitingRoom},
	{name: "workshop-past-outcome", path: "/workshops/" + demoPastWorkshop, status: 200, as: "buyer"},
	{name: "workshop-outcome-resource", status: 200, as: "buyer", reach: openDemoOutcome},
	{name: "workshop-outcome-review", path: "/workshops/" + demoPastWorkshop + "/outcome", status: 200, as: "facilitator"},
	{name: "workshop-outcome-review-error", status: 422, as: "facilitator", reach: submitEmptyOutcome},
	{name: "workshop-runsheet", path: "/workshops/" + demoLiveWorkshop + "/runsheet", status: 200, as: "facilitator"},
	{name: "workshop-room-tools-facilitator", status: 200, as: "facilitator", reach: roomWithTools},
	{name: "workshop-room-tools-member", status: 200, as: "buyer", reach: roomWithTools},
}

// The demo's workshops: the case clinic is live now; the clinic before it
// in the same series is past and has a published outcome.
const (
	demoLiveWorkshop = demo.LiveWorkshopID
	demoPastWorkshop = demo.PastClinicID
)

// openDemoOutcome follows the past clinic's link to its outcome in the
// library: the printable document page.
func openDemoOutcome(tb *tab, lang string) int64 {
	tb.open(withLang("/workshops/"+demoPastWorkshop, lang))
	href := evalJS[string](tb, `document.querySelector(".outcome-link a").getAttribute("href")`)
	return tb.open(withLang(href, lang))
}

// submitEmptyOutcome saves the outcome review form with the document
// emptied, to check the page in its error state.
func submitEmptyOutcome(tb *tab, lang string) int64 {
	tb.open("/workshops/" + demoPastWorkshop + "/outcome")
	chooseLanguage(tb, lang)
	tb.run(chromedp.SetValue(chromedp.CSS("#o-markdown"), " "))
	return tb.click(`button[name="action"][value="save"]`)
}

// submitEmptyUpload sends the empty upload form as a browser without the
// page script does, so the server's error summary is checked.
func submitEmptyUpload(tb *tab, lang string) int64 {
	tb.open(withLang("/library/upload", lang))
	return tb.follow("submit the empty upload form", chromedp.Evaluate[chromedp.Void](`(() => {
		const f = document.querySelector("form[data-upload]");
		f.action = `+jsString(withLang("/library/upload", lang))+`;
		f.submit();
	})()`))
}

// enterLiveRoom opens the demo's live workshop from the workshop list and
// enters its room, so the check sees the connected room (and, for a
// facilitator, the opened controls) as people use it.
func enterLiveRoom(tb *tab, lang string) int64 {
	tb.t.Helper()
	st := tb.enterRoomAt(withLang(liveWorkshop(tb, lang), lang))
	tb.waitFor("the agenda", `document.querySelector("[data-room-agenda] li")`)
	// The click on the enter button moved the keyboard's starting point;
	// put it back at the top of the document, as after loading a page.
	tb.run(chromedp.Evaluate[chromedp.Void](`(() => {
  document.querySelectorAll(".room-controls").forEach(d => d.open = true);
  const h = document.documentElement;
  h.tabIndex = -1; h.focus(); h.blur(); h.removeAttribute("tabindex");
  scrollTo(0, 0);
})()`))
	return st
}

// enterLiveRoomPhone enters the live room at 360x740, where its stage,
// chat and people are tabs (the check resets the viewport afterwards).
func enterLiveRoomPhone(tb *tab, lang string) int64 {
	tb.t.Helper()
	tb.run(chromedp.EmulateViewport(360, 740))
	st := enterLiveRoom(tb, lang)
	tb.waitFor("the room's tabs", `!document.querySelector("[data-room-tabs]").hidden`)
	return st
}

// enterPresenterView enters the live room as its facilitator and turns
// on the presenter view.
func enterPresenterView(tb *tab, lang string) int64 {
	tb.t.Helper()
	st := enterLiveRoom(tb, lang)
	tb.run(chromedp.Evaluate[chromedp.Void](`document.querySelector("[data-room-present]").click()`))
	tb.waitFor("the presenter view", `document.getElementById("room").classList.contains("room-presenting")`)
	return st
}

// firstMemberPage opens the directory and follows the first member's link.
func firstMemberPage(tb *tab, lang string) int64 {
	tb.open(withLang("/members", lang))
	href := evalJS[string](tb, `document.querySelector("table a[href^='/members/']").getAttribute("href")`)
	return tb.open(withLang(href, lang))
}

// submitEmptyProfile sends a newcomer's profile form as it comes, with the
// required fields still empty, to check the form in its error state.
func submitEmptyProfile(tb *tab, lang string) int64 {
	tb.open("/profile")
	// The member's language choice, not ?lang=, decides the language of a
	// form re-rendered after a POST.
	chooseLanguage(tb, lang)
	return tb.click(`form[action="/profile"] button[type=submit]`)
}

// TestAccessibility checks every page in every language with axe-core, and
// checks what axe cannot: the lang attribute, a working skip link as the
// first stop of the keyboard, and no horizontal scrolling at 320 CSS pixels
// (WCAG 1.4.10 reflow).
func TestAccessibility(t *testing.T) {
	axeSource := loadAxe(t)
	p := startPortal(t)
	anon := newBrowser(t, p)
	anon.name = "visitor"
	tabs := map[string]*tab{"": anon}
	for _, who := range []string{"buyer", "coordinator", "newcomer", "facilitator"} {
		tb := anon.isolated(who)
		tb.signIn(who)
		if problems := tb.takeProblems(); len(problems) > 0 {
			t.Errorf("signing in as %s reported problems:\n%s", who, strings.Join(problems, "\n"))
		}
		tabs[who] = tb
	}

	// axe must see a planted violation, or silence would prove nothing.
	t.Run("axe-finds-planted-violation", func(t *testing.T) {
		tb := anon.in(t)
		tb.open("/")
		tb.run(chromedp.Evaluate[chromedp.Void](axeSource))
		tb.run(chromedp.Evaluate[chromedp.Void](`document.querySelector("main").append(Object.assign(document.createElement("img"), {src: "data:image/gif;base64,R0lGODlhAQABAAAAACw="}))`))
		found := false
		for _, v := range evalJS[[]axeViolation](tb, axeRun, chromedp.EvalAwaitPromise) {
			found = found || v.ID == "image-alt"
		}
		if !found {
			t.Fatal("axe did not report an image without alt text")
		}
		tb.takeProblems()
	})

	t.Run("tab-walk-finds-planted-problems", func(t *testing.T) { checkWalkFindsPlanted(t, anon.in(t)) })

	html := newHTMLBatch(t)
	checks, walks, stops := 0, 0, 0
	for _, lang := range languages {
		for _, pg := range a11yPages {
			t.Run(lang+"/"+pg.name, func(t *testing.T) {
				checks++
				if lang == validationLang {
					walks++
				}
				stops += checkPage(t, tabs[pg.as].in(t), pg, lang, axeSource, html)
			})
		}
	}
	t.Logf("%d page checks with axe (%d pages listed, %d languages); Tab walk through %d pages (%s): %d stops", checks, len(a11yPages), len(languages), walks, validationLang, stops)
	t.Run("valid-html", html.validate)
}

// checkPage checks one page in one language. In validationLang it also
// keeps the served HTML for validation and walks the page with Tab,
// returning the number of Tab stops.
func checkPage(t *testing.T, tb *tab, pg a11yPage, lang, axeSource string, html *htmlBatch) int {
	var status int64
	if pg.reach != nil {
		status = pg.reach(tb, lang)
	} else {
		status = tb.open(withLang(pg.path, lang))
	}
	page := tb.where()
	if lang == validationLang {
		html.add(t, pg.name, page, tb.servedHTML())
	}
	if status != pg.status {
		t.Errorf("%s answered %d, want %d", page, status, pg.status)
	}

	if got := evalJS[string](tb, `document.documentElement.lang`); got != lang {
		t.Errorf("%s: <html lang=%q>, want %q", page, got, lang)
	}

	// axe-core first, before the keyboard checks move focus around.
	if !evalJS[bool](tb, `typeof window.axe === "object"`) {
		tb.run(chromedp.Evaluate[chromedp.Void](axeSource))
	}
	for _, v := range evalJS[[]axeViolation](tb, axeRun, chromedp.EvalAwaitPromise) {
		for _, n := range v.Nodes {
			t.Errorf("%s: axe %s [%s] at %s: %s\n\t%s", page, v.ID, v.Impact, n.Target, v.Help, strings.ReplaceAll(n.Summary, "\n", "\n\t"))
		}
	}

	checkSkipLink(t, tb, page)

	// Reflow: no horizontal scrolling at 320 CSS pixels. The browser's
	// classic scrollbar takes part of that width, so the page must also fit
	// the width left beside it (clientWidth), as on a zoomed desktop.
	tb.run(chromedp.EmulateViewport(320, 800))
	sw, cw := evalJS[int](tb, `document.documentElement.scrollWidth`), evalJS[int](tb, `document.documentElement.clientWidth`)
	if sw > 320 || sw > cw {
		wide := evalJS[[]string](tb, `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5).slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(/\s+/).join(".") : "") + " (right " + Math.round(e.getBoundingClientRect().right) + ")")`)
		t.Errorf("%s: at a 320 px viewport the page is %d px wide for %d px of room (horizontal scrolling); overflowing: %s", page, sw, cw, strings.Join(wide, ", "))
	}
	tb.run(desktopViewport())

	stops := 0
	if lang == validationLang {
		var problems []string
		stops, problems = tabWalk(tb, page)
		for _, p := range problems {
			t.Error(p)
		}
	}

	if problems := tb.takeProblems(); len(problems) > 0 {
		t.Errorf("%s reported problems:\n%s", page, strings.Join(problems, "\n"))
	}
	return stops
}

// checkSkipLink checks that the skip link is the first thing the keyboard
// reaches and that following it moves focus to the main content.
func checkSkipLink(t *testing.T, tb *tab, page string) {
	t.Helper()
	order := evalJS[[]string](tb, focusOrder)
	if len(order) == 0 || order[0] != "a.skip-link #main" {
		t.Errorf("%s: the first focusable elements are %q, want the skip link to #main first", page, order)
		return
	}
	if !evalJS[bool](tb, `document.getElementById("main") !== null && document.getElementById("main").tagName === "MAIN"`) {
		t.Errorf("%s: the skip link's target #main is not the <main> element", page)
	}
	// With the keyboard: focus starts at the document unless the page moved
	// it (the flash message takes focus after a redirect).
	if !evalJS[bool](tb, `document.activeElement === document.body`) {
		return
	}
	tb.run(chromedp.KeyEvent("\t"))
	if !evalJS[bool](tb, `document.activeElement && document.activeElement.matches("a.skip-link")`) {
		t.Errorf("%s: the first Tab did not focus the skip link", page)
		return
	}
	// A focused skip link must be on screen.
	if !evalJS[bool](tb, `(() => { const r = document.activeElement.getBoundingClientRect(); return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.width > 1 && r.height > 1; })()`) {
		t.Errorf("%s: the focused skip link is not visible", page)
	}
	tb.run(chromedp.KeyEvent("\r"))
	if !evalJS[bool](tb, `location.hash === "#main" && document.activeElement === document.getElementById("main")`) {
		t.Errorf("%s: following the skip link did not move focus to the main content", page)
	}
}

// sendBadLanguage chooses lang with the header's language switcher, then
// sends the switcher again with a language that is not offered, as a
// tampered or outdated form would, and returns the status of that answer.
func sendBadLanguage(tb *tab, lang string) int64 {
	tb.t.Helper()
	tb.open("/library")
	if st := chooseLanguage(tb, lang); st != 200 {
		tb.t.Fatalf("choosing %s with the language switcher ended on status %d", lang, st)
	}
	if got := tb.location().Path; got != "/library" {
		tb.t.Errorf("the language switcher led from /library to %s", got)
	}
	return tb.follow("send an unknown language", chromedp.Evaluate[chromedp.Void](`(() => {
  const s = document.querySelector("#lang-select");
  s.options[s.selectedIndex].value = "xx";
  s.form.requestSubmit();
})()`))
}

// chooseLanguage picks lang in the header's switcher, which applies it as
// soon as it is picked (its Apply button is there only without scripts),
// and returns the status of the page it leads to.
func chooseLanguage(tb *tab, lang string) int64 {
	tb.t.Helper()
	return tb.follow("choose "+lang, chromedp.Evaluate[chromedp.Void](`(() => {
  const s = document.querySelector("#lang-select");
  s.value = `+jsString(lang)+`;
  s.dispatchEvent(new Event("change", {bubbles: true}));
})()`))
}

// backUpNow presses "Back up now" on the backups page, which then shows
// the flash, the run listed and, while it lasts, the running notice.
func backUpNow(tb *tab, lang string) int64 {
	tb.open(withLang("/admin/backups", lang))
	// The member's language choice, not ?lang=, decides the language of
	// the page the POST redirects to.
	chooseLanguage(tb, lang)
	tb.open(withLang("/admin/backups", lang))
	return tb.click(`form[action="/admin/backups"] button[type=submit]`)
}

func withLang(path, lang string) string {
	if strings.Contains(path, "?") {
		return path + "&lang=" + lang
	}
	return path + "?lang=" + lang
}

// loadAxe reads axe-core from the repository's node_modules.
func loadAxe(t *testing.T) string {
	t.Helper()
	path := filepath.Join(repoRoot(t), "node_modules", "axe-core", "axe.min.js")
	b, err := os.ReadFile(path)
	if err != nil {
		unavailable(t, "axe-core is not installed (%v): run `npm ci` in the repository root", err)
	}
	return string(b)
}

// openFirstResource opens the library and follows the first result, a
// resource page with versions, marks and the member's forms.
func openFirstResource(tb *tab, lang string) int64 {
	tb.t.Helper()
	if st := tb.open(withLang("/library?q=laptop+specifications", lang)); st != 200 {
		return st
	}
	href := evalJS[string](tb, `document.querySelector(".resource-card h3 a").getAttribute("href")`)
	return tb.open(withLang(href, lang))
}
