package server

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/frontend"
)

// BenchmarkThreadPageRender renders a thread page of 50 posts by 25
// authors, each with Markdown, reactions and a quote, without the database:
// view building and template execution, as showThread does after its
// queries. Results are in docs/benchmarks.md.
func BenchmarkThreadPageRender(b *testing.B) {
	catalog, err := frontend.LoadCatalog(frontend.Locales())
	if err != nil {
		b.Fatal(err)
	}
	assets, err := frontend.LoadAssets(frontend.Static(), "/static")
	if err != nil {
		b.Fatal(err)
	}
	pages, err := parsePages(frontend.Templates(), assets)
	if err != nil {
		b.Fatal(err)
	}
	md := forum.NewRenderer()
	viewer := &auth.Member{ID: "viewer", Name: "Viewer", Status: auth.StatusApproved, Role: auth.RoleModerator}
	cat := &forum.Category{ID: "c", Slug: "general", Name: "General", Colour: "blue", Visibility: "members"}
	t := &forum.Thread{ID: "0123456789abcdef01234567", CategoryID: "c", Title: "Minimum battery health for refurbished phones", Kind: forum.KindQuestion, AuthorID: "a0", LastN: 50, Accepted: 7, Tags: []string{"phones", "batteries"}}
	authors := map[string]*auth.Member{}
	var posts []*forum.Post
	for i := 1; i <= 50; i++ {
		aid := fmt.Sprintf("a%d", i%25)
		authors[aid] = &auth.Member{ID: aid, Name: fmt.Sprintf("Member %d", i%25), Organisation: "Regional purchasing centre", Status: auth.StatusApproved}
		body := fmt.Sprintf("> **[Member](/threads/%s/posts/%d)**\n> We accept 80%% health.\n\nIn our tender (lot %d) we asked for **at least 85%%** battery health, a [test report](https://example.org/report) and:\n\n- a warranty of 12 months\n- spare parts for 5 years\n", t.ID, max(1, i-1), i)
		posts = append(posts, &forum.Post{ID: forum.PostID(t.ID, i), ThreadID: t.ID, N: i, AuthorID: aid, Body: body, HTML: md.HTML(body),
			CreatedAt: time.Date(2026, 3, 1, 9, i, 0, 0, time.UTC), Reactions: map[string][]string{"like": {"a1", "a2"}, "thanks": {"viewer"}}})
	}
	ci := catInfo{Cat: cat}
	b.ReportAllocs()
	b.ResetTimer()
	var size int
	for i := 0; i < b.N; i++ {
		views := buildPostViews(viewer, t, ci, posts, authors, nil, 10)
		p := &Page{Title: t.Title, Section: "discussions", Lang: "en", Member: viewer, CSRF: "token", Path: "/threads/x", catalog: catalog,
			Data: threadData{T: t, Cat: cat, Posts: views, Page: 1, Pages: []int{1, 2, 3}, Next: 2, Rights: rightsFor(viewer, t, ci),
				Levels: []string{forum.Watch, forum.Track, forum.Mute}, FirstUnread: 11, Reply: &postForm{Action: "/threads/x/reply"}, LastN: 50}}
		var buf bytes.Buffer
		if err := pages.pages["forum_thread"].ExecuteTemplate(&buf, "layout", p); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
		if !strings.Contains(buf.String(), `id="post-50"`) {
			b.Fatal("post 50 missing")
		}
	}
	b.ReportMetric(float64(size), "bytes/page")
}
