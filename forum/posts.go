package forum

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/store"
)

// Reply adds a post to a thread and returns it. Rights (closed, locked,
// who may post) are the caller's: it only numbers and stores the post.
func (s *Store) Reply(ctx context.Context, threadID, authorID, body string, held bool, at time.Time) (*Post, error) {
	body, err := ValidateBody(body)
	if err != nil {
		return nil, err
	}
	if at.IsZero() {
		at = s.now()
	}
	// The number is claimed by inserting the post, whose _id is the thread
	// and number: of two replies on any servers one gets the number, the
	// other a duplicate key and the next free number after the thread's
	// settled LastN. No lock: the unique _id decides.
	t, err := s.Thread(ctx, threadID)
	if err != nil {
		return nil, err
	}
	p := s.newPost(t, t.LastN+1, authorID, body, at, held)
	for tries := 0; ; tries++ {
		_, err := s.col(colPosts).InsertOne(ctx, p)
		if err == nil {
			break
		}
		if !store.IsDuplicateKey(err) || tries == 100 {
			return nil, fmt.Errorf("forum: reply: %w", err)
		}
		if t, err = s.Thread(ctx, threadID); err != nil {
			return nil, err
		}
		p = s.newPost(t, max(p.N, t.LastN)+1, authorID, body, at, held)
	}
	// last_n is a hint for lists and unread counts; readers settle it (see
	// settle). It and the counts are written under the thread's lock, as
	// every write of the thread, taken once for both. The post is stored
	// already: if the lock stays taken (a server stopped holding it), the
	// reply skips these writes rather than wait for the lease, and the
	// next reader or write of the thread puts them right.
	ctx, unlock, ok, err := store.LockWithin(ctx, s.db, "forum/thread/"+threadID, replyLockWait)
	if err != nil {
		return nil, fmt.Errorf("forum: reply: %w", err)
	}
	if !ok {
		return p, nil
	}
	defer unlock()
	if _, err := s.col(colThreads).UpdateOne(ctx, bson.M{"_id": threadID}, bson.M{"$max": bson.M{"last_n": p.N}}); err != nil {
		return nil, fmt.Errorf("forum: reply: %w", err)
	}
	if !held {
		if err := s.refreshHeld(ctx, threadID); err != nil {
			return nil, err
		}
	}
	// The opening post's document carries the thread's latest activity.
	s.changed(ctx, threadID, 1, p.N)
	return p, nil
}

