package live

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/circularfairict/portal/store"
)

// The live store's query path, the one a server uses when the database is
// not embedded (server/workshop_live.go reads by _id only when it is), run
// on a store opened by URI as a replica on MongoDB opens it, beside a
// server reading by _id on the same database: both servers append to one
// room at once, and both read one gapless order, by query and by _id.
func TestQueryPathOverURI(t *testing.T) {
	st := indexedEvents(t)
	ctx := context.Background()
	remote, err := store.Open(ctx, store.Options{URI: st.URI, Database: st.DB.Name()})
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close(ctx)
	if remote.Embedded {
		t.Fatal("a store opened by URI reports an embedded database")
	}
	q, b := NewMongoStore(remote.DB), NewMongoStore(st.DB).ReadByID()
	actor := Person{ID: "m-anna", Name: "Anna de Vries", Role: RoleParticipant}
	const each = 15
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for i, s := range []*MongoStore{q, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				if _, err := s.Append(ctx, &Event{Room: "r", Key: fmt.Sprintf("m-anna/%d-%d", i, j), Type: "chat", Actor: actor, Data: []byte(`{"text":"hi"}`)}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for name, s := range map[string]*MongoStore{"query": q, "by _id": b} {
		h, err := s.Head(ctx, "r")
		if err != nil || h != 2*each {
			t.Fatalf("%s: head %d (%v), want %d", name, h, err, 2*each)
		}
		evs, err := s.Since(ctx, "r", 0)
		if err != nil || len(evs) != 2*each {
			t.Fatalf("%s: %d events (%v), want %d", name, len(evs), err, 2*each)
		}
		for k, ev := range evs {
			if ev.Seq != int64(k+1) {
				t.Fatalf("%s: event %d has seq %d", name, k, ev.Seq)
			}
		}
		rg, err := s.Range(ctx, "r", 5, 9)
		if err != nil || len(rg) != 5 || rg[0].Seq != 5 {
			t.Fatalf("%s: range 5..9 gave %d events (%v)", name, len(rg), err)
		}
	}
}
