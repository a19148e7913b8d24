package server

import (
	"slices"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/workshops"
)

// memberHome is what a signed-in, approved member sees first: what is
// happening now and what is waiting for them. Each part is read with the
// same rights checks as the page it links to.
type memberHome struct {
	Live         []*workshops.Workshop // running now and visible to the member
	Next         []*workshops.Workshop // upcoming workshops they registered for
	Unread       []threadRow           // followed threads with unread replies
	Resources    []*resources.Resource // new in their groups
	Applications int                   // membership applications waiting (reviewers)
	Requests     []groupRequests       // join requests waiting in groups they coordinate
}

type groupRequests struct {
	Group *auth.Group
	Count int
}

// homeLimit bounds each list of the member's home.
const homeLimit = 5

func (s *Server) memberHome(c *fiber.Ctx, m *auth.Member, groups []*auth.Group, reviewer bool) (*memberHome, error) {
	ctx := c.UserContext()
	h := &memberHome{}
	byID := map[string]*auth.Group{}
	for _, g := range groups {
		byID[g.ID] = g
	}
	// Workshops: running now (visible to the member), and their next ones:
	// those running and those they registered for, each read by _id.
	running, err := s.workshops.Running(ctx)
	if err != nil {
		return nil, err
	}
	regs, err := s.workshops.MemberRegistrations(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	registered := map[string]bool{}
	var regIDs []string
	for _, r := range regs {
		registered[r.WorkshopID] = true
		regIDs = append(regIDs, r.WorkshopID)
	}
	theirs, err := s.workshops.ByIDs(ctx, regIDs)
	if err != nil {
		return nil, err
	}
	ws := running
	for _, w := range theirs {
		if !slices.ContainsFunc(running, func(r *workshops.Workshop) bool { return r.ID == w.ID }) {
			ws = append(ws, w)
		}
	}
	sort.SliceStable(ws, func(i, j int) bool { return ws[i].StartsAt.Before(ws[j].StartsAt) })
	now := time.Now()
	for _, w := range ws {
		acc := auth.WorkshopAccess{Group: byID[w.GroupID], Facilitators: w.Facilitators}
		if w.GroupID != "" && acc.Group == nil || !auth.CanSeeWorkshop(m, acc) {
			continue
		}
		switch {
		case !now.Before(w.StartsAt) && now.Before(w.EndsAt):
			h.Live = append(h.Live, w)
		case registered[w.ID] && now.Before(w.StartsAt) && len(h.Next) < homeLimit:
			h.Next = append(h.Next, w)
		}
	}
	// Discussions they follow (opened before, not muted) with new replies.
	all, err := s.categories(c)
	if err != nil {
		return nil, err
	}
	cats, ids := visibleCategories(all, m)
	reads, err := s.forum.Reads(ctx, m.ID, nil)
	if err != nil {
		return nil, err
	}
	lv, err := s.forum.MemberLevels(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	// Only the unread of the 50 latest are read: the heads say which.
	kept := 0
	threads, err := s.forum.Threads(ctx, forum.ThreadQuery{CategoryIDs: ids, ViewerID: m.ID, Limit: 50,
		Keep: func(h forum.ThreadHead) bool {
			read, seen := reads[h.ID]
			if kept == homeLimit || !seen || h.LastN <= read || forum.Effective(lv[h.ID], lv[h.CategoryID]) == forum.Mute {
				return false
			}
			kept++
			return true
		}})
	if err != nil {
		return nil, err
	}
	for _, r := range threadRows(threads, cats, reads, lv) {
		if r.Unread > 0 && !r.New && len(h.Unread) < homeLimit {
			h.Unread = append(h.Unread, r)
		}
	}
	// New resources in their groups, and what waits for coordinators.
	v, _, err := s.viewer(c)
	if err != nil {
		return nil, err
	}
	var mine []string
	for _, g := range groups {
		if !g.HasMember(m.ID) {
			continue
		}
		mine = append(mine, g.ID)
		if auth.CanManageGroup(m, g) {
			reqs, err := s.auth.PendingGroupRequests(ctx, g.ID)
			if err != nil {
				return nil, err
			}
			if len(reqs) > 0 {
				h.Requests = append(h.Requests, groupRequests{Group: g, Count: len(reqs)})
			}
		}
	}
	// One question for all their groups: the newest of the union is what
	// the lists of each group, merged, would show.
	if len(mine) > 0 {
		if h.Resources, err = s.lib.RecentOfGroups(ctx, v, mine, homeLimit); err != nil {
			return nil, err
		}
	}
	if reviewer {
		queue, err := s.auth.ReviewQueue(ctx)
		if err != nil {
			return nil, err
		}
		h.Applications = len(queue)
	}
	return h, nil
}
