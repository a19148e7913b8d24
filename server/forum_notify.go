package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/mail"
)

// afterPost tells everyone concerned about a new post: notifications for
// members who may see the thread (never muted ones), e-mails for those who
// want one per event, and a live event for open pages. Failures are logged:
// the post itself is stored.
func (s *Server) afterPost(c *fiber.Ctx, t *forum.Thread, ci catInfo, p *forum.Post) {
	if p.Held {
		return // announced when a moderator approves it
	}
	ctx := c.UserContext()
	s.forumLive.publish("thread."+t.ID, liveEvent{Type: "post", Thread: t.ID, N: p.N})
	cands, err := s.forum.Candidates(ctx, t, p)
	if err != nil {
		s.log.Error("forum: notification candidates", "err", err, "request_id", requestID(c))
		return
	}
	s.deliver(c, ci, cands)
}

// deliver keeps the notifications whose member may see the category, stores
// them, pushes them to open pages and mails members who chose "each".
func (s *Server) deliver(c *fiber.Ctx, ci catInfo, ns []*forum.Notification) {
	if len(ns) == 0 {
		return
	}
	ctx := c.UserContext()
	ids := make([]string, len(ns))
	for i, n := range ns {
		ids[i] = n.MemberID
	}
	members, err := s.auth.MembersByID(ctx, ids)
	if err != nil {
		s.log.Error("forum: notify", "err", err, "request_id", requestID(c))
		return
	}
	var keep []*forum.Notification
	for _, n := range ns {
		if m := members[n.MemberID]; m != nil && ci.canSee(m) {
			keep = append(keep, n)
		}
	}
	if err := s.forum.Notify(ctx, keep...); err != nil {
		s.log.Error("forum: notify", "err", err, "request_id", requestID(c))
		return
	}
	for _, n := range keep {
		s.forumLive.publish("member."+n.MemberID, liveEvent{Type: "notify", Thread: n.ThreadID, N: n.N, Count: 1})
	}
	prefs, err := s.forum.PrefsOf(ctx, ids)
	if err != nil {
		s.log.Error("forum: notify prefs", "err", err, "request_id", requestID(c))
		return
	}
	actors := map[string]*auth.Member{}
	for _, n := range keep {
		actors[n.ActorID] = nil
	}
	actorIDs := make([]string, 0, len(actors))
	for id := range actors {
		actorIDs = append(actorIDs, id)
	}
	names, _ := s.auth.MembersByID(ctx, actorIDs)
	var mailed []string
	for _, n := range keep {
		m := members[n.MemberID]
		if prefs[n.MemberID].Email != forum.EmailEach || m.Email == "" {
			continue
		}
		lang := memberLang(m)
		var body strings.Builder
		body.WriteString(s.catalog.T(lang, "mail.greeting", m.Name) + "\n\n")
		body.WriteString(s.noteLine(lang, n, names) + "\n")
		body.WriteString(s.cfg.BaseURL + fmt.Sprintf("/threads/%s/posts/%d", n.ThreadID, max(n.N, 1)) + "\n\n")
		s.mailFooter(&body, lang, m.ID, n.ThreadID)
		s.sendMail(c, mail.Message{To: m.Email, Subject: s.catalog.T(lang, "forum.mail.subject", n.Title), Body: body.String(),
			Headers: s.unsubscribeHeaders(m.ID), Lang: lang, MemberID: m.ID})
		mailed = append(mailed, n.ID)
	}
	if err := s.forum.MarkMailed(ctx, mailed); err != nil {
		s.log.Error("forum: mark mailed", "err", err)
	}
}

