package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// walkStart records how every element looks unfocused, puts the keyboard's
// starting point back at the top of the document, and returns how many
// elements the keyboard could reach, for the bound of the walk.
const walkStart = `(() => {
  const look = e => { const s = getComputedStyle(e);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.outlineOffset, s.boxShadow,
      s.borderTopColor, s.borderBottomColor, s.borderTopWidth, s.backgroundColor, s.color, s.textDecorationLine].join("|"); };
  window.__look = look;
  window.__unfocused = new WeakMap();
  window.__walkIDs = new WeakMap();
  window.__walkNext = 1;
  if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  for (const e of document.querySelectorAll("body *")) __unfocused.set(e, look(e));
  const h = document.documentElement;
  h.tabIndex = -1; h.focus(); h.blur(); h.removeAttribute("tabindex");
  scrollTo(0, 0);
  const sel = 'a[href], area[href], button, input, select, textarea, iframe, summary, [tabindex], [contenteditable=""], [contenteditable="true"]';
  return [...document.querySelectorAll(sel)].filter(e => !e.disabled && e.tabIndex >= 0 && e.type !== "hidden" && e.getClientRects().length > 0).length;
})()`

// walkStep describes the focused element after a Tab: which one it is
// (a stable number), whether focus has left the page, and whether its look
// differs from its unfocused look in a way a person can see.
const walkStep = `(() => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return {left: true};
  if (!__walkIDs.has(e)) __walkIDs.set(e, __walkNext++);
  const s = getComputedStyle(e);
  const now = __look(e), before = __unfocused.get(e);
  const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 1 && !/rgba\(.*,\s*0\)$/.test(s.outlineColor);
  const shadow = s.boxShadow !== "none";
  const r = e.getBoundingClientRect();
  const desc = e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "") +
    (e.getAttribute("href") ? " href=" + e.getAttribute("href") : "") + (e.getAttribute("name") ? " name=" + e.getAttribute("name") : "") +
    ' "' + (e.textContent || e.value || "").replace(/\s+/g, " ").trim().slice(0, 40) + '"';
  // Date and time inputs take one Tab per part (day, month, year, hour...).
  const parts = e.tagName === "INPUT" && /^(date|time|datetime-local|month|week)$/.test(e.type);
  return {id: __walkIDs.get(e), desc, parts,
    indicator: (before === undefined || before !== now) && (outline || shadow || (before !== undefined && before.split("|").slice(5).join() !== now.split("|").slice(5).join())),
    shown: r.width > 0 && r.height > 0};
})()`

type walkState struct {
	Left      bool   `json:"left"`
	ID        int    `json:"id"`
	Desc      string `json:"desc"`
	Indicator bool   `json:"indicator"`
	Shown     bool   `json:"shown"`
	// Parts: a native date or time input, which Tab walks part by part.
	Parts bool `json:"parts"`
}

// maxParts bounds the Tab stops inside one date or time input (a
// datetime-local field has at most six parts).
const maxParts = 8

// tabWalk presses Tab from the top of the page until focus leaves the page
// or comes back to the first element it reached. Every element on the way
// must show that it has focus (WCAG 2.4.7), and the walk must end within a
// bound: focus that never leaves nor comes round is a keyboard trap
// (WCAG 2.1.2). It returns the number of stops and what it found wrong.
func tabWalk(tb *tab, page string) (stops int, problems []string) {
	tb.t.Helper()
	reachable := evalJS[int](tb, walkStart)
	bound := 2*reachable + 10
	var path []string
	first, prev, same := 0, 0, 0
	for step := 1; step <= bound+maxParts*countParts(tb); step++ {
		tb.run(chromedp.KeyEvent("\t"))
		st := evalJS[walkState](tb, walkStep)
		if st.Left || st.ID == first {
			return len(path), problems
		}
		if first == 0 {
			first = st.ID
		}
		if st.ID == prev {
			if same++; !st.Parts || same >= maxParts {
				problems = append(problems, fmt.Sprintf("%s: keyboard trap: Tab leaves focus on %s (after %s)", page, st.Desc, lastOf(path, 3)))
				return len(path), problems
			}
			continue // the next part of the same date or time input
		}
		prev, same = st.ID, 0
		path = append(path, st.Desc)
		if !st.Indicator {
			problems = append(problems, fmt.Sprintf("%s: Tab stop %d, %s, shows no visible focus indicator", page, len(path), st.Desc))
		}
		if !st.Shown {
			problems = append(problems, fmt.Sprintf("%s: Tab stop %d, %s, takes focus but has no size on screen", page, len(path), st.Desc))
		}
	}
	problems = append(problems, fmt.Sprintf("%s: keyboard trap: after %d Tabs (%d focusable elements) focus neither left the page nor came back to the start; last stops: %s", page, bound, reachable, lastOf(path, 6)))
	return len(path), problems
}

// countParts is the number of date and time inputs on the page, each of
// which may take up to maxParts Tabs.
func countParts(tb *tab) int {
	return evalJS[int](tb, `document.querySelectorAll('input[type=date], input[type=time], input[type=datetime-local], input[type=month], input[type=week]').length`)
}

// checkWalkFindsPlanted plants an element without a focus indicator and a
// keyboard trap on a page: the walk must report both, or a clean walk
// would prove nothing.
func checkWalkFindsPlanted(t *testing.T, tb *tab) {
	tb.open("/")
	tb.run(chromedp.Evaluate[chromedp.Void](`(() => {
  const b = Object.assign(document.createElement("button"), {type: "button", textContent: "planted-no-outline"});
  b.style.setProperty("outline", "none", "important");
  b.style.setProperty("box-shadow", "none", "important");
  document.querySelector("main").prepend(b);
})()`))
	_, problems := tabWalk(tb, "planted page")
	if !strings.Contains(strings.Join(problems, "\n"), "planted-no-outline\", shows no visible focus indicator") {
		t.Errorf("the Tab walk did not report a button without focus indicator; it reported: %q", problems)
	}
	tb.run(chromedp.Evaluate[chromedp.Void](`(() => {
  const i = Object.assign(document.createElement("input"), {name: "planted-trap"});
  i.setAttribute("aria-label", "trap");
  i.addEventListener("keydown", e => { if (e.key === "Tab") e.preventDefault(); });
  document.querySelector("main").append(i);
})()`))
	_, problems = tabWalk(tb, "planted page")
	if !strings.Contains(strings.Join(problems, "\n"), "keyboard trap: Tab leaves focus on input name=planted-trap") {
		t.Errorf("the Tab walk did not report a keyboard trap; it reported: %q", problems)
	}
	tb.takeProblems()
}

func lastOf(path []string, n int) string {
	if len(path) == 0 {
		return "the start of the page"
	}
	if len(path) > n {
		path = path[len(path)-n:]
	}
	return fmt.Sprintf("[%s]", strings.Join(path, "; "))
}
