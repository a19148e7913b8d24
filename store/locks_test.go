package store_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

// One holder at a time across callers, whichever connection they use; a
// bounded wait gives up while it is held; a lock whose holder stopped is
// taken once its lease has passed.
func TestLockAcrossServers(t *testing.T) {
	db := storetest.New(t).DB
	ctx := context.Background()
	var inside, most atomic.Int32
	storetest.Together(8, func(i int) {
		_, unlock, err := store.Lock(ctx, db, "doc/1")
		if err != nil {
			t.Error(err)
			return
		}
		n := inside.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(time.Millisecond) // stay inside long enough for another to try
		inside.Add(-1)
		unlock()
	})
	if most.Load() != 1 {
		t.Fatalf("%d holders at once", most.Load())
	}

	_, unlock, err := store.Lock(ctx, db, "doc/2")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := store.LockWithin(ctx, db, "doc/2", 20*time.Millisecond); ok || err != nil {
		t.Fatalf("a held lock was taken again (%v, %v)", ok, err)
	}
	unlock()
	if _, u, ok, err := store.LockWithin(ctx, db, "doc/2", time.Second); !ok || err != nil {
		t.Fatalf("a released lock could not be taken (%v, %v)", ok, err)
	} else {
		u()
	}

	// A holder that stopped long ago: its claim is past the lease.
	if _, err := db.Collection(store.ColClaims).InsertOne(ctx, bson.M{"_id": "lock:doc/3#0", "at": time.Now().UTC().Add(-store.LockLease - time.Second)}); err != nil {
		t.Fatal(err)
	}
	_, u, ok, err := store.LockWithin(ctx, db, "doc/3", time.Second)
	if !ok || err != nil {
		t.Fatalf("a stale lock was not taken over (%v, %v)", ok, err)
	}
	if _, _, ok, _ := store.LockWithin(ctx, db, "doc/3", 20*time.Millisecond); ok {
		t.Fatal("the taken-over lock was taken twice")
	}
	u()
}

// A holder working three leases long keeps the lock: its renewals hold it,
// and a second server asking meanwhile waits. Its context stays alive.
func TestLockHeldPastLease(t *testing.T) {
	// Long enough that a renewal lands in time on a loaded machine.
	const lease = 2 * time.Second
	defer store.SetLockLeaseForTest(lease)()
	st := storetest.New(t)
	a, b := st.DB, storetest.Client(t).Database(st.DB.Name()) // two servers' handles
	ctx := context.Background()
	lctx, unlock, err := store.Lock(ctx, a, "doc/slow")
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(3 * lease); time.Now().Before(end); {
		if _, _, ok, err := store.LockWithin(ctx, b, "doc/slow", lease/2); ok || err != nil {
			t.Fatalf("the lock was taken from a holder still working (%v, %v; holder: %v)", ok, err, context.Cause(lctx))
		}
	}
	if err := lctx.Err(); err != nil {
		t.Fatalf("the holder's context ended while it kept the lock: %v", context.Cause(lctx))
	}
	if _, err := a.Collection("docs").InsertOne(lctx, bson.M{"_id": "slow"}); err != nil {
		t.Fatalf("a guarded write after three leases: %v", err)
	}
	unlock()
	if lctx.Err() == nil {
		t.Fatal("unlock left the holder's context alive")
	}
	_, u, ok, err := store.LockWithin(ctx, b, "doc/slow", time.Second)
	if !ok || err != nil {
		t.Fatalf("the lock was not free after unlock (%v, %v)", ok, err)
	}
	u()
}

// A holder whose claim disappears (here deleted under it, and claimed again
// by another server) learns it at its next renewal: its context ends with
// ErrLockLost and its writes fail. Its unlock then deletes nothing, so the
// next holder, which claimed the same _id, keeps the lock.
func TestLockLost(t *testing.T) {
	// Long enough that a renewal lands in time on a loaded machine.
	const lease = time.Second
	defer store.SetLockLeaseForTest(lease)()
	st := storetest.New(t)
	a, b := st.DB, storetest.Client(t).Database(st.DB.Name())
	ctx := context.Background()
	lctx, unlock, err := store.Lock(ctx, a, "doc/lost")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Collection(store.ColClaims).DeleteOne(ctx, bson.M{"_id": "lock:doc/lost#0"}); err != nil {
		t.Fatal(err)
	}
	// Another server claims the same _id before the holder's next renewal:
	// the renewal must not take that claim for its own.
	_, ub, ok, err := store.LockWithin(ctx, b, "doc/lost", 0)
	if !ok || err != nil {
		t.Fatalf("the deleted lock could not be taken (%v, %v)", ok, err)
	}
	select {
	case <-lctx.Done():
	case <-time.After(lease):
		t.Fatal("the holder did not notice its claim was gone")
	}
	if cause := context.Cause(lctx); !errors.Is(cause, store.ErrLockLost) {
		t.Fatalf("cause %v, want ErrLockLost", cause)
	}
	if _, err := a.Collection("docs").InsertOne(lctx, bson.M{"_id": "late"}); err == nil {
		t.Fatal("a write after the loss went through")
	}
	unlock() // the loser's unlock, after the other took the lock
	unlock() // twice is harmless too
	if n, err := b.Collection(store.ColClaims).CountDocuments(ctx, bson.M{"_id": "lock:doc/lost#0"}); n != 1 || err != nil {
		t.Fatalf("the loser's unlock deleted the new holder's claim (%d, %v)", n, err)
	}
	if _, _, ok, _ := store.LockWithin(ctx, a, "doc/lost", lease/4); ok {
		t.Fatal("the loser's unlock freed the new holder's lock")
	}
	ub()
}

// A holder whose renewals do not land (the database stalls) loses the lock
// when its lease ends, not later: its context ends then, while the
// renewal still hangs, and another server takes the lock after the lease.
// The loser's unlock leaves the stale claim alone.
func TestLockLostWhenRenewalsStall(t *testing.T) {
	const lease = time.Second
	defer store.SetLockLeaseForTest(lease)()
	st := storetest.New(t)
	a, b := st.DB, storetest.Client(t).Database(st.DB.Name())
	ctx := context.Background()
	restore := store.StallLockRenewalsForTest()
	start := time.Now()
	lctx, unlock, err := store.Lock(ctx, a, "doc/stalled")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-lctx.Done():
	case <-time.After(2 * lease):
		t.Fatal("the holder kept a lock it could not renew")
	}
	if held := time.Since(start); held > lease {
		t.Fatalf("the holder gave the lock up %v after taking it, later than the lease (%v)", held, lease)
	}
	if cause := context.Cause(lctx); !errors.Is(cause, store.ErrLockLost) {
		t.Fatalf("cause %v, want ErrLockLost", cause)
	}
	unlock() // waits for the stalled renewal to give up
	restore()
	if n, err := b.Collection(store.ColClaims).CountDocuments(ctx, bson.M{"_id": "lock:doc/stalled#0"}); n != 1 || err != nil {
		t.Fatalf("the loser's unlock deleted its claim (%d, %v): a caller could claim it beside the next holder", n, err)
	}
	_, ub, ok, err := store.LockWithin(ctx, b, "doc/stalled", 2*lease)
	if !ok || err != nil {
		t.Fatalf("the lock was not taken over after the lease (%v, %v)", ok, err)
	}
	ub()
}
