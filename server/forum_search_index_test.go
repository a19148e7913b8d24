package server

import (
	"context"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
)

// Through the search index, each kind of viewer finds exactly the threads
// of the categories they may read, with snippets only from posts everyone
// there may read: a held thread, a held or hidden post or a group-only
// category never shows, not even as a snippet, and a change of a
// category's visibility or a thread's place applies at once.
func TestForumSearchVisibilityByViewer(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	member := newMember(t, s, "Mira Member", auth.StatusApproved, auth.RoleMember)
	pending := newMember(t, s, "Pia Pending", auth.StatusPending, auth.RoleMember)
	inGroup := newMember(t, s, "Gus Group", auth.StatusApproved, auth.RoleMember)
	otherGroup := newMember(t, s, "Olga Other", auth.StatusApproved, auth.RoleMember)
	author := newMember(t, s, "Ada Author", auth.StatusApproved, auth.RoleMember)
	moderator := newMember(t, s, "Mo Moderator", auth.StatusApproved, auth.RoleModerator)
	admin := newMember(t, s, "Al Admin", auth.StatusApproved, auth.RoleAdmin)
	group := func(slug string, members ...string) *auth.Group {
		if _, err := s.auth.PutGroup(ctx, auth.Group{Slug: slug, Name: "Group " + slug, Description: "A group made for a test.",
			Languages: []string{"en"}, Visibility: auth.VisibilityGroup, JoinPolicy: auth.JoinRequest, Members: members}); err != nil {
			t.Fatal(err)
		}
		g, err := s.auth.GroupBySlug(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	g, other := group("search-closed", inGroup.ID), group("search-other", otherGroup.ID)
	cat := func(c forum.Category) *forum.Category {
		out, err := s.forum.CreateCategory(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	public := cat(forum.Category{Name: "Open questions", Visibility: "public"})
	members, err := s.forum.CategoryBySlug(ctx, forum.GeneralSlug)
	if err != nil {
		t.Fatal(err)
	}
	closed := cat(forum.Category{Name: "Closed room", GroupID: g.ID})
	elsewhere := cat(forum.Category{Name: "Other room", GroupID: other.ID})
	thread := func(c *forum.Category, title, body string, held bool) *forum.Thread {
		th, _, err := s.forum.CreateThread(ctx, forum.NewThread{Category: c, AuthorID: author.ID, Title: title, Body: body, Held: held})
		if err != nil {
			t.Fatal(err)
		}
		return th
	}
	pub := thread(public, "Xylophone tenders in the open", "Open words about xylophone procurement.", false)
	mem := thread(members, "Xylophone tenders for members", "Members' words about xylophone lots.", false)
	grp := thread(closed, "Xylophone tenders of the group", "Group words about xylophone contracts.", false)
	oth := thread(elsewhere, "Xylophone tenders elsewhere", "Other group's xylophone.", false)
	held := thread(members, "Xylophone waiting for review", "Held words about xylophone.", true)
	// A held reply and a hidden reply in a visible thread: their words
	// are never found, and never the snippet of the thread.
	if _, err := s.forum.Reply(ctx, mem.ID, author.ID, "Xylophone xylophone quokka, waiting for review.", true, time.Time{}); err != nil {
		t.Fatal(err)
	}
	hidden, err := s.forum.Reply(ctx, mem.ID, author.ID, "Xylophone xylophone xylophone wombat.", false, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.forum.SetHidden(ctx, mem.ID, hidden.N, true, "off topic"); err != nil {
		t.Fatal(err)
	}

	type result struct {
		Threads []struct {
			T       struct{ ID string }
			Snippet string `json:"snippet"`
			Score   float64
		} `json:"threads"`
	}
	search := func(c *client, q string) (ids []string, body string) {
		t.Helper()
		c.header.Set("Accept", "application/json")
		defer c.header.Del("Accept")
		res, body := c.get("/discussions/search?q=" + url.QueryEscape(q))
		if res.StatusCode != 200 {
			t.Fatalf("%q: status %d", q, res.StatusCode)
		}
		var out result
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		for _, h := range out.Threads {
			ids = append(ids, h.T.ID)
			if !strings.Contains(h.Snippet, "<mark>") {
				t.Errorf("%q: thread %s has no highlighted snippet: %q", q, h.T.ID, h.Snippet)
			}
		}
		sort.Strings(ids)
		return ids, body
	}
	set := func(ths ...*forum.Thread) string {
		var ids []string
		for _, th := range ths {
			ids = append(ids, th.ID)
		}
		sort.Strings(ids)
		return strings.Join(ids, ",")
	}
	as := func(m *auth.Member) *client {
		c := newClient(t, s)
		if m != nil {
			c.signInAs(m.ID)
		}
		return c
	}
	viewers := []struct {
		name string
		c    *client
		want string
	}{
		{"anonymous", as(nil), set(pub)},
		{"pending", as(pending), set(pub)},
		{"member", as(member), set(pub, mem)},
		{"other group's member", as(otherGroup), set(pub, mem, oth)},
		{"group member", as(inGroup), set(pub, mem, grp)},
		{"author of a held thread", as(author), set(pub, mem)},
		{"moderator", as(moderator), set(pub, mem)},
		{"admin", as(admin), set(pub, mem, grp, oth)},
	}
	for _, v := range viewers {
		t.Run(v.name, func(t *testing.T) {
			ids, body := search(v.c, "xylophone")
			if got := strings.Join(ids, ","); got != v.want {
				t.Errorf("found %s, want %s", got, v.want)
			}
			for _, secret := range []string{"quokka", "wombat", held.ID} {
				if strings.Contains(body, secret) {
					t.Errorf("the answer shows %q", secret)
				}
			}
			for _, q := range []string{"quokka", "wombat", "waiting review"} {
				if ids, _ := search(v.c, q); len(ids) != 0 {
					t.Errorf("%q found %v", q, ids)
				}
			}
		})
	}
	// The page shows the snippet, escaped, with the relevance note.
	_, page := as(member).get("/discussions/search?q=xylophone")
	if !strings.Contains(page, "<mark>xylophone</mark>") || !strings.Contains(page, "Most relevant first.") {
		t.Error("the page lacks snippets or the relevance note")
	}
	// A category closed to visitors closes its search at once; a thread
	// moved into a group's room leaves the others' results at once.
	public.Visibility = "members"
	if err := s.forum.UpdateCategory(ctx, *public); err != nil {
		t.Fatal(err)
	}
	if ids, _ := search(as(nil), "xylophone"); len(ids) != 0 {
		t.Errorf("visitor still finds %v", ids)
	}
	if err := s.forum.MoveThread(ctx, mem.ID, closed); err != nil {
		t.Fatal(err)
	}
	if ids, _ := search(as(member), "xylophone"); strings.Join(ids, ",") != set(pub) {
		t.Errorf("member after the move: %v", ids)
	}
	if ids, _ := search(as(inGroup), "xylophone"); strings.Join(ids, ",") != set(pub, mem, grp) {
		t.Errorf("group member after the move: %v", ids)
	}
}

// Hostile queries get an answer, never a server error.
func TestForumSearchHostileQueries(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	c.signIn("buyer")
	for _, q := range []string{`+title:x -y`, `"unbalanced`, `a~2 b^3 c* (d OR e)`, "\xff\xfe", strings.Repeat("w ", 99), `$where`, `/.*/`} {
		res, _ := c.get("/discussions/search?q=" + url.QueryEscape(q))
		if res.StatusCode != 200 {
			t.Errorf("%q: status %d", q, res.StatusCode)
		}
	}
	// Longer than the field allows (1,000 terms are the store's test):
	// a clear 400.
	if res, _ := c.get("/discussions/search?q=" + url.QueryEscape(strings.Repeat("w ", 150))); res.StatusCode != 400 {
		t.Errorf("a query of 150 words: status %d, want 400", res.StatusCode)
	}
}
