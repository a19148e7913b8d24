package forum

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// twoServers returns two forum stores on one database, as two replicas
// have: nothing held in one process (a lock, a cache) is shared.
func twoServers(t *testing.T) (*Store, *Store, *Category) {
	t.Helper()
	_, a, b, cat := twoServersOn(t)
	return a, b, cat
}

// twoServersOn is twoServers with their database.
func twoServersOn(t *testing.T) (*store.Store, *Store, *Store, *Category) {
	t.Helper()
	st := storetest.New(t)
	ctx := context.Background()
	if err := st.EnsureIndexes(ctx, Indexes()); err != nil {
		t.Fatal(err)
	}
	a, b := NewStore(st.DB), NewStore(st.DB)
	if st.Embedded {
		// One replica reads by _id, as the server does on the embedded
		// database, the other with $in: both must meet the same posts.
		a.ReadByID()
	}
	cat, err := a.EnsureGeneral(ctx, "General", "Anything")
	if err != nil {
		t.Fatal(err)
	}
	return st, a, b, cat
}

// run calls f(i, store) from n goroutines, alternating the two stores,
// released together.
func run(t *testing.T, n int, a, b *Store, f func(i int, s *Store) error) {
	t.Helper()
	errs := make(chan error, n)
	storetest.Together(n, func(i int) {
		if err := f(i, []*Store{a, b}[i%2]); err != nil {
			errs <- err
		}
	})
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestResourceThreadOnceAcrossServers(t *testing.T) {
	a, b, cat := twoServers(t)
	ctx := context.Background()
	for round := range 5 {
		resource := store.NewID()
		var mu sync.Mutex
		created, ids := 0, map[string]bool{}
		run(t, 20, a, b, func(i int, s *Store) error {
			th, c, err := s.EnsureResourceThread(ctx, NewThread{Category: cat, AuthorID: fmt.Sprintf("m%d", i),
				Title: "Discussion of a resource", Body: "What do you think of it?", ResourceID: resource})
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			ids[th.ID] = true
			if c {
				created++
			}
			return nil
		})
		n, err := a.col(colThreads).CountDocuments(ctx, bson.M{"resource_id": resource})
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || created != 1 || len(ids) != 1 {
			t.Fatalf("round %d: %d threads stored, %d calls created one, %d thread IDs returned; want 1, 1, 1", round, n, created, len(ids))
		}
		th, err := b.ThreadForResource(ctx, resource)
		if err != nil || !ids[th.ID] {
			t.Fatalf("round %d: ThreadForResource = %v, %v; want the one thread", round, th, err)
		}
		p, err := a.Post(ctx, th.ID, 1)
		if err != nil || p.AuthorID != th.AuthorID {
			t.Fatalf("round %d: opening post %v, %v; want one by the thread's author %s", round, p, err, th.AuthorID)
		}
	}
}

// A thread older than the derived _id keeps being the resource's thread
// once schema 7 recorded it (the oldest of two), found by _id lookups
// only, with its replies counted; a resource without one has none.
func TestResourceThreadLegacy(t *testing.T) {
	st, a, b, cat := twoServersOn(t)
	ctx := context.Background()
	resource, bare := store.NewID(), store.NewID()
	old, _, err := a.CreateThread(ctx, NewThread{Category: cat, AuthorID: "m1", Title: "Discussion of a resource", Body: "Older", ResourceID: resource})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.CreateThread(ctx, NewThread{Category: cat, AuthorID: "m3", Title: "Discussion of a resource", Body: "Second",
		ResourceID: resource, At: old.CreatedAt.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Reply(ctx, old.ID, "m2", "A reply", false, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := st.Upgrade(ctx, nil); err != nil {
		t.Fatal(err)
	}
	th, created, err := b.EnsureResourceThread(ctx, NewThread{Category: cat, AuthorID: "m2", Title: "Discussion of a resource", Body: "Newer", ResourceID: resource})
	if err != nil || created || th.ID != old.ID {
		t.Fatalf("EnsureResourceThread = %v, %v, %v; want the existing thread %s", th, created, err, old.ID)
	}
	if th.LastN != 2 {
		t.Fatalf("LastN = %d; want 2", th.LastN)
	}
	counts, err := a.ReplyCounts(ctx, []string{resource, bare})
	if err != nil || len(counts) != 1 || counts[resource] != 1 {
		t.Fatalf("ReplyCounts = %v, %v; want %s: 1 only", counts, err, resource)
	}
	if _, err := b.ThreadForResource(ctx, bare); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ThreadForResource of a resource without a thread: %v; want ErrNotFound", err)
	}
}

func TestRepliesAcrossServersAllShow(t *testing.T) {
	a, b, cat := twoServers(t)
	ctx := context.Background()
	th, _, err := a.CreateThread(ctx, NewThread{Category: cat, AuthorID: "m0", Title: "Many replies at once", Body: "Opening"})
	if err != nil {
		t.Fatal(err)
	}
	const replies = 20
	run(t, replies, a, b, func(i int, s *Store) error {
		_, err := s.Reply(ctx, th.ID, fmt.Sprintf("m%d", i), fmt.Sprintf("Reply %d", i), false, th.CreatedAt)
		return err
	})
	// A reader on either server sees every post, numbered 1..51, on the
	// pages its thread's LastN gives.
	for _, s := range []*Store{a, b} {
		got, err := s.Thread(ctx, th.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.LastN != replies+1 {
			t.Fatalf("LastN = %d; want %d", got.LastN, replies+1)
		}
		var ns []int
		for page := 1; page <= got.Pages(); page++ {
			ps, err := s.Posts(ctx, got, page)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				ns = append(ns, p.N)
			}
		}
		if len(ns) != replies+1 {
			t.Fatalf("%d posts on the pages; want %d", len(ns), replies+1)
		}
		for i, n := range ns {
			if n != i+1 {
				t.Fatalf("posts out of order or missing: %v", ns)
			}
		}
	}
	// A thread read before the last reply still pages to it.
	p, err := b.Reply(ctx, th.ID, "late", "One more", false, th.CreatedAt)
	if err != nil {
		t.Fatal(err)
	}
	stale := *th
	stale.LastN = p.N - 1
	ps, err := a.Posts(ctx, &stale, (p.N-1)/PageSize+1)
	if err != nil || len(ps) == 0 || ps[len(ps)-1].N != p.N {
		t.Fatalf("Posts with a lagging LastN = %d posts, %v; want the newest post %d last", len(ps), err, p.N)
	}
}

func TestDigestClaimedOnceAcrossServers(t *testing.T) {
	a, b, _ := twoServers(t)
	ctx := context.Background()
	last := a.now().Add(-25 * time.Hour)
	now := a.now()
	var mu sync.Mutex
	var claims []string
	run(t, 10, a, b, func(i int, s *Store) error {
		id, ok, err := s.ClaimDigest(ctx, "m1", last, now)
		if ok {
			mu.Lock()
			claims = append(claims, id)
			mu.Unlock()
		}
		return err
	})
	if len(claims) != 1 {
		t.Fatalf("digest claimed %d times, want 1", len(claims))
	}
	// Held while the lease runs; taken over, once, after it ran out.
	if _, ok, err := b.ClaimDigest(ctx, "m1", last, now.Add(digestLease/2)); err != nil || ok {
		t.Fatalf("claimed during the lease: %v, %v", ok, err)
	}
	later := now.Add(digestLease + time.Second)
	id, ok, err := b.ClaimDigest(ctx, "m1", last, later)
	if err != nil || !ok || id == claims[0] {
		t.Fatalf("after the lease: %q, %v, %v; want a new claim", id, ok, err)
	}
	if _, ok, _ := a.ClaimDigest(ctx, "m1", last, later); ok {
		t.Fatal("a stale lease was taken over twice")
	}
	// A released claim (the mail failed) is claimed again by the next run.
	if err := b.ReleaseDigest(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := a.ClaimDigest(ctx, "m1", last, later); err != nil || !ok {
		t.Fatalf("after release: %v, %v", ok, err)
	}
}

// Members reacting to one post through two servers at the same moment, while
// its author edits it, all keep their reaction, and every edit lands in the
// history: each read-modify-write of the post holds its document's lock
// (store.Lock, a claimed _id), which the other server waits for.
func TestReactionsAndEditsAcrossServers(t *testing.T) {
	a, b, cat := twoServers(t)
	ctx := context.Background()
	th, p, err := a.CreateThread(ctx, NewThread{Category: cat, AuthorID: "m0", Title: "Reacted to from two servers", Body: "Version 0"})
	if err != nil {
		t.Fatal(err)
	}
	const reactors, edits = 12, 4
	run(t, reactors+edits, a, b, func(i int, s *Store) error {
		if i < reactors {
			on, err := s.React(ctx, th.ID, p.N, fmt.Sprintf("m%d", i), Reactions[i%len(Reactions)])
			if err == nil && !on {
				err = fmt.Errorf("m%d: reaction toggled off", i)
			}
			return err
		}
		_, err := s.EditPost(ctx, th.ID, p.N, "m0", fmt.Sprintf("Version %d", i-reactors+1))
		return err
	})
	got, err := b.Post(ctx, th.ID, p.N)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ms := range got.Reactions {
		n += len(ms)
	}
	if n != reactors {
		t.Errorf("%d reactions kept of %d: %v", n, reactors, got.Reactions)
	}
	if len(got.History) != edits {
		t.Errorf("history has %d versions; want %d", len(got.History), edits)
	}
}

// Moderators switching a thread while replies arrive through two servers:
// the switches stay. Each reply moves the thread's last_n hint and counts,
// and on FerretDB each such write rewrites the whole thread from its read,
// so an unlocked one put back the flags a moderator had just set.
func TestModerationSurvivesRepliesAcrossServers(t *testing.T) {
	a, b, cat := twoServers(t)
	ctx := context.Background()
	th, _, err := a.CreateThread(ctx, NewThread{Category: cat, AuthorID: "m0", Title: "Moderated while busy", Body: "Opening"})
	if err != nil {
		t.Fatal(err)
	}
	const replies = 8
	run(t, replies+2, a, b, func(i int, s *Store) error {
		switch i {
		case replies:
			return s.SetPinned(ctx, th.ID, true)
		case replies + 1:
			return s.SetClosed(ctx, th.ID, true)
		}
		_, err := s.Reply(ctx, th.ID, fmt.Sprintf("m%d", i), fmt.Sprintf("Reply %d", i), false, th.CreatedAt)
		return err
	})
	got, err := b.Thread(ctx, th.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Pinned || !got.Closed || got.LastN != replies+1 {
		t.Fatalf("pinned %v, closed %v, last_n %d: a write was undone", got.Pinned, got.Closed, got.LastN)
	}
}
