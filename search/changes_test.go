package search

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/circularfairict/portal/bus"
	"github.com/circularfairict/portal/store/storetest"
)

// replica opens an index in its own directory on the shared database and
// catches it up, as a server does at start.
func replica(t *testing.T, db *mongo.Database, b bus.Bus, k memKind) *Index {
	t.Helper()
	ix, err := Open(Options{Dir: filepath.Join(t.TempDir(), "ix"), DB: db, Bus: b}, k)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if b != nil {
		if err := ix.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		ix.Wait()
	} else if _, err := ix.CatchUp(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return ix
}

func has(t *testing.T, ix *Index, id string) bool {
	t.Helper()
	res, err := ix.Search(context.Background(), bleve.NewSearchRequest(bleve.NewDocIDQuery([]string{DocID("mem", id)})))
	if err != nil {
		t.Fatal(err)
	}
	return res.Total == 1
}

// Two servers changing documents at once number their changes 1, 2, 3, …
// without a gap or a number twice; each then reads the other's from the
// log (its bus message missed) without comparing every stamp.
func TestChangeLogNumbersWithoutGaps(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t).DB
	k := newMemKind(map[string]string{"seed": "battery"})
	a, b := replica(t, db, nil, k), replica(t, db, nil, k)
	const each = 15
	var wg sync.WaitGroup
	for i, ix := range []*Index{a, b} {
		wg.Go(func() {
			for j := range each {
				id := fmt.Sprintf("s%d-%d", i, j)
				k.set(id, "spare parts "+id)
				ix.Changed(ctx, "mem", id)
			}
		})
	}
	wg.Wait()
	n, err := db.Collection(ColChanges).CountDocuments(ctx, bson.M{})
	if err != nil || n != 2*each {
		t.Fatalf("%d changes logged, %v; want %d", n, err, 2*each)
	}
	named := map[string]bool{}
	for i := int64(1); i <= 2*each; i++ {
		id, ok, err := a.change(ctx, "mem", i)
		if err != nil || !ok {
			t.Fatalf("change %d: %v, %v", i, ok, err)
		}
		named[id] = true
	}
	if len(named) != 2*each {
		t.Errorf("the log names %d documents, want %d", len(named), 2*each)
	}
	before := k.stamps.Load()
	for _, ix := range []*Index{a, b} {
		if _, err := ix.Follow(ctx); err != nil {
			t.Fatal(err)
		}
		if got := ix.Applied("mem"); got != 2*each {
			t.Errorf("applied %d after following, want %d", got, 2*each)
		}
		for id := range named {
			if !has(t, ix, id) {
				t.Errorf("%s missing after following the log", id)
			}
		}
	}
	if k.stamps.Load() != before {
		t.Error("following the log compared every stamp")
	}
}

// A change whose bus message a replica missed (a document withdrawn while
// it was not listening) reaches it at its next Follow; the messages it did
// get keep it level without one.
func TestReplicaFollowsWhatItsBusMissed(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t).DB
	k := newMemKind(map[string]string{"x": "conflict minerals", "y": "take-back"})
	lb := bus.NewLocalBus()
	a, b := replica(t, db, lb, k), replica(t, db, lb, k)
	k.set("z", "refurbished laptops")
	a.Changed(ctx, "mem", "z")
	if !has(t, b, "z") || b.Applied("mem") != 1 {
		t.Fatalf("through the bus: z found %v, applied %d; want true, 1", has(t, b, "z"), b.Applied("mem"))
	}
	b.unsubscribe() // b misses what follows
	k.set("x", "")
	a.Changed(ctx, "mem", "x")
	if !has(t, b, "x") {
		t.Fatal("b heard of the withdrawal without the bus: the test means nothing")
	}
	if n, err := b.Follow(ctx); err != nil || n != 1 {
		t.Fatalf("follow: %d changes, %v; want 1", n, err)
	}
	if has(t, b, "x") || b.Applied("mem") != 2 {
		t.Errorf("after following: x found %v, applied %d; want false, 2", has(t, b, "x"), b.Applied("mem"))
	}
}

