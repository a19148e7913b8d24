package live

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store"
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

// indexedEvents is a test database with the engine's indexes.
func indexedEvents(tb testing.TB) *store.Store {
	tb.Helper()
	st := storetest.New(tb)
	if err := st.EnsureIndexes(context.Background(), Indexes()); err != nil {
		tb.Fatal(err)
	}
	return st
}

// BenchmarkAppend stores one chat event per operation, as a room does for
// a lone command (docs/benchmarks.md, live room).
func BenchmarkAppend(b *testing.B) {
	st := indexedEvents(b)
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
	st := indexedEvents(b)
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

// TestReadByIDMatchesTheQuery: reading a room's events by _id (the
// embedded database's way) gives what the (room, seq) query gives: the
// same head, the same events from any point, the same ranges, with other
// rooms' events interleaved and with bursts stored in one insert.
func TestReadByIDMatchesTheQuery(t *testing.T) {
	st := indexedEvents(t)
	ctx := context.Background()
	w := NewMongoStore(st.DB)
	actor := Person{ID: "m-anna", Name: "Anna de Vries", Role: RoleParticipant}
	sizes := map[string]int{"empty": 0, "one": 1, "two": 2, "odd": 37, "pow": 64, "big": 130}
	for room, n := range sizes {
		for i := 0; i < n; {
			k := min(1+i%5, n-i) // single events and bursts of up to five
			evs := make([]*Event, k)
			for j := range evs {
				evs[j] = &Event{Room: room, Key: fmt.Sprint("m-anna/", i+j), Type: "chat", Actor: actor, Data: []byte(fmt.Sprintf(`{"text":"%s %d"}`, room, i+j)), At: time.Now().UTC().Truncate(time.Millisecond)}
			}
			if _, errs := w.AppendMany(ctx, evs); errs[0] != nil {
				t.Fatal(errs[0])
			}
			i += k
		}
	}
	q, b := NewMongoStore(st.DB), NewMongoStore(st.DB).ReadByID()
	same := func(what string, x, y []*Event) {
		t.Helper()
		if len(x) != len(y) {
			t.Fatalf("%s: %d events by query, %d by _id", what, len(x), len(y))
		}
		for i := range x {
			if x[i].Seq != y[i].Seq || x[i].Room != y[i].Room || string(x[i].Data) != string(y[i].Data) || x[i].Key != y[i].Key {
				t.Fatalf("%s: event %d differs: %+v vs %+v", what, i, x[i], y[i])
			}
		}
	}
	for room, n := range sizes {
		hq, err1 := q.Head(ctx, room)
		hb, err2 := b.Head(ctx, room)
		if err1 != nil || err2 != nil || hq != int64(n) || hb != int64(n) {
			t.Fatalf("%s: head %d by query, %d by _id, want %d (%v %v)", room, hq, hb, n, err1, err2)
		}
		for _, after := range []int64{0, 1, int64(n / 2), int64(n - 1), int64(n), int64(n + 5)} {
			x, err1 := q.Since(ctx, room, after)
			y, err2 := b.Since(ctx, room, after)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			same(fmt.Sprintf("%s since %d", room, after), x, y)
		}
		for _, r := range [][2]int64{{1, int64(n)}, {2, 3}, {int64(n), int64(n + 3)}, {5, 4}, {1, 1 << 40}} {
			x, err1 := q.Range(ctx, room, r[0], r[1])
			y, err2 := b.Range(ctx, room, r[0], r[1])
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			same(fmt.Sprintf("%s range %v", room, r), x, y)
		}
	}
	// A store that knows no head (a restart) appends after the stored ones.
	ev, err := NewMongoStore(st.DB).ReadByID().Append(ctx, &Event{Room: "odd", Key: "m-anna/late", Type: "chat", Actor: actor, Data: []byte(`{"text":"late"}`)})
	if err != nil || ev.Seq != 38 {
		t.Fatalf("append after a restart: %+v %v, want seq 38", ev, err)
	}
}

// BenchmarkRoomStart reads what a room that starts reads (its head, then
// its events) for a room of 1,000 events in a database holding 20,000
// events of another room, by query and by _id.
//
//	go test ./workshops/live/ -run '^$' -bench RoomStart -benchtime 5x
func BenchmarkRoomStart(b *testing.B) {
	st := indexedEvents(b)
	ctx := context.Background()
	w := NewMongoStore(st.DB)
	actor := Person{ID: "m-anna", Name: "Anna de Vries", Role: RoleParticipant}
	fill := func(room string, n int) {
		for i := 0; i < n; i += 64 {
			evs := make([]*Event, min(64, n-i))
			for k := range evs {
				evs[k] = &Event{Room: room, Key: fmt.Sprint("m-anna/", i+k), Type: "notes.op", Actor: actor,
					Data: []byte(`{"doc":"g1","rev":12,"ops":["a fragment of ordinary length",120]}`), At: time.Now()}
			}
			if _, errs := w.AppendMany(ctx, evs); errs[0] != nil {
				b.Fatal(errs[0])
			}
		}
	}
	fill("other", 20000)
	fill("room", 1000)
	for _, byID := range []bool{false, true} {
		name := "query"
		if byID {
			name = "by_id"
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				s := NewMongoStore(st.DB)
				if byID {
					s.ReadByID()
				}
				if h, err := s.Head(ctx, "room"); err != nil || h != 1000 {
					b.Fatal(h, err)
				}
				if evs, err := s.Since(ctx, "room", 0); err != nil || len(evs) != 1000 {
					b.Fatal(len(evs), err)
				}
			}
		})
	}
}

