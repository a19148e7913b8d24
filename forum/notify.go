package forum

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/store"
)

// Subscription is a member's level for a thread or a category.
type Subscription struct {
	ID       string `bson:"_id"`
	MemberID string `bson:"member_id"`
	TargetID string `bson:"target_id"` // thread or category ID
	Level    string `bson:"level"`
}

// SetLevel stores a member's level for a thread or category.
func (s *Store) SetLevel(ctx context.Context, memberID, targetID, level string) error {
	if level != Watch && level != Track && level != Mute {
		return invalid("level", "forum.error.level")
	}
	id := memberID + ":" + targetID
	_, err := s.col(colSubs).ReplaceOne(ctx, bson.M{"_id": id}, Subscription{ID: id, MemberID: memberID, TargetID: targetID, Level: level}, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("forum: subscription: %w", err)
	}
	// The member's document copies the subscription as it is once the
	// lock is held, not the level this call wrote: of two changes at once
	// on two servers, the later lock holder reads after both writes, so
	// the copy ends equal to the subscription the notifications read.
	var readErr error
	if err := s.updateMemberState(ctx, memberID, func(ms *memberState) bool {
		var sub Subscription
		if readErr = s.findOne(ctx, colSubs, bson.M{"_id": id}, &sub); readErr != nil {
			return false
		}
		ms.Levels[targetID] = sub.Level
		return true
	}); err != nil {
		return err
	}
	return readErr
}

// Levels returns a member's stored levels for the targets, from the
// member's document (one lookup).
func (s *Store) Levels(ctx context.Context, memberID string, targetIDs ...string) (map[string]string, error) {
	out := map[string]string{}
	if memberID == "" {
		return out, nil
	}
	ms, err := s.memberState(ctx, memberID)
	if err != nil {
		return nil, err
	}
	for _, t := range targetIDs {
		if l, ok := ms.Levels[t]; ok {
			out[t] = l
		}
	}
	return out, nil
}

// MemberLevels returns every level a member set, keyed by target, from the
// member's document (one lookup).
func (s *Store) MemberLevels(ctx context.Context, memberID string) (map[string]string, error) {
	out := map[string]string{}
	if memberID == "" {
		return out, nil
	}
	ms, err := s.memberState(ctx, memberID)
	if err != nil {
		return nil, err
	}
	for t, l := range ms.Levels {
		out[t] = l
	}
	return out, nil
}

// Effective combines a thread level with its category's: the thread's
// own choice wins, then the category's, then Track.
func Effective(threadLevel, categoryLevel string) string {
	switch {
	case threadLevel != "":
		return threadLevel
	case categoryLevel != "":
		return categoryLevel
	}
	return Track
}

// Candidates computes who should hear about a new post, one notification
// per member (mention before quote before reply), respecting mutes. The
// caller removes members who may not see the thread, then calls Notify.
func (s *Store) Candidates(ctx context.Context, t *Thread, p *Post) ([]*Notification, error) {
	var subs []Subscription
	if err := s.findAll(ctx, colSubs, bson.M{"target_id": bson.M{"$in": bson.A{t.ID, t.CategoryID}}}, nil, &subs); err != nil {
		return nil, err
	}
	thread, cat := map[string]string{}, map[string]string{}
	for _, sub := range subs {
		if sub.TargetID == t.ID {
			thread[sub.MemberID] = sub.Level
		} else {
			cat[sub.MemberID] = sub.Level
		}
	}
	level := func(m string) string { return Effective(thread[m], cat[m]) }
	kinds := map[string]string{}
	rank := map[string]int{NoteReply: 1, NoteQuote: 2, NoteMention: 3}
	add := func(member, kind string) {
		if member == "" || member == p.AuthorID || level(member) == Mute {
			return
		}
		if rank[kind] > rank[kinds[member]] {
			kinds[member] = kind
		}
	}
	for m := range thread {
		if level(m) == Watch {
			add(m, NoteReply)
		}
	}
	for m := range cat {
		if level(m) == Watch {
			add(m, NoteReply)
		}
	}
	if p.N > 1 {
		add(t.AuthorID, NoteReply)
	}
	if len(p.Quotes) > 0 {
		ids := make([]string, len(p.Quotes))
		for i, n := range p.Quotes {
			ids[i] = PostID(t.ID, n)
		}
		quoted, err := findIDs[Post](ctx, s, colPosts, ids, bson.M{"author_id": 1})
		if err != nil {
			return nil, err
		}
		for _, q := range quoted {
			add(q.AuthorID, NoteQuote)
		}
	}
	for _, m := range p.Mentions {
		add(m, NoteMention)
	}
	out := make([]*Notification, 0, len(kinds))
	for m, k := range kinds {
		out = append(out, &Notification{MemberID: m, Kind: k, ThreadID: t.ID, Title: t.Title, N: p.N, ActorID: p.AuthorID})
	}
	slices.SortFunc(out, func(a, b *Notification) int {
		if a.MemberID < b.MemberID {
			return -1
		}
		return 1
	})
	return out, nil
}