// visibleNotes keeps the notifications whose thread m may see now. Each
// names its thread by title, and the right to read it may have ended
// since it was made: the member left or was removed from the group, or the
// thread was moved or held. Threads, categories, groups, resources and the
// member's groups are read once for the whole list.
func (s *Server) visibleNotes(ctx context.Context, m *auth.Member, ns []*forum.Notification) ([]*forum.Notification, error) {
	if len(ns) == 0 {
		return ns, nil
	}
	ids := make([]string, 0, len(ns))
	for _, n := range ns {
		ids = append(ids, n.ThreadID)
	}
	threads, err := s.forum.ThreadsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	cats, err := s.forum.Categories(ctx)
	if err != nil {
		return nil, err
	}
	groups, err := s.auth.Groups(ctx)
	if err != nil {
		return nil, err
	}
	catByID := make(map[string]*forum.Category, len(cats))
	for _, c := range cats {
		catByID[c.ID] = c
	}
	groupByID := make(map[string]*auth.Group, len(groups))
	for _, g := range groups {
		groupByID[g.ID] = g
	}
	var rids []string
	for _, t := range threads {
		if t.ResourceID != "" {
			rids = append(rids, t.ResourceID)
		}
	}
	rs, err := s.lib.ResourcesByID(ctx, rids)
	if err != nil {
		return nil, err
	}
	v, _, err := s.viewerOf(ctx, m)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, t := range threads {
		cat := catByID[t.CategoryID]
		if cat == nil {
			continue
		}
		ci := catInfo{Cat: cat, Group: groupByID[cat.GroupID]}
		if (cat.GroupID != "" && ci.Group == nil) || !ci.canSee(m) || (t.Held && !auth.CanSeeHeld(m, ci.Group, t.AuthorID)) {
			continue
		}
		// A resource's discussion also needs the resource (threadByID).
		if t.ResourceID != "" && (rs[t.ResourceID] == nil || !v.CanSee(rs[t.ResourceID])) {
			continue
		}
		seen[t.ID] = true
	}
	out := ns[:0:0]
	for _, n := range ns {
		if seen[n.ThreadID] {
			out = append(out, n)
		}
	}
	return out, nil
}

// noteLine describes a notification in one sentence.
func (s *Server) noteLine(lang string, n *forum.Notification, names map[string]*auth.Member) string {
	actor := s.catalog.T(lang, "member.former")
	if a := names[n.ActorID]; a != nil && a.Status != auth.StatusDeleted {
		actor = a.Name
	}
	if n.Kind == forum.NoteModeration {
		line := s.catalog.T(lang, "forum.note.moderation", s.catalog.T(lang, "forum.mod.done."+n.Action), n.Title)
		if n.Reason != "" {
			line += "\n" + s.catalog.T(lang, "forum.note.reason", n.Reason)
		}
		return line
	}
	return s.catalog.T(lang, "forum.note."+n.Kind, actor, n.Title)
}

// mailFooter adds the unsubscribe links: this thread, and all e-mail.
func (s *Server) mailFooter(b *strings.Builder, lang, memberID, threadID string) {
	b.WriteString("-- \n")
	if threadID != "" {
		b.WriteString(s.catalog.T(lang, "forum.mail.mute_thread") + "\n" + s.cfg.BaseURL + "/unsubscribe/" + s.signer.Token(memberID, forum.ScopeThread, threadID) + "\n")
	}
	b.WriteString(s.catalog.T(lang, "forum.mail.unsubscribe") + "\n" + s.cfg.BaseURL + "/unsubscribe/" + s.signer.Token(memberID, forum.ScopeEmail, "") + "\n")
	b.WriteString(s.catalog.T(lang, "forum.mail.settings") + "\n" + s.cfg.BaseURL + "/discussions/settings\n")
}

// unsubscribeHeaders lets mail clients offer one-click unsubscribe (RFC 8058).
func (s *Server) unsubscribeHeaders(memberID string) map[string]string {
	return map[string]string{
		"List-Unsubscribe":      "<" + s.cfg.BaseURL + "/unsubscribe/" + s.signer.Token(memberID, forum.ScopeEmail, "") + ">",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	}
}

// notifyModeration tells a post's or thread's author what a moderator did
// and why.
func (s *Server) notifyModeration(c *fiber.Ctx, ci catInfo, t *forum.Thread, n int, authorID, action, reason string) {
	actor := currentMember(c)
	if authorID == "" || actor == nil || authorID == actor.ID {
		return
	}
	s.deliver(c, ci, []*forum.Notification{{MemberID: authorID, Kind: forum.NoteModeration, ThreadID: t.ID, Title: t.Title,
		N: n, ActorID: actor.ID, Action: action, Reason: reason}})
}

// sendDigests sends the daily and weekly digests that are due; the
// sweeper calls it periodically (an app-side job: no scheduler needed).
func (s *Server) sendDigests(ctx context.Context) { s.sendDigestsAt(ctx, time.Now().UTC()) }

