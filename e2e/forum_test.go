package e2e

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// xssPosts are written through the reply form; the thread page must
// execute none of them (no dialog, no console error from injected code).
var xssPosts = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(1)>`,
	`[click](javascript:alert(1)) and [entity](&#106;avascript:alert(1))`,
	`<svg onload=alert(1)></svg>`,
	`<style>body{display:none}</style><div style="position:fixed">x</div>`,
	`![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
	`<iframe src="javascript:alert(1)"></iframe><details open ontoggle=alert(1)>`,
}

// firstThreadHref returns the link of the demo thread whose title contains s.
func firstThreadHref(tb *tab, s string) string {
	return evalJS[string](tb, `(() => { const a = [...document.querySelectorAll(".thread-list a[href^='/threads/']")].find(a => a.textContent.includes(`+jsString(s)+`)); return a ? a.getAttribute("href") : ""; })()`)
}

// Two members in two browser contexts: one replies, the other sees the reply
// appear without reloading and gets a notification; then the XSS corpus,
// posted through the page, runs nothing.
func TestForumLiveReplyAndXSS(t *testing.T) {
	p := startPortal(t)
	base := newBrowser(t, p)
	buyer := base.isolated("buyer")
	fac := base.isolated("facilitator")
	buyer.signIn("buyer")
	fac.signIn("facilitator")
	var dialogs atomic.Int32
	for _, tb := range []*tab{buyer, fac} {
		if err := chromedp.Listen(tb.ctx, func(ev any) {
			if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
				dialogs.Add(1)
			}
		}); err != nil {
			t.Fatal(err)
		}
	}

	buyer.open("/discussions")
	href := firstThreadHref(buyer, "or equivalent") // started by the buyer
	if href == "" {
		t.Fatal("demo thread not listed")
	}
	if st := buyer.open(href); st != 200 {
		t.Fatalf("thread: %d", st)
	}
	last := evalJS[string](buyer, `document.getElementById("posts").dataset.last`)
	before := evalJS[string](buyer, `document.getElementById("bell-count").dataset.count`)
	// Let the page's event stream connect before the reply is sent.
	buyer.run(chromedp.Sleep(500 * time.Millisecond))

	fac.open(href)
	fac.run(chromedp.SetValue(chromedp.CSS(`#reply textarea`), "Live reply from the facilitator: we do the same."))
	if st := fac.click(`#reply button[type="submit"]:not([name])`); st != 200 {
		t.Fatalf("reply: status %d at %s", st, fac.where())
	}

	next := "#post-" + itoa(atoi(last)+1)
	buyer.run(chromedp.WaitVisible(chromedp.CSS(next)))
	if got := buyer.mustText(next + " .post-body"); !strings.Contains(got, "Live reply from the facilitator") {
		t.Fatalf("live post text: %q", got)
	}
	if buyer.location().Path != href {
		t.Fatalf("the page reloaded or moved: %s", buyer.where())
	}
	after := evalJS[string](buyer, `document.getElementById("bell-count").dataset.count`)
	if atoi(after) <= atoi(before) {
		t.Errorf("bell count %s -> %s: no notification", before, after)
	}
	if got := evalJS[string](buyer, `document.getElementById("live-status").textContent`); !strings.Contains(got, "Lucas Martin") {
		t.Errorf("live region says %q", got)
	}

	// The XSS corpus, posted through the page, one reply each.
	for _, body := range xssPosts {
		fac.open(href + "?page=1")
		fac.run(chromedp.SetValue(chromedp.CSS(`#reply textarea`), body))
		fac.click(`#reply button[type="submit"]:not([name])`)
	}
	for _, tb := range []*tab{fac, buyer} {
		tb.open(href + "/posts/100") // the last page
		n := evalJS[int](tb, `document.querySelectorAll(".post-body script, .post-body svg, .post-body iframe, .post-body style, .post-body [style], .post-body [onerror], .post-body [onload], .post-body [ontoggle], .post-body a[href^='javascript'], .post-body img[src^='data']").length`)
		if n != 0 {
			t.Errorf("%s: %d executable elements in posts", tb.name, n)
		}
		if problems := tb.takeProblems(); len(problems) > 0 {
			t.Errorf("%s: the pages reported problems:\n%s", tb.name, strings.Join(problems, "\n"))
		}
	}
	if d := dialogs.Load(); d != 0 {
		t.Errorf("%d dialogs opened", d)
	}
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// firstThreadPage opens the discussions and follows the first thread.
func firstThreadPage(tb *tab, lang string) int64 {
	tb.open(withLang("/discussions", lang))
	href := evalJS[string](tb, `document.querySelector(".thread-list a[href^='/threads/']").getAttribute("href")`)
	return tb.open(withLang(href, lang))
}