// Notify stores notifications (ID and time set here) and names them in
// their members' inboxes.
func (s *Store) Notify(ctx context.Context, ns ...*Notification) error {
	if len(ns) == 0 {
		return nil
	}
	docs := make([]any, len(ns))
	for i, n := range ns {
		n.ID, n.CreatedAt = store.NewID(), s.now()
		docs[i] = n
	}
	if _, err := s.col(colNotifications).InsertMany(ctx, docs, options.InsertMany().SetOrdered(true)); err != nil {
		return fmt.Errorf("forum: notify: %w", err)
	}
	return s.addToInboxes(ctx, ns)
}

// Notifications returns a member's latest notifications, newest first,
// read by _id from the member's inbox.
func (s *Store) Notifications(ctx context.Context, memberID string, limit int) ([]*Notification, error) {
	if limit > inboxLatest {
		var ns []*Notification
		err := s.findAll(ctx, colNotifications, bson.M{"member_id": memberID}, options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit)), &ns)
		return ns, err
	}
	in, err := s.loadInbox(ctx, memberID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, limit)
	for _, e := range in.Latest {
		if len(ids) == limit {
			break
		}
		ids = append(ids, e.ID)
	}
	ns, err := findIDs[*Notification](ctx, s, colNotifications, ids, nil)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ns, func(a, b *Notification) int {
		return newestFirst(inboxEntry{ID: a.ID, At: a.CreatedAt}, inboxEntry{ID: b.ID, At: b.CreatedAt})
	})
	return ns, nil
}

// NotificationsPage returns one page of size of a member's latest
// notifications (those the inbox names, at most 100), newest first, page
// counted from 1 and kept within the pages there are, and how many the
// inbox names in all. Each shown notification, its thread and its actor
// are read by _id, so a page of 25 costs a quarter of the 100.
func (s *Store) NotificationsPage(ctx context.Context, memberID string, page, size int) ([]*Notification, int, error) {
	in, err := s.loadInbox(ctx, memberID)
	if err != nil {
		return nil, 0, err
	}
	if err := s.mendBell(ctx, in); err != nil {
		return nil, 0, err
	}
	total := len(in.Latest)
	from := min(max(page, 1)-1, max(total-1, 0)/size) * size
	ids := make([]string, 0, size)
	for _, e := range in.Latest[from:min(from+size, total)] {
		ids = append(ids, e.ID)
	}
	ns, err := findIDs[*Notification](ctx, s, colNotifications, ids, nil)
	if err != nil {
		return nil, 0, err
	}
	slices.SortFunc(ns, func(a, b *Notification) int {
		return newestFirst(inboxEntry{ID: a.ID, At: a.CreatedAt}, inboxEntry{ID: b.ID, At: b.CreatedAt})
	})
	return ns, total, nil
}

// UnreadNotifications counts a member's unread notifications, from the
// member's bell.
func (s *Store) UnreadNotifications(ctx context.Context, memberID string) (int, error) {
	n, err := s.loadBell(ctx, memberID)
	if err != nil {
		return 0, fmt.Errorf("forum: count notifications: %w", err)
	}
	return n, nil
}

