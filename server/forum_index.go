package server

import (
	"html/template"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
)

// categoryRow is a category in a list, with the viewer's unread count.
type categoryRow struct {
	Cat       *forum.Category
	GroupName string
	GroupSlug string
	Threads   int
	Unread    int
	Muted     bool
	CanMove   bool
	First     bool
	Last      bool
}

// threadRow is a thread in a list.
type threadRow struct {
	T           *forum.Thread
	Cat         *forum.Category
	Unread      int
	FirstUnread int
	New         bool // never opened by the viewer
	LastAt      string
	Via         string `json:",omitempty"` // search: the concepts it matched through, in the reader's language
	// Score and Snippet come with a search: the relevance of the best
	// post and a passage of it, HTML built by search.Snippet (the words
	// matched in <mark>, everything else escaped).
	Score   float64       `json:"score,omitempty"`
	Snippet template.HTML `json:"snippet,omitempty"`
}

type discussionsData struct {
	Categories []categoryRow
	Latest     []threadRow
	SinceVisit bool
	Since      time.Time
	SignIn     bool
	CanReview  bool              // the review queue's link (auth.CanReviewForum)
	PostIn     []*forum.Category // where the member may start a thread (auth.CanPost)
	Manage     *categoryForm
}

// categoryForm creates a category.
type categoryForm struct {
	Groups  []Option // "" is portal-wide
	Colours []string
	Name    string
	Desc    string
	Colour  string
	Group   string
	Errors  map[string]string
}

// showDiscussions is the discussions home: categories with unread counts and
// the latest threads; ?since=visit lists what is new since the last visit.
func (s *Server) showDiscussions(c *fiber.Ctx) error {
	return s.renderDiscussions(c, fiber.StatusOK, nil)
}

func (s *Server) renderDiscussions(c *fiber.Ctx, status int, form *categoryForm) error {
	ctx := c.UserContext()
	m := currentMember(c)
	all, err := s.categories(c)
	if err != nil {
		return err
	}
	cats, ids := visibleCategories(all, m)
	d := discussionsData{SignIn: m == nil}
	var since time.Time
	if m.Approved() {
		coord, err := s.coordinatesAny(c, m)
		if err != nil {
			return err
		}
		d.CanReview = auth.CanReviewForum(m, coord)
		prev, err := s.forum.TouchVisit(ctx, m.ID)
		if err != nil {
			return err
		}
		if c.Query("since") == "visit" {
			d.SinceVisit, since = true, prev
			if since.IsZero() {
				since = time.Now().Add(-7 * 24 * time.Hour)
			}
			d.Since = since
		}
	}
	var reads map[string]int
	var lv map[string]string
	if m.Approved() {
		if reads, err = s.forum.Reads(ctx, m.ID, nil); err != nil {
			return err
		}
		if lv, err = s.forum.MemberLevels(ctx, m.ID); err != nil {
			return err
		}
	}
	count, unread, err := s.forum.CategoryCounts(ctx, ids, reads, lv)
	if err != nil {
		return err
	}
	listed := make([]catInfo, 0, len(cats))
	for _, ci := range cats {
		if !ci.Cat.Archived { // archived: threads stay readable, the category leaves the list
			listed = append(listed, ci)
		}
	}
	for i, ci := range listed {
		row := categoryRow{Cat: ci.Cat, Threads: count[ci.Cat.ID], Unread: unread[ci.Cat.ID], Muted: lv[ci.Cat.ID] == forum.Mute,
			CanMove: auth.CanManageCategories(m, ci.Group)}
		if ci.Group != nil {
			row.GroupName, row.GroupSlug = ci.Group.Name, ci.Group.Slug
		}
		if auth.CanPost(m, ci.Group, ci.Cat.Visibility) {
			d.PostIn = append(d.PostIn, ci.Cat)
		}
		row.First = i == 0 || listed[i-1].Cat.GroupID != ci.Cat.GroupID
		row.Last = i == len(listed)-1 || listed[i+1].Cat.GroupID != ci.Cat.GroupID
		d.Categories = append(d.Categories, row)
	}
	threads, err := s.forum.Threads(ctx, forum.ThreadQuery{CategoryIDs: ids, ViewerID: memberID(m), Since: since, Limit: 20})
	if err != nil {
		return err
	}
	d.Latest = threadRows(threads, cats, reads, lv)
	if form == nil {
		form = &categoryForm{}
	}
	for _, ci := range all {
		_ = ci
	}
	form.Colours = forum.Colours
	if form.Groups, err = s.managedCategoryGroups(c, m, form.Group); err != nil {
		return err
	}
	if len(form.Groups) > 0 {
		d.Manage = form
	}
	title := s.T(c, "discussions.title")
	if d.SinceVisit {
		title = s.T(c, "forum.since.title")
	}
	return s.render(c, status, "forum_index", s.newPage(c, title, "discussions", d))
}

