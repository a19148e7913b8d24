package workshops

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/circularfairict/portal/store/storetest"
)

// Two servers' reminder jobs on one database claim each reminder once:
// the claim is an _id, which the embedded database checks atomically too.
func TestReminderClaimedOnceAcrossServers(t *testing.T) {
	db := storetest.New(t).DB
	a, b := NewStore(db), NewStore(db)
	ctx := context.Background()
	for round := range 5 {
		w, err := a.Create(ctx, "f1", input())
		if err != nil {
			t.Fatal(err)
		}
		var claimed atomic.Int32
		storetest.Together(10, func(i int) {
			s := []*Store{a, b}[i%2]
			ok, err := s.ClaimReminder(ctx, w.ID)
			if err != nil {
				t.Error(err)
			}
			if ok {
				claimed.Add(1)
			}
		})
		if n := claimed.Load(); n != 1 {
			t.Fatalf("round %d: reminder claimed %d times, want 1", round, n)
		}
		due, err := b.DueReminders(ctx, 48*3600e9)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range due {
			if d.ID == w.ID {
				t.Fatalf("round %d: a claimed reminder is still due", round)
			}
		}
	}
}
