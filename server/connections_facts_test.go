package server

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/event"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
	"github.com/circularfairict/portal/workshops"
)

// The sockets of one room read its workshop's facts once between them
// (however many check at once), each for at most the reuse given; an end
// or recheck call of the registry forgets them; and a connection's check
// counts as old as the facts it rests on, so sharing never stretches how
// long a fact is trusted.
func TestSharedFactsReadOnceAndForgotten(t *testing.T) {
	cs := newConnections()
	var loads atomic.Int32
	release := make(chan struct{})
	load := func(context.Context, string) (auth.WorkshopAccess, error) {
		loads.Add(1)
		<-release
		return auth.WorkshopAccess{Facilitators: []string{"f1"}}, nil
	}
	ctx := context.Background()
	done := make(chan struct{})
	go func() {
		defer close(done)
		storetest.Together(20, func(int) {
			f, err := cs.facts.get(ctx, "w1", time.Hour, load)
			if err != nil || len(f.acc.Facilitators) != 1 {
				t.Errorf("get: %v %v", f, err)
			}
		})
	}()
	// One read is under way (the others wait for it or come after it):
	// let it finish.
	for loads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	<-done
	if n := loads.Load(); n != 1 {
		t.Fatalf("20 sockets checking at once read the workshop %d times", n)
	}
	if _, err := cs.facts.get(ctx, "w1", time.Hour, load); err != nil || loads.Load() != 1 {
		t.Fatalf("a fresh fact is read again (%d reads, %v)", loads.Load(), err)
	}
	// Another workshop has its own facts.
	if _, _ = cs.facts.get(ctx, "w2", time.Hour, load); loads.Load() != 2 {
		t.Fatalf("another workshop's facts: %d reads", loads.Load())
	}
	// A fact older than the reuse is read again.
	if _, _ = cs.facts.get(ctx, "w1", 0, load); loads.Load() != 3 {
		t.Fatalf("a stale fact: %d reads", loads.Load())
	}
	// A recheck or an end call forgets every fact.
	cs.recheckLocal(connSelector{Workshop: "w-other"})
	if _, _ = cs.facts.get(ctx, "w1", time.Hour, load); loads.Load() != 4 {
		t.Fatalf("after a recheck call: %d reads", loads.Load())
	}
	cs.endLocal(connSelector{Member: "nobody"})
	if _, _ = cs.facts.get(ctx, "w1", time.Hour, load); loads.Load() != 5 {
		t.Fatalf("after an end call: %d reads", loads.Load())
	}

	// A check resting on a fact read 900 ms ago is due again 100 ms
	// later, not a whole second later.
	read := time.Now().Add(-900 * time.Millisecond)
	checks := 0
	lc := cs.add(connInfo{Member: "m1", Kind: connRoom, Workshop: "w1"}, func(context.Context, bool) (bool, time.Time) {
		checks++
		return true, read
	}, func() {})
	defer lc.remove()
	lc.mu.Lock()
	lc.checkedAt = time.Time{} // as after a recheck call
	lc.mu.Unlock()
	if !lc.acting() || checks != 1 {
		t.Fatalf("first check: %d", checks)
	}
	lc.mu.Lock()
	at := lc.checkedAt
	lc.mu.Unlock()
	if !at.Equal(read) {
		t.Fatalf("the check counts from %v, not from its fact's %v", at, read)
	}
}

// A busy room's re-checks read its workshop once between its sockets:
// five members whose checks are due each send a frame, and the workshop is
// looked up once (it was five times), while each socket still reads its
// own credential and member (counted with the driver's command monitor).
func TestRoomRechecksReadTheWorkshopOnce(t *testing.T) {
	s, count := findCountingServer(t)
	ctx := context.Background()
	start := time.Now().Add(-10 * time.Minute)
	w, err := s.workshops.Create(ctx, personaID(t, s, "facilitator"), workshops.Input{Title: "Busy clinic", StartsAt: start, EndsAt: start.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	f := &liveRightsFixture{s: s, base: listen(t, s), workshop: w.ID}
	const n = 5
	var rooms []*rightsRoom
	for i := range n {
		m := newMember(t, s, fmt.Sprintf("Busy Member %d", i), auth.StatusApproved, auth.RoleMember)
		token, _, err := s.auth.CreateToken(ctx, m.ID, "test", nil)
		if err != nil {
			t.Fatal(err)
		}
		r := f.dialRoom(t, http.Header{"Authorization": {"Bearer " + token}})
		r.works(t)
		rooms = append(rooms, r)
	}
	// Every check is due, as a second after the last one.
	for _, lc := range s.conns.matching(connSelector{Workshop: w.ID}) {
		lc.mu.Lock()
		lc.checkedAt = time.Time{}
		lc.mu.Unlock()
	}
	s.conns.facts.forget()
	waitFirstSweep(t, s)
	finds := count(func() {
		for _, r := range rooms {
			r.works(t)
		}
	})
	if finds["workshops"] != 1 || finds["api_tokens"] != n || finds["members"] != n {
		t.Fatalf("%d sockets' re-checks read %v, want the workshop once and each credential and member once", n, finds)
	}
}

// waitFirstSweep waits for the sweeper's first pass after the server's
// start to end: it reads members and workshops by _id (digests,
// reminders) and whole collections, and counted inside a check it made the
// check seem to read the member twice.
func waitFirstSweep(t *testing.T, s *Server) {
	t.Helper()
	select {
	case <-s.core.Swept():
	case <-time.After(time.Minute):
		t.Fatal("the sweeper's first pass did not end")
	}
}

// findCountingServer is a test server whose database client counts the
// find commands, by collection, that the function given to count makes.
func findCountingServer(t *testing.T) (*Server, func(func()) map[string]int) {
	var counting atomic.Bool
	var mu sync.Mutex
	finds := map[string]int{}
	monitor := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if counting.Load() && e.CommandName == "find" {
			col := e.Command.Lookup("find").StringValue()
			mu.Lock()
			finds[col]++
			// Also by the _id looked up: the server's own jobs (the
			// sweeper's first pass after a start) may read a whole
			// collection inside the window.
			if id, ok := e.Command.Lookup("filter", "_id").StringValueOK(); ok {
				finds[col+"/"+id]++
			}
			mu.Unlock()
		}
	}}
	base := storetest.New(t)
	mc, err := store.Connect(context.Background(), base.URI, 10*time.Second, func(o *options.ClientOptions) { o.SetMonitor(monitor) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mc.Disconnect(context.Background()) })
	s, _ := newTestServer(t, opts{store: base.WithClient(mc, base.DB.Name())})
	return s, func(f func()) map[string]int {
		mu.Lock()
		clear(finds)
		mu.Unlock()
		counting.Store(true)
		f()
		counting.Store(false)
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(finds)
	}
}