func memberID(m *auth.Member) string {
	if m == nil {
		return ""
	}
	return m.ID
}

// threadRows decorates threads with their category and unread state.
func threadRows(ts []*forum.Thread, cats []catInfo, reads map[string]int, lv map[string]string) []threadRow {
	byID := map[string]*forum.Category{}
	for _, ci := range cats {
		byID[ci.Cat.ID] = ci.Cat
	}
	out := make([]threadRow, 0, len(ts))
	for _, t := range ts {
		r := threadRow{T: t, Cat: byID[t.CategoryID], LastAt: t.LastPostAt.UTC().Format("2006-01-02 15:04 UTC")}
		if r.Cat == nil {
			continue
		}
		if reads != nil && forum.Effective(lv[t.ID], lv[t.CategoryID]) != forum.Mute {
			read, seen := reads[t.ID]
			r.New = !seen
			if t.LastN > read {
				r.Unread, r.FirstUnread = t.LastN-read, read+1
			}
		}
		out = append(out, r)
	}
	return out
}

// createCategory adds a category (portal-wide for moderators, a group's
// for its coordinators).
func (s *Server) createCategory(c *fiber.Ctx) error {
	f := &categoryForm{Name: formValue(c, "name"), Desc: formValue(c, "description"), Colour: formValue(c, "colour"), Group: formValue(c, "group")}
	var g *auth.Group
	if f.Group != "" {
		var err error
		if g, err = s.auth.Group(c.UserContext(), f.Group); err != nil {
			return authNotFound(err)
		}
	}
	cat, err := s.createCategoryFrom(c, g, forum.Category{Name: f.Name, Description: f.Desc, Colour: f.Colour, Visibility: formValue(c, "visibility")})
	if err != nil {
		if field, msg, ok := s.fieldError(c, err); ok {
			f.Errors = map[string]string{field: msg}
			return s.renderDiscussions(c, fiber.StatusBadRequest, f)
		}
		return err
	}
	return s.redirectWithFlash(c, "/discussions/c/"+cat.Slug, "flash.forum.category_created")
}

// moveCategory moves a category up or down in its group's order.
func (s *Server) moveCategory(c *fiber.Ctx) error {
	cat, err := s.forum.Category(c.UserContext(), c.Params("id"))
	if err != nil {
		return notFound(err)
	}
	ci, err := s.category(c, cat)
	if err != nil {
		return err
	}
	if !auth.CanManageCategories(currentMember(c), ci.Group) {
		return forbidden()
	}
	up := formValue(c, "direction") == "up"
	if err := s.forum.MoveCategory(c.UserContext(), cat.ID, up); err != nil {
		return err
	}
	s.audit(c, auditCategoryMove, "", map[string]string{"category": cat.Slug, "up": strconv.FormatBool(up)})
	next := "/discussions"
	if formValue(c, "next") == "admin" { // the admin area's list
		next = "/admin/categories#cat-" + cat.ID
	}
	return s.redirectWithFlash(c, next, "")
}

// fieldError turns a validation error into a field and a translated message.
func (s *Server) fieldError(c *fiber.Ctx, err error) (field, msg string, ok bool) {
	status, key, args, f := s.classify(err)
	if status != fiber.StatusBadRequest {
		return "", "", false
	}
	if f == "" {
		f = "form"
	}
	return f, s.T(c, key, args...), true
}
