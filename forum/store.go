package forum

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/search"
	"github.com/circularfairict/portal/store"
)

// Collections owned by this package.
const (
	colCategories    = "forum_categories"
	colThreads       = "forum_threads"
	colPosts         = "forum_posts"
	colReads         = "forum_reads"
	colSubs          = "forum_subscriptions"
	colNotifications = "forum_notifications"
	colPrefs         = "forum_prefs"
	colFlags         = "forum_flags"
	colGroupSettings = "forum_group_settings"
	// colResourceThreads names, under a resource's ID, the thread about it
	// started before such threads took the resource's ID (schema 7).
	colResourceThreads = store.ColResourceThreads
)

// Indexes lists what this package needs; the server ensures them at start-up.
// No partial or TTL index: the embedded database has neither.
func Indexes() []store.Index {
	return []store.Index{
		{Collection: colCategories, Name: "slug", Keys: bson.D{{Key: "slug", Value: 1}}, Unique: true},
		{Collection: colThreads, Name: "category_last", Keys: bson.D{{Key: "category_id", Value: 1}, {Key: "pinned", Value: -1}, {Key: "last_post_at", Value: -1}}},
		{Collection: colThreads, Name: "author", Keys: bson.D{{Key: "author_id", Value: 1}}},
		{Collection: colThreads, Name: "resource", Keys: bson.D{{Key: "resource_id", Value: 1}}},
		{Collection: colPosts, Name: "thread_n", Keys: bson.D{{Key: "thread_id", Value: 1}, {Key: "n", Value: 1}}, Unique: true},
		{Collection: colPosts, Name: "author", Keys: bson.D{{Key: "author_id", Value: 1}}},
		{Collection: colPosts, Name: "held", Keys: bson.D{{Key: "held", Value: 1}}},
		{Collection: colReads, Name: "member", Keys: bson.D{{Key: "member_id", Value: 1}}},
		{Collection: colSubs, Name: "member", Keys: bson.D{{Key: "member_id", Value: 1}}},
		{Collection: colSubs, Name: "target", Keys: bson.D{{Key: "target_id", Value: 1}}},
		{Collection: colNotifications, Name: "member_created", Keys: bson.D{{Key: "member_id", Value: 1}, {Key: "created_at", Value: -1}}},
		{Collection: colNotifications, Name: "mailed", Keys: bson.D{{Key: "mailed", Value: 1}}},
		{Collection: colPrefs, Name: "email", Keys: bson.D{{Key: "email", Value: 1}}},
		{Collection: colFlags, Name: "open", Keys: bson.D{{Key: "open", Value: 1}, {Key: "created_at", Value: 1}}},
		{Collection: colFlags, Name: "member", Keys: bson.D{{Key: "member_id", Value: 1}}},
	}
}

// Store persists discussions in MongoDB (or the embedded FerretDB).
type Store struct {
	db  *mongo.Database
	now func() time.Time
	md  *Renderer
	// onChange hears, after each write, the posts whose search document
	// may differ (see OnChange); nil until the server wires the index.
	onChange func(ctx context.Context, postIDs []string)
	// onHead hears the threads whose head in the index (ThreadListKind)
	// may differ; every change of posts names their thread too.
	onHead func(ctx context.Context, threadID string)
	// index answers Search (see SetIndex).
	index *search.Index
	// byID reads documents named by _id one lookup each (see ReadByID).
	byID bool
	// cats is this server's copy of the categories, checked against their
	// stamp on every read (see Categories).
	cats *store.StampCache[[]*Category]
}

// ReadByID makes the store read documents it names by _id (a page of
// posts, the threads of a list, a member's reads) with one lookup per _id
// instead of one $in query: the embedded database answers only the former
// from an index, and the latter by reading every document of the
// collection (see store.FindByIDs). The server calls it on the embedded
// database.
func (s *Store) ReadByID() *Store {
	s.byID = true
	return s
}

// findIDs returns the documents of a collection with the given _ids, in
// the order of ids, the way the backend indexes (see ReadByID).
func findIDs[T any](ctx context.Context, s *Store, col string, ids []string, projection any) ([]T, error) {
	out, err := store.FindByIDs[T](ctx, s.col(col), ids, projection, s.byID)
	if err != nil {
		return nil, fmt.Errorf("forum: %s: %w", col, err)
	}
	return out, nil
}