// The position in the log survives a restart; a database restored from an
// older backup (a shorter log) is followed again from its own start, and
// its next change takes the next free number.
func TestChangeLogPositionAfterRestartAndRestore(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t).DB
	k := newMemKind(map[string]string{})
	dir := filepath.Join(t.TempDir(), "ix")
	open := func() *Index {
		t.Helper()
		ix, err := Open(Options{Dir: dir, DB: db}, k)
		if err != nil {
			t.Fatal(err)
		}
		return ix
	}
	ix := open()
	if _, err := ix.CatchUp(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c"} {
		k.set(id, "audit "+id)
		ix.Changed(ctx, "mem", id)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix = open()
	if got := ix.Applied("mem"); got != 3 {
		t.Errorf("reopened: applied %d, want 3", got)
	}
	if _, err := ix.CatchUp(ctx, nil); err != nil || ix.Applied("mem") != 3 {
		t.Errorf("caught up: applied %d, %v; want 3", ix.Applied("mem"), err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	// The restored database's log has one change, the index had three.
	if _, err := db.Collection(ColChanges).DeleteMany(ctx, bson.M{"_id": bson.M{"$in": []string{"mem:2", "mem:3"}}}); err != nil {
		t.Fatal(err)
	}
	ix = open()
	defer ix.Close()
	// A change before the start-up catch-up has checked the index against
	// the log still takes the log's next number, not the index's.
	k.set("d", "ecolabel")
	ix.Changed(ctx, "mem", "d")
	if id, ok, err := ix.change(ctx, "mem", 2); err != nil || !ok || id != "d" {
		t.Errorf("the next change: number 2 names %q (%v, %v); want d", id, ok, err)
	}
	if _, err := ix.CatchUp(ctx, nil); err != nil || ix.Applied("mem") != 2 {
		t.Fatalf("after the restore: applied %d, %v; want 2", ix.Applied("mem"), err)
	}
	if _, ok, _ := ix.change(ctx, "mem", 4); ok {
		t.Error("a number after a gap")
	}
}

// Sweep follows the log when the last full catch-up is recent, and
// catches up in full without a log.
func TestSweepFollowsTheLogOrCatchesUpInFull(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t).DB
	k := newMemKind(map[string]string{"a": "battery"})
	with := replica(t, db, nil, k)
	without, err := Open(Options{Dir: filepath.Join(t.TempDir(), "ix")}, k)
	if err != nil {
		t.Fatal(err)
	}
	defer without.Close()
	if _, err := without.CatchUp(ctx, nil); err != nil {
		t.Fatal(err)
	}
	before := k.stamps.Load()
	if _, _, err := with.Sweep(ctx); err != nil || k.stamps.Load() != before {
		t.Errorf("with a log: %v, %d full catch-ups; want none", err, k.stamps.Load()-before)
	}
	if _, _, err := without.Sweep(ctx); err != nil || k.stamps.Load() != before+1 {
		t.Errorf("without a log: %v, %d full catch-ups; want one", err, k.stamps.Load()-before)
	}
}

// Erasure blanks a member's ID in the log without leaving a gap: a replica
// following the log reads past the blanked change.
func TestChangeLogErasure(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t).DB
	k := newMemKind(map[string]string{})
	a, b := replica(t, db, nil, k), replica(t, db, nil, k)
	for _, id := range []string{"m1", "m2", "m1"} {
		k.set(id, "profile of "+id)
		a.Changed(ctx, "mem", id)
	}
	src := PrivacySource(db)
	got, err := src.Export(ctx, "m1")
	if err != nil || fmt.Sprint(got) == "[]" {
		t.Fatalf("export: %v, %v", got, err)
	}
	if err := src.Erase(ctx, "m1"); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.Collection(ColChanges).CountDocuments(ctx, bson.M{"doc": "m1"}); n != 0 {
		t.Errorf("%d changes still name the member", n)
	}
	if n, err := b.Follow(ctx); err != nil || n != 3 || b.Applied("mem") != 3 || !has(t, b, "m2") {
		t.Errorf("follow past the erased: %d, %v, applied %d", n, err, b.Applied("mem"))
	}
}

// A tool writing beside a running server (portal import) numbers its
// changes with a Log; the server reads them at its next Follow.
func TestChangeLogFromATool(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t).DB
	k := newMemKind(map[string]string{"a": "battery"})
	srv := replica(t, db, nil, k)
	srv.Changed(ctx, "mem", "a") // the server's own change first: the tool's takes the next number
	k.set("b", "imported clause")
	if err := NewLog(db).Changed(ctx, "mem", "b"); err != nil {
		t.Fatal(err)
	}
	if n, err := srv.Follow(ctx); err != nil || n != 1 || !has(t, srv, "b") || srv.Applied("mem") != 2 {
		t.Errorf("follow: %d, %v; b found %v, applied %d", n, err, has(t, srv, "b"), srv.Applied("mem"))
	}
}
