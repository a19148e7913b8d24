package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

// The tests' shared embedded database and its directory go at the end.
func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func TestClaims(t *testing.T) {
	db := storetest.New(t).DB
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	if ok, err := store.Claim(ctx, db, "job:a", now); err != nil || !ok {
		t.Fatalf("first claim: %v, %v", ok, err)
	}
	if ok, err := store.Claim(ctx, db, "job:a", now); err != nil || ok {
		t.Fatalf("second claim: %v, %v; want refused", ok, err)
	}
	// A lease is held until it runs out, then taken over once.
	id, ok, err := store.ClaimLease(ctx, db, "digest:m", now, time.Minute)
	if err != nil || !ok {
		t.Fatalf("lease: %v, %v", ok, err)
	}
	if _, ok, _ := store.ClaimLease(ctx, db, "digest:m", now.Add(30*time.Second), time.Minute); ok {
		t.Fatal("lease taken while held")
	}
	id2, ok, err := store.ClaimLease(ctx, db, "digest:m", now.Add(2*time.Minute), time.Minute)
	if err != nil || !ok || id2 == id {
		t.Fatalf("stale lease: %q, %v, %v; want a new generation", id2, ok, err)
	}
	if err := store.Release(ctx, db, id2); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := store.ClaimLease(ctx, db, "digest:m", now.Add(2*time.Minute), time.Minute); !ok {
		t.Fatal("a released lease is not claimed again")
	}
	// Pruning keeps other kinds and recent claims.
	if _, err := store.Claim(ctx, db, "digest:recent", now.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	n, err := store.PruneClaims(ctx, db, "digest:", now.Add(24*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("pruned %d (%v), want the 2 old digest claims", n, err)
	}
	if ok, _ := store.Claim(ctx, db, "job:a", now); ok {
		t.Fatal("pruning digest claims removed another kind")
	}
	if ok, _ := store.Claim(ctx, db, "digest:recent", now); ok {
		t.Fatal("pruning removed a recent claim")
	}
}
