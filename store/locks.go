package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/mongo"
)

// LockLease is how long a document lock holds if its holder stops without
// unlocking (a crash): then the next caller takes it. A holder does a few
// single-document reads and writes, far less than this; a longer lease
// would leave a document unwritable that long after a crash.
const LockLease = 10 * time.Second

// Lock serialises the read-modify-writes of one document (key names it)
// across every server sharing the database, and returns its unlock.
//
// FerretDB 1.24, the embedded database, applies an update as a read and
// then a separate write of the whole document, even a conditional one, so
// two updates of one document at the same moment can both match a filter
// only one should match, and one can undo the other ($addToSet, $inc, a
// field the other set). MongoDB applies each update atomically, but the
// same code must hold on both. The lock is a claim (ClaimLease on
// "lock:<key>"): an insert of a taken _id fails on every backend, so one
// caller at a time holds it, in whichever process. Others wait, polling
// with a growing pause, until ctx ends. Every writer of the guarded fields
// must take the lock; see "Correct with several replicas" in
// docs/architecture.md for the documents that have one.
func Lock(ctx context.Context, db *mongo.Database, key string) (unlock func(), err error) {
	unlock, _, err = LockWithin(ctx, db, key, -1)
	return unlock, err
}

// LockWithin is Lock giving up after wait (a negative wait never gives up
// before ctx ends); ok reports whether it holds the lock. For writes that
// may be skipped rather than wait behind a holder that stopped.
func LockWithin(ctx context.Context, db *mongo.Database, key string, wait time.Duration) (unlock func(), ok bool, err error) {
	pause := time.Millisecond
	var timeout <-chan time.Time
	if wait >= 0 {
		timeout = time.After(wait)
	}
	for {
		unlock, ok, err := TryLock(ctx, db, key)
		if err != nil || ok {
			return unlock, ok, err
		}
		select {
		case <-ctx.Done():
			return nil, false, fmt.Errorf("store: lock %s: %w", key, ctx.Err())
		case <-timeout:
			return nil, false, nil
		case <-time.After(pause):
		}
		pause = min(pause*2, 20*time.Millisecond)
	}
}

// TryLock takes the lock of key if nobody holds it, without waiting; ok
// reports whether it did. For writes that may be skipped (a hint another
// reader will write again), and that may run while the caller itself holds
// the lock.
func TryLock(ctx context.Context, db *mongo.Database, key string) (unlock func(), ok bool, err error) {
	id, ok, err := ClaimLease(ctx, db, "lock:"+key, time.Now().UTC(), LockLease)
	if err != nil || !ok {
		return nil, false, err
	}
	return func() {
		// The request may be ending: give the lock back anyway; if that
		// fails, the lease frees it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = Release(rctx, db, id)
	}, true, nil
}
