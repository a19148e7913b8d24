package server

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/resources"
)

// libraryBridge fills the discussions' library seams (ResourceCards and
// LibrarySearch in forum.go) with the library service, applying the
// library's own visibility rule for the viewer.
type libraryBridge struct{ s *Server }

func discussionCard(r *resources.Resource) ResourceCard {
	return ResourceCard{ID: r.ID, Title: r.Title, Summary: r.Summary, Kind: r.Type, URL: "/library/" + r.ID}
}

// Cards returns cards for the resources among ids that viewer may see, with
// one query for the resources and one for the viewer's groups.
func (b libraryBridge) Cards(ctx context.Context, viewer *auth.Member, ids []string) (map[string]ResourceCard, error) {
	v, _, err := b.s.core.ViewerOf(ctx, viewer)
	if err != nil {
		return nil, err
	}
	rs, err := b.s.lib.ResourcesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]ResourceCard, len(rs))
	for id, r := range rs {
		if v.CanSee(r) && r.Withdrawn == nil {
			out[id] = discussionCard(r)
		}
	}
	return out, nil
}

// SearchLibrary runs the library's search for the combined search page.
func (b libraryBridge) SearchLibrary(ctx context.Context, viewer *auth.Member, query string, limit int) ([]ResourceCard, error) {
	v, _, err := b.s.core.ViewerOf(ctx, viewer)
	if err != nil {
		return nil, err
	}
	res, err := b.s.lib.Search(ctx, resources.Search{Q: query, Page: 1, PerPage: limit, Viewer: v, Brief: true, Titles: true})
	if err != nil {
		return nil, err
	}
	out := make([]ResourceCard, 0, len(res.Items))
	for _, r := range res.Items {
		out = append(out, discussionCard(r))
	}
	return out, nil
}

// resourcePlace returns the category where the discussion of r starts, or
// nil when there is none (see fitsResource): General for a public or
// members-only resource, the first category of its group for one limited to
// a group.
func (s *Server) resourcePlace(c *fiber.Ctx, r *resources.Resource) (*catInfo, error) {
	all, err := s.categories(c)
	if err != nil {
		return nil, err
	}
	for i := range all {
		ci := &all[i]
		start := ci.Cat.Slug == forum.GeneralSlug && ci.Group == nil
		if r.Visibility == resources.VisibilityGroup {
			start = ci.Group != nil // categories() lists a group's categories in its own order
		}
		if start && fitsResource(*ci, r) {
			return ci, nil
		}
	}
	return nil, nil
}

// audience is who reads something, as the policy functions decide it:
// anyone, every approved member, or the members of one group (and
// administrators, who read everything).
type audience struct {
	level int // 3 anyone, 2 members, 1 one group
	group string
}

func categoryAudience(ci catInfo) audience {
	vis := auth.Visibility(ci.Cat.Visibility)
	if ci.Group != nil {
		vis = ci.Group.Visibility
	}
	switch {
	case vis == auth.VisibilityPublic:
		return audience{level: 3}
	case vis == auth.VisibilityMembers || ci.Group == nil:
		return audience{level: 2}
	case auth.CanHostResourceDiscussion(ci.Group):
		return audience{level: 1, group: ci.Group.ID}
	}
	return audience{level: 3} // unknown: assume the widest
}

func resourceAudience(r *resources.Resource) audience {
	switch r.Visibility {
	case resources.VisibilityPublic:
		return audience{level: 3}
	case resources.VisibilityMembers:
		return audience{level: 2}
	}
	return audience{level: 1, group: r.GroupID}
}

// within reports whether every reader of a is a reader of b.
func (a audience) within(b audience) bool {
	switch b.level {
	case 3:
		return true
	case 2:
		return a.level <= 2
	}
	return a.level == 1 && a.group == b.group
}

// fitsResource reports whether the discussion of r may live in category ci:
// every reader of ci must be a reader of r, or the thread (titled after the
// resource, linking to it) would show r more widely than the library does.
func fitsResource(ci catInfo, r *resources.Resource) bool {
	return categoryAudience(ci).within(resourceAudience(r))
}