// failingStore holds the first write until released, so that the commands
// sent meanwhile queue up and are stored together; while fail is set,
// every write fails.
type failingStore struct {
	*MongoStore
	hold    chan struct{}
	held    sync.Once
	fail    atomic.Bool
	batches chan int // sizes of the batches refused
}

func (s *failingStore) Append(ctx context.Context, ev *Event) (*Event, error) {
	s.held.Do(func() { <-s.hold })
	if s.fail.Load() {
		s.batches <- 1
		return nil, errors.New("disk full")
	}
	return s.MongoStore.Append(ctx, ev)
}

func (s *failingStore) AppendMany(ctx context.Context, evs []*Event) ([]*Event, []error) {
	if s.fail.Load() {
		s.batches <- len(evs)
		errs := make([]error, len(evs))
		for i := range errs {
			errs[i] = errors.New("disk full")
		}
		return make([]*Event, len(evs)), errs
	}
	return s.MongoStore.AppendMany(ctx, evs)
}

// A write that fails fails every command of its batch: each sender is told
// (unavailable, with its key), none of them is broadcast, and no seq is
// used up, so the next command follows the last stored one.
func TestFailedWriteFailsItsWholeBatch(t *testing.T) {
	st := storetest.New(t)
	fs := &failingStore{MongoStore: NewMongoStore(st.DB), hold: make(chan struct{}), batches: make(chan int, 16)}
	if st.Embedded {
		fs.ReadByID()
	}
	e := newEnv(t, st, Options{Store: fs, RatePerSec: 1000, RateBurst: 1000})
	a := e.dial("anna", "r1", nil)
	a.welcome()
	j := e.dial("jonas", "r1", nil)
	j.welcome()
	a.sendJSON(map[string]any{"type": "chat", "key": "k0", "text": "stored"})
	time.Sleep(100 * time.Millisecond) // the first write is held
	const n = 5
	for i := 1; i <= n; i++ {
		a.sendJSON(map[string]any{"type": "chat", "key": fmt.Sprint("k", i), "text": fmt.Sprint("lost ", i)})
	}
	time.Sleep(200 * time.Millisecond) // queued behind the held write
	fs.fail.Store(true)
	// The held write was taken before fail was set; it fails too, alone.
	close(fs.hold)
	refused := map[string]bool{}
	for len(refused) < n+1 {
		m := a.expect("error", nil)
		if m["code"] != string(ErrUnavailable) {
			t.Fatalf("refusal %v", m)
		}
		refused[str(m["ref"])] = true
	}
	sizes := 0
	largest := 0
	for sizes < n+1 {
		b := <-fs.batches
		sizes += b
		largest = max(largest, b)
	}
	if largest < 2 {
		t.Fatalf("the queued commands were not stored together (largest batch %d)", largest)
	}
	fs.fail.Store(false)
	a.sendJSON(map[string]any{"type": "chat", "key": "after", "text": "after"})
	m := j.expect("chat", nil)
	if str(m["text"]) != "after" {
		t.Fatalf("jonas got %q first: a refused command was broadcast", m["text"])
	}
	ack := a.expect("ack", func(m map[string]any) bool { return m["key"] == "after" })
	if num(ack["seq"]) != num(m["seq"]) || num(m["seq"]) != 1 {
		t.Fatalf("the command after the failure got seq %v (ack %v), want 1: no seq used up", m["seq"], ack["seq"])
	}
}
