package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// contrastOf measures, in the page, the contrast between an element's text
// colour and the background behind it (its own, or the first ancestor's
// that is not transparent), as WCAG 2 computes it.
const contrastOf = `((sel) => {
  const el = document.querySelector(sel);
  if (!el) return -1;
  const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
  let bg = null;
  for (let e = el; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0)) { bg = c; break; }
  }
  bg = bg || [255, 255, 255];
  const fg = rgb(getComputedStyle(el).color);
  const lum = c => {
    const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const a = lum(fg), b = lum(bg);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
})`

// The question's author sees "Accept as the answer" under each reply. Its
// text must stand out from its background by 4.5:1 at rest, under the
// pointer, with keyboard focus and when disabled (it was white on white
// until hovered).
func TestAcceptButtonContrast(t *testing.T) {
	p := startPortal(t)
	tb := newBrowser(t, p)
	tb.signIn("buyer")
	tb.open("/discussions")
	href := firstThreadHref(tb, "or equivalent") // the buyer's question
	if href == "" {
		t.Fatal("demo question not listed")
	}
	if st := tb.open(href); st != 200 {
		t.Fatalf("thread: %d", st)
	}
	// Both the offer and its undo, when the question already has an answer.
	for _, sel := range []string{
		`form[action$="/accept"]:not(:has(input[name="undo"])) button`,
		`form[action$="/accept"]:has(input[name="undo"]) button`,
	} {
		checkButtonStates(t, tb, sel)
	}
}

// checkButtonStates measures the contrast of the first button sel finds at
// rest, hovered by the pointer, focused and disabled.
func checkButtonStates(t *testing.T, tb *tab, sel string) {
	t.Helper()
	if evalJS[int](tb, `document.querySelectorAll(`+jsString(sel)+`).length`) == 0 {
		t.Fatalf("no %s for the question's author", sel)
	}
	measure := func(state string) {
		t.Helper()
		c := evalJS[float64](tb, contrastOf+`(`+jsString(sel)+`)`)
		colours := evalJS[string](tb, `(() => { const s = getComputedStyle(document.querySelector(`+jsString(sel)+`)); return s.color + " on " + s.backgroundColor; })()`)
		if c < 4.5 {
			t.Errorf("%s %s: contrast %.2f:1 (%s), want at least 4.5:1", sel, state, c, colours)
		} else {
			t.Logf("%s %s: %.2f:1 (%s)", sel, state, c, colours)
		}
	}
	away := chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 1, 1)
	tb.run(chromedp.ScrollIntoView(chromedp.CSS(sel)), away)
	measure("at rest")

	box := evalJS[[]float64](tb, `(() => { const r = document.querySelector(`+jsString(sel)+`).getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`)
	over := chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, box[0], box[1])
	tb.run(over)
	if !evalJS[bool](tb, `document.querySelector(`+jsString(sel)+`).matches(":hover")`) {
		t.Fatal("the pointer is not over the button")
	}
	measure("hovered")
	tb.run(away, chromedp.Focus(chromedp.CSS(sel)))
	measure("focused")
	tb.run(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%s).disabled = true`, jsString(sel))))
	measure("disabled")
	tb.run(over)
	measure("disabled and hovered")
	tb.run(away, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%s).disabled = false`, jsString(sel))))
}

// Preview stays in place: no reload, no jump to the top, the library card of
// a linked resource shows as in the posted reply. A mention picked from the
// list reads "@Lucas Martin" in the editor and is sent as a link.
func TestPreviewInPlaceAndMentions(t *testing.T) {
	p := startPortal(t)
	tb := newBrowser(t, p)
	tb.signIn("buyer")
	tb.open("/library")
	res := evalJS[string](tb, `document.querySelector(".resource-list a[href^='/library/']").getAttribute("href")`)
	tb.open("/discussions")
	href := firstThreadHref(tb, "or equivalent")
	tb.open(href + "/posts/100") // the last page, where the reply form is
	thread := tb.location().Path

	tb.run(chromedp.ScrollIntoView(chromedp.CSS("#reply textarea")), chromedp.SendKeys(chromedp.CSS("#reply textarea"), "Ask @Luc"))
	tb.waitFor("the mention list", `document.querySelector("#mention-list li")`)
	// Enter as a keyboard sends it: the key press (which the list takes),
	// without the separate character event chromedp.KeyEvent would add.
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		ctx, cancel := tb.step()
		_, err := chromedp.Call(ctx, input.DispatchKeyEvent, input.DispatchKeyEventParams{Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	if v := evalJS[string](tb, `document.querySelector("#reply textarea").value`); v != "Ask @Lucas Martin " {
		t.Fatalf("after picking a mention the editor reads %q", v)
	}
	// Typed into the focused editor: SendKeys reads the node while the
	// mention list re-renders it, which chromedp does without a lock (the
	// race detector caught it).
	tb.run(chromedp.Evaluate[chromedp.Void](`document.querySelector("#reply textarea").focus()`), chromedp.KeyEvent("about "+res+" please."))
	tb.run(chromedp.Evaluate[chromedp.Void](`window.sameDocument = true`))
	y := evalJS[float64](tb, `scrollY`)
	if y < 100 {
		t.Fatalf("the reply form is at the top (%v): the scroll check would prove nothing", y)
	}
	tb.run(chromedp.Click(chromedp.CSS(`#reply button[name="preview"]`)))
	tb.waitFor("the preview", `document.querySelector("#reply .post-preview")`)
	if !evalJS[bool](tb, `window.sameDocument === true`) || tb.location().Path != thread {
		t.Fatalf("the preview reloaded the page (at %s)", tb.where())
	}
	if got := evalJS[float64](tb, `scrollY`); got < y-5 || got > y+5 {
		t.Errorf("the preview moved the page from %v to %v", y, got)
	}
	if !evalJS[bool](tb, `!!document.querySelector(`+jsString(`#reply .post-preview a.resource-card[href="`+res+`"]`)+`)`) {
		t.Error("the preview shows no library card")
	}
	if !evalJS[bool](tb, `!!document.querySelector("#reply .post-preview .post-body a[href^='/members/']")`) {
		t.Error("the preview shows the mention without its link")
	}
	if v := evalJS[string](tb, `document.querySelector("#reply textarea").value`); strings.Contains(v, "](/members/") {
		t.Errorf("the editor shows the mention's link: %q", v)
	}
	tb.click(`#reply button[type="submit"]:not([name])`)
	if !evalJS[bool](tb, `[...document.querySelectorAll(".post .post-body")].some(b => b.textContent.includes("Ask @Lucas Martin") && b.querySelector("a[href^='/members/']"))`) {
		t.Errorf("the posted reply has no mention link (at %s)", tb.where())
	}
	if problems := tb.takeProblems(); len(problems) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(problems, "\n"))
	}
}

