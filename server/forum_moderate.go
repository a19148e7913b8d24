package server

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/resources"
)

// moderatePost hides, shows again or approves a post, or dismisses its
// flags. Every action goes to the audit log with its reason, and the author
// is told what happened and why.
func (s *Server) moderatePost(c *fiber.Ctx) error {
	t, ci, p, err := s.postByParam(c)
	if err != nil {
		return err
	}
	if !auth.CanModerate(currentMember(c), ci.Group) {
		return forbidden()
	}
	action := formValue(c, "action")
	reason, err := forum.ValidateReason(formValue(c, "reason"), action == "hide")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	switch action {
	case "hide":
		err = s.forum.SetHidden(ctx, t.ID, p.N, true, reason)
	case "unhide":
		err = s.forum.SetHidden(ctx, t.ID, p.N, false, "")
	case "approve":
		if !p.Held {
			return fault.New(fault.Invalid, "forum.error.not_held")
		}
		err = s.forum.ApprovePost(ctx, t.ID, p.N)
	case "dismiss":
	default:
		return fault.New(fault.Invalid, "forum.error.action").OnField("action")
	}
	if err != nil {
		return err
	}
	_ = s.forum.ResolveFlags(ctx, p.ID, currentMember(c).ID)
	s.audit(c, "forum_post_"+action, p.AuthorID, map[string]string{"thread": t.ID, "post": strconv.Itoa(p.N), "reason": reason})
	if action != "dismiss" {
		s.notifyModeration(c, ci, t, p.N, p.AuthorID, action, reason)
		s.forumLive.Publish("thread."+t.ID, liveEvent{Type: "edit", Thread: t.ID, N: p.N})
	}
	if action == "approve" { // now it is published: tell the others
		p.Held = false
		if t2, err := s.forum.Thread(ctx, t.ID); err == nil {
			s.core.AfterPost(reqCtx(c), t2, ci.canSee, p)
		}
	}
	to := postPath(t.ID, p.N)
	if formValue(c, "from") == "review" {
		to = "/discussions/review"
	}
	return s.redirectWithFlash(c, to, "flash.forum.moderated")
}

