package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// Stamped collections: small collections that nearly every page reads
// whole, which the embedded database answers by reading and decoding every
// document (the groups carry every membership: 734 KB of JSON per request
// at community scale). A server keeps a copy of each (StampCache) and
// re-reads it only when the collection's stamp, one document read by _id,
// has changed since, or when its copy has reached StampMaxAge.
const (
	StampGroups          = "groups"
	StampForumCategories = "forum_categories"
	// The workshops' schedule and texts: one document each, not a
	// collection, but read on every combined search and workshops list
	// and some hundreds of kilobytes at community scale.
	StampWorkshopSchedule = "workshop_schedule"
	StampWorkshopTexts    = "workshop_texts"
)

// stampKeys are given fresh stamps after a restore (TouchAll).
var stampKeys = []string{StampGroups, StampForumCategories, StampWorkshopSchedule, StampWorkshopTexts}

// StampMaxAge bounds how long a copy is served without being read again,
// whatever its stamp says. Within the protocol a copy is never stale (see
// StampCache); the bound covers the writes that do not move the stamp: a
// server that stopped between its write and the stamp's, a replica of an
// older release during a rolling upgrade, an edit made directly in the
// database. docs/security.md states it as the longest time a removed
// membership may still count.
const StampMaxAge = 30 * time.Second

type stampDoc struct {
	ID string `bson:"_id"`
	V  string `bson:"v"`
}

// The stamps live in the schema's own small collection, one document each.
func stampID(key string) string { return "stamp:" + key }

// Touch gives key's stamp a fresh random value. Every writer of a stamped
// collection calls it after its write (never before: a reader that saw the
// new stamp must then read the new documents). It runs even when ctx has
// just ended, so a request cancelled after its write still moves the stamp.
func Touch(ctx context.Context, db *mongo.Database, key string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("store: stamp %s: %w", key, err)
	}
	v := hex.EncodeToString(b)
	col := db.Collection(colMeta)
	var err error
	// Two first touches at once both upsert: one inserts, the other's
	// insert is a duplicate key, and it sets its value on the second try
	// (its own write must not hide behind a stamp set before it).
	for range 3 {
		_, err = col.UpdateOne(ctx, bson.M{"_id": stampID(key)}, bson.M{"$set": bson.M{"v": v}}, options.Update().SetUpsert(true))
		if err == nil || !IsDuplicateKey(err) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("store: stamp %s: %w", key, err)
	}
	return nil
}

// TouchAll gives every stamp a fresh value: a restore, which rewrites the
// collections underneath the servers, calls it once done.
func TouchAll(ctx context.Context, db *mongo.Database) error {
	for _, k := range stampKeys {
		if err := Touch(ctx, db, k); err != nil {
			return err
		}
	}
	return nil
}

// ReadStamp returns key's stamp; "" when it has never been touched.
func ReadStamp(ctx context.Context, db *mongo.Database, key string) (string, error) {
	var d stampDoc
	err := db.Collection(colMeta).FindOne(ctx, bson.M{"_id": stampID(key)}).Decode(&d)
	if IsNoDocuments(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: stamp %s: %w", key, err)
	}
	return d.V, nil
}

// StampCache keeps one server's copy of a stamped collection. Get reads the
// stamp first (one lookup by _id), then, if it differs from the stamp the
// copy was read under, or the copy is StampMaxAge old, the collection, and
// keeps that under the stamp read before it. Why that is never stale: a
// writer moves the stamp after its write, so a reader that sees a stamp
// reads the collection after every write whose stamp came before it; and
// a write whose stamp comes later changes the stamp the next reader sees.
// Stamps are random, so an old value never comes back. Nothing here is
// shared between servers but the database: each server (each Store) has
// its own copy, checked against the stamp on every Get.
type StampCache[T any] struct {
	db    *mongo.Database
	key   string
	read  func(context.Context) (T, error)
	clone func(T) T
	// Now is the clock that ages copies (tests move it).
	Now func() time.Time

	mu    sync.Mutex
	ok    bool
	stamp string
	at    time.Time // when the stamp of the copy was about to be read
	val   T
	// flight is the read under way, if any. Every Get that finds the same
	// stamp waits for it rather than reading the collection beside it: a
	// group write moves the stamp, and each request in progress on the
	// server would otherwise read every group at once (0.1 s each at
	// community scale).
	flight *stampFlight[T]
}

// stampFlight is one read of the collection that every Get under its stamp
// shares. Sharing it is as fresh as reading: it began after its stamp was
// read, so it sees every write whose stamp came before, which is all a Get
// that read the same stamp needs.
type stampFlight[T any] struct {
	stamp   string
	at      time.Time
	done    chan struct{}
	waiters int // Gets waiting beside the one that started it (tests)
	val     T
	err     error
}

// NewStampCache returns a cache of key's collection in db, read by read.
// clone copies a value deeply: every caller gets its own copy, so a caller
// that changes what it was given changes nothing another caller sees.
func NewStampCache[T any](db *mongo.Database, key string, read func(context.Context) (T, error), clone func(T) T) *StampCache[T] {
	return &StampCache[T]{db: db, key: key, read: read, clone: clone, Now: time.Now}
}

// Touch moves the stamp of the cache's collection (Touch): the writers of
// the collection call it after each write, naming no key of their own.
func (c *StampCache[T]) Touch(ctx context.Context) error { return Touch(ctx, c.db, c.key) }

// Get returns a copy of the collection as read at or after the latest
// stamp (see StampCache).
func (c *StampCache[T]) Get(ctx context.Context) (T, error) {
	v, err := c.Shared(ctx)
	if err != nil {
		return v, err
	}
	return c.clone(v), nil
}

// Shared is Get without the copy: the value is the cache's own and may be
// handed to other callers, so it must not be changed. For a holder that
// makes its own copies anyway (a request's memo), so the collection is not
// copied twice.
func (c *StampCache[T]) Shared(ctx context.Context) (T, error) {
	var zero T
	at := c.Now()
	stamp, err := ReadStamp(ctx, c.db, c.key)
	if err != nil {
		return zero, err
	}
	c.mu.Lock()
	if c.ok && c.stamp == stamp && at.Sub(c.at) < StampMaxAge && !at.Before(c.at) {
		v := c.val
		c.mu.Unlock()
		return v, nil
	}
	f := c.flight
	if f != nil && f.stamp == stamp && !at.Before(f.at) {
		f.waiters++
	} else {
		f = &stampFlight[T]{stamp: stamp, at: at, done: make(chan struct{})}
		c.flight = f
		// The read outlives the request that started it, since others
		// may wait for it; it has its own bound.
		go c.fly(context.WithoutCancel(ctx), f)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	if f.err != nil {
		return zero, f.err
	}
	return f.val, nil
}

func (c *StampCache[T]) fly(ctx context.Context, f *stampFlight[T]) {
	ctx, cancel := context.WithTimeout(ctx, StampMaxAge)
	defer cancel()
	v, err := c.read(ctx)
	c.mu.Lock()
	f.val, f.err = v, err
	if c.flight == f {
		c.flight = nil
	}
	// Of two reads at once, the one that started later stays: its stamp
	// is the newer (or the same).
	if err == nil && (!c.ok || !f.at.Before(c.at)) {
		c.ok, c.stamp, c.at, c.val = true, f.stamp, f.at, v
	}
	c.mu.Unlock()
	close(f.done)
}
