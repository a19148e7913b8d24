package store

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// ColWindows holds the hits of fixed-window counters (rate limits): one
// document per counted hit, so that every server sharing the database
// counts against one budget.
const ColWindows = "rate_windows"

// probeSlots is how many slots one lookup examines when a slot is taken.
const probeSlots = 32

// WindowCounter counts hits per key in fixed windows, up to a limit, in the
// database. Each hit claims the next slot of its key's window: a document
// whose _id is <key>@<window start>#<n>. Insert of a taken _id fails on
// every backend, so concurrent hits on any number of servers get distinct
// numbers and none is lost. A $inc counter would be one document per window
// instead, but FerretDB applies $inc read-then-write: twenty concurrent
// increments of one document left it at 3. Hits past the limit are not
// written, so a window holds at most limit documents per key, and the
// sweeper deletes windows that have ended (FerretDB has no TTL index).
type WindowCounter struct {
	db     *mongo.Database
	window time.Duration
	limit  int

	// last remembers, per key and window, the highest slot this process
	// knows to be taken, so that a hit usually needs one insert. It is a
	// hint only: a slot another server took meanwhile is found by the
	// insert failing.
	mu    sync.Mutex
	start time.Time
	last  map[string]int
}

// NewWindowCounter counts up to limit hits per key in windows of length window.
func NewWindowCounter(db *mongo.Database, window time.Duration, limit int) *WindowCounter {
	return &WindowCounter{db: db, window: window, limit: limit, last: map[string]int{}}
}

type windowHit struct {
	ID        string    `bson:"_id"`
	ExpiresAt time.Time `bson:"expires_at"`
}

// Hit counts one hit of key at now and returns its number in the window
// (1 for the first; more than the limit when the budget is spent) and the
// end of the window.
func (w *WindowCounter) Hit(ctx context.Context, key string, now time.Time) (int, time.Time, error) {
	start := now.Truncate(w.window)
	end := start.Add(w.window)
	base := key + "@" + strconv.FormatInt(start.Unix(), 10) + "#"
	col := w.db.Collection(ColWindows)
	n := w.hint(start, key) + 1
	for tries := 0; tries < 100; tries++ {
		if n > w.limit {
			w.remember(start, key, w.limit)
			return n, end, nil
		}
		_, err := col.InsertOne(ctx, windowHit{ID: base + strconv.Itoa(n), ExpiresAt: end})
		if err == nil {
			w.remember(start, key, n)
			return n, end, nil
		}
		if !IsDuplicateKey(err) {
			return 0, end, fmt.Errorf("store: count %s: %w", key, err)
		}
		// Taken by another server: one _id lookup finds the next free slot.
		ids := make([]string, 0, probeSlots)
		for k := n + 1; k <= n+probeSlots && k <= w.limit; k++ {
			ids = append(ids, base+strconv.Itoa(k))
		}
		taken := map[string]bool{}
		if len(ids) > 0 {
			cur, err := col.Find(ctx, bson.M{"_id": bson.M{"$in": ids}}, options.Find().SetProjection(bson.M{"_id": 1}))
			if err != nil {
				return 0, end, fmt.Errorf("store: count %s: %w", key, err)
			}
			var found []windowHit
			if err := cur.All(ctx, &found); err != nil {
				return 0, end, fmt.Errorf("store: count %s: %w", key, err)
			}
			for _, f := range found {
				taken[f.ID] = true
			}
		}
		next := n + len(ids) + 1
		for i, id := range ids {
			if !taken[id] {
				next = n + 1 + i
				break
			}
		}
		n = next
	}
	return 0, end, fmt.Errorf("store: count %s: too much contention", key)
}

func (w *WindowCounter) hint(start time.Time, key string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !start.Equal(w.start) {
		return 0
	}
	return w.last[key]
}

func (w *WindowCounter) remember(start time.Time, key string, n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case start.After(w.start): // a new window: the old hints count nothing
		w.start, w.last = start, map[string]int{}
	case start.Before(w.start):
		return
	}
	if n > w.last[key] {
		w.last[key] = n
	}
}

// SweepWindows deletes the hits of windows that ended before now and
// returns how many.
func SweepWindows(ctx context.Context, db *mongo.Database, now time.Time) (int64, error) {
	res, err := db.Collection(ColWindows).DeleteMany(ctx, bson.M{"expires_at": bson.M{"$lt": now}})
	if err != nil {
		return 0, fmt.Errorf("store: sweep rate windows: %w", err)
	}
	return res.DeletedCount, nil
}
