package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
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
