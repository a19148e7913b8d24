package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/demo"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/workshops"
)

// rawTimeRe finds what a page must not print outside a <time> element: a
// date, a time of day, a zone name or a 12-hour clock mark. Inside <time>
// the browser rewrites it in the member's zone and the locale's format.
var rawTimeRe = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}\b|\bUTC\b|\bGMT\b|\b[AP]M\b`)

// textOutsideTime is the visible text of a page without what <time>,
// <script>, <style> and form fields hold.
func textOutsideTime(body string) []string {
	var out []string
	z := html.NewTokenizer(strings.NewReader(body))
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken:
			if n, _ := z.TagName(); isTimeSkipped(string(n)) {
				skip++
			}
		case html.EndTagToken:
			if n, _ := z.TagName(); isTimeSkipped(string(n)) && skip > 0 {
				skip--
			}
		case html.TextToken:
			if skip == 0 {
				if t := strings.TrimSpace(string(z.Text())); t != "" {
					out = append(out, t)
				}
			}
		}
	}
}

func isTimeSkipped(tag string) bool {
	return tag == "time" || tag == "script" || tag == "style" || tag == "textarea" || tag == "option"
}

// Every date and time a page shows is a <time> element that the browser
// writes in the member's zone: the pages of the demo, as a visitor, a
// buyer and the coordinator who administers the portal, followed from
// their links, print none outside one. What members wrote themselves
// (titles, summaries, posts) may contain dates; those are taken out first.
func TestNoRawTimes(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	// What members wrote: the library's titles and summaries (an outcome's
	// summary names its workshop's day, written once when published).
	var written []string
	res, err := s.lib.Search(t.Context(), resources.Search{Viewer: resources.Viewer{All: true, Approved: true}, PerPage: 100, Filters: map[string][]string{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Items {
		written = append(written, r.Title, r.Summary)
	}
	seeds := []string{"/", "/library", "/discussions", "/discussions/notifications", "/discussions/review", "/workshops", "/workshops?when=past",
		"/workshops/" + demo.LiveWorkshopID, "/workshops/" + demo.PastClinicID, "/members", "/groups", "/groups/national-buyers", "/profile",
		"/profile/tokens", "/profile/sessions", "/admin", "/admin/members", "/admin/audit", "/admin/mail", "/admin/system", "/admin/groups",
		"/search?q=battery", "/search?q=clinic&tab=workshops"}
	for _, who := range []string{"", "buyer", "coordinator"} {
		t.Run("as "+who, func(t *testing.T) {
			c := newClient(t, s)
			if who != "" {
				c.signIn(who)
			}
			seen, queue, pages := map[string]bool{}, append([]string(nil), seeds...), 0
			for len(queue) > 0 && pages < 60 {
				page := queue[0]
				queue = queue[1:]
				if seen[page] || strings.Contains(page, "/feed") || strings.HasSuffix(page, ".ics") || strings.HasSuffix(page, ".csv") || strings.Contains(page, "/file") {
					continue
				}
				seen[page] = true
				res, body := c.get(page)
				if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
					continue
				}
				pages++
				for _, text := range textOutsideTime(body) {
					for _, w := range written {
						text = strings.ReplaceAll(text, w, "")
					}
					if m := rawTimeRe.FindString(text); m != "" {
						t.Errorf("%s prints %q outside a <time> element: %q", page, m, text)
					}
				}
				links, _ := pageTargets(t, page, body)
				for _, l := range links {
					if !seen[l] && (strings.HasPrefix(l, "/library/") || strings.HasPrefix(l, "/threads/") || strings.HasPrefix(l, "/members/") || strings.HasPrefix(l, "/groups/") || strings.HasPrefix(l, "/workshops/")) {
						queue = append(queue, l)
					}
				}
			}
			if pages < 8 {
				t.Fatalf("only %d pages walked", pages)
			}
			t.Logf("%d pages walked", pages)
		})
	}
}

// A member's time zone: chosen on the profile (an unknown name is refused
// with the field named), used for what has no browser to convert times:
// the calendar file names it. Without one, PORTAL_TIME_ZONE applies.
func TestMemberTimeZone(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	m := newMember(t, s, "Zone Member", auth.StatusApproved, auth.RoleMember)
	f := newMember(t, s, "Zone Facilitator", auth.StatusApproved, auth.RoleFacilitator)
	start := time.Now().Add(48 * time.Hour)
	w, err := s.workshops.Create(t.Context(), f.ID, workshops.Input{Title: "Zone clinic", StartsAt: start, EndsAt: start.Add(time.Hour), TimeZone: "Europe/Paris"})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s)
	c.signInAs(m.ID)
	if _, body := c.get("/profile"); !strings.Contains(body, `name="time_zone"`) || !strings.Contains(body, "data-browser-zone") {
		t.Fatal("the profile has no time zone field")
	}

	bad := validProfile()
	bad.Set("time_zone", "Mars/Olympus_Mons")
	res, body := c.post("/profile", bad)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Choose a time zone from the list") || !strings.Contains(body, `href="#f-time_zone"`) ||
		!strings.Contains(body, `value="Mars/Olympus_Mons"`) {
		t.Fatalf("unknown zone: %d %.400s", res.StatusCode, body)
	}
	for _, tz := range []string{"Local", "../../etc/passwd", "/etc/localtime"} {
		if auth.ValidTimeZone(tz) {
			t.Errorf("%q accepted as a time zone", tz)
		}
	}

	// Without a zone of their own, the portal's default names the calendar.
	req := httptest.NewRequest(http.MethodGet, "/workshops/"+w.ID+"/calendar.ics", nil)
	if res, body := c.do(req); res.StatusCode != http.StatusOK || !strings.Contains(body, "X-WR-TIMEZONE:"+s.core.MemberZone(nil).String()+"\r\n") {
		t.Fatalf("calendar without a member zone: %d %.400s", res.StatusCode, body)
	}

	good := validProfile()
	good.Set("time_zone", "Europe/Brussels")
	if res, body := c.post("/profile", good); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("zone: %d %.400s", res.StatusCode, body)
	}
	got, err := s.auth.Member(t.Context(), m.ID)
	if err != nil || got.TimeZone != "Europe/Brussels" {
		t.Fatalf("stored zone %q, %v", got.TimeZone, err)
	}
	req = httptest.NewRequest(http.MethodGet, "/workshops/"+w.ID+"/calendar.ics", nil)
	if res, body := c.do(req); res.StatusCode != http.StatusOK || !strings.Contains(body, "X-WR-TIMEZONE:Europe/Brussels\r\n") {
		t.Fatalf("calendar: %d %.400s", res.StatusCode, body)
	}
}

// A member without a zone: every page asks the browser's zone once
// (data-adopt-zone, portal.js), and the zone posted is stored; a zone the
// member has is never replaced; an unknown one is refused; without the
// CSRF token nothing is stored.
func TestFirstVisitAdoptsTheBrowsersZone(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	m := newMember(t, s, "Zone Newcomer", auth.StatusApproved, auth.RoleMember)
	c := newClient(t, s)
	c.signInAs(m.ID)
	if _, body := c.get("/discussions"); !strings.Contains(body, "data-adopt-zone") {
		t.Fatal("a member without a zone is not asked for the browser's")
	}
	req := httptest.NewRequest(http.MethodPost, "/profile/time-zone", strings.NewReader("time_zone=Europe/Brussels"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res, _ := c.do(req); res.StatusCode != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %d", res.StatusCode)
	}
	if res, body := c.post("/profile/time-zone", url.Values{"time_zone": {"Mars/Olympus_Mons"}}); res.StatusCode != http.StatusBadRequest || strings.Contains(body, "Mars/Olympus_Mons\n") {
		t.Fatalf("unknown zone: %d %.300s", res.StatusCode, body)
	}
	if res, _ := c.post("/profile/time-zone", url.Values{"time_zone": {"Europe/Brussels"}}); res.StatusCode != http.StatusNoContent {
		t.Fatalf("adopt: %d", res.StatusCode)
	}
	if res, _ := c.post("/profile/time-zone", url.Values{"time_zone": {"America/New_York"}}); res.StatusCode != http.StatusNoContent {
		t.Fatalf("second report: %d", res.StatusCode)
	}
	got, err := s.auth.Member(t.Context(), m.ID)
	if err != nil || got.TimeZone != "Europe/Brussels" {
		t.Fatalf("stored zone %q, %v: the first report is kept, a later one never replaces it", got.TimeZone, err)
	}
	if _, body := c.get("/discussions"); strings.Contains(body, "data-adopt-zone") {
		t.Error("a member with a zone is still asked for the browser's")
	}
}
