package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/mongo"
)

// LockLease is how long a document lock holds without word from its
// holder. A holder renews it every third of the lease while it works, so a
// slow holder keeps it; one that stops (a crash) leaves it to the next
// caller this long after its last renewal. A longer lease would leave a
// document unwritable that long after a crash.
const LockLease = 10 * time.Second

// renewLock is how a holder renews its claim: Renew, replaced in tests by
// a renewal that stalls like a database under load.
var renewLock = Renew

// lockLease is the lease Lock uses: LockLease, shorter in tests so that a
// holder can outlive several leases in a second.
var lockLease = LockLease

// ErrLockLost is the cause of a lock's context when its holder lost the
// lock: its claim was gone at a renewal, or no renewal landed before the
// lease ended, so another caller may hold the lock now.
var ErrLockLost = errors.New("store: lock lost")

// Lock serialises the read-modify-writes of one document (key names it)
// across every server sharing the database. It returns a context for the
// guarded writes and the unlock.
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
//
// The holder keeps the lease by renewing its claim; if it cannot (the
// claim is gone, or a renewal does not land before the lease would end),
// the returned context is cancelled with ErrLockLost as its cause, so the
// holder's remaining writes fail instead of overlapping the next holder's.
// Every guarded write must therefore use the returned context. It is also
// cancelled by unlock.
func Lock(ctx context.Context, db *mongo.Database, key string) (context.Context, func(), error) {
	lctx, unlock, _, err := LockWithin(ctx, db, key, -1)
	return lctx, unlock, err
}

// LockWithin is Lock giving up after wait (a negative wait never gives up
// before ctx ends); ok reports whether it holds the lock. For writes that
// may be skipped rather than wait behind a holder that stopped.
func LockWithin(ctx context.Context, db *mongo.Database, key string, wait time.Duration) (lctx context.Context, unlock func(), ok bool, err error) {
	pause := time.Millisecond
	var timeout <-chan time.Time
	if wait >= 0 {
		timeout = time.After(wait)
	}
	for {
		lctx, unlock, ok, err := TryLock(ctx, db, key)
		if err != nil || ok {
			return lctx, unlock, ok, err
		}
		select {
		case <-ctx.Done():
			return nil, nil, false, fmt.Errorf("store: lock %s: %w", key, ctx.Err())
		case <-timeout:
			return nil, nil, false, nil
		case <-time.After(pause):
		}
		pause = min(pause*2, 20*time.Millisecond)
	}
}

// TryLock takes the lock of key if nobody holds it, without waiting; ok
// reports whether it did, and then lctx and unlock are those of Lock. For
// writes that may be skipped (a hint another reader will write again), and
// that may run while the caller itself holds the lock.
func TryLock(ctx context.Context, db *mongo.Database, key string) (lctx context.Context, unlock func(), ok bool, err error) {
	lease := lockLease
	at := time.Now().UTC().Truncate(time.Millisecond) // as stored, for Renew's match
	id, ok, err := ClaimLease(ctx, db, "lock:"+key, at, lease)
	if err != nil || !ok {
		return nil, nil, false, err
	}
	h := &lockHolder{db: db, id: id, lease: lease, stop: make(chan struct{}), done: make(chan struct{})}
	h.ctx, h.cancel = context.WithCancelCause(ctx)
	go h.keep(at)
	return h.ctx, h.unlock, true, nil
}

// lockHolder keeps one held lock: its claim document id, renewed by keep
// until unlock.
type lockHolder struct {
	db     *mongo.Database
	id     string
	lease  time.Duration
	ctx    context.Context
	cancel context.CancelCauseFunc
	stop   chan struct{} // closed by unlock
	done   chan struct{} // closed when keep has returned
	// end is when the lease ends by the holder's clock (the last renewal's
	// time plus the lease, less a margin): written by keep, read by unlock
	// after done.
	end time.Time
}

// lockMargin is how long before the lease's end by its own clock a holder
// gives the lock up: room for the clocks of two servers to differ a little
// and for a write sent just before the end to land.
func lockMargin(lease time.Duration) time.Duration { return lease / 10 }

// keep renews the claim every third of the lease until unlock, and cancels
// the holder's context when the lock is lost. Only the holder ever writes
// its own claim document (the next holder inserts the next generation, a
// different _id, and never deletes an earlier one), so a renewal, though a
// read-then-write on the embedded database, races no other writer.
func (h *lockHolder) keep(at time.Time) {
	defer close(h.done)
	h.end = at.Add(h.lease - lockMargin(h.lease))
	// The lease runs out at end whether or not a renewal is under way: the
	// timer, not the renewal's answer, decides.
	expire := time.AfterFunc(time.Until(h.end), func() { h.cancel(ErrLockLost) })
	defer expire.Stop()
	tick := time.NewTicker(h.lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-h.ctx.Done(): // lost, or the caller's context ended
			return
		case <-tick.C:
		}
		now := time.Now().UTC().Truncate(time.Millisecond)
		if !now.Before(h.end) { // a pause (GC, a stalled machine) outlived the lease
			h.cancel(ErrLockLost)
			return
		}
		// A renewal that lands after end is too late: a caller may have
		// found the claim stale meanwhile and claimed the next generation.
		rctx, cancel := context.WithDeadline(context.WithoutCancel(h.ctx), h.end)
		ok, err := renewLock(rctx, h.db, h.id, at, now)
		cancel()
		if err != nil || !ok || !expire.Stop() {
			h.cancel(ErrLockLost)
			return
		}
		at, h.end = now, now.Add(h.lease-lockMargin(h.lease))
		expire.Reset(time.Until(h.end))
	}
}

// unlock stops the renewals, cancels the holder's context and gives the
// lock back. After a loss it deletes nothing: a later generation may be
// held, and deleting this one would let a new caller claim it beside that
// holder; the stale claim stays (see ClaimLease).
func (h *lockHolder) unlock() {
	select {
	case <-h.stop:
		return // unlocked already
	default:
	}
	close(h.stop)
	<-h.done
	lost := context.Cause(h.ctx) == ErrLockLost
	h.cancel(context.Canceled)
	left := time.Until(h.end)
	if lost || left <= 0 {
		return
	}
	// The request may be ending: give the lock back anyway, but only while
	// the lease surely holds; if that fails, the lease frees it.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(h.ctx), left)
	defer cancel()
	_ = Release(rctx, h.db, h.id)
}
