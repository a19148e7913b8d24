package server

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
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
	v, _, err := b.s.viewerOf(ctx, viewer)
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
	v, _, err := b.s.viewerOf(ctx, viewer)
	if err != nil {
		return nil, err
	}
	res, err := b.s.lib.Search(ctx, resources.Search{Q: query, Page: 1, PerPage: limit, Viewer: v})
	if err != nil {
		return nil, err
	}
	out := make([]ResourceCard, 0, len(res.Items))
	for _, r := range res.Items {
		out = append(out, discussionCard(r))
	}
	return out, nil
}

// resourcePlace returns the category where the discussion of r may live,
// or nil when there is none: its readers must all be readers of r, or the
// thread (titled after the resource, linking to it) would show r more
// widely than the library does. A public or members-only resource is
// discussed in the portal-wide General category (members); a resource
// limited to a group, in the first category of that group, and only if
// the group keeps its content to its members.
func (s *Server) resourcePlace(c *fiber.Ctx, r *resources.Resource) (*catInfo, error) {
	all, err := s.categories(c)
	if err != nil {
		return nil, err
	}
	for i := range all {
		ci := &all[i]
		switch r.Visibility {
		case resources.VisibilityPublic, resources.VisibilityMembers:
			if ci.Group == nil && ci.Cat.Slug == forum.GeneralSlug {
				return ci, nil
			}
		case resources.VisibilityGroup:
			// categories() lists a group's categories in its own order.
			if ci.Group != nil && ci.Group.ID == r.GroupID && auth.CanHostResourceDiscussion(ci.Group) {
				return ci, nil
			}
		}
	}
	return nil, nil
}

// placeResourceThread keeps a resource's existing discussion where the
// resource is visible: moved to its place when that changed (the resource's
// visibility or group was edited, or the thread predates this rule), held
// when there is no place (out of lists, search and its page for everyone
// but its author and moderators, and out of the review queue, since its
// opening post is not held), and released again once a place exists. It
// returns the thread (nil when the resource has none) and its place.
func (s *Server) placeResourceThread(c *fiber.Ctx, r *resources.Resource) (*forum.Thread, *catInfo, error) {
	ctx := c.UserContext()
	t, err := s.forum.ThreadForResource(ctx, r.ID)
	if errors.Is(err, forum.ErrNotFound) {
		t = nil
	} else if err != nil {
		return nil, nil, err
	}
	place, err := s.resourcePlace(c, r)
	if err != nil || t == nil {
		return t, place, err
	}
	if place == nil {
		if !t.Held {
			if err := s.forum.HoldThread(ctx, t.ID); err != nil {
				return nil, nil, err
			}
			t.Held = true
			s.log.Info("resource discussion held: no place where the resource is visible", "thread", t.ID, "resource", r.ID, "request_id", requestID(c))
		}
		return t, nil, nil
	}
	if t.CategoryID != place.Cat.ID {
		if err := s.forum.MoveThread(ctx, t.ID, place.Cat); err != nil {
			return nil, nil, err
		}
		t.CategoryID, t.GroupID = place.Cat.ID, place.Cat.GroupID
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
	return t, place, nil
}

// hasResourceThread reports whether a resource's discussion exists.
func (s *Server) hasResourceThread(c *fiber.Ctx, resourceID string) bool {
	_, err := s.forum.ThreadForResource(c.UserContext(), resourceID)
	return err == nil
}
