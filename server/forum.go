package server

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/forum"
)

// ResourceCard is what a discussion shows of a library resource linked from
// a post or discussed by a thread.
type ResourceCard struct {
	ID, Title, Summary, Kind string
	URL                      string
}

// ResourceCards is the seam to the library: it returns cards for the
// resources the viewer may see (others are left out), in one query.
// libraryBridge fills it unless Deps gives another (tests do).
type ResourceCards interface {
	Cards(ctx context.Context, viewer *auth.Member, ids []string) (map[string]ResourceCard, error)
}

// LibrarySearch is the seam to the library's search, for the combined
// search page; libraryBridge unless Deps gives another.
type LibrarySearch interface {
	SearchLibrary(ctx context.Context, viewer *auth.Member, query string, limit int) ([]ResourceCard, error)
}

// catInfo is a category with its group (nil when portal-wide).
type catInfo struct {
	Cat   *forum.Category
	Group *auth.Group
}

func (ci catInfo) canSee(m *auth.Member) bool {
	return auth.CanSeeCategory(m, ci.Group, ci.Cat.Visibility)
}

// categories returns every category with its group, in display order, using
// two queries (categories, groups).
func (s *Server) categories(c *fiber.Ctx) ([]catInfo, error) {
	cats, err := s.forum.Categories(c.UserContext())
	if err != nil {
		return nil, err
	}
	groups, err := s.auth.Groups(c.UserContext())
	if err != nil {
		return nil, err
	}
	byID := map[string]*auth.Group{}
	for _, g := range groups {
		byID[g.ID] = g
	}
	out := make([]catInfo, 0, len(cats))
	for _, cat := range cats {
		ci := catInfo{Cat: cat}
		if cat.GroupID != "" {
			if ci.Group = byID[cat.GroupID]; ci.Group == nil {
				continue // the group is gone
			}
		}
		out = append(out, ci)
	}
	// Portal-wide categories first, then groups by name.
	slices.SortStableFunc(out, func(a, b catInfo) int {
		an, bn := "", ""
		if a.Group != nil {
			an = "1" + a.Group.Name
		}
		if b.Group != nil {
			bn = "1" + b.Group.Name
		}
		switch {
		case an < bn:
			return -1
		case an > bn:
			return 1
		}
		return a.Cat.Position - b.Cat.Position
	})
	return out, nil
}

// visibleCategories filters categories for the viewer.
func visibleCategories(all []catInfo, m *auth.Member) ([]catInfo, []string) {
	var out []catInfo
	var ids []string
	for _, ci := range all {
		if ci.canSee(m) {
			out = append(out, ci)
			ids = append(ids, ci.Cat.ID)
		}
	}
	return out, ids
}

// category loads one category with its group.
func (s *Server) category(c *fiber.Ctx, cat *forum.Category) (catInfo, error) {
	return s.categoryCtx(c.UserContext(), cat)
}

func (s *Server) categoryCtx(ctx context.Context, cat *forum.Category) (catInfo, error) {
	ci := catInfo{Cat: cat}
	if cat.GroupID != "" {
		g, err := s.auth.Group(ctx, cat.GroupID)
		if err != nil {
			if errors.Is(err, auth.ErrNotFound) {
				return ci, fault.New(fault.NotFound, "error.404")
			}
			return ci, err
		}
		ci.Group = g
	}
	return ci, nil
}

// categoryBySlug loads a category the viewer may see, else 404.
func (s *Server) categoryBySlug(c *fiber.Ctx, slug string) (catInfo, error) {
	cat, err := s.forum.CategoryBySlug(c.UserContext(), slug)
	if err != nil {
		return catInfo{}, notFound(err)
	}
	ci, err := s.category(c, cat)
	if err != nil {
		return ci, err
	}
	if !ci.canSee(currentMember(c)) {
		return ci, fault.New(fault.NotFound, "error.404")
	}
	return ci, nil
}

// threadByParam loads the thread named by :id with its category, or 404
// when it does not exist or the viewer may not see it (held threads show
// to their author and moderators only).
func (s *Server) threadByParam(c *fiber.Ctx) (*forum.Thread, catInfo, error) {
	return s.threadByID(c, c.Params("id"))
}

// threadByID is threadByParam for an ID from elsewhere (a query string).
func (s *Server) threadByID(c *fiber.Ctx, id string) (*forum.Thread, catInfo, error) {
	return s.threadFor(c.UserContext(), currentMember(c), id)
}

// threadFor is threadByID for member m outside a request: open discussion
// streams re-check their right to the thread with it.
func (s *Server) threadFor(ctx context.Context, m *auth.Member, id string) (*forum.Thread, catInfo, error) {
	if !validObjectID(id) {
		return nil, catInfo{}, fault.New(fault.NotFound, "error.404")
	}
	t, err := s.forum.Thread(ctx, id)
	if err != nil {
		return nil, catInfo{}, notFound(err)
	}
	cat, err := s.forum.Category(ctx, t.CategoryID)
	if err != nil {
		return nil, catInfo{}, notFound(err)
	}
	ci, err := s.categoryCtx(ctx, cat)
	if err != nil {
		return nil, ci, err
	}
	if !ci.canSee(m) || (t.Held && !auth.CanSeeHeld(m, ci.Group, t.AuthorID)) {
		return nil, ci, fault.New(fault.NotFound, "error.404")
	}
	if t.ResourceID != "" {
		// A resource's discussion is placed where the resource is visible
		// (placeResourceThread); this also holds if the place widened
		// since, for example when its group's visibility changed.
		ok, err := s.canSeeResource(ctx, m, t.ResourceID)
		if err != nil {
			return nil, ci, err
		}
		if !ok {
			return nil, ci, fault.New(fault.NotFound, "error.404")
		}
	}
	return t, ci, nil
}

// postByParam loads thread :id and its post :n, or 404; held posts show to
// their author and moderators only.
func (s *Server) postByParam(c *fiber.Ctx) (*forum.Thread, catInfo, *forum.Post, error) {
	t, ci, err := s.threadByParam(c)
	if err != nil {
		return nil, ci, nil, err
	}
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil || n < 1 || n > t.LastN {
		return nil, ci, nil, fault.New(fault.NotFound, "error.404")
	}
	p, err := s.forum.Post(c.UserContext(), t.ID, n)
	if err != nil {
		return nil, ci, nil, notFound(err)
	}
	if p.Held && !auth.CanSeeHeld(currentMember(c), ci.Group, p.AuthorID) {
		return nil, ci, nil, fault.New(fault.NotFound, "error.404")
	}
	return t, ci, p, nil
}

func notFound(err error) error {
	if errors.Is(err, forum.ErrNotFound) {
		return fault.New(fault.NotFound, "error.404")
	}
	return err
}

func validObjectID(id string) bool {
	if len(id) != 24 {
		return false
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

func forbidden() error { return fault.New(fault.Forbidden, "error.403") }

// holdPost decides whether a new post waits for review: the group holds
// first posts and the author has none that was published yet.
func (s *Server) holdPost(c *fiber.Ctx, m *auth.Member, ci catInfo) (bool, error) {
	if ci.Group == nil || auth.CanModerate(m, ci.Group) {
		return false, nil
	}
	gs, err := s.forum.GroupSettings(c.UserContext(), ci.Group.ID)
	if err != nil || !gs.HoldFirstPosts {
		return false, err
	}
	posted, err := s.forum.HasPosted(c.UserContext(), m.ID)
	return !posted, err
}

var timeZero time.Time
