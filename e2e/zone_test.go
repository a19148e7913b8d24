package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestBrowserZoneStoredOnce: a member in Brussels who never opens the
// profile has the browser's zone stored from the first page, so e-mails and
// calendar files use it; the next pages no longer ask, and the profile shows
// the stored zone.
func TestBrowserZoneStoredOnce(t *testing.T) {
	p := startPortal(t)
	tb := newBrowser(t, p)
	tb.name = "buyer in Brussels"
	ctx, cancel := tb.step()
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Europe/Brussels"}); err != nil {
		t.Fatalf("time zone override: %v", err)
	}
	cancel()
	tb.signIn("buyer")
	// The page the sign-in lands on asks (its script posts the zone).
	if !evalJS[bool](tb, `document.body.hasAttribute("data-adopt-zone")`) {
		t.Fatalf("the demo buyer is not asked for a zone at %s", tb.where())
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if st := tb.open("/library"); st != 200 {
			t.Fatalf("library: %d", st)
		}
		if !evalJS[bool](tb, `document.body.hasAttribute("data-adopt-zone")`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the browser's zone was not stored: pages still ask for it")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st := tb.open("/profile"); st != 200 {
		t.Fatalf("profile: %d", st)
	}
	if got := evalJS[string](tb, `document.getElementById("f-time_zone").getAttribute("value")`); got != "Europe/Brussels" {
		t.Errorf("the profile's stored zone is %q, want Europe/Brussels", got)
	}
	if problems := tb.takeProblems(); len(problems) > 0 {
		t.Errorf("the pages reported problems:\n%s", strings.Join(problems, "\n"))
	}
}