// MarkNotificationsRead marks a member's notifications read: those of one
// thread, or all when threadID is empty. The bell counts the unread ones
// and the inbox names them, so a thread view with nothing to mark costs
// the bell's read by _id, or the inbox's when something is unread.
func (s *Store) MarkNotificationsRead(ctx context.Context, memberID, threadID string) error {
	match := func(e inboxEntry) bool { return threadID == "" || e.ThreadID == threadID }
	if n, err := s.loadBell(ctx, memberID); err != nil {
		return err
	} else if n == 0 {
		return nil
	}
	in, err := s.loadInbox(ctx, memberID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(in.Unread, match) {
		return nil
	}
	return s.locked(ctx, "inbox/"+memberID, func(ctx context.Context) error {
		in, err := s.inboxLocked(ctx, memberID)
		if err != nil {
			return err
		}
		keep := in.Unread[:0]
		for _, e := range in.Unread {
			if !match(e) {
				keep = append(keep, e)
				continue
			}
			if _, err := s.col(colNotifications).UpdateOne(ctx, bson.M{"_id": e.ID}, bson.M{"$set": bson.M{"read": true}}); err != nil {
				return fmt.Errorf("forum: notifications read: %w", err)
			}
		}
		in.Unread = keep
		return s.saveInbox(ctx, in)
	})
}

// Unmailed returns the notifications of members not yet sent by e-mail.
func (s *Store) Unmailed(ctx context.Context, memberIDs []string) ([]*Notification, error) {
	var ns []*Notification
	if len(memberIDs) == 0 {
		return ns, nil
	}
	err := s.findAll(ctx, colNotifications, bson.M{"member_id": bson.M{"$in": memberIDs}, "mailed": false},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}).SetLimit(5000), &ns)
	return ns, err
}

// MarkMailed records that notifications went out by e-mail.
func (s *Store) MarkMailed(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.col(colNotifications).UpdateMany(ctx, bson.M{"_id": bson.M{"$in": ids}}, bson.M{"$set": bson.M{"mailed": true}})
	if err != nil {
		return fmt.Errorf("forum: mark mailed: %w", err)
	}
	return nil
}

// DefaultEmail is the e-mail mode of members who never chose one.
const DefaultEmail = EmailDaily

// Prefs returns a member's preferences, with defaults when none are stored.
func (s *Store) Prefs(ctx context.Context, memberID string) (*Prefs, error) {
	ps, err := s.PrefsOf(ctx, []string{memberID})
	if err != nil {
		return nil, err
	}
	return ps[memberID], nil
}

// PrefsOf returns the preferences of several members in one query.
func (s *Store) PrefsOf(ctx context.Context, memberIDs []string) (map[string]*Prefs, error) {
	out := map[string]*Prefs{}
	ps, err := findIDs[*Prefs](ctx, s, colPrefs, memberIDs, nil)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		out[p.MemberID] = p
	}
	for _, id := range memberIDs {
		if out[id] == nil {
			out[id] = &Prefs{MemberID: id, Email: DefaultEmail}
		}
	}
	return out, nil
}

// SetEmail stores a member's e-mail mode.
func (s *Store) SetEmail(ctx context.Context, memberID, mode string) error {
	if !slices.Contains(EmailModes, mode) {
		return invalid("email", "forum.error.email_mode")
	}
	_, err := s.col(colPrefs).UpdateOne(ctx, bson.M{"_id": memberID}, bson.M{"$set": bson.M{"email": mode},
		"$setOnInsert": bson.M{"last_digest": s.now()}}, options.Update().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("forum: prefs: %w", err)
	}
	return nil
}

// visitGap separates two visits to the discussions.
const visitGap = time.Hour

