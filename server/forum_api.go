package server

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/glossary"
	"github.com/circularfairict/portal/textindex"
)

// apiListCategories: GET /api/v1/categories, those the caller may see.
func (s *Server) apiListCategories(c *fiber.Ctx) error {
	all, err := s.categories(c)
	if err != nil {
		return err
	}
	cats, _ := visibleCategories(all, currentMember(c))
	type cat struct {
		*forum.Category
		Group string `json:"group,omitempty"`
	}
	out := make([]cat, 0, len(cats))
	for _, ci := range cats {
		x := cat{Category: ci.Cat}
		if ci.Group != nil {
			x.Group = ci.Group.Slug
		}
		out = append(out, x)
	}
	return c.JSON(fiber.Map{"categories": out})
}

// apiInput reads a JSON body or a form: API clients send either.
func apiInput(c *fiber.Ctx, fields ...string) map[string]string {
	out := map[string]string{}
	if strings.HasPrefix(string(c.Request().Header.ContentType()), fiber.MIMEApplicationJSON) {
		var in map[string]any
		if err := c.BodyParser(&in); err == nil {
			for _, f := range fields {
				if v, ok := in[f].(string); ok {
					out[f] = v
				}
			}
		}
		return out
	}
	for _, f := range fields {
		out[f] = formValue(c, f)
	}
	return out
}

// apiCreateThread: POST /api/v1/threads with title, body and an optional
// category slug (default: the portal-wide general category).
func (s *Server) apiCreateThread(c *fiber.Ctx) error {
	in := apiInput(c, "title", "body", "category", "kind", "tags")
	slug := in["category"]
	if slug == "" {
		slug = forum.GeneralSlug
	}
	ci, err := s.categoryBySlug(c, slug)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if !auth.CanPost(m, ci.Group, ci.Cat.Visibility) {
		return forbidden()
	}
	t, _, err := s.startThread(c, m, ci, in["title"], in["body"], in["kind"], in["tags"], "")
	if err != nil {
		return err
	}
	c.Location("/api/v1/threads/" + t.ID)
	return s.apiThread(c, fiber.StatusCreated, t, ci)
}

// apiShowThread: GET /api/v1/threads/{id}, with its posts (up to 1000).
func (s *Server) apiShowThread(c *fiber.Ctx) error {
	t, ci, err := s.threadByParam(c)
	if err != nil {
		return err
	}
	return s.apiThread(c, fiber.StatusOK, t, ci)
}

func (s *Server) apiThread(c *fiber.Ctx, status int, t *forum.Thread, ci catInfo) error {
	posts, err := s.forum.AllPosts(c.UserContext(), t.ID, 1000)
	if err != nil {
		return err
	}
	m := currentMember(c)
	type post struct {
		ID        string    `json:"id"`
		N         int       `json:"n"`
		Author    string    `json:"author"`
		AuthorID  string    `json:"author_id,omitempty"`
		BodyHTML  string    `json:"body_html"`
		CreatedAt time.Time `json:"created_at"`
		Deleted   bool      `json:"deleted,omitempty"`
		Hidden    bool      `json:"hidden,omitempty"`
		URL       string    `json:"url"`
	}
	views, err := s.postViews(c.UserContext(), m, t, ci, visiblePosts(m, ci, posts), t.LastN)
	if err != nil {
		return err
	}
	out := make([]post, 0, len(views))
	for _, v := range views {
		p := post{ID: forum.PostID(t.ID, v.N), N: v.N, Author: v.Author.Name, AuthorID: v.Author.ID, CreatedAt: v.At.UTC().Truncate(time.Minute), Deleted: v.Deleted, Hidden: v.Hidden && !v.ShowBody,
			URL: fmt.Sprintf("%s/threads/%s/posts/%d", s.cfg.BaseURL, t.ID, v.N)}
		if v.Author.Former {
			p.Author = s.T(c, "member.former")
		}
		if v.ShowBody {
			p.BodyHTML = string(v.HTML)
		}
		out = append(out, p)
	}
	for i, p := range posts { // exact times, not the display format
		if i < len(out) && out[i].N == p.N {
			out[i].CreatedAt = p.CreatedAt
		}
	}
	return c.Status(status).JSON(fiber.Map{"thread": t, "posts": out})
}

func visiblePosts(m *auth.Member, ci catInfo, ps []*forum.Post) []*forum.Post {
	out := make([]*forum.Post, 0, len(ps))
	for _, p := range ps {
		if !p.Held || auth.CanSeeHeld(m, ci.Group, p.AuthorID) {
			out = append(out, p)
		}
	}
	return out
}

