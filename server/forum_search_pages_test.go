package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/glossary"
)

// A discussion search shows its hits by pages of 20 in one order: the
// pages together are the unpaged search's hits, each once; the count is
// every thread found, and the combined search counts and shows the same.
func TestDiscussionSearchPages(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	author := newMember(t, s, "Pat Pager", auth.StatusApproved, auth.RoleMember)
	general, err := s.forum.CategoryBySlug(ctx, forum.GeneralSlug)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 45 {
		if _, _, err := s.forum.CreateThread(ctx, forum.NewThread{Category: general, AuthorID: author.ID,
			Title: fmt.Sprintf("Zanzibar lot %02d", i), Body: strings.Repeat("zanzibar ", 1+i%4) + "tenders."}); err != nil {
			t.Fatal(err)
		}
	}
	c := newClient(t, s)
	c.signInAs(author.ID)
	type page struct {
		Threads []struct {
			T struct{ ID string }
		} `json:"threads"`
		Total int `json:"total"`
		Page  int `json:"page"`
	}
	get := func(path string) page {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Accept", "application/json")
		res, body := c.do(req)
		var p page
		if res.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &p) != nil {
			t.Fatalf("%s: %d %.300s", path, res.StatusCode, body)
		}
		return p
	}
	all, err := s.forum.Search(ctx, forum.SearchQuery{Query: glossary.ParseQuery("zanzibar", "en"), CategoryIDs: []string{general.ID}})
	if err != nil || len(all) != 45 {
		t.Fatalf("unpaged: %d hits, %v", len(all), err)
	}
	var paged []string
	for n, want := range map[int]int{1: 20, 2: 20, 3: 5} {
		p := get(fmt.Sprintf("/discussions/search?q=zanzibar&page=%d", n))
		if len(p.Threads) != want || p.Total != 45 || p.Page != n {
			t.Fatalf("page %d: %d threads, total %d, page %d; want %d, 45", n, len(p.Threads), p.Total, p.Page, want)
		}
		for i, h := range p.Threads {
			if h.T.ID != all[(n-1)*20+i].Thread.ID {
				t.Fatalf("page %d, hit %d: %s, the unpaged search has %s there", n, i, h.T.ID, all[(n-1)*20+i].Thread.ID)
			}
			paged = append(paged, h.T.ID)
		}
	}
	slices.Sort(paged)
	if len(slices.Compact(paged)) != 45 {
		t.Fatal("the pages repeat a thread")
	}
	if p := get("/discussions/search?q=zanzibar&page=9"); p.Page != 3 || len(p.Threads) != 5 {
		t.Fatalf("a page past the last: page %d, %d threads", p.Page, len(p.Threads))
	}
	if p := get("/discussions/search?q=zanzibar&page=x"); p.Page != 1 || len(p.Threads) != 20 {
		t.Fatalf("a page not a number: page %d, %d threads", p.Page, len(p.Threads))
	}
	_, body := c.get("/discussions/search?q=zanzibar&page=2")
	for _, want := range []string{"Discussions (45)", `<nav class="pagination" aria-label="Pages">`, "Page 2 of 3",
		`rel="prev" href="/discussions/search?q=zanzibar"`, `rel="next" href="/discussions/search?page=3&amp;q=zanzibar"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page 2 lacks %s", want)
		}
	}
	a := c.searchJSON("/api/v1/search?q=zanzibar&tab=discussions")
	if a.Counts["discussions"] != 45 || len(a.Items) != 20 {
		t.Fatalf("combined: %d counted, %d shown", a.Counts["discussions"], len(a.Items))
	}
	if a := c.searchJSON("/api/v1/search?q=zanzibar&tab=library"); a.Counts["discussions"] != 45 {
		t.Fatalf("combined, another tab: %d counted", a.Counts["discussions"])
	}
}