// TouchVisit records a visit to the discussions and returns when the
// previous visit started (zero on a first visit).
func (s *Store) TouchVisit(ctx context.Context, memberID string) (time.Time, error) {
	// No lock: two visits at once read the same seen_at and compute the
	// same prev_visit, or the later one reads the earlier one's fresh
	// seen_at and keeps prev_visit; either way the result is the same.
	p, err := s.Prefs(ctx, memberID)
	if err != nil {
		return time.Time{}, err
	}
	now := s.now()
	set := bson.M{"seen_at": now}
	prev := p.PrevVisit
	if !p.SeenAt.IsZero() && now.Sub(p.SeenAt) > visitGap {
		prev = p.SeenAt
		set["prev_visit"] = prev
	}
	_, err = s.col(colPrefs).UpdateOne(ctx, bson.M{"_id": memberID}, bson.M{"$set": set,
		"$setOnInsert": bson.M{"email": p.Email, "last_digest": now}}, options.Update().SetUpsert(true))
	if err != nil {
		return prev, fmt.Errorf("forum: visit: %w", err)
	}
	return prev, nil
}

// DigestDue returns members whose daily or weekly digest is due at now.
func (s *Store) DigestDue(ctx context.Context, now time.Time) ([]*Prefs, error) {
	var ps []*Prefs
	err := s.findAll(ctx, colPrefs, bson.M{"$or": bson.A{
		bson.M{"email": EmailDaily, "last_digest": bson.M{"$lte": now.Add(-24 * time.Hour)}},
		bson.M{"email": EmailWeekly, "last_digest": bson.M{"$lte": now.Add(-7 * 24 * time.Hour)}},
	}}, nil, &ps)
	return ps, err
}