// NewStore returns a Store on db.
func NewStore(db *mongo.Database) *Store {
	s := &Store{db: db, now: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) },
		md: NewRenderer()}
	s.cats = store.NewStampCache(db, store.StampForumCategories, s.readCategories, cloneCategories)
	return s
}

// lock serialises the read-modify-writes of one post (reactions, edits) or
// one thread (a split, a move) across every server sharing the database:
// FerretDB writes a whole document from its read, so two at once could
// undo each other. Guarded writes use the returned context, which ends if
// the lock is lost. See store.Lock.
func (s *Store) lock(ctx context.Context, key string) (lctx context.Context, unlock func(), err error) {
	return store.Lock(ctx, s.db, "forum/"+key)
}

// replyLockWait bounds how long a reply waits for its thread's lock before
// it leaves the thread's hints to the next writer.
const replyLockWait = 3 * time.Second

// locked runs f holding the lock of key, with the lock's context.
func (s *Store) locked(ctx context.Context, key string, f func(ctx context.Context) error) error {
	ctx, unlock, err := s.lock(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	return f(ctx)
}

// OnChange registers fn, called after every write with the IDs of the posts
// whose search document may have changed (a post's document carries its
// thread's fields, so a thread-wide change names every post of the
// thread). The index re-reads them by _id: a post that is gone, held,
// hidden or deleted leaves it.
func (s *Store) OnChange(fn func(ctx context.Context, postIDs []string)) { s.onChange = fn }

// changed tells the index about posts n of a thread.
func (s *Store) changed(ctx context.Context, threadID string, ns ...int) {
	if s.onChange == nil || len(ns) == 0 {
		return
	}
	ids := make([]string, len(ns))
	for i, n := range ns {
		ids[i] = PostID(threadID, n)
	}
	s.onChange(ctx, ids)
	s.changedHead(ctx, threadID)
}

// changedHead tells the index about a thread's head: a write that changes
// only what lists show (pinned, last_n) and no post's document.
func (s *Store) changedHead(ctx context.Context, threadID string) {
	if s.onHead != nil {
		s.onHead(ctx, threadID)
	}
}

// changedThread tells the index about every post of a thread; their IDs
// derive from their numbers, so no query lists them.
func (s *Store) changedThread(ctx context.Context, threadID string) {
	if s.onChange == nil {
		return
	}
	t, err := s.Thread(ctx, threadID)
	if err != nil {
		return // gone: nothing of it is left to index
	}
	ns := make([]int, t.LastN)
	for i := range ns {
		ns[i] = i + 1
	}
	s.changed(ctx, threadID, ns...)
}

// SetClock replaces the clock, for tests and the demo seed.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Renderer returns the Markdown renderer (for previews).
func (s *Store) Renderer() *Renderer { return s.md }

func (s *Store) col(name string) *mongo.Collection { return s.db.Collection(name) }

func (s *Store) findAll(ctx context.Context, col string, filter any, o *options.FindOptions, out any) error {
	cur, err := s.col(col).Find(ctx, filter, o)
	if err != nil {
		return fmt.Errorf("forum: %s: %w", col, err)
	}
	if err := cur.All(ctx, out); err != nil {
		return fmt.Errorf("forum: %s: %w", col, err)
	}
	return nil
}

func (s *Store) findOne(ctx context.Context, col string, filter any, out any) error {
	if err := s.col(col).FindOne(ctx, filter).Decode(out); err != nil {
		if store.IsNoDocuments(err) {
			return ErrNotFound
		}
		return fmt.Errorf("forum: %s: %w", col, err)
	}
	return nil
}

// Cross-request invariants rest on claimed _ids (a post's number, a
// resource's thread) or on values derived from them (Thread.LastN, see
// settle), which hold with several servers on one database. Writes of one
// thread or post document (reactions, edits, moderation switches, counts,
// moves, splits) hold the document's lock, itself a claimed _id
// (store.Lock), because FerretDB rewrites the whole document from its read.
// See "Correct with several replicas" in docs/architecture.md.