// placeResourceThread keeps a resource's existing discussion where the
// resource is visible, after its visibility or group was edited (or for a
// thread older than this rule). A thread that still fits stays: when the
// resource is widened, its discussion is not, since its replies were
// written for the narrower audience. One that no longer fits moves to the
// resource's place only if that place is within the thread's present
// readers (members to one group, never one group to another); otherwise it
// is held: out of lists, search and its page for everyone but its author
// and moderators, and out of the review queue, since its opening post is
// not held. A thread held here is released once it fits again. It returns
// the thread and the category it is in (nil when held), or, when the
// resource has no thread yet, nil and the place where one would start.
func (s *Server) placeResourceThread(c *fiber.Ctx, r *resources.Resource) (*forum.Thread, *catInfo, error) {
	ctx := c.UserContext()
	place, err := s.resourcePlace(c, r)
	if err != nil {
		return nil, nil, err
	}
	t, err := s.forum.ThreadForResource(ctx, r.ID)
	if errors.Is(err, forum.ErrNotFound) {
		return nil, place, nil
	} else if err != nil {
		return nil, nil, err
	}
	cat, err := s.forum.Category(ctx, t.CategoryID)
	if err != nil {
		return nil, nil, err
	}
	cur, err := s.category(c, cat)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case fitsResource(cur, r):
	case place != nil && categoryAudience(*place).within(categoryAudience(cur)):
		if err := s.forum.MoveThread(ctx, t.ID, place.Cat); err != nil {
			return nil, nil, err
		}
		t.CategoryID, t.GroupID, cur = place.Cat.ID, place.Cat.GroupID, *place
	default:
		if !t.Held {
			if err := s.forum.HoldThread(ctx, t.ID); err != nil {
				return nil, nil, err
			}
			t.Held = true
			s.log.Info("resource discussion held: no place where the resource is visible", "thread", t.ID, "resource", r.ID, "request_id", requestID(c))
		}
		return t, nil, nil
	}
	if t.Held {
		// Held with its opening post released: held here, not by moderation.
		if p, err := s.forum.Post(ctx, t.ID, 1); err == nil && !p.Held {
			if err := s.forum.ApprovePost(ctx, t.ID, 1); err != nil {
				return nil, nil, err
			}
			t.Held = false
		}
	}
	return t, &cur, nil
}

// canOpenResourceThread reports whether m may open the resource's
// discussion t where it is (ci).
func canOpenResourceThread(m *auth.Member, t *forum.Thread, ci *catInfo) bool {
	return ci != nil && ci.canSee(m) && (!t.Held || auth.CanSeeHeld(m, ci.Group, t.AuthorID))
}

// canDiscuss decides whether the resource page offers "Discuss" to m,
// without changing anything (a GET): the existing thread if m may open it
// where it is or where pressing the button will move it, or else a place
// where m may start one. It also gives the discussion's reply count (0
// without one), which the page would otherwise read the thread again for.
func (s *Server) canDiscuss(c *fiber.Ctx, m *auth.Member, r *resources.Resource) (bool, int, error) {
	t, err := s.forum.ThreadForResource(c.UserContext(), r.ID)
	if err == nil {
		cat, err := s.forum.Category(c.UserContext(), t.CategoryID)
		if err != nil {
			return false, t.Replies, notFoundOK(err)
		}
		ci, err := s.category(c, cat)
		if err != nil {
			return false, t.Replies, notFoundOK(err)
		}
		if fitsResource(ci, r) {
			return canOpenResourceThread(m, t, &ci), t.Replies, nil
		}
		// Placed before this rule or before an edit: pressing the button
		// moves it where it fits, when placeResourceThread would.
		place, err := s.resourcePlace(c, r)
		return err == nil && place != nil && categoryAudience(*place).within(categoryAudience(ci)) && place.canSee(m), t.Replies, err
	}
	if !errors.Is(err, forum.ErrNotFound) {
		return false, 0, err
	}
	place, err := s.resourcePlace(c, r)
	return err == nil && place != nil && auth.CanPost(m, place.Group, place.Cat.Visibility), 0, err
}

// notFoundOK turns "not found" into no error: the answer is then "no".
func notFoundOK(err error) error {
	if errors.Is(err, forum.ErrNotFound) {
		return nil
	}
	if fe, ok := fault.As(err); ok && fe.Kind == fault.NotFound {
		return nil
	}
	return err
}
