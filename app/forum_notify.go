package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/mail"
	"github.com/circularfairict/portal/resources"
)

// CanSee tells whether a member may see a category (and so its threads);
// the HTTP adapter builds it from the category and its group.
type CanSee func(*auth.Member) bool

// AfterPost tells everyone concerned about a new post: notifications for
// members who may see the thread (canSee; never muted ones), e-mails for
// those who want one per event, and a live event for open pages. Failures
// are logged: the post itself is stored.
func (a *App) AfterPost(ctx context.Context, t *forum.Thread, canSee CanSee, p *forum.Post) {
	if p.Held {
		return // announced when a moderator approves it
	}
	a.forumLive.Publish("thread."+t.ID, LiveEvent{Type: "post", Thread: t.ID, N: p.N})
	cands, err := a.forum.Candidates(ctx, t, p)
	if err != nil {
		a.logFor(ctx).Error("forum: notification candidates", "err", err)
		return
	}
	a.Deliver(ctx, canSee, cands)
}

// Deliver keeps the notifications whose member may see the category,
// stores them, pushes them to open pages and mails members who chose
// "each".
func (a *App) Deliver(ctx context.Context, canSee CanSee, ns []*forum.Notification) {
	if len(ns) == 0 {
		return
	}
	log := a.logFor(ctx)
	ids := make([]string, len(ns))
	for i, n := range ns {
		ids[i] = n.MemberID
	}
	members, err := a.auth.MembersByID(ctx, ids)
	if err != nil {
		log.Error("forum: notify", "err", err)
		return
	}
	var keep []*forum.Notification
	for _, n := range ns {
		if m := members[n.MemberID]; m != nil && canSee(m) {
			keep = append(keep, n)
		}
	}
	if err := a.forum.Notify(ctx, keep...); err != nil {
		log.Error("forum: notify", "err", err)
		return
	}
	for _, n := range keep {
		a.forumLive.Publish("member."+n.MemberID, LiveEvent{Type: "notify", Thread: n.ThreadID, N: n.N, Count: 1})
	}
	prefs, err := a.forum.PrefsOf(ctx, ids)
	if err != nil {
		log.Error("forum: notify prefs", "err", err)
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
	names, _ := a.auth.MembersByID(ctx, actorIDs)
	var mailed []string
	for _, n := range keep {
		m := members[n.MemberID]
		if prefs[n.MemberID].Email != forum.EmailEach || m.Email == "" {
			continue
		}
		lang := MemberLang(m)
		var body strings.Builder
		body.WriteString(a.catalog.T(lang, "mail.greeting", m.Name) + "\n\n")
		body.WriteString(a.NoteLine(lang, n, names) + "\n")
		body.WriteString(a.cfg.BaseURL + fmt.Sprintf("/threads/%s/posts/%d", n.ThreadID, max(n.N, 1)) + "\n\n")
		a.mailFooter(&body, lang, m.ID, n.ThreadID)
		a.SendMail(ctx, mail.Message{To: m.Email, Subject: a.catalog.T(lang, "forum.mail.subject", n.Title), Body: body.String(),
			Headers: a.unsubscribeHeaders(m.ID), Lang: lang, MemberID: m.ID})
		mailed = append(mailed, n.ID)
	}
	if err := a.forum.MarkMailed(ctx, mailed); err != nil {
		log.Error("forum: mark mailed", "err", err)
	}
}

// NotifyModeration tells a post's or thread's author (authorID) what a
// moderator (actorID) did and why; n is the post's number, 0 for the
// thread.
func (a *App) NotifyModeration(ctx context.Context, canSee CanSee, t *forum.Thread, n int, authorID, actorID, action, reason string) {
	if authorID == "" || actorID == "" || authorID == actorID {
		return
	}
	a.Deliver(ctx, canSee, []*forum.Notification{{MemberID: authorID, Kind: forum.NoteModeration, ThreadID: t.ID, Title: t.Title,
		N: n, ActorID: actorID, Action: action, Reason: reason}})
}

// ViewerOf describes a member for the library's visibility rules, from
// the auth policy functions: one query for the member's groups.
func (a *App) ViewerOf(ctx context.Context, m *auth.Member) (resources.Viewer, []*auth.Group, error) {
	if m == nil {
		return resources.Viewer{}, nil, nil
	}
	v := resources.Viewer{ID: m.ID, Approved: auth.CanUsePortal(m), All: auth.CanSeeAllContent(m)}
	if !v.Approved {
		return v, nil, nil
	}
	gs, err := a.auth.GroupsOf(ctx, m.ID)
	if err != nil {
		return v, nil, err
	}
	for _, g := range gs {
		v.Groups = append(v.Groups, g.ID)
	}
	return v, gs, nil
}

// VisibleNotes keeps the notifications whose thread m may see now. Each
// names its thread by title, and the right to read it may have ended
// since it was made: the member left or was removed from the group, or the
// thread was moved or held. Threads, categories, groups, resources and the
// member's groups are read once for the whole list.
func (a *App) VisibleNotes(ctx context.Context, m *auth.Member, ns []*forum.Notification) ([]*forum.Notification, error) {
	if len(ns) == 0 {
		return ns, nil
	}
	ids := make([]string, 0, len(ns))
	for _, n := range ns {
		ids = append(ids, n.ThreadID)
	}
	threads, err := a.forum.ThreadsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	cats, err := a.forum.Categories(ctx)
	if err != nil {
		return nil, err
	}
	groups, err := a.auth.Groups(ctx)
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
	rs, err := a.lib.ResourcesByID(ctx, rids)
	if err != nil {
		return nil, err
	}
	v, _, err := a.ViewerOf(ctx, m)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, t := range threads {
		cat := catByID[t.CategoryID]
		if cat == nil {
			continue
		}
		g := groupByID[cat.GroupID]
		if (cat.GroupID != "" && g == nil) || !auth.CanSeeCategory(m, g, cat.Visibility) || (t.Held && !auth.CanSeeHeld(m, g, t.AuthorID)) {
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

// NoteLine describes a notification in one sentence.
func (a *App) NoteLine(lang string, n *forum.Notification, names map[string]*auth.Member) string {
	actor := a.catalog.T(lang, "member.former")
	if m := names[n.ActorID]; m != nil && m.Status != auth.StatusDeleted {
		actor = m.Name
	}
	if n.Kind == forum.NoteModeration {
		line := a.catalog.T(lang, "forum.note.moderation", a.catalog.T(lang, "forum.mod.done."+n.Action), n.Title)
		if n.Reason != "" {
			line += "\n" + a.catalog.T(lang, "forum.note.reason", n.Reason)
		}
		return line
	}
	return a.catalog.T(lang, "forum.note."+n.Kind, actor, n.Title)
}

// mailFooter adds the unsubscribe links: this thread, and all e-mail.
func (a *App) mailFooter(b *strings.Builder, lang, memberID, threadID string) {
	b.WriteString("-- \n")
	if threadID != "" {
		b.WriteString(a.catalog.T(lang, "forum.mail.mute_thread") + "\n" + a.cfg.BaseURL + "/unsubscribe/" + a.signer.Token(memberID, forum.ScopeThread, threadID) + "\n")
	}
	b.WriteString(a.catalog.T(lang, "forum.mail.unsubscribe") + "\n" + a.cfg.BaseURL + "/unsubscribe/" + a.signer.Token(memberID, forum.ScopeEmail, "") + "\n")
	b.WriteString(a.catalog.T(lang, "forum.mail.settings") + "\n" + a.cfg.BaseURL + "/discussions/settings\n")
}

// unsubscribeHeaders lets mail clients offer one-click unsubscribe (RFC 8058).
func (a *App) unsubscribeHeaders(memberID string) map[string]string {
	return map[string]string{
		"List-Unsubscribe":      "<" + a.cfg.BaseURL + "/unsubscribe/" + a.signer.Token(memberID, forum.ScopeEmail, "") + ">",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	}
}

// SendDigests sends the daily and weekly digests that are due; the
// sweeper calls it periodically (an app-side job: no scheduler needed).
func (a *App) SendDigests(ctx context.Context) { a.SendDigestsAt(ctx, time.Now().UTC()) }

// SendDigestsAt is SendDigests as if it were now; it returns how many
// digests this call queued. Each member's digest is claimed first, so two
// replicas sweeping at once send it once.
func (a *App) SendDigestsAt(ctx context.Context, now time.Time) int {
	// Members who never chose get the default daily digest, counted from
	// their first notification.
	fresh, err := a.forum.DigestDefaults(ctx)
	if err != nil {
		a.log.Warn("forum: digests", "err", err)
		return 0
	}
	for _, id := range fresh {
		_ = a.forum.SetLastDigest(ctx, id, now)
	}
	due, err := a.forum.DigestDue(ctx, now)
	if err != nil {
		a.log.Warn("forum: digests", "err", err)
		return 0
	}
	if len(due) == 0 {
		return 0
	}
	ids := make([]string, len(due))
	for i, p := range due {
		ids[i] = p.MemberID
	}
	notes, err := a.forum.Unmailed(ctx, ids)
	if err != nil {
		a.log.Warn("forum: digests", "err", err)
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
	members, err := a.auth.MembersByID(ctx, append(ids, actorIDs...))
	if err != nil {
		a.log.Warn("forum: digests", "err", err)
		return 0
	}
	sent := 0
	for _, p := range due {
		claim, ok, err := a.forum.ClaimDigest(ctx, p.MemberID, p.LastDigest, now)
		if err != nil {
			a.log.Warn("forum: digests", "err", err, "member", p.MemberID)
			continue
		}
		if !ok {
			continue // another replica is sending it, or has sent it
		}
		ns, m := byMember[p.MemberID], members[p.MemberID]
		// Marked mailed below even when left out: a thread the member may
		// no longer read is never mailed later either.
		shown, err := a.VisibleNotes(ctx, m, ns)
		if err != nil {
			a.log.Warn("forum: digests", "err", err)
			if err := a.forum.ReleaseDigest(ctx, claim); err != nil {
				a.log.Error("forum: digest claim", "err", err, "member", p.MemberID)
			}
			return sent
		}
		if len(shown) > 0 && m != nil && m.Email != "" && m.Approved() {
			lang := MemberLang(m)
			var body strings.Builder
			body.WriteString(a.catalog.T(lang, "mail.greeting", m.Name) + "\n\n")
			body.WriteString(a.catalog.T(lang, "forum.digest.intro."+p.Email, len(shown)) + "\n\n")
			for _, n := range shown {
				body.WriteString("- " + a.NoteLine(lang, n, members) + "\n  " + a.cfg.BaseURL + fmt.Sprintf("/threads/%s/posts/%d", n.ThreadID, max(n.N, 1)) + "\n")
			}
			body.WriteString("\n")
			a.mailFooter(&body, lang, m.ID, "")
			err := a.outbox.Enqueue(ctx, mail.Message{To: m.Email, Subject: a.catalog.T(lang, "forum.digest.subject."+p.Email, len(shown)),
				Body: body.String(), Headers: a.unsubscribeHeaders(m.ID), Lang: lang, MemberID: m.ID})
			if err != nil {
				a.log.Error("forum: digest not queued", "err", err, "member", m.ID)
				if err := a.forum.ReleaseDigest(ctx, claim); err != nil {
					a.log.Error("forum: digest claim", "err", err, "member", m.ID)
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
		if err := a.forum.MarkMailed(ctx, mailedIDs); err != nil {
			a.log.Error("forum: mark mailed", "err", err, "member", p.MemberID)
		}
		if err := a.forum.SetLastDigest(ctx, p.MemberID, now); err != nil {
			a.log.Error("forum: digest sent, not recorded", "err", err, "member", p.MemberID)
		}
	}
	return sent
}
