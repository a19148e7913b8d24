package forum

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/textindex"
)

// NewThread is what a member submits to start a thread.
type NewThread struct {
	Category   *Category
	AuthorID   string
	Title      string
	Body       string
	Kind       string
	Tags       string // comma-separated, as typed
	ResourceID string
	// Held keeps the thread for review (decided by the caller from the
	// group's setting and the member's history).
	Held bool
	// At dates the thread (the demo seed); zero means now.
	At time.Time
}

// ParseTags normalises comma-separated tags: folded, slugged, distinct.
func ParseTags(s string) ([]string, error) {
	out := []string{}
	for _, raw := range strings.Split(s, ",") {
		t := Slugify(textindex.Fold(strings.TrimSpace(raw)))
		if t == "" || slices.Contains(out, t) {
			continue
		}
		if utf8.RuneCountInString(t) > MaxTag {
			return nil, invalid("tags", "forum.error.tag_long", MaxTag)
		}
		out = append(out, t)
	}
	if len(out) > MaxTags {
		return nil, invalid("tags", "forum.error.tags_many", MaxTags)
	}
	return out, nil
}

// ValidateBody checks a post's Markdown.
func ValidateBody(body string) (string, error) {
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	if body == "" {
		return "", invalid("body", "forum.error.body_empty")
	}
	if !utf8.ValidString(body) {
		return "", invalid("body", "forum.error.body_empty")
	}
	if len(body) > bodyCapByte || utf8.RuneCountInString(body) > MaxBody {
		return "", invalid("body", "forum.error.too_long", MaxBody)
	}
	return body, nil
}

// ValidateTitle checks a thread title.
func ValidateTitle(title string) (string, error) {
	title = strings.Join(strings.Fields(title), " ")
	if utf8.RuneCountInString(title) < 5 {
		return "", invalid("title", "forum.error.title_short")
	}
	if utf8.RuneCountInString(title) > MaxTitle {
		return "", invalid("title", "forum.error.too_long", MaxTitle)
	}
	return title, nil
}

// CreateThread validates and stores a thread with its opening post.
func (s *Store) CreateThread(ctx context.Context, nt NewThread) (*Thread, *Post, error) {
	t, p, err := s.newThread(nt, store.NewID())
	if err != nil {
		return nil, nil, err
	}
	// The post first: a thread never points to a missing opening post.
	if _, err := s.col(colPosts).InsertOne(ctx, p); err != nil {
		return nil, nil, fmt.Errorf("forum: create post: %w", err)
	}
	if _, err := s.col(colThreads).InsertOne(ctx, t); err != nil {
		return nil, nil, fmt.Errorf("forum: create thread: %w", err)
	}
	s.changed(ctx, t.ID, 1)
	return t, p, nil
}

// newThread validates nt and builds the thread id and its opening post.
func (s *Store) newThread(nt NewThread, id string) (*Thread, *Post, error) {
	title, err := ValidateTitle(nt.Title)
	if err != nil {
		return nil, nil, err
	}
	body, err := ValidateBody(nt.Body)
	if err != nil {
		return nil, nil, err
	}
	tags, err := ParseTags(nt.Tags)
	if err != nil {
		return nil, nil, err
	}
	if nt.Kind == "" {
		nt.Kind = KindDiscussion
	}
	if nt.Kind != KindDiscussion && nt.Kind != KindQuestion {
		return nil, nil, invalid("kind", "forum.error.kind")
	}
	at := nt.At
	if at.IsZero() {
		at = s.now()
	}
	t := &Thread{ID: id, CategoryID: nt.Category.ID, GroupID: nt.Category.GroupID, Title: title, Kind: nt.Kind,
		AuthorID: nt.AuthorID, Tags: tags, ResourceID: nt.ResourceID, LastN: 1, CreatedAt: at, LastPostAt: at,
		LastAuthor: nt.AuthorID, Held: nt.Held, UpdatedAt: s.now()}
	return t, s.newPost(t, 1, nt.AuthorID, body, at, nt.Held), nil
}

