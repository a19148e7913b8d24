package server

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type searchAnswer struct {
	Q      string            `json:"q"`
	Tab    string            `json:"tab"`
	Counts map[string]int    `json:"counts"`
	Items  []json.RawMessage `json:"items"`
}

func (c *client) searchJSON(path string) searchAnswer {
	c.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Accept", "application/json")
	res, body := c.do(req)
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("%s: %d %.300s", path, res.StatusCode, body)
	}
	var a searchAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		c.t.Fatalf("%s: %v: %.300s", path, err, body)
	}
	return a
}

func (c *client) countJSON(path, field string) int {
	c.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Accept", "application/json")
	res, body := c.do(req)
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("%s: %d %.300s", path, res.StatusCode, body)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		c.t.Fatal(err)
	}
	if field == "total" {
		var n int
		_ = json.Unmarshal(m[field], &n)
		return n
	}
	var xs []json.RawMessage
	_ = json.Unmarshal(m[field], &xs)
	return len(xs)
}

// The combined search counts, in each area, what that area's own page
// finds for the same caller: the group's objects for the insider, none of
// them for a member outside the group, no people tab for a visitor.
func TestCombinedSearchMatchesEachAreasPage(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	f := seedSideways(t, s)
	in, out, anon := newClient(t, s), newClient(t, s), newClient(t, s)
	in.signInAs(f.insider.ID)
	out.signInAs(f.outsider.ID)

	for _, tc := range []struct {
		name                string
		c                   *client
		library, discussion int
		workshops           int
		people              bool
	}{
		{"insider", in, 2, 2, 1, true},   // the resource and the outcome; the thread and the resource's discussion; the group's workshop
		{"outsider", out, 0, 0, 0, true}, // none of the group's
		{"visitor", anon, 0, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.c.searchJSON("/api/v1/search?q=Qx9+alpha")
			if got := a.Counts["library"]; got != tc.library || got != tc.c.countJSON("/api/v1/resources?q=Qx9+alpha", "total") {
				t.Errorf("library: %d, want %d and the library's own count", got, tc.library)
			}
			if got := a.Counts["discussions"]; got != tc.discussion || got != tc.c.countJSON("/discussions/search?q=Qx9+alpha", "threads") {
				t.Errorf("discussions: %d, want %d and the discussions search's own count", got, tc.discussion)
			}
			if got := a.Counts["workshops"]; got != tc.workshops {
				t.Errorf("workshops: %d, want %d", got, tc.workshops)
			}
			if _, ok := a.Counts["people"]; ok != tc.people {
				t.Errorf("people tab offered: %v, want %v", ok, tc.people)
			}
			// The library answered first: it is the tab shown when it has results.
			if tc.library > 0 && (a.Tab != "library" || len(a.Items) != tc.library) {
				t.Errorf("tab %q with %d items, want library with %d", a.Tab, len(a.Items), tc.library)
			}
		})
	}

	// People: the same members as the directory finds for these words.
	a := in.searchJSON("/api/v1/search?q=Sideways&tab=people")
	if a.Tab != "people" || a.Counts["people"] != 2 || len(a.Items) != 2 {
		t.Fatalf("people: %+v", a)
	}
	if _, body := in.get("/members?q=Sideways"); !strings.Contains(body, f.outsider.ID) || !strings.Contains(body, f.insider.ID) {
		t.Fatal("the directory does not find both members: the seed is wrong")
	}
	// Another tab counts the same people from the index alone.
	for _, tab := range []string{"library", "discussions", "workshops"} {
		if a := in.searchJSON("/api/v1/search?q=Sideways&tab=" + tab); a.Tab != tab || a.Counts["people"] != 2 {
			t.Fatalf("people counted on the %s tab: %+v", tab, a)
		}
	}
	// A visitor asking for the people tab gets an area they may use.
	if a := anon.searchJSON("/api/v1/search?q=Sideways&tab=people"); a.Tab == "people" || len(a.Items) != 0 && a.Tab == "people" {
		t.Fatalf("visitor got the people tab: %+v", a)
	}
	// Workshops match on title and description, past and upcoming.
	if a := in.searchJSON("/api/v1/search?q=alpha+workshop&tab=workshops"); a.Counts["workshops"] != 1 || !strings.Contains(string(a.Items[0]), f.workshop.ID) {
		t.Fatalf("workshops: %+v", a)
	}
	if a := out.searchJSON("/api/v1/search?q=cop+workshop&tab=workshops"); a.Counts["workshops"] != 1 || !strings.Contains(string(a.Items[0]), f.copWorkshop) {
		t.Fatalf("the outsider should find the workshop every member sees: %+v", a)
	}

	// The page: tabs as links with their counts, the active one marked,
	// one polite status with the count, the area pages' result markup.
	res, body := in.get("/search?q=Qx9+alpha&tab=discussions")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("page: %d", res.StatusCode)
	}
	for _, want := range []string{
		`href="/search?q=Qx9&#43;alpha&amp;tab=library">Library <span class="count">(2)</span>`,
		`href="/search?q=Qx9&#43;alpha&amp;tab=discussions" aria-current="page">Discussions <span class="count">(2)</span>`,
		`<p role="status" class="search-status">Discussions found: 2</p>`,
		`<li class="thread-row">`, "/threads/" + f.thread + "/posts/1",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s in %s", want, body[strings.Index(body, "search-tabs"):][:600])
		}
	}
	if n := strings.Count(body, `role="status"`) + strings.Count(body, "aria-live"); n != 1+strings.Count(body, `id="bell-count"`) {
		t.Errorf("%d live regions on the page, want the result count's and the bell's only", n)
	}
	if strings.Contains(body, `class="header-search"`) {
		t.Error("the search page repeats the search field in its header")
	}
	if _, body := in.get("/library"); !strings.Contains(body, `action="/search"`) || !strings.Contains(body, `for="header-q"`) {
		t.Error("the header has no labelled search field")
	}

	// Too long: a clear message, not a 500.
	req := httptest.NewRequest(http.MethodGet, "/search?q="+strings.Repeat("x", 201), nil)
	if res, body := in.do(req); res.StatusCode != http.StatusUnprocessableEntity && res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "at most 200 characters") {
		t.Fatalf("long query: %d %.300s", res.StatusCode, body)
	}
}

// snippetOf keeps the search's <mark> and nothing else of its markup.
func TestSnippetKeepsOnlyMark(t *testing.T) {
	for _, tc := range []struct {
		name, snippet string
		want          template.HTML
	}{
		{"mark", "the <mark>repair</mark> clause", "the <mark>repair</mark> clause"},
		{"escaped by the index", "a &lt;b&gt; <mark>x</mark> &amp; y", "a &lt;b&gt; <mark>x</mark> &amp; y"},
		{"script", `<script>alert(1)</script><mark onclick="x">y</mark>`, "&lt;script&gt;alert(1)&lt;/script&gt;&lt;mark onclick=&#34;x&#34;&gt;y"},
		{"unbalanced", "<mark>open", "open"},
		{"none", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := snippetOf(tc.snippet); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