// DigestDefaults returns members with unmailed notifications and no stored
// preferences: they get the default (daily) digest.
func (s *Store) DigestDefaults(ctx context.Context) ([]string, error) {
	// Not distinct: FerretDB 1.24 refuses the maxTimeMS field the driver
	// adds to distinct under a client-side timeout.
	var raw []Notification
	if err := s.findAll(ctx, colNotifications, bson.M{"mailed": false}, options.Find().SetProjection(bson.M{"member_id": 1}).SetLimit(20000), &raw); err != nil {
		return nil, err
	}
	var ids []string
	seen := map[string]bool{}
	for _, n := range raw {
		if !seen[n.MemberID] {
			seen[n.MemberID] = true
			ids = append(ids, n.MemberID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	have, err := findIDs[Prefs](ctx, s, colPrefs, ids, bson.M{"_id": 1})
	if err != nil {
		return nil, err
	}
	stored := map[string]bool{}
	for _, p := range have {
		stored[p.MemberID] = true
	}
	var out []string
	for _, id := range ids {
		if !stored[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// digestLease is how long a server may take over one member's digest
// before another may take it over (see ClaimDigest).
const digestLease = 10 * time.Minute

// ClaimDigest claims the digest of a member that is due since lastDigest
// (as DigestDue read it) and returns the claim's id, for ReleaseDigest.
// Of several servers running the digest job at once exactly one gets it:
// the claim is a document whose _id names the member and lastDigest
// (store.ClaimLease). It is a lease: if its holder stops before
// SetLastDigest moves lastDigest on, another server sends the digest once
// the lease has run out, so a digest is never lost, and is sent twice only
// when SetLastDigest fails after the mail went out.
func (s *Store) ClaimDigest(ctx context.Context, memberID string, lastDigest, now time.Time) (string, bool, error) {
	key := "digest:" + memberID + ":" + lastDigest.UTC().Format(time.RFC3339Nano)
	return store.ClaimLease(ctx, s.db, key, now, digestLease)
}

// PruneDigestClaims deletes digest claims older than a week: their period
// has moved on (SetLastDigest) long since, so nothing claims them again.
func (s *Store) PruneDigestClaims(ctx context.Context, now time.Time) (int64, error) {
	return store.PruneClaims(ctx, s.db, "digest:", now.Add(-7*24*time.Hour))
}

// ReleaseDigest gives a digest claim up (its mail failed), so that the next
// run of the job, on any server, tries again.
func (s *Store) ReleaseDigest(ctx context.Context, claim string) error {
	return store.Release(ctx, s.db, claim)
}

// SetLastDigest records when a member's digest went out.
func (s *Store) SetLastDigest(ctx context.Context, memberID string, at time.Time) error {
	_, err := s.col(colPrefs).UpdateOne(ctx, bson.M{"_id": memberID}, bson.M{"$set": bson.M{"last_digest": at},
		"$setOnInsert": bson.M{"email": DefaultEmail}}, options.Update().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("forum: digest: %w", err)
	}
	return nil
}

// Read is how far a member read a thread.
type Read struct {
	ID       string    `bson:"_id"`
	MemberID string    `bson:"member_id"`
	ThreadID string    `bson:"thread_id"`
	LastN    int       `bson:"last_n"`
	At       time.Time `bson:"at"`
}

// MarkRead records that a member read a thread up to post n (never back),
// in the member's document under its lock (see memberState): the lock is
// a claim, so two tabs on two servers marking at once take turns and the
// later one keeps the higher number. A view that moves nothing writes
// nothing and takes no lock.
func (s *Store) MarkRead(ctx context.Context, memberID, threadID string, n int) error {
	if memberID == "" {
		return nil
	}
	ms, err := s.memberState(ctx, memberID)
	if err != nil {
		return err
	}
	if ms.Reads[threadID].N >= n {
		return nil
	}
	return s.updateMemberState(ctx, memberID, func(ms *memberState) bool {
		if ms.Reads[threadID].N >= n {
			return false
		}
		ms.Reads[threadID] = readMark{N: n, At: s.now()}
		return true
	})
}

// Reads returns how far a member read each thread (all threads when ids
// is nil), keyed by thread, from the member's document (one lookup).
func (s *Store) Reads(ctx context.Context, memberID string, threadIDs []string) (map[string]int, error) {
	out := map[string]int{}
	if memberID == "" {
		return out, nil
	}
	ms, err := s.memberState(ctx, memberID)
	if err != nil {
		return nil, err
	}
	if threadIDs == nil {
		for t, r := range ms.Reads {
			out[t] = r.N
		}
		return out, nil
	}
	for _, t := range threadIDs {
		if r, ok := ms.Reads[t]; ok {
			out[t] = r.N
		}
	}
	return out, nil
}

// CreateFlag stores a member's flag on a post; flagging twice is one flag.
func (s *Store) CreateFlag(ctx context.Context, p *Post, memberID, reason, note string) error {
	if !slices.Contains(FlagReasons, reason) {
		return invalid("reason", "forum.error.flag_reason")
	}
	note, err := ValidateReason(note, reason == "other")
	if err != nil {
		return err
	}
	f := Flag{ID: p.ID + ":" + memberID, PostID: p.ID, ThreadID: p.ThreadID, GroupID: p.GroupID, MemberID: memberID,
		Reason: reason, Note: note, CreatedAt: s.now(), Open: true}
	if _, err := s.col(colFlags).ReplaceOne(ctx, bson.M{"_id": f.ID}, f, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("forum: flag: %w", err)
	}
	return nil
}

// OpenFlags returns open flags in the given groups ("" portal-wide), or
// all of them.
func (s *Store) OpenFlags(ctx context.Context, groupIDs []string, all bool) ([]*Flag, error) {
	f := bson.M{"open": true}
	if !all {
		f["group_id"] = bson.M{"$in": groupIDs}
	}
	var fs []*Flag
	err := s.findAll(ctx, colFlags, f, options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}).SetLimit(200), &fs)
	return fs, err
}

// ResolveFlags closes the open flags of a post.
func (s *Store) ResolveFlags(ctx context.Context, postID, by string) error {
	_, err := s.col(colFlags).UpdateMany(ctx, bson.M{"post_id": postID, "open": true}, bson.M{"$set": bson.M{"open": false, "resolved_by": by}})
	if err != nil {
		return fmt.Errorf("forum: resolve flags: %w", err)
	}
	return nil
}

// PostsByID returns posts keyed by ID, in one query.
func (s *Store) PostsByID(ctx context.Context, ids []string) (map[string]*Post, error) {
	out := map[string]*Post{}
	if len(ids) == 0 {
		return out, nil
	}
	ps, err := findIDs[*Post](ctx, s, colPosts, ids, bson.M{"history": 0})
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		out[p.ID] = p
	}
	return out, nil
}

var _ = mongo.ErrNoDocuments
