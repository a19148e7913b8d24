package store_test

import (
	"context"
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
		unlock, err := store.Lock(ctx, db, "doc/1")
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

	unlock, err := store.Lock(ctx, db, "doc/2")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := store.LockWithin(ctx, db, "doc/2", 20*time.Millisecond); ok || err != nil {
		t.Fatalf("a held lock was taken again (%v, %v)", ok, err)
	}
	unlock()
	if u, ok, err := store.LockWithin(ctx, db, "doc/2", time.Second); !ok || err != nil {
		t.Fatalf("a released lock could not be taken (%v, %v)", ok, err)
	} else {
		u()
	}

	// A holder that stopped long ago: its claim is past the lease.
	if _, err := db.Collection(store.ColClaims).InsertOne(ctx, bson.M{"_id": "lock:doc/3#0", "at": time.Now().UTC().Add(-store.LockLease - time.Second)}); err != nil {
		t.Fatal(err)
	}
	u, ok, err := store.LockWithin(ctx, db, "doc/3", time.Second)
	if !ok || err != nil {
		t.Fatalf("a stale lock was not taken over (%v, %v)", ok, err)
	}
	if _, ok, _ := store.LockWithin(ctx, db, "doc/3", 20*time.Millisecond); ok {
		t.Fatal("the taken-over lock was taken twice")
	}
	u()
}
