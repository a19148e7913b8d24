package server

import (
	"time"

	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/forum"
)

type categoryData struct {
	Cat       *forum.Category
	GroupName string
	GroupSlug string
	Threads   []threadRow
	Page      int
	Next      bool
	CanPost   bool
	Level     string
	Levels    []string
	SignedIn  bool
}

// showCategory lists a category's threads, pinned first.
func (s *Server) showCategory(c *fiber.Ctx) error {
	ci, err := s.categoryBySlug(c, c.Params("slug"))
	if err != nil {
		return err
	}
	m := currentMember(c)
	page := max(1, c.QueryInt("page", 1))
	ts, err := s.forum.Threads(c.UserContext(), forum.ThreadQuery{CategoryIDs: []string{ci.Cat.ID}, ViewerID: memberID(m),
		Moderator: auth.CanModerate(m, ci.Group), Skip: (page - 1) * forum.ThreadsPage, Limit: forum.ThreadsPage + 1})
	if err != nil {
		return err
	}
	d := categoryData{Cat: ci.Cat, Page: page, CanPost: auth.CanPost(m, ci.Group, ci.Cat.Visibility), Levels: []string{forum.Watch, forum.Track, forum.Mute}, SignedIn: m.Approved()}
	if len(ts) > forum.ThreadsPage {
		ts, d.Next = ts[:forum.ThreadsPage], true
	}
	var reads map[string]int
	lv := map[string]string{}
	if m.Approved() {
		ids := make([]string, len(ts))
		for i, t := range ts {
			ids[i] = t.ID
		}
		if reads, err = s.forum.Reads(c.UserContext(), m.ID, ids); err != nil {
			return err
		}
		if lv, err = s.forum.Levels(c.UserContext(), m.ID, append(ids, ci.Cat.ID)...); err != nil {
			return err
		}
	}
	d.Level = forum.Effective("", lv[ci.Cat.ID])
	if ci.Group != nil {
		d.GroupName, d.GroupSlug = ci.Group.Name, ci.Group.Slug
	}
	d.Threads = threadRows(ts, []catInfo{ci}, reads, lv)
	return s.render(c, fiber.StatusOK, "forum_category", s.newPage(c, ci.Cat.Name, "discussions", d))
}

type threadData struct {
	T           *forum.Thread
	Cat         *forum.Category
	GroupName   string
	Posts       []*postView
	Page        int
	Pages       []int
	Prev, Next  int
	Rights      threadRights
	Level       string
	Levels      []string
	FirstUnread int
	Reply       *postForm
	Card        *ResourceCard
	Categories  []Option // move targets, for moderators
	FlagReasons []string
	SignIn      bool
	LastN       int
}

// postForm is the reply or edit form.
type postForm struct {
	Action  string
	Body    string
	Preview *postPreview
	Errors  map[string]string
}

// showThread shows one page of a thread (?page=, default the first) and
// records how far the member read. It issues a fixed number of queries
// whatever the number of posts or authors (see TestThreadPageQueries).
func (s *Server) showThread(c *fiber.Ctx) error {
	t, ci, err := s.threadByParam(c)
	if err != nil {
		return err
	}
	return s.renderThread(c, fiber.StatusOK, t, ci, nil)
}