// apiCreatePost: POST /api/v1/threads/{id}/posts with body.
func (s *Server) apiCreatePost(c *fiber.Ctx) error {
	t, ci, err := s.threadByParam(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if !auth.CanReply(m, ci.Group, ci.Cat.Visibility, t.Closed, t.Locked) {
		return forbidden()
	}
	p, err := s.reply(c, m, t, ci, apiInput(c, "body")["body"])
	if err != nil {
		return err
	}
	c.Location(fmt.Sprintf("/threads/%s/posts/%d", t.ID, p.N))
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": p.ID, "n": p.N, "author": m.Name, "body_html": p.HTML, "created_at": p.CreatedAt, "held": p.Held})
}

// Atom feeds. Feed readers carry no session, so only categories visitors
// may read have working feeds; others answer 404 to visitors.
// showCategoryFeed: the latest threads of a category.
func (s *Server) showCategoryFeed(c *fiber.Ctx) error {
	ci, err := s.categoryBySlug(c, c.Params("slug"))
	if err != nil {
		return err
	}
	ts, err := s.forum.Threads(c.UserContext(), forum.ThreadQuery{CategoryIDs: []string{ci.Cat.ID}, Limit: 30})
	if err != nil {
		return err
	}
	f := atomFeed{Title: ci.Cat.Name, ID: s.cfg.BaseURL + "/discussions/c/" + ci.Cat.Slug, Updated: ci.Cat.CreatedAt.Format(time.RFC3339),
		Links: []atomLink{{Href: s.cfg.BaseURL + "/discussions/c/" + ci.Cat.Slug}, {Href: s.cfg.BaseURL + c.Path(), Rel: "self"}}}
	ids := []string{}
	for _, t := range ts {
		ids = append(ids, t.AuthorID)
	}
	authors, err := s.auth.MembersByID(c.UserContext(), ids)
	if err != nil {
		return err
	}
	for i, t := range ts {
		if i == 0 {
			f.Updated = t.LastPostAt.Format(time.RFC3339)
		}
		f.Entries = append(f.Entries, atomEntry{Title: t.Title, ID: s.cfg.BaseURL + "/threads/" + t.ID, Updated: t.LastPostAt.Format(time.RFC3339),
			Author: s.authorName(c, authors, t.AuthorID), Link: atomLink{Href: s.cfg.BaseURL + "/threads/" + t.ID},
			Content: &atomContent{Type: "text", Body: s.T(c, "forum.feed.replies", t.Replies)}})
	}
	return s.sendAtom(c, f)
}

// showThreadFeed: the latest posts of a thread.
func (s *Server) showThreadFeed(c *fiber.Ctx) error {
	t, ci, err := s.threadByParam(c)
	if err != nil {
		return err
	}
	posts, err := s.forum.AllPosts(c.UserContext(), t.ID, 1000)
	if err != nil {
		return err
	}
	if len(posts) > 50 {
		posts = posts[len(posts)-50:]
	}
	views, err := s.postViews(c.UserContext(), nil, t, ci, visiblePosts(nil, ci, posts), t.LastN)
	if err != nil {
		return err
	}
	f := atomFeed{Title: t.Title, ID: s.cfg.BaseURL + "/threads/" + t.ID, Updated: t.LastPostAt.Format(time.RFC3339),
		Links: []atomLink{{Href: s.cfg.BaseURL + "/threads/" + t.ID}, {Href: s.cfg.BaseURL + c.Path(), Rel: "self"}}}
	for i := len(views) - 1; i >= 0; i-- {
		v := views[i]
		if !v.ShowBody {
			continue
		}
		link := fmt.Sprintf("%s/threads/%s/posts/%d", s.cfg.BaseURL, t.ID, v.N)
		name := v.Author.Name
		if v.Author.Former {
			name = s.T(c, "member.former")
		}
		f.Entries = append(f.Entries, atomEntry{Title: fmt.Sprintf("%s #%d", t.Title, v.N), ID: link, Updated: posts[i].CreatedAt.Format(time.RFC3339),
			Author: name, Link: atomLink{Href: link}, Content: &atomContent{Type: "html", Body: string(v.HTML)}})
	}
	return s.sendAtom(c, f)
}

func (s *Server) authorName(c *fiber.Ctx, ms map[string]*auth.Member, id string) string {
	if m := ms[id]; m != nil && m.Status != auth.StatusDeleted {
		return m.Name
	}
	return s.T(c, "member.former")
}

type searchData struct {
	Q, Category, Group, Author, Tag, Solved string
	Categories                              []Option
	Groups                                  []Option
	Hits                                    []threadRow
	Library                                 []ResourceCard
	LibraryOn                               bool
	Searched                                bool
	// Concepts names the glossary concepts the query also searched for in
	// the other languages.
	Concepts string
	// Ranked says the hits are in order of relevance (words were typed);
	// Building that the index is still being built, so some may be missing.
	Ranked, Building bool
	// Total counts the threads found; Page of Pages is the one shown, Prev
	// and Next link its neighbours with the same search.
	Total, Page, Pages int
	Prev, Next         string
}

// discussionHits runs a discussion search and makes the rows that the
// discussions search and the combined search both show ("discussion-hit").
// It shows one page of discussionsPerPage; total is how many the index
// ranked (forum.Store.SearchPage).
func (s *Server) discussionHits(c *fiber.Ctx, q forum.SearchQuery, cats []catInfo, page int) ([]threadRow, int, error) {
	hits, total, err := s.forum.SearchPage(c.UserContext(), q, page, discussionsPerPage)
	if err != nil {
		return nil, 0, err
	}
	ts := make([]*forum.Thread, len(hits))
	matched := map[string]forum.Hit{}
	for i, h := range hits {
		ts[i] = h.Thread
		matched[h.Thread.ID] = h
	}
	rows := threadRows(ts, cats, nil, nil)
	for i := range rows {
		h := matched[rows[i].T.ID]
		rows[i].FirstUnread = h.N // the matching post, for the link
		rows[i].Via = conceptNames(h.Via, s.lang(c))
		rows[i].Score = h.Score
		rows[i].Snippet = snippetOf(h.Snippet)
	}
	return rows, total, nil
}

// discussionsPerPage is the hits of one page of a discussion search (of
// the 50 best threads): each costs two reads by _id, its thread and its
// post, 100 for the 50 on one page at full scale.
const discussionsPerPage = 20

// searchDiscussions searches threads and posts (and, once the library is
// wired in, library items on the same page) with the library's analysis.
func (s *Server) searchDiscussions(c *fiber.Ctx) error {
	m := currentMember(c)
	d := searchData{Q: c.Query("q"), Category: c.Query("category"), Group: c.Query("group"), Author: c.Query("author"), Tag: c.Query("tag"),
		Solved: c.Query("solved"), LibraryOn: s.library != nil}
	if len(d.Q) > 200 {
		return fault.New(fault.Invalid, "forum.error.query").OnField("q")
	}
	all, err := s.categories(c)
	if err != nil {
		return err
	}
	cats, ids := visibleCategories(all, m)
	seenGroup := map[string]bool{}
	for _, ci := range cats {
		d.Categories = append(d.Categories, Option{Value: ci.Cat.Slug, Label: ci.Cat.Name, Selected: ci.Cat.Slug == d.Category})
		if ci.Group != nil && !seenGroup[ci.Group.ID] {
			seenGroup[ci.Group.ID] = true
			d.Groups = append(d.Groups, Option{Value: ci.Group.Slug, Label: ci.Group.Name, Selected: ci.Group.Slug == d.Group})
		}
	}
	q := forum.SearchQuery{Query: glossary.ParseQuery(d.Q, s.lang(c)), CategoryIDs: ids, Tag: forum.Slugify(textindex.Fold(d.Tag)), Solved: d.Solved}
	if d.Category != "" {
		q.CategoryIDs = nil
		for _, ci := range cats {
			if ci.Cat.Slug == d.Category {
				q.CategoryIDs = []string{ci.Cat.ID}
			}
		}
	}
	if d.Group != "" {
		for _, ci := range cats {
			if ci.Group != nil && ci.Group.Slug == d.Group {
				q.GroupID = ci.Group.ID
			}
		}
		if q.GroupID == "" {
			q.CategoryIDs = nil
		}
	}
	if validObjectID(d.Author) {
		q.AuthorID = d.Author
	}
	if !q.Query.Empty() || q.Tag != "" || q.AuthorID != "" || d.Solved != "" {
		d.Searched = true
		page, err := strconv.Atoi(c.Query("page"))
		if err != nil {
			page = 1 // not a number, or out of range (Atoi then gives the bound)
		}
		// The library's matches run beside the discussions' (neither needs
		// the other's answer): their index queries and reads by _id overlap
		// instead of adding up. Only the bridge is called from the
		// goroutine, with the request's context, never the Fiber context.
		var library []ResourceCard
		libWait := func() error { return nil }
		if s.library != nil && !q.Query.Empty() {
			ctx := c.UserContext()
			libWait = beside(func() (err error) {
				library, err = s.library.SearchLibrary(ctx, m, d.Q, 10)
				return err
			})
		}
		defer func() { _ = libWait() }() // an early return leaves no search running
		if d.Hits, d.Total, err = s.discussionHits(c, q, cats, page); err != nil {
			return err
		}
		d.Pages = max((d.Total+discussionsPerPage-1)/discussionsPerPage, 1)
		d.Page = min(max(page, 1), d.Pages)
		link := func(n int) string {
			u := url.Values{}
			for k, v := range map[string]string{"q": d.Q, "category": d.Category, "group": d.Group, "author": d.Author, "tag": d.Tag, "solved": d.Solved} {
				if v != "" {
					u.Set(k, v)
				}
			}
			if n > 1 {
				u.Set("page", strconv.Itoa(n))
			}
			return "/discussions/search?" + u.Encode()
		}
		if d.Page > 1 {
			d.Prev = link(d.Page - 1)
		}
		if d.Page < d.Pages {
			d.Next = link(d.Page + 1)
		}
		d.Ranked = !q.Query.Empty()
		d.Building = s.search != nil && s.search.Building()
		d.Concepts = queryConcepts(q.Query, s.lang(c))
		if err := libWait(); err != nil {
			s.log.Warn("forum: library search", "err", err)
		} else {
			d.Library = library
		}
	}
	if s.wantsJSON(c) {
		return c.JSON(fiber.Map{"threads": d.Hits, "total": d.Total, "page": d.Page, "library": d.Library, "building": d.Building})
	}
	return s.render(c, fiber.StatusOK, "forum_search", s.newPage(c, s.T(c, "forum.search.title"), "discussions", d))
}