func (s *Store) newPost(t *Thread, n int, author, body string, at time.Time, held bool) *Post {
	return &Post{ID: PostID(t.ID, n), ThreadID: t.ID, N: n, CategoryID: t.CategoryID, GroupID: t.GroupID, AuthorID: author,
		Body: body, HTML: s.md.HTML(body), CreatedAt: at, Mentions: Mentions(body), Quotes: Quotes(body, t.ID),
		Resources: ResourceLinks(body), Held: held, UpdatedAt: s.now()}
}

// Thread returns the thread with id, its LastN settled (see settle).
func (s *Store) Thread(ctx context.Context, id string) (*Thread, error) {
	var t Thread
	if err := s.findOne(ctx, colThreads, bson.M{"_id": id}, &t); err != nil {
		return nil, err
	}
	if err := s.settle(ctx, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// settle moves t.LastN up to the highest post number claimed. A post's _id
// is its thread and number (PostID) and numbers are claimed in order, each
// by inserting that _id, so the claimed posts are the truth and the stored
// last_n only a hint that may lag: two replies on different servers move it
// with $max, which FerretDB applies read-then-write (so it can go back),
// and any other update of the thread there rewrites the whole document from
// an earlier read. Probing the next numbers by _id costs one indexed query.
func (s *Store) settle(ctx context.Context, t *Thread) error {
	stored := t.LastN
	for {
		ids := make([]string, PageSize)
		for i := range ids {
			ids[i] = PostID(t.ID, t.LastN+1+i)
		}
		ps, err := findIDs[struct {
			N int `bson:"n"`
		}](ctx, s, colPosts, ids, bson.M{"n": 1})
		if err != nil {
			return err
		}
		top := t.LastN
		for _, p := range ps {
			top = max(top, p.N)
		}
		if top == t.LastN {
			break
		}
		t.LastN = top
	}
	if t.LastN > stored {
		// Only if the thread is free: the hint may wait for the next
		// reader, and a split or move holding the lock reads it too.
		lctx, unlock, ok, err := store.TryLock(ctx, s.db, "forum/thread/"+t.ID)
		if err != nil {
			return fmt.Errorf("forum: settle thread: %w", err)
		}
		if ok {
			defer unlock()
			if _, err := s.col(colThreads).UpdateOne(lctx, bson.M{"_id": t.ID}, bson.M{"$max": bson.M{"last_n": t.LastN}}); err != nil {
				return fmt.Errorf("forum: settle thread: %w", err)
			}
			s.changedHead(ctx, t.ID) // unread counts read last_n from the head
		}
	}
	return nil
}

// ThreadsByID returns threads keyed by id, in one query.
func (s *Store) ThreadsByID(ctx context.Context, ids []string) (map[string]*Thread, error) {
	out := map[string]*Thread{}
	if len(ids) == 0 {
		return out, nil
	}
	ts, err := findIDs[*Thread](ctx, s, colThreads, ids, nil)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		out[t.ID] = t
	}
	return out, nil
}

// ThreadQuery selects threads for a list.
type ThreadQuery struct {
	CategoryIDs []string // the categories the viewer may see (required)
	ViewerID    string   // sees their own held threads
	Moderator   bool     // sees every held thread
	Since       time.Time
	Skip, Limit int
	// Keep, when set, is asked about each thread of the page in list order
	// and only the threads it keeps are returned: with the index, from the
	// heads, so the others are never read (the member home keeps only the
	// unread of the latest threads).
	Keep func(ThreadHead) bool
}

// Threads lists threads, pinned first, then by latest activity (then
// _id), or by latest activity only with Since. With a search index that is
// level with the database the list comes from its thread heads (see
// ThreadListKind); the database filter is kept for a store without one
// and while the index is being built.
func (s *Store) Threads(ctx context.Context, q ThreadQuery) ([]*Thread, error) {
	if len(q.CategoryIDs) == 0 {
		return nil, nil
	}
	if q.Limit <= 0 {
		q.Limit = ThreadsPage
	}
	if s.listFromIndex() {
		return s.threadsFromIndex(ctx, q)
	}
	f := bson.M{"category_id": bson.M{"$in": q.CategoryIDs}}
	if !q.Moderator {
		f["$or"] = bson.A{bson.M{"held": false}, bson.M{"author_id": q.ViewerID}}
	}
	if !q.Since.IsZero() {
		f["last_post_at"] = bson.M{"$gt": q.Since}
	}
	sort := bson.D{{Key: "pinned", Value: -1}, {Key: "last_post_at", Value: -1}, {Key: "_id", Value: -1}}
	if !q.Since.IsZero() {
		sort = bson.D{{Key: "last_post_at", Value: -1}, {Key: "_id", Value: -1}}
	}
	var ts []*Thread
	if err := s.findAll(ctx, colThreads, f, options.Find().SetSort(sort).SetSkip(int64(q.Skip)).SetLimit(int64(q.Limit)), &ts); err != nil {
		return nil, err
	}
	if q.Keep == nil {
		return ts, nil
	}
	kept := ts[:0]
	for _, t := range ts {
		if q.Keep(ThreadHead{ID: t.ID, CategoryID: t.CategoryID, LastN: t.LastN, Held: t.Held}) {
			kept = append(kept, t)
		}
	}
	return kept, nil
}

// CategoryCounts returns, for each of the categories, how many threads it
// lists (held ones left out) and how many of them are unread for a reader
// with reads (thread ID → last post number read, nil for nothing unread)
// and levels (notification levels by thread and category ID: a muted
// thread, or a thread of a muted category without a level of its own, is
// never unread). From the index when lists use it (see Threads), else from
// one query of the database.
func (s *Store) CategoryCounts(ctx context.Context, categoryIDs []string, reads map[string]int, levels map[string]string) (count, unread map[string]int, err error) {
	if len(categoryIDs) == 0 {
		return map[string]int{}, map[string]int{}, nil
	}
	if s.listFromIndex() {
		return s.countsFromIndex(ctx, categoryIDs, reads, levels)
	}
	var hs []ThreadHead
	if err := s.findAll(ctx, colThreads, bson.M{"category_id": bson.M{"$in": categoryIDs}, "held": false},
		options.Find().SetProjection(bson.M{"category_id": 1, "last_n": 1, "held": 1}), &hs); err != nil {
		return nil, nil, err
	}
	count, unread = map[string]int{}, map[string]int{}
	for _, h := range hs {
		count[h.CategoryID]++
		if reads != nil && h.unread(reads, levels) {
			unread[h.CategoryID]++
		}
	}
	return count, unread, nil
}

// ThreadHead is what unread counts need of a thread.
type ThreadHead struct {
	ID         string `bson:"_id"`
	CategoryID string `bson:"category_id"`
	LastN      int    `bson:"last_n"`
	Held       bool   `bson:"held"`
}

// unread reports whether the thread has posts past the reader's mark and
// is not muted for them.
func (h ThreadHead) unread(reads map[string]int, levels map[string]string) bool {
	return h.LastN > reads[h.ID] && Effective(levels[h.ID], levels[h.CategoryID]) != Mute
}

// ThreadForResource returns the thread discussing a library resource.
// Since EnsureResourceThread claims it, its _id is the resource's; a
// thread started before that has its own _id, which schema 7 recorded
// under the resource's in colResourceThreads (the oldest, if older servers
// left two; the other stays an ordinary thread). Both are _id lookups: a
// filter on resource_id would read every thread, and most resources have
// no thread at all.
func (s *Store) ThreadForResource(ctx context.Context, resourceID string) (*Thread, error) {
	var t Thread
	if err := s.resourceThread(ctx, resourceID, &t); err != nil {
		return nil, err
	}
	if err := s.settle(ctx, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// resourceThread reads the thread of a resource into t, unsettled (see
// ThreadForResource).
func (s *Store) resourceThread(ctx context.Context, resourceID string, t *Thread) error {
	err := s.findOne(ctx, colThreads, bson.M{"_id": resourceID}, t)
	if err == nil && t.ResourceID == resourceID {
		return nil
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	var alias struct {
		ThreadID string `bson:"thread_id"`
	}
	if err := s.findOne(ctx, colResourceThreads, bson.M{"_id": resourceID}, &alias); err != nil {
		return err
	}
	*t = Thread{}
	if err := s.findOne(ctx, colThreads, bson.M{"_id": alias.ThreadID}, t); err != nil {
		return err
	}
	if t.ResourceID != resourceID {
		return ErrNotFound
	}
	return nil
}

// EnsureResourceThread returns the thread of a resource, creating it with
// nt on first use, and reports whether this call created it. The thread's
// _id is the resource's (a resource ID is a fresh ObjectID, so it names no
// other thread), and its opening post's _id, derived from it, is the claim:
// of concurrent first uses on any number of servers exactly one inserts
// it. The others complete the thread from the winner's post if it is not
// there yet (the winner is between its two inserts, or stopped there), so
// a claim never leaves a resource without its thread.
func (s *Store) EnsureResourceThread(ctx context.Context, nt NewThread) (*Thread, bool, error) {
	t, err := s.ThreadForResource(ctx, nt.ResourceID)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return t, false, err
	}
	t, p, err := s.newThread(nt, nt.ResourceID)
	if err != nil {
		return nil, false, err
	}
	_, err = s.col(colPosts).InsertOne(ctx, p)
	created := err == nil
	if err != nil && !store.IsDuplicateKey(err) {
		return nil, false, fmt.Errorf("forum: create post: %w", err)
	}
	if !created {
		won, err := s.Post(ctx, t.ID, 1)
		if err != nil {
			return nil, false, err
		}
		t.AuthorID, t.LastAuthor, t.CreatedAt, t.LastPostAt = won.AuthorID, won.AuthorID, won.CreatedAt, won.CreatedAt
		t.CategoryID, t.GroupID, t.Held = won.CategoryID, won.GroupID, won.Held
	}
	if _, err := s.col(colThreads).InsertOne(ctx, t); err != nil && !store.IsDuplicateKey(err) {
		return nil, false, fmt.Errorf("forum: create thread: %w", err)
	}
	s.changed(ctx, t.ID, 1)
	if created {
		return t, true, nil
	}
	t, err = s.Thread(ctx, t.ID)
	return t, false, err
}

// ReplyCounts returns the number of visible replies of each resource's
// thread, for the library's resource pages: one or two _id lookups each
// (see ThreadForResource).
func (s *Store) ReplyCounts(ctx context.Context, resourceIDs []string) (map[string]int, error) {
	out := map[string]int{}
	for _, id := range resourceIDs {
		var t Thread
		switch err := s.resourceThread(ctx, id, &t); {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return nil, err
		default:
			out[id] = t.Replies
		}
	}
	return out, nil
}

// setThread sets fields of a thread under its lock (see Store.lock: any
// write rewrites the whole thread on FerretDB, so an unlocked one could put
// back a field a moderator had just switched).
func (s *Store) setThread(ctx context.Context, id string, set bson.M) error {
	ctx, unlock, err := s.lock(ctx, "thread/"+id)
	if err != nil {
		return err
	}
	defer unlock()
	return s.setThreadHeld(ctx, id, set)
}

// setThreadHeld is setThread for a caller that holds the thread's lock.
func (s *Store) setThreadHeld(ctx context.Context, id string, set bson.M) error {
	set["updated_at"] = s.now()
	res, err := s.col(colThreads).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": set})
	if err != nil {
		return fmt.Errorf("forum: update thread: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// SetPinned, SetLocked and SetClosed are moderation switches.
func (s *Store) SetPinned(ctx context.Context, id string, v bool) error {
	if err := s.setThread(ctx, id, bson.M{"pinned": v}); err != nil {
		return err
	}
	s.changedHead(ctx, id) // pinned threads lead the lists
	return nil
}

// HoldThread takes a thread out of lists, search and its page for all but
// its author and moderators, as a held first post does; ApprovePost of its
// opening post releases it.
func (s *Store) HoldThread(ctx context.Context, id string) error {
	if err := s.setThread(ctx, id, bson.M{"held": true}); err != nil {
		return err
	}
	s.changedThread(ctx, id)
	return nil
}

// SetLocked freezes or unfreezes a thread.
func (s *Store) SetLocked(ctx context.Context, id string, v bool) error {
	return s.setThread(ctx, id, bson.M{"locked": v})
}

// SetClosed closes or reopens a thread for replies.
func (s *Store) SetClosed(ctx context.Context, id string, v bool) error {
	return s.setThread(ctx, id, bson.M{"closed": v})
}

// MoveThread puts a thread (and its posts) in another category.
func (s *Store) MoveThread(ctx context.Context, id string, to *Category) error {
	ctx, unlock, err := s.lock(ctx, "thread/"+id)
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.setThreadHeld(ctx, id, bson.M{"category_id": to.ID, "group_id": to.GroupID}); err != nil {
		return err
	}
	// Two moves at once on two servers may leave the posts where the
	// thread is not: whichever move then sees the thread elsewhere moves
	// them after it, so they end where the thread ends.
	for tries := 0; tries < 3; tries++ {
		if _, err := s.col(colPosts).UpdateMany(ctx, bson.M{"thread_id": id}, bson.M{"$set": bson.M{"category_id": to.ID, "group_id": to.GroupID, "updated_at": s.now()}}); err != nil {
			return fmt.Errorf("forum: move posts: %w", err)
		}
		if _, err := s.col(colFlags).UpdateMany(ctx, bson.M{"thread_id": id}, bson.M{"$set": bson.M{"group_id": to.GroupID}}); err != nil {
			return fmt.Errorf("forum: move flags: %w", err)
		}
		t, err := s.Thread(ctx, id)
		if err != nil {
			return err
		}
		if t.CategoryID == to.ID && t.GroupID == to.GroupID {
			s.changedThread(ctx, id)
			return nil
		}
		to = &Category{ID: t.CategoryID, GroupID: t.GroupID}
	}
	s.changedThread(ctx, id)
	return nil
}

// refresh recomputes a thread's reply count and latest activity from its
// posts: idempotent, so an interrupted sequence of writes heals on the
// next one. It reads the posts by _id (1 to the settled last number, a
// page at a time): on the embedded database a filter on thread_id reads
// every post of every thread, twice per reply, which at 50,000 posts cost
// each reply seconds.
func (s *Store) refresh(ctx context.Context, threadID string) error {
	ctx, unlock, err := s.lock(ctx, "thread/"+threadID)
	if err != nil {
		return err
	}
	defer unlock()
	return s.refreshHeld(ctx, threadID)
}

// refreshHeld is refresh for a caller that holds the thread's lock.
func (s *Store) refreshHeld(ctx context.Context, threadID string) error {
	t, err := s.Thread(ctx, threadID)
	if err != nil {
		return err
	}
	count := 0
	var last *Post
	for from := 1; from <= t.LastN; from += refreshBatch {
		ids := make([]string, 0, refreshBatch)
		for n := from; n < from+refreshBatch && n <= t.LastN; n++ {
			ids = append(ids, PostID(threadID, n))
		}
		ps, err := findIDs[*Post](ctx, s, colPosts, ids, bson.M{
			"n": 1, "deleted": 1, "hidden": 1, "held": 1, "created_at": 1, "author_id": 1})
		if err != nil {
			return err
		}
		for _, p := range ps {
			if !p.Deleted && !p.Hidden && !p.Held {
				count++
				if last == nil || p.N > last.N {
					last = p
				}
			}
		}
	}
	set := bson.M{"replies": max(0, count-1)}
	if last != nil {
		set["last_post_at"], set["last_author"] = last.CreatedAt, last.AuthorID
	}
	return s.setThreadHeld(ctx, threadID, set)
}

// refreshBatch is how many post _ids one query of refresh names.
const refreshBatch = 200
