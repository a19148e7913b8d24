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

// A StampCache reads its collection again exactly when the stamp moved or
// the copy reached StampMaxAge; two caches on one database (two servers)
// each see a touch made through the other at once.
func TestStampCache(t *testing.T) {
	db := storetest.New(t).DB
	ctx := context.Background()
	col := db.Collection("things")
	if _, err := col.InsertOne(ctx, bson.M{"_id": "a", "n": 1}); err != nil {
		t.Fatal(err)
	}
	newCache := func(reads *atomic.Int32) *store.StampCache[[]int] {
		return store.NewStampCache(db, "things", func(ctx context.Context) ([]int, error) {
			reads.Add(1)
			var docs []struct {
				N int `bson:"n"`
			}
			cur, err := col.Find(ctx, bson.M{})
			if err == nil {
				err = cur.All(ctx, &docs)
			}
			var out []int
			for _, d := range docs {
				out = append(out, d.N)
			}
			return out, err
		}, func(v []int) []int { return append([]int(nil), v...) })
	}
	var readsA, readsB atomic.Int32
	a, b := newCache(&readsA), newCache(&readsB)
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	b.Now = func() time.Time { return now }
	get := func(c *store.StampCache[[]int]) []int {
		t.Helper()
		v, err := c.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// Never touched: the empty stamp is a stamp like any other.
	if v := get(b); len(v) != 1 || v[0] != 1 {
		t.Fatalf("first read: %v", v)
	}
	get(b)[0] = 99 // the caller's own copy
	if v := get(b); v[0] != 1 || readsB.Load() != 1 {
		t.Fatalf("unchanged: %v after %d reads", v, readsB.Load())
	}
	// A write through "server a", then its touch: b sees it on its next Get.
	if _, err := col.UpdateOne(ctx, bson.M{"_id": "a"}, bson.M{"$set": bson.M{"n": 2}}); err != nil {
		t.Fatal(err)
	}
	if err := store.Touch(ctx, db, "things"); err != nil {
		t.Fatal(err)
	}
	if v := get(b); v[0] != 2 || readsB.Load() != 2 {
		t.Fatalf("after a touch: %v after %d reads", v, readsB.Load())
	}
	if v := get(a); v[0] != 2 {
		t.Fatalf("the other cache: %v", v)
	}
	// A write that does not touch is served stale until StampMaxAge.
	if _, err := col.UpdateOne(ctx, bson.M{"_id": "a"}, bson.M{"$set": bson.M{"n": 3}}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(store.StampMaxAge - time.Millisecond)
	if v := get(b); v[0] != 2 {
		t.Fatalf("within the bound: %v (the test expects the copy)", v)
	}
	now = now.Add(time.Millisecond)
	if v := get(b); v[0] != 3 {
		t.Fatalf("at the bound: %v", v)
	}
	// Many first touches at once (an upsert each): every one succeeds.
	errs := make(chan error, 8)
	storetest.Together(8, func(int) { errs <- store.Touch(ctx, db, "fresh") })
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s1, _ := store.ReadStamp(ctx, db, "fresh")
	if err := store.Touch(ctx, db, "fresh"); err != nil {
		t.Fatal(err)
	}
	if s2, _ := store.ReadStamp(ctx, db, "fresh"); s1 == "" || s2 == s1 {
		t.Fatalf("stamps %q then %q", s1, s2)
	}
}

// Gets that find the same new stamp share one read of the collection, and
// one whose request ends does not end it for the others.
func TestStampCacheSharesOneRead(t *testing.T) {
	db := storetest.New(t).DB
	ctx := context.Background()
	var reads atomic.Int32
	started := make(chan struct{}, 10)
	gate := make(chan struct{})
	c := store.NewStampCache(db, "shared", func(ctx context.Context) (int, error) {
		n := reads.Add(1)
		started <- struct{}{}
		select {
		case <-gate:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		return int(n), nil
	}, func(v int) int { return v })
	if err := store.Touch(ctx, db, "shared"); err != nil {
		t.Fatal(err)
	}
	leaderCtx, cancelLeader := context.WithCancel(ctx)
	leader := make(chan error, 1)
	go func() {
		_, err := c.Get(leaderCtx)
		leader <- err
	}()
	<-started
	type got struct {
		v   int
		err error
	}
	others := make(chan got, 3)
	for range 3 {
		go func() {
			v, err := c.Get(ctx)
			others <- got{v, err}
		}()
	}
	for deadline := time.Now().Add(20 * time.Second); store.StampWaitersForTest(c) < 3; {
		if time.Now().After(deadline) {
			t.Fatalf("%d Gets wait beside the first", store.StampWaitersForTest(c))
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancelLeader()
	if err := <-leader; err == nil {
		t.Fatal("the cancelled Get returned no error")
	}
	close(gate)
	for range 3 {
		if g := <-others; g.err != nil || g.v != 1 {
			t.Fatalf("a waiting Get: %v, %v", g.v, g.err)
		}
	}
	if n := reads.Load(); n != 1 {
		t.Fatalf("%d reads of the collection, want 1", n)
	}
	// The shared read is now the copy.
	if v, err := c.Get(ctx); err != nil || v != 1 || reads.Load() != 1 {
		t.Fatalf("after: %v, %v, %d reads", v, err, reads.Load())
	}
}
