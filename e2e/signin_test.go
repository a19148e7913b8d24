package e2e

import (
	"strings"
	"testing"
)

// TestSignInJourney follows a visitor through the demo sign-in and back out,
// clicking what a person clicks.
func TestSignInJourney(t *testing.T) {
	p := startPortal(t)
	b := newBrowser(t, p)
	b.name = "visitor"

	if st := b.open("/"); st != 200 {
		t.Fatalf("home answered %d", st)
	}
	if _, ok := b.text(`.account a[href="/profile"]`); ok {
		t.Fatal("a new visitor is shown as signed in")
	}

	if st := b.click(`.account a[href="/signin"]`); st != 200 {
		t.Fatalf("the sign-in page answered %d", st)
	}
	if got := b.location().Path; got != "/signin" {
		t.Fatalf("the header's sign-in link led to %s", got)
	}
	if got := b.mustText("main h1"); got != "Sign in" {
		t.Errorf("sign-in page heading = %q", got)
	}

	if st := b.click(`form[action="/auth/demo"]:has(input[name="persona"][value="buyer"]) button[type="submit"]`); st != 200 {
		t.Fatalf("signing in ended on status %d at %s", st, b.where())
	}
	if got := b.location().Path; got != "/" {
		t.Errorf("after signing in the browser is at %s, want the home page", got)
	}
	if got := b.mustText(".flash"); got != "You are signed in." {
		t.Errorf("flash after signing in = %q", got)
	}
	if got := b.mustText(`.account a[href="/profile"]`); got != "Anna de Vries" {
		t.Errorf("name in the header = %q, want Anna de Vries", got)
	}
	// The page script moves focus to the message so screen readers read it.
	if !evalJS[bool](b, `document.activeElement === document.querySelector(".flash")`) {
		t.Error("focus is not on the sign-in message")
	}

	if st := b.click(`.site-nav a[href="/members"]`); st != 200 {
		t.Fatalf("members answered %d", st)
	}
	if got := b.location().Path; got != "/members" {
		t.Fatalf("the Members link led to %s", got)
	}
	if !evalJS[bool](b, `document.querySelector('.site-nav a[href="/members"]').getAttribute("aria-current") === "page"`) {
		t.Error("the Members link is not marked as the current page")
	}
	names := evalJS[[]string](b, `[...document.querySelectorAll("main table tbody tr td:first-child")].map(td => td.textContent.trim())`)
	if !contains(names, "Jonas Berg") {
		t.Errorf("the members table does not list Jonas Berg: %q", names)
	}

	if st := b.click(`.account form[action="/auth/logout"] button[type="submit"]`); st != 200 {
		t.Fatalf("signing out ended on status %d at %s", st, b.where())
	}
	if got := b.location().Path; got != "/" {
		t.Errorf("after signing out the browser is at %s, want the home page", got)
	}
	if got := b.mustText(".flash"); got != "You are signed out." {
		t.Errorf("flash after signing out = %q", got)
	}
	if _, ok := b.text(`.account a[href="/profile"]`); ok {
		t.Error("the header still shows a signed-in member after signing out")
	}
	if _, ok := b.text(`.account a[href="/signin"]`); !ok {
		t.Error("the header offers no sign-in link after signing out")
	}

	b.open("/members")
	if u := b.location(); u.Path != "/signin" || u.Query().Get("next") != "/members" {
		t.Errorf("after signing out /members led to %s, want the sign-in page with next=/members", u)
	}
	if problems := b.takeProblems(); len(problems) > 0 {
		t.Errorf("the pages reported problems:\n%s", strings.Join(problems, "\n"))
	}
}

// TestTwoMembersAtOnce signs two people in at the same time in separate
// browser contexts: each sees their own name, and one signing out leaves the
// other signed in.
func TestTwoMembersAtOnce(t *testing.T) {
	p := startPortal(t)
	first := newBrowser(t, p)
	buyer := first.isolated("buyer")
	facilitator := first.isolated("facilitator")

	buyer.signIn("buyer")
	facilitator.signIn("facilitator")

	for _, c := range []struct {
		tab  *tab
		name string
	}{{buyer, "Anna de Vries"}, {facilitator, "Lucas Martin"}} {
		if st := c.tab.open("/profile"); st != 200 {
			t.Fatalf("%s: profile answered %d", c.tab.name, st)
		}
		if got := c.tab.mustText(`.account a[href="/profile"]`); got != c.name {
			t.Errorf("%s: header name = %q, want %q", c.tab.name, got, c.name)
		}
		if got := evalJS[string](c.tab, `document.getElementById("f-name").value`); got != c.name {
			t.Errorf("%s: profile form name = %q, want %q", c.tab.name, got, c.name)
		}
	}

	// The first tab never signed in: it shares no cookie with the others.
	first.open("/")
	if _, ok := first.text(`.account a[href="/profile"]`); ok {
		t.Error("a tab in the default browser context is signed in too")
	}

	buyer.click(`.account form[action="/auth/logout"] button[type="submit"]`)
	if st := facilitator.open("/profile"); st != 200 || facilitator.location().Path != "/profile" {
		t.Fatalf("the facilitator lost the session when the buyer signed out (status %d at %s)", st, facilitator.where())
	}
	if got := facilitator.mustText(`.account a[href="/profile"]`); got != "Lucas Martin" {
		t.Errorf("facilitator: header name = %q after the buyer signed out", got)
	}
	for _, tb := range []*tab{first, buyer, facilitator} {
		if problems := tb.takeProblems(); len(problems) > 0 {
			t.Errorf("%s: the pages reported problems:\n%s", tb.name, strings.Join(problems, "\n"))
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