func (s *Server) renderThread(c *fiber.Ctx, status int, t *forum.Thread, ci catInfo, reply *postForm) error {
	ctx := c.UserContext()
	m := currentMember(c)
	page := c.QueryInt("page", 1)
	if page < 1 || page > t.Pages() {
		return fault.New(fault.NotFound, "error.404")
	}
	posts, err := s.forum.Posts(ctx, t, page)
	if err != nil {
		return err
	}
	d := threadData{T: t, Cat: ci.Cat, Page: page, Rights: rightsFor(m, t, ci), Levels: []string{forum.Watch, forum.Track, forum.Mute},
		FlagReasons: forum.FlagReasons, SignIn: m == nil, LastN: t.LastN}
	if ci.Group != nil {
		d.GroupName = ci.Group.Name
	}
	readUpTo := t.LastN
	if m.Approved() {
		reads, err := s.forum.Reads(ctx, m.ID, []string{t.ID})
		if err != nil {
			return err
		}
		readUpTo = reads[t.ID]
		if readUpTo < t.LastN {
			d.FirstUnread = readUpTo + 1
		}
		lv, err := s.forum.Levels(ctx, m.ID, t.ID, t.CategoryID)
		if err != nil {
			return err
		}
		d.Level = forum.Effective(lv[t.ID], lv[t.CategoryID])
	}
	// Held posts show to their author and moderators only.
	visible := posts[:0]
	for _, p := range posts {
		if !p.Held || auth.CanSeeHeld(m, ci.Group, p.AuthorID) {
			visible = append(visible, p)
		}
	}
	if d.Posts, err = s.postViews(ctx, m, t, ci, visible, readUpTo); err != nil {
		return err
	}
	if t.ResourceID != "" && s.cards != nil {
		if cards, err := s.cards.Cards(ctx, m, []string{t.ResourceID}); err == nil {
			if card, ok := cards[t.ResourceID]; ok {
				d.Card = &card
			}
		}
	}
	for i := 1; i <= t.Pages(); i++ {
		d.Pages = append(d.Pages, i)
	}
	if page > 1 {
		d.Prev = page - 1
	}
	if page < t.Pages() {
		d.Next = page + 1
	}
	if d.Rights.Reply {
		if reply == nil {
			reply = &postForm{}
			if q := c.QueryInt("quote", 0); q > 0 && q <= t.LastN {
				if qp, err := s.forum.Post(ctx, t.ID, q); err == nil && qp.Visible() {
					name := s.T(c, "member.former")
					if a, err := s.auth.Member(ctx, qp.AuthorID); err == nil && a.Status != auth.StatusDeleted {
						name = a.Name
					}
					reply.Body = forum.QuoteMarkdown(t.ID, q, name, qp.Body)
				}
			}
		}
		reply.Action = "/threads/" + t.ID + "/reply"
		d.Reply = reply
	}
	if d.Rights.Moderate {
		all, err := s.categories(c)
		if err != nil {
			return err
		}
		for _, o := range all {
			if o.Cat.ID != t.CategoryID && auth.CanModerate(m, o.Group) {
				label := o.Cat.Name
				if o.Group != nil {
					label = o.Group.Name + " · " + o.Cat.Name
				}
				d.Categories = append(d.Categories, Option{Value: o.Cat.ID, Label: label})
			}
		}
	}
	if m.Approved() && len(posts) > 0 {
		if err := s.forum.MarkRead(ctx, m.ID, t.ID, posts[len(posts)-1].N); err != nil {
			return err
		}
		if err := s.forum.MarkNotificationsRead(ctx, m.ID, t.ID); err != nil {
			return err
		}
	}
	p := s.newPage(c, t.Title, "discussions", d)
	return s.render(c, status, "forum_thread", p)
}

// showPostPermalink sends /threads/{id}/posts/{n} to the page holding the
// post, at its anchor. A number past the end (the "new replies" link of a
// page without scripts) lands on the last page.
func (s *Server) showPostPermalink(c *fiber.Ctx) error {
	t, _, err := s.threadByParam(c)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil || n < 1 {
		return fault.New(fault.NotFound, "error.404")
	}
	if n > t.LastN {
		return c.Redirect(fmt.Sprintf("/threads/%s?page=%d#post-%d", t.ID, t.Pages(), t.LastN), fiber.StatusSeeOther)
	}
	return c.Redirect(postPath(t.ID, n), fiber.StatusSeeOther)
}

// showPostFragment renders one post as the viewer sees it, for live updates.
func (s *Server) showPostFragment(c *fiber.Ctx) error {
	t, ci, p, err := s.postByParam(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	views, err := s.postViews(c.UserContext(), m, t, ci, []*forum.Post{p}, p.N)
	if err != nil {
		return err
	}
	return s.renderFragment(c, "forum_thread", "post", postCtx{P: s.newPage(c, "", "", nil), V: views[0]})
}

type historyData struct {
	T       *forum.Thread
	N       int
	Current string
	Edits   []historyEntry
}

type historyEntry struct {
	At   time.Time
	Body string
}

// showPostHistory lists a post's earlier versions, as Markdown source.
func (s *Server) showPostHistory(c *fiber.Ctx) error {
	t, ci, p, err := s.postByParam(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if p.Deleted || (p.Hidden && !auth.CanModerate(m, ci.Group) && memberID(m) != p.AuthorID) {
		return fault.New(fault.NotFound, "error.404")
	}
	d := historyData{T: t, N: p.N, Current: p.Body}
	for i := len(p.History) - 1; i >= 0; i-- {
		d.Edits = append(d.Edits, historyEntry{At: p.History[i].At, Body: p.History[i].Body})
	}
	return s.render(c, fiber.StatusOK, "forum_history", s.newPage(c, s.T(c, "forum.history.title", t.Title), "discussions", d))
}

// postPath is the address of post n on the thread page that holds it.
func postPath(threadID string, n int) string {
	return fmt.Sprintf("/threads/%s?page=%d#post-%d", threadID, forum.PageOf(n), n)
}
