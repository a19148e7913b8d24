package store_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

// Two servers (two counters on one database) hit one key at the same moment:
// exactly limit hits fall within the budget, whichever server counted them,
// and the sweep removes the window once it has ended.
func TestWindowCounterAcrossServers(t *testing.T) {
	db := storetest.New(t).DB
	ctx := context.Background()
	const limit = 7
	a, b := store.NewWindowCounter(db, time.Minute, limit), store.NewWindowCounter(db, time.Minute, limit)
	now := time.Date(2026, 12, 6, 10, 0, 30, 0, time.UTC)
	var within atomic.Int32
	seen := make([]atomic.Int32, limit+1)
	storetest.Together(24, func(i int) {
		n, end, err := []*store.WindowCounter{a, b}[i%2].Hit(ctx, "ip:198.51.100.7", now)
		if err != nil {
			t.Error(err)
			return
		}
		if !end.Equal(now.Truncate(time.Minute).Add(time.Minute)) {
			t.Errorf("window ends %v", end)
		}
		if n <= limit {
			within.Add(1)
			seen[n].Add(1)
		}
	})
	if within.Load() != limit {
		t.Fatalf("%d hits within a budget of %d", within.Load(), limit)
	}
	for n := 1; n <= limit; n++ {
		if seen[n].Load() != 1 {
			t.Fatalf("number %d given %d times", n, seen[n].Load())
		}
	}
	// Another key and the next window start afresh.
	if n, _, _ := b.Hit(ctx, "ip:198.51.100.8", now); n != 1 {
		t.Fatalf("another key starts at %d", n)
	}
	if n, _, _ := a.Hit(ctx, "ip:198.51.100.7", now.Add(time.Minute)); n != 1 {
		t.Fatalf("the next window starts at %d", n)
	}
	if n, err := store.SweepWindows(ctx, db, now.Add(time.Minute)); err != nil || n != limit+1 {
		t.Fatalf("sweep removed %d (%v), want the %d hits of the ended window", n, err, limit+1)
	}
}