// The header: one row at 1280 px when signed in; at 360x740 a menu button
// (keyboard operable) keeps it small; the language applies when picked.
func TestCompactHeader(t *testing.T) {
	p := startPortal(t)
	tb := newBrowser(t, p)
	tb.signIn("coordinator") // the longest header: administration link, bell, name, search field
	// Rows are counted from the middles of what is shown in the header; its
	// height is measured at 1280x900 and at 360x740 in every language
	// (French and German coordinators had two rows).
	rowsJS := `(() => {
  const tops = new Set();
  document.querySelectorAll(".site-header a, .site-header button:not([hidden]), .site-header select, .site-header input").forEach(e => {
    if (e.getClientRects().length) { const r = e.getBoundingClientRect(); tops.add(Math.round((r.top + r.bottom) / 2 / 12)); }
  });
  return tops.size;
})()`
	overflowJS := `(() => { const row = document.querySelector(".header-row").getBoundingClientRect();
  return [...document.querySelectorAll(".site-header a, .site-header button:not([hidden]), .site-header select, .site-header input")].some(e => e.getClientRects().length && e.getBoundingClientRect().right > row.right + 1); })()`
	heightJS := `document.querySelector(".site-header").getBoundingClientRect().height`
	for _, lang := range []string{"en", "fr", "nl", "de"} {
		tb.open("/discussions?lang=" + lang)
		if rows := evalJS[int](tb, rowsJS); rows != 1 {
			t.Errorf("%s: at 1280 px the coordinator's header has %d rows", lang, rows)
		}
		if evalJS[bool](tb, overflowJS) {
			t.Errorf("%s: at 1280 px something in the header runs past its edge", lang)
		}
		if h := evalJS[float64](tb, heightJS); h > 60 {
			t.Errorf("%s: at 1280 px the header is %.0f px high", lang, h)
		}
		if !evalJS[bool](tb, `!!document.querySelector(".site-header form[action='/search'] input[name=q]") && document.querySelector("label[for=header-q]").textContent.length > 0`) {
			t.Errorf("%s: the header has no labelled search field", lang)
		}
	}

	tb.run(chromedp.EmulateViewport(360, 740))
	for _, lang := range []string{"en", "fr", "nl", "de"} {
		tb.open("/discussions?lang=" + lang)
		if h := evalJS[float64](tb, heightJS); h > 60 {
			t.Errorf("%s: at 360 px the header is %.0f px high", lang, h)
		}
	}
	tb.open("/discussions?lang=en")
	if evalJS[bool](tb, `document.querySelector(".site-nav").getClientRects().length > 0`) {
		t.Error("at 360 px the navigation shows before the menu is opened")
	}
	tb.run(chromedp.Focus(chromedp.CSS(".menu-toggle")), chromedp.KeyEvent(" "))
	if !evalJS[bool](tb, `document.querySelector(".menu-toggle").getAttribute("aria-expanded") === "true" && document.querySelector(".site-nav a[href='/library']").getClientRects().length > 0`) {
		t.Fatal("the menu button does not open the navigation from the keyboard")
	}
	tb.run(chromedp.Focus(chromedp.CSS(".site-nav a[href='/library']")), chromedp.KeyEvent(kb.Escape))
	if evalJS[bool](tb, `document.querySelector(".site-nav").getClientRects().length > 0`) || !evalJS[bool](tb, `document.activeElement.matches(".menu-toggle")`) {
		t.Error("Escape does not close the menu back to its button")
	}
	tb.run(desktopViewport())

	// Picking a language applies it; nothing else to press.
	tb.open("/discussions")
	tb.waitFor("the language choice", `document.readyState === "complete" && document.querySelector("#lang-select")`)
	tb.follow("pick French", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("lang-select"); s.value = "fr"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`))
	tb.waitFor("the page in French", `document.documentElement.lang === "fr" && document.readyState === "complete" && document.querySelector(".lang-switch")`)
	if evalJS[bool](tb, `(() => { const b = document.querySelector(".lang-switch button[type=submit]"); return !b || b.getClientRects().length > 0; })()`) {
		t.Error("the Apply button shows although the choice applies itself")
	}
}