// Post returns post n of a thread.
func (s *Store) Post(ctx context.Context, threadID string, n int) (*Post, error) {
	var p Post
	if err := s.findOne(ctx, colPosts, bson.M{"_id": PostID(threadID, n)}, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Posts returns the posts of one page of a thread in order, in one query by
// _id: post IDs are derived from their numbers. The page is bounded by its
// numbers, not by t.LastN, so a post claimed after t was read still shows.
func (s *Store) Posts(ctx context.Context, t *Thread, page int) ([]*Post, error) {
	from := (page-1)*PageSize + 1
	to := page * PageSize
	ids := make([]string, 0, PageSize)
	for n := from; n <= to; n++ {
		ids = append(ids, PostID(t.ID, n))
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return findIDs[*Post](ctx, s, colPosts, ids, nil) // in the order of ids: by number
}

// AllPosts returns every post of a thread in order (feeds, API, split).
func (s *Store) AllPosts(ctx context.Context, threadID string, limit int) ([]*Post, error) {
	var ps []*Post
	err := s.findAll(ctx, colPosts, bson.M{"thread_id": threadID}, options.Find().SetSort(bson.D{{Key: "n", Value: 1}}).SetLimit(int64(limit)), &ps)
	return ps, err
}

// EditPost replaces a post's body, keeping the previous one in its history.
func (s *Store) EditPost(ctx context.Context, threadID string, n int, editorID, body string) (*Post, error) {
	body, err := ValidateBody(body)
	if err != nil {
		return nil, err
	}
	// The history is a read-modify-write of the post, under the post's
	// lock (a claimed _id, held across servers), so two editors on two
	// servers both land in the history; the body filter stays as a second
	// guard against a writer that takes no lock.
	ctx, unlock, err := s.lock(ctx, "post/"+PostID(threadID, n))
	if err != nil {
		return nil, err
	}
	defer unlock()
	for tries := 0; ; tries++ {
		p, err := s.Post(ctx, threadID, n)
		if err != nil {
			return nil, err
		}
		if p.Deleted {
			return nil, fault.New(fault.Conflict, "forum.error.deleted")
		}
		if body == p.Body {
			return p, nil
		}
		history := append(p.History, Edit{At: p.CreatedAt, By: p.AuthorID, Body: p.Body})
		if !p.EditedAt.IsZero() {
			history[len(history)-1].At = p.EditedAt
		}
		if len(history) > maxHistory {
			history = history[len(history)-maxHistory:]
		}
		now := s.now()
		res, err := store.UpdateByIDIf(ctx, s.col(colPosts), p.ID, bson.M{"body": p.Body}, bson.M{"$set": bson.M{
			"body": body, "html": s.md.HTML(body), "edited_at": now, "history": history, "updated_at": now,
			"mentions": nonNil(Mentions(body)), "quotes": nonNilInts(Quotes(body, threadID)), "resources": nonNil(ResourceLinks(body)),
		}}, s.byID)
		if err != nil {
			return nil, fmt.Errorf("forum: edit post: %w", err)
		}
		if res.MatchedCount == 1 {
			break
		}
		if tries == 5 {
			return nil, fault.New(fault.Conflict, "error.409")
		}
	}
	s.changed(ctx, threadID, n)
	return s.Post(ctx, threadID, n)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilInts(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}

// DeletePost soft-deletes a post: a placeholder stays so replies keep their
// context; the text is removed from search.
func (s *Store) DeletePost(ctx context.Context, threadID string, n int, by string) error {
	return s.updatePost(ctx, threadID, n, bson.M{"deleted": true, "deleted_by": by})
}

// SetHidden hides a post (moderation) with a reason shown to its author, or
// shows it again.
func (s *Store) SetHidden(ctx context.Context, threadID string, n int, hidden bool, reason string) error {
	set := bson.M{"hidden": hidden, "hidden_reason": reason}
	if !hidden {
		set["hidden_reason"] = ""
	}
	return s.updatePost(ctx, threadID, n, set)
}

// ApprovePost releases a held post (and its thread, for an opening post).
func (s *Store) ApprovePost(ctx context.Context, threadID string, n int) error {
	if err := s.updatePost(ctx, threadID, n, bson.M{"held": false}); err != nil {
		return err
	}
	if n == 1 {
		if err := s.setThread(ctx, threadID, bson.M{"held": false}); err != nil {
			return err
		}
		if err := s.refresh(ctx, threadID); err != nil {
			return err
		}
		s.changedThread(ctx, threadID)
	}
	return nil
}

func (s *Store) updatePost(ctx context.Context, threadID string, n int, set bson.M) error {
	set["updated_at"] = s.now()
	lctx, unlock, err := s.lock(ctx, "post/"+PostID(threadID, n))
	if err != nil {
		return err
	}
	res, err := s.col(colPosts).UpdateOne(lctx, bson.M{"_id": PostID(threadID, n)}, bson.M{"$set": set})
	unlock()
	if err != nil {
		return fmt.Errorf("forum: update post: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	if err := s.refresh(ctx, threadID); err != nil {
		return err
	}
	s.changed(ctx, threadID, 1, n)
	return nil
}

// React toggles a member's reaction on a post and reports whether it is on.
func (s *Store) React(ctx context.Context, threadID string, n int, memberID, key string) (bool, error) {
	if !slices.Contains(Reactions, key) {
		return false, invalid("reaction", "forum.error.reaction")
	}
	ctx, unlock, err := s.lock(ctx, "post/"+PostID(threadID, n))
	if err != nil {
		return false, err
	}
	defer unlock()
	p, err := s.Post(ctx, threadID, n)
	if err != nil {
		return false, err
	}
	on := !slices.Contains(p.Reactions[key], memberID)
	op := "$pull"
	if on {
		op = "$addToSet"
	}
	if p.Reactions == nil { // $addToSet needs a document to put the array in
		if _, err := s.col(colPosts).UpdateOne(ctx, bson.M{"_id": p.ID}, bson.M{"$set": bson.M{"reactions": bson.M{}}}); err != nil {
			return false, fmt.Errorf("forum: react: %w", err)
		}
	}
	if _, err := s.col(colPosts).UpdateOne(ctx, bson.M{"_id": p.ID}, bson.M{op: bson.M{"reactions." + key: memberID}}); err != nil {
		return false, fmt.Errorf("forum: react: %w", err)
	}
	return on, nil
}

// Accept marks post n as the accepted answer of a question (0 clears it).
func (s *Store) Accept(ctx context.Context, threadID string, n int) error {
	if err := s.setThread(ctx, threadID, bson.M{"accepted": n}); err != nil {
		return err
	}
	s.changedThread(ctx, threadID) // solved or not is a filter on every post
	return nil
}

// Split moves posts fromN..end of a thread into a new thread in the same
// category, renumbered from 1, and returns it. Without transactions the
// steps are ordered so a retry completes the job: the new thread's posts
// get deterministic IDs (upserts), then the old posts go, then counters.
func (s *Store) Split(ctx context.Context, threadID string, fromN int, title string) (*Thread, error) {
	title, err := ValidateTitle(title)
	if err != nil {
		return nil, err
	}
	ctx, unlock, err := s.lock(ctx, "thread/"+threadID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	old, err := s.Thread(ctx, threadID)
	if err != nil {
		return nil, err
	}
	if fromN < 2 || fromN > old.LastN {
		return nil, invalid("from", "forum.error.split_from")
	}
	var moving []*Post
	if err := s.findAll(ctx, colPosts, bson.M{"thread_id": threadID, "n": bson.M{"$gte": fromN}}, options.Find().SetSort(bson.D{{Key: "n", Value: 1}}), &moving); err != nil {
		return nil, err
	}
	if len(moving) == 0 {
		return nil, invalid("from", "forum.error.split_from")
	}
	first := moving[0]
	nt := &Thread{ID: store.NewID(), CategoryID: old.CategoryID, GroupID: old.GroupID, Title: title, Kind: KindDiscussion,
		AuthorID: first.AuthorID, Tags: old.Tags, LastN: len(moving), CreatedAt: first.CreatedAt, LastPostAt: moving[len(moving)-1].CreatedAt,
		LastAuthor: moving[len(moving)-1].AuthorID, UpdatedAt: s.now()}
	for i, p := range moving {
		np := *p
		np.ID, np.ThreadID, np.N = PostID(nt.ID, i+1), nt.ID, i+1
		np.Quotes = nil // numbers changed; the links in the text still lead to the old thread
		np.UpdatedAt = s.now()
		if _, err := s.col(colPosts).ReplaceOne(ctx, bson.M{"_id": np.ID}, np, options.Replace().SetUpsert(true)); err != nil {
			return nil, fmt.Errorf("forum: split: %w", err)
		}
	}
	if _, err := s.col(colThreads).InsertOne(ctx, nt); err != nil {
		return nil, fmt.Errorf("forum: split: %w", err)
	}
	// Only the posts moved: a reply claimed meanwhile (replies take no
	// lock) stays, and settle finds it past the new last_n.
	if _, err := s.col(colPosts).DeleteMany(ctx, bson.M{"_id": bson.M{"$in": ids(moving)}}); err != nil {
		return nil, fmt.Errorf("forum: split: %w", err)
	}
	set := bson.M{"last_n": fromN - 1}
	if old.Accepted >= fromN {
		set["accepted"] = 0
	}
	if err := s.setThreadHeld(ctx, threadID, set); err != nil {
		return nil, err
	}
	if err := s.refreshHeld(ctx, threadID); err != nil {
		return nil, err
	}
	if err := s.refresh(ctx, nt.ID); err != nil {
		return nil, err
	}
	_, _ = s.col(colFlags).DeleteMany(ctx, bson.M{"thread_id": threadID, "post_id": bson.M{"$in": ids(moving)}})
	if s.onChange != nil {
		s.onChange(ctx, ids(moving)) // gone from the old thread
	}
	s.changed(ctx, threadID, 1)
	s.changedThread(ctx, nt.ID)
	return s.Thread(ctx, nt.ID)
}

func ids(ps []*Post) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// HeldPosts returns posts waiting for review in the given groups ("" is
// portal-wide); all is for moderators who review everything.
func (s *Store) HeldPosts(ctx context.Context, groupIDs []string, all bool) ([]*Post, error) {
	f := bson.M{"held": true, "deleted": false}
	if !all {
		f["group_id"] = bson.M{"$in": groupIDs}
	}
	var ps []*Post
	err := s.findAll(ctx, colPosts, f, options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}).SetLimit(200), &ps)
	return ps, err
}

// ValidateReason checks a moderation or flag reason.
func ValidateReason(reason string, required bool) (string, error) {
	reason = strings.TrimSpace(reason)
	if required && reason == "" {
		return "", invalid("reason", "forum.error.reason")
	}
	if utf8.RuneCountInString(reason) > MaxReason {
		return "", invalid("reason", "forum.error.too_long", MaxReason)
	}
	return reason, nil
}

// ImportedReply is one reply of ImportReplies.
type ImportedReply struct {
	AuthorID, Body string
	At             time.Time
}

// ImportReplies appends replies to a thread in one ordered insert, numbered
// after its last post, each written as Reply writes it, then brings the
// thread's hint and counts up to date once. It is for seeding and imports,
// where a thread gets many replies at once and Reply's per-post refresh
// would cost one pass over the thread's posts each: posts claim their
// numbers by _id as in Reply, so a reply of a member racing the import gets
// a duplicate key here, which is returned (nothing is renumbered).
func (s *Store) ImportReplies(ctx context.Context, threadID string, replies []ImportedReply) error {
	if len(replies) == 0 {
		return nil
	}
	t, err := s.Thread(ctx, threadID)
	if err != nil {
		return err
	}
	docs := make([]any, len(replies))
	for i, r := range replies {
		body, err := ValidateBody(r.Body)
		if err != nil {
			return err
		}
		if r.At.IsZero() {
			r.At = s.now()
		}
		docs[i] = s.newPost(t, t.LastN+1+i, r.AuthorID, body, r.At, false)
	}
	if _, err := s.col(colPosts).InsertMany(ctx, docs); err != nil {
		return fmt.Errorf("forum: import replies: %w", err)
	}
	if _, err := s.col(colThreads).UpdateOne(ctx, bson.M{"_id": threadID}, bson.M{"$max": bson.M{"last_n": t.LastN + len(replies)}}); err != nil {
		return fmt.Errorf("forum: import replies: %w", err)
	}
	return s.refresh(ctx, threadID)
}