// A socket's re-check reads its credential every time and its member only
// when the member's standing may have changed: the credential's rights
// stamp changed (a status or role change through the store, on any
// server, even with no close call or bus message), an end or recheck call
// came, or the copy is memberEvery old (the bound for a member document
// edited in the database by hand).
func TestRechecksReadTheMemberOnlyWhenItsStandingChanged(t *testing.T) {
	s, count := findCountingServer(t)
	const every = 3 * time.Second
	s.conns.mu.Lock()
	s.conns.memberEvery = every
	s.conns.mu.Unlock()
	ctx := context.Background()
	start := time.Now().Add(-10 * time.Minute)
	w, err := s.workshops.Create(ctx, personaID(t, s, "facilitator"), workshops.Input{Title: "Steady clinic", StartsAt: start, EndsAt: start.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	f := &liveRightsFixture{s: s, base: listen(t, s), workshop: w.ID}
	m := newMember(t, s, "Steady Member", auth.StatusApproved, auth.RoleMember)
	token, _, err := s.auth.CreateToken(ctx, m.ID, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	r := f.dialRoom(t, http.Header{"Authorization": {"Bearer " + token}})
	r.works(t)
	lc := s.conns.matching(connSelector{Member: m.ID})[0]
	waitFirstSweep(t, s)
	// checked is one frame whose check is due, and the finds it made.
	checked := func() map[string]int {
		lc.mu.Lock()
		lc.checkedAt = time.Time{}
		lc.mu.Unlock()
		return count(func() { r.works(t) })
	}
	want := func(what string, got map[string]int, members int) {
		t.Helper()
		if got["api_tokens"] != 1 || got["members/"+m.ID] != members {
			t.Fatalf("%s: the check read %v, want the token once and the member %d times", what, got, members)
		}
	}
	want("first check", checked(), 1)
	want("nothing changed", checked(), 0)
	want("nothing changed, again", checked(), 0)
	// A role change through the store, with no close call: the stamp.
	if err := s.auth.SetRole(ctx, m.ID, auth.RoleFacilitator); err != nil {
		t.Fatal(err)
	}
	want("role changed", checked(), 1)
	want("after the role change", checked(), 0)
	// Any end or recheck call, even for someone else.
	s.conns.recheckLocal(connSelector{Member: "someone-else"})
	want("after a recheck call", checked(), 1)
	// A member document edited by hand changes no stamp: the copy is
	// trusted until it is memberEvery old, then the member is read again
	// and the change met.
	if _, err := s.store.DB.Collection("members").UpdateOne(ctx, bson.M{"_id": m.ID}, bson.M{"$set": bson.M{"status": auth.StatusDeactivated}}); err != nil {
		t.Fatal(err)
	}
	want("edited by hand, within memberEvery", checked(), 0)
	time.Sleep(every)
	lc.mu.Lock()
	lc.checkedAt = time.Time{}
	lc.mu.Unlock()
	r.refusesNext(t)
}

// A frame that finds its socket's check past half its reuse is acted on
// (the answer is within the bound) and starts a check ahead; when that
// check finds the credential deleted directly in the database (no close
// call, no bus message), the socket ends at once, without another frame.
func TestCheckAheadEndsASocketWhoseTokenWasDeleted(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	start := time.Now().Add(-10 * time.Minute)
	w, err := s.workshops.Create(ctx, personaID(t, s, "facilitator"), workshops.Input{Title: "Clinic", StartsAt: start, EndsAt: start.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	f := &liveRightsFixture{s: s, base: listen(t, s), workshop: w.ID}
	m := newMember(t, s, "Typing Member", auth.StatusApproved, auth.RoleMember)
	secret, tok, err := s.auth.CreateToken(ctx, m.ID, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	r := f.dialRoom(t, http.Header{"Authorization": {"Bearer " + secret}})
	r.works(t)
	if _, err := s.store.DB.Collection("api_tokens").DeleteOne(ctx, bson.M{"_id": tok.ID}); err != nil {
		t.Fatal(err)
	}
	conns := s.conns.matching(connSelector{Member: m.ID})
	if len(conns) != 1 {
		t.Fatalf("%d connections of the member", len(conns))
	}
	setAge(conns[0], recheckEvery*6/10)
	r.send(t)
	r.ended(t)
}