func (s *Server) sendDigestsAt(ctx context.Context, now time.Time) int {
	// Members who never chose get the default daily digest, counted from
	// their first notification.
	fresh, err := s.forum.DigestDefaults(ctx)
	if err != nil {
		s.log.Warn("forum: digests", "err", err)
		return 0
	}
	for _, id := range fresh {
		_ = s.forum.SetLastDigest(ctx, id, now)
	}
	due, err := s.forum.DigestDue(ctx, now)
	if err != nil {
		s.log.Warn("forum: digests", "err", err)
		return 0
	}
	if len(due) == 0 {
		return 0
	}
	ids := make([]string, len(due))
	for i, p := range due {
		ids[i] = p.MemberID
	}
	notes, err := s.forum.Unmailed(ctx, ids)
	if err != nil {
		s.log.Warn("forum: digests", "err", err)
		return 0
	}
	byMember := map[string][]*forum.Notification{}
	actorSet := map[string]bool{}
	for _, n := range notes {
		byMember[n.MemberID] = append(byMember[n.MemberID], n)
		actorSet[n.ActorID] = true
	}
	actorIDs := make([]string, 0, len(actorSet))
	for id := range actorSet {
		actorIDs = append(actorIDs, id)
	}
	members, err := s.auth.MembersByID(ctx, append(ids, actorIDs...))
	if err != nil {
		s.log.Warn("forum: digests", "err", err)
		return 0
	}
	sent := 0
	for _, p := range due {
		claim, ok, err := s.forum.ClaimDigest(ctx, p.MemberID, p.LastDigest, now)
		if err != nil {
			s.log.Warn("forum: digests", "err", err, "member", p.MemberID)
			continue
		}
		if !ok {
			continue // another server is sending it, or has sent it
		}
		ns, m := byMember[p.MemberID], members[p.MemberID]
		// Marked mailed below even when left out: a thread the member may
		// no longer read is never mailed later either.
		shown, err := s.visibleNotes(ctx, m, ns)
		if err != nil {
			s.log.Warn("forum: digests", "err", err)
			if err := s.forum.ReleaseDigest(ctx, claim); err != nil {
				s.log.Error("forum: digest claim", "err", err, "member", p.MemberID)
			}
			return sent
		}
		if len(shown) > 0 && m != nil && m.Email != "" && m.Approved() {
			lang := memberLang(m)
			var body strings.Builder
			body.WriteString(s.catalog.T(lang, "mail.greeting", m.Name) + "\n\n")
			body.WriteString(s.catalog.T(lang, "forum.digest.intro."+p.Email, len(shown)) + "\n\n")
			for _, n := range shown {
				body.WriteString("- " + s.noteLine(lang, n, members) + "\n  " + s.cfg.BaseURL + fmt.Sprintf("/threads/%s/posts/%d", n.ThreadID, max(n.N, 1)) + "\n")
			}
			body.WriteString("\n")
			s.mailFooter(&body, lang, m.ID, "")
			err := s.outbox.Enqueue(ctx, mail.Message{To: m.Email, Subject: s.catalog.T(lang, "forum.digest.subject."+p.Email, len(shown)),
				Body: body.String(), Headers: s.unsubscribeHeaders(m.ID), Lang: lang, MemberID: m.ID})
			if err != nil {
				s.log.Error("forum: digest not queued", "err", err, "member", m.ID)
				if err := s.forum.ReleaseDigest(ctx, claim); err != nil {
					s.log.Error("forum: digest claim", "err", err, "member", m.ID)
				}
				continue // tried again at the next sweep
			}
			sent++
		}
		mailedIDs := make([]string, len(ns))
		for i, n := range ns {
			mailedIDs[i] = n.ID
		}
		// Sent: the claim stays. If these fail, the claim holds the digest
		// until its lease runs out, then it may go once more.
		if err := s.forum.MarkMailed(ctx, mailedIDs); err != nil {
			s.log.Error("forum: mark mailed", "err", err, "member", p.MemberID)
		}
		if err := s.forum.SetLastDigest(ctx, p.MemberID, now); err != nil {
			s.log.Error("forum: digest sent, not recorded", "err", err, "member", p.MemberID)
		}
	}
	return sent
}