// moderateThread pins, locks, closes, moves or splits a thread.
func (s *Server) moderateThread(c *fiber.Ctx) error {
	t, ci, err := s.threadByParam(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if !auth.CanModerate(m, ci.Group) {
		return forbidden()
	}
	action := formValue(c, "action")
	reason, err := forum.ValidateReason(formValue(c, "reason"), action == "move" || action == "split")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	details := map[string]string{"thread": t.ID, "reason": reason}
	to := "/threads/" + t.ID
	switch action {
	case "pin", "unpin":
		err = s.forum.SetPinned(ctx, t.ID, action == "pin")
	case "lock", "unlock":
		err = s.forum.SetLocked(ctx, t.ID, action == "lock")
	case "close", "reopen":
		err = s.forum.SetClosed(ctx, t.ID, action == "close")
	case "move":
		cat, cerr := s.forum.Category(ctx, formValue(c, "category"))
		if cerr != nil {
			return fault.New(fault.Invalid, "forum.error.category").OnField("category")
		}
		dest, cerr := s.category(c, cat)
		if cerr != nil {
			return cerr
		}
		if !auth.CanModerate(m, dest.Group) {
			return forbidden()
		}
		if t.ResourceID != "" {
			// A resource's discussion stays where the resource is visible.
			r, rerr := s.lib.Resource(ctx, t.ResourceID)
			if rerr == nil && !fitsResource(dest, r) {
				return fault.New(fault.Invalid, "forum.error.resource_place").OnField("category")
			}
		}
		err = s.forum.MoveThread(ctx, t.ID, cat)
		details["to"] = cat.Slug
	case "split":
		from, _ := strconv.Atoi(formValue(c, "from"))
		nt, serr := s.forum.Split(ctx, t.ID, from, formValue(c, "title"))
		if serr != nil {
			return serr
		}
		details["new_thread"], details["from"] = nt.ID, strconv.Itoa(from)
		to = "/threads/" + nt.ID
	default:
		return fault.New(fault.Invalid, "forum.error.action").OnField("action")
	}
	if err != nil {
		return err
	}
	if action == "move" {
		s.conns.recheckThread(t.ID)
	}
	s.audit(c, "forum_thread_"+action, t.AuthorID, details)
	s.notifyModeration(c, ci, t, 0, t.AuthorID, action, reason)
	return s.redirectWithFlash(c, to, "flash.forum.moderated")
}

type reviewItem struct {
	Post   *forum.Post
	Thread *forum.Thread
	Author string
	Flags  []*forum.Flag
}

type reviewData struct {
	Held    []reviewItem
	Flagged []reviewItem
	Groups  []groupSetting
	// Library is the reported library resources this curator may act on.
	Library []resources.Reported
}

type groupSetting struct {
	Group *auth.Group
	Hold  bool
}

// listForumReview is the moderators' and coordinators' queue: held posts
// and flagged posts of the categories they moderate, and the groups'
// "hold first posts" settings.
func (s *Server) listForumReview(c *fiber.Ctx) error {
	ctx := c.UserContext()
	m := currentMember(c)
	all := m.HasRole(auth.RoleModerator)
	groups, err := s.auth.GroupsOf(ctx, m.ID)
	if err != nil {
		return err
	}
	var gids []string
	d := reviewData{}
	for _, g := range groups {
		if g.IsCoordinator(m.ID) {
			gids = append(gids, g.ID)
		}
	}
	if !auth.CanReviewForum(m, len(gids) > 0) {
		return forbidden()
	}
	if m.HasRole(auth.RoleAdmin) {
		if groups, err = s.auth.Groups(ctx); err != nil {
			return err
		}
	}
	for _, g := range groups {
		if auth.CanManageCategories(m, g) {
			gs, err := s.forum.GroupSettings(ctx, g.ID)
			if err != nil {
				return err
			}
			d.Groups = append(d.Groups, groupSetting{Group: g, Hold: gs.HoldFirstPosts})
		}
	}
	held, err := s.forum.HeldPosts(ctx, gids, all)
	if err != nil {
		return err
	}
	flags, err := s.forum.OpenFlags(ctx, gids, all)
	if err != nil {
		return err
	}
	postIDs, threadIDs := []string{}, []string{}
	for _, f := range flags {
		postIDs, threadIDs = append(postIDs, f.PostID), append(threadIDs, f.ThreadID)
	}
	for _, p := range held {
		threadIDs = append(threadIDs, p.ThreadID)
	}
	posts, err := s.forum.PostsByID(ctx, postIDs)
	if err != nil {
		return err
	}
	threads, err := s.forum.ThreadsByID(ctx, threadIDs)
	if err != nil {
		return err
	}
	authorIDs := []string{}
	for _, p := range held {
		authorIDs = append(authorIDs, p.AuthorID)
	}
	for _, p := range posts {
		authorIDs = append(authorIDs, p.AuthorID)
	}
	authors, err := s.auth.MembersByID(ctx, authorIDs)
	if err != nil {
		return err
	}
	name := func(id string) string {
		if a := authors[id]; a != nil && a.Status != auth.StatusDeleted {
			return a.Name
		}
		return s.T(c, "member.former")
	}
	for _, p := range held {
		if t := threads[p.ThreadID]; t != nil {
			d.Held = append(d.Held, reviewItem{Post: p, Thread: t, Author: name(p.AuthorID)})
		}
	}
	byPost := map[string]int{}
	for _, f := range flags {
		p, t := posts[f.PostID], threads[f.ThreadID]
		if p == nil || t == nil {
			continue
		}
		if i, ok := byPost[p.ID]; ok {
			d.Flagged[i].Flags = append(d.Flagged[i].Flags, f)
			continue
		}
		byPost[p.ID] = len(d.Flagged)
		d.Flagged = append(d.Flagged, reviewItem{Post: p, Thread: t, Author: name(p.AuthorID), Flags: []*forum.Flag{f}})
	}
	if d.Library, err = s.reportedResources(c); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "forum_review", s.newPage(c, s.T(c, "forum.review.title"), "discussions", d))
}

// saveGroupForumSettings sets whether a group holds new members' first posts.
func (s *Server) saveGroupForumSettings(c *fiber.Ctx) error {
	g, err := s.auth.GroupBySlug(c.UserContext(), c.Params("slug"))
	if err != nil {
		return notFound(err)
	}
	if !auth.CanManageCategories(currentMember(c), g) {
		return forbidden()
	}
	hold := formValue(c, "hold") == "on"
	if err := s.forum.SetHoldFirstPosts(c.UserContext(), g.ID, hold); err != nil {
		return err
	}
	s.audit(c, "forum_group_settings", "", map[string]string{"group": g.Slug, "hold_first_posts": strconv.FormatBool(hold)})
	return s.redirectWithFlash(c, "/discussions/review", "flash.forum.saved")
}

// notifyModeration tells a post's or thread's author what the moderator
// making the request did and why.
func (s *Server) notifyModeration(c *fiber.Ctx, ci catInfo, t *forum.Thread, n int, authorID, action, reason string) {
	actor := currentMember(c)
	if actor == nil {
		return
	}
	s.core.NotifyModeration(reqCtx(c), ci.canSee, t, n, authorID, actor.ID, action, reason)
}
