package live

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store/storetest"
)

// One insert per event relies on the unique (room, key) index being
// enforced atomically by the embedded database: the same key sent at once
// through two "servers" is stored once, every copy learns the one seq,
// and the room's seqs stay gap-free.
func TestKeyUniqueUnderConcurrency(t *testing.T) {
	e := newEnv(t, nil, Options{})
	stores := []*MongoStore{e.events, NewMongoStore(e.st.DB)}
	const keys, copies = 8, 4
	var mu sync.Mutex
	seqs := map[string][]int64{}
	dups := 0
	var wg sync.WaitGroup
	for i := 0; i < keys*copies; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprint("m/k", i%keys)
			ev, err := stores[i%2].Append(context.Background(), &Event{Room: "room-k", Key: key, Type: "chat", Data: []byte("{}"), At: time.Now()})
			if err != nil && !errors.Is(err, ErrDuplicate) {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				dups++
			}
			seqs[key] = append(seqs[key], ev.Seq)
		}()
	}
	wg.Wait()
	if dups != keys*(copies-1) {
		t.Fatalf("%d duplicates, want %d", dups, keys*(copies-1))
	}
	var all []int64
	for k, s := range seqs {
		for _, q := range s {
			if q != s[0] || q == 0 {
				t.Fatalf("key %s got seqs %v", k, s)
			}
		}
		all = append(all, s[0])
	}
	slices.Sort(all)
	for i, s := range all {
		if s != int64(i+1) {
			t.Fatalf("seqs %v are not 1..%d", all, keys)
		}
	}
	n, err := e.st.DB.Collection(colEvents).CountDocuments(context.Background(), bson.M{"room": "room-k"})
	if err != nil || n != keys {
		t.Fatalf("%d events stored (err %v), want %d", n, err, keys)
	}
	if n, _ := e.st.DB.Collection(colKeys).CountDocuments(context.Background(), bson.M{}); n != 0 {
		t.Fatalf("%d key documents written; the event carries its key", n)
	}
}

// A burst stored in one write gets consecutive seqs; a key stored before,
// or twice in the burst, is answered as a duplicate, and the events after
// it are stored all the same.
func TestAppendManyInOneWrite(t *testing.T) {
	e := newEnv(t, nil, Options{})
	ctx := context.Background()
	ev := func(key string) *Event {
		return &Event{Room: "room-b", Key: key, Type: "chat", Data: []byte("{}"), At: time.Now()}
	}
	first, err := e.events.Append(ctx, ev("m/old"))
	if err != nil {
		t.Fatal(err)
	}
	other := NewMongoStore(e.st.DB) // another server, ahead of this one's hint
	if _, err := other.Append(ctx, ev("m/elsewhere")); err != nil {
		t.Fatal(err)
	}
	out, errs := e.events.AppendMany(ctx, []*Event{ev("m/a"), ev("m/b"), ev("m/old"), ev("m/a"), ev("m/c")})
	want := []struct {
		seq int64
		dup bool
	}{{3, false}, {4, false}, {first.Seq, true}, {3, true}, {5, false}}
	for i, w := range want {
		if out[i] == nil || out[i].Seq != w.seq || errors.Is(errs[i], ErrDuplicate) != w.dup || (!w.dup && errs[i] != nil) {
			t.Fatalf("event %d: %v %v, want seq %d duplicate %v", i, out[i], errs[i], w.seq, w.dup)
		}
	}
	evs, err := e.events.Since(ctx, "room-b", 0)
	if err != nil || len(evs) != 5 {
		t.Fatalf("stored %d events (%v), want 5", len(evs), err)
	}
	for i, x := range evs {
		if x.Seq != int64(i+1) {
			t.Fatalf("stored seqs not 1..5: %d at %d", x.Seq, i)
		}
	}
}

// BenchmarkAppend stores one chat event per operation, as a room does for
// a lone command (docs/benchmarks.md, live room).
func BenchmarkAppend(b *testing.B) {
	st := storetest.New(b)
	if err := st.EnsureIndexes(context.Background(), Indexes()); err != nil {
		b.Fatal(err)
	}
	s := NewMongoStore(st.DB)
	actor := Person{ID: "m-anna", Name: "Anna de Vries", Role: RoleParticipant}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Append(context.Background(), &Event{Room: "bench", Key: fmt.Sprint("m-anna/", i), Type: "chat", Actor: actor,
			Data: []byte(`{"text":"a chat message of ordinary length"}`), At: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendMany10 stores bursts of ten events in one write; the
// time is per burst.
func BenchmarkAppendMany10(b *testing.B) {
	st := storetest.New(b)
	if err := st.EnsureIndexes(context.Background(), Indexes()); err != nil {
		b.Fatal(err)
	}
	s := NewMongoStore(st.DB)
	actor := Person{ID: "m-anna", Name: "Anna de Vries", Role: RoleParticipant}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		evs := make([]*Event, 10)
		for k := range evs {
			evs[k] = &Event{Room: "bench", Key: fmt.Sprint("m-anna/", i, "/", k), Type: "chat", Actor: actor,
				Data: []byte(`{"text":"a chat message of ordinary length"}`), At: time.Now()}
		}
		if _, errs := s.AppendMany(context.Background(), evs); errs[0] != nil {
			b.Fatal(errs[0])
		}
	}
}
