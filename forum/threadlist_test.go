package forum

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/bus"
	"github.com/circularfairict/portal/search"
	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

// listIndex opens a filled index with the discussions' kinds for s.
func listIndex(t *testing.T, s *Store, b bus.Bus) *search.Index {
	t.Helper()
	ix, err := search.Open(search.Options{Dir: filepath.Join(t.TempDir(), "search"), Bus: b},
		s.SearchIndexKind(), s.ThreadListIndexKind())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if ix.Filled() {
		t.Fatal("a new index says it is filled")
	}
	if err := ix.Start(context.Background()); err != nil { // follows the bus
		t.Fatal(err)
	}
	ix.Wait()
	if !ix.Filled() {
		t.Fatal("a caught-up index says it is not filled")
	}
	return ix
}

func listIDs(ts []*Thread) string {
	ids := make([]string, len(ts))
	for i, th := range ts {
		ids[i] = th.ID
	}
	return strings.Join(ids, ",")
}

// nonZero leaves out the zero counts (a category with none unread may be
// listed with 0 or not at all).
func nonZero(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// The lists read from the index equal the database's own answer for every
// kind of viewer (anonymous, a member, the author of a held thread, a
// moderator), page by page and since a time, after every kind of change,
// and an index rebuilt from nothing gives the same lists.
func TestThreadListsFromIndex(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	if err := st.EnsureIndexes(ctx, Indexes()); err != nil {
		t.Fatal(err)
	}
	plain := NewStore(st.DB) // no index: the database's answer
	s := NewStore(st.DB).ReadByID()
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	tick := func() time.Time { clock = clock.Add(time.Minute); return clock }
	s.SetClock(func() time.Time { return clock })
	gen, err := s.EnsureGeneral(ctx, "General", "Anything")
	if err != nil {
		t.Fatal(err)
	}
	grp, err := s.CreateCategory(ctx, Category{Name: "Group room", GroupID: store.NewID()})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.CreateCategory(ctx, Category{Name: "Other group", GroupID: store.NewID()})
	if err != nil {
		t.Fatal(err)
	}
	s.SetIndex(listIndex(t, s, nil))

	author, newcomer := store.NewID(), store.NewID()
	var threads []*Thread
	same := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC) // ties are broken by _id
	for i := range 12 {
		cat := []*Category{gen, grp, other}[i%3]
		nt := NewThread{Category: cat, AuthorID: author, Title: fmt.Sprintf("Thread number %d", i), Body: "Opening words.", At: tick()}
		if i == 4 || i == 5 {
			nt.At = same
		}
		if i == 7 {
			nt.AuthorID, nt.Held = newcomer, true
		}
		th, _, err := s.CreateThread(ctx, nt)
		if err != nil {
			t.Fatal(err)
		}
		threads = append(threads, th)
	}

	viewers := map[string]ThreadQuery{
		"anonymous": {},
		"member":    {ViewerID: store.NewID()},
		"newcomer":  {ViewerID: newcomer},
		"moderator": {ViewerID: store.NewID(), Moderator: true},
	}
	check := func(step string) {
		t.Helper()
		for name, v := range viewers {
			for _, cats := range [][]string{{gen.ID}, {gen.ID, grp.ID}, {gen.ID, grp.ID, other.ID}} {
				for _, page := range []struct{ skip, limit int }{{0, 0}, {0, 5}, {5, 5}, {10, 5}} {
					for _, since := range []time.Time{{}, threads[6].CreatedAt} {
						q := v
						q.CategoryIDs, q.Skip, q.Limit, q.Since = cats, page.skip, page.limit, since
						want, err := plain.Threads(ctx, q)
						if err != nil {
							t.Fatal(err)
						}
						got, err := s.Threads(ctx, q)
						if err != nil {
							t.Fatal(err)
						}
						if listIDs(got) != listIDs(want) {
							t.Errorf("%s: %s in %d categories, page %v, since %v:\n got %s\nwant %s", step, name, len(cats), page, !since.IsZero(), listIDs(got), listIDs(want))
						}
					}
				}
			}
		}
		all := []string{gen.ID, grp.ID, other.ID}
		// Keep sees the heads in list order; what it drops is not returned.
		keep := func() func(ThreadHead) bool {
			kept := 0
			return func(h ThreadHead) bool {
				if kept == 2 || h.LastN < 2 {
					return false
				}
				kept++
				return true
			}
		}
		wantKept, err := plain.Threads(ctx, ThreadQuery{CategoryIDs: all, Keep: keep()})
		if err != nil {
			t.Fatal(err)
		}
		gotKept, err := s.Threads(ctx, ThreadQuery{CategoryIDs: all, Keep: keep()})
		if err != nil {
			t.Fatal(err)
		}
		if listIDs(gotKept) != listIDs(wantKept) {
			t.Errorf("%s: kept\n got %s\nwant %s", step, listIDs(gotKept), listIDs(wantKept))
		}
		// The counts per category, for readers with and without marks and
		// levels, as the database gives them.
		readers := map[string]struct {
			reads  map[string]int
			levels map[string]string
		}{
			"no reader":  {},
			"no marks":   {reads: map[string]int{}},
			"some marks": {reads: map[string]int{threads[0].ID: 99, threads[1].ID: 1, threads[3].ID: 1, threads[7].ID: 99}},
			"levels": {reads: map[string]int{threads[2].ID: 99},
				levels: map[string]string{grp.ID: Mute, threads[4].ID: Watch, threads[6].ID: Mute, threads[5].ID: Mute, "not-a-thread": Watch}},
		}
		for name, r := range readers {
			for _, cats := range [][]string{{gen.ID}, all} {
				wantCount, wantUnread, err := plain.CategoryCounts(ctx, cats, r.reads, r.levels)
				if err != nil {
					t.Fatal(err)
				}
				gotCount, gotUnread, err := s.CategoryCounts(ctx, cats, r.reads, r.levels)
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(gotCount) != fmt.Sprint(wantCount) || fmt.Sprint(nonZero(gotUnread)) != fmt.Sprint(nonZero(wantUnread)) {
					t.Errorf("%s: %s in %d categories: counts %v unread %v; want %v and %v", step, name, len(cats), gotCount, gotUnread, wantCount, wantUnread)
				}
			}
		}
	}
	check("created")

	// A reply moves its thread to the top at once.
	old := threads[0]
	if _, err := s.Reply(ctx, old.ID, store.NewID(), "A late answer.", false, tick()); err != nil {
		t.Fatal(err)
	}
	top, err := s.Threads(ctx, ThreadQuery{CategoryIDs: []string{gen.ID}, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if listIDs(top) != old.ID {
		t.Fatalf("after a reply the top thread is %s, want %s", listIDs(top), old.ID)
	}
	check("replied")

	// A held reply moves last_n (unread counts) but not the activity.
	if _, err := s.Reply(ctx, threads[3].ID, newcomer, "Held words.", true, tick()); err != nil {
		t.Fatal(err)
	}
	check("held reply")
	if err := s.SetPinned(ctx, threads[9].ID, true); err != nil {
		t.Fatal(err)
	}
	check("pinned")
	if err := s.HoldThread(ctx, threads[3].ID); err != nil {
		t.Fatal(err)
	}
	check("held")
	if err := s.ApprovePost(ctx, threads[7].ID, 1); err != nil {
		t.Fatal(err)
	}
	check("approved")
	if err := s.MoveThread(ctx, threads[1].ID, gen); err != nil {
		t.Fatal(err)
	}
	check("moved")
	for n := 2; n <= 4; n++ {
		if _, err := s.Reply(ctx, threads[6].ID, author, fmt.Sprintf("Reply %d of a thread to split.", n), false, tick()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Split(ctx, threads[6].ID, 3, "The split-off part"); err != nil {
		t.Fatal(err)
	}
	check("split")

	// An index rebuilt from nothing gives the same lists.
	fresh := NewStore(st.DB).ReadByID()
	fresh.SetIndex(listIndex(t, fresh, nil))
	for _, q := range []ThreadQuery{{}, {ViewerID: newcomer}, {Moderator: true}} {
		q.CategoryIDs = []string{gen.ID, grp.ID, other.ID}
		want, _ := s.Threads(ctx, q)
		got, err := fresh.Threads(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if listIDs(got) != listIDs(want) {
			t.Errorf("rebuilt index:\n got %s\nwant %s", listIDs(got), listIDs(want))
		}
	}
}

// An index not yet filled (new, outdated or broken at start-up) does not
// answer lists: they come from the database, complete.
func TestThreadListsBeforeIndexFilled(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	if err := st.EnsureIndexes(ctx, Indexes()); err != nil {
		t.Fatal(err)
	}
	s := NewStore(st.DB)
	gen, err := s.EnsureGeneral(ctx, "General", "Anything")
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := s.CreateThread(ctx, NewThread{Category: gen, AuthorID: store.NewID(), Title: "Before the index", Body: "Words."})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := search.Open(search.Options{Dir: filepath.Join(t.TempDir(), "search")}, s.SearchIndexKind(), s.ThreadListIndexKind())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	s.SetIndex(ix)
	if s.ListsFromIndex() {
		t.Fatal("an empty index answers lists")
	}
	ts, err := s.Threads(ctx, ThreadQuery{CategoryIDs: []string{gen.ID}})
	if err != nil || listIDs(ts) != th.ID {
		t.Fatalf("list before the index is filled: %s, %v", listIDs(ts), err)
	}
	if _, err := ix.CatchUp(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if !s.ListsFromIndex() {
		t.Fatal("a filled index does not answer lists")
	}
	if ts, err = s.Threads(ctx, ThreadQuery{CategoryIDs: []string{gen.ID}}); err != nil || listIDs(ts) != th.ID {
		t.Fatalf("list from the index: %s, %v", listIDs(ts), err)
	}
}

// Two servers on one database and one bus: a reply on one moves the
// thread to the top of the other's list at once.
func TestThreadListAcrossServers(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	if err := st.EnsureIndexes(ctx, Indexes()); err != nil {
		t.Fatal(err)
	}
	b := bus.NewLocalBus()
	a, other := NewStore(st.DB), NewStore(st.DB)
	gen, err := a.EnsureGeneral(ctx, "General", "Anything")
	if err != nil {
		t.Fatal(err)
	}
	first, _, err := a.CreateThread(ctx, NewThread{Category: gen, AuthorID: store.NewID(), Title: "First thread", Body: "Words.", At: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.CreateThread(ctx, NewThread{Category: gen, AuthorID: store.NewID(), Title: "Second thread", Body: "Words."}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Store{a, other} {
		s.SetIndex(listIndex(t, s, b))
	}
	if _, err := a.Reply(ctx, first.ID, store.NewID(), "Back to the top.", false, time.Time{}); err != nil {
		t.Fatal(err)
	}
	ts, err := other.Threads(ctx, ThreadQuery{CategoryIDs: []string{gen.ID}, Limit: 1})
	if err != nil || listIDs(ts) != first.ID {
		t.Fatalf("the other server's top thread: %s, %v", listIDs(ts), err)
	}
}

// Read state is one document per member: MarkRead from two stores on one
// database at once never goes back, and a database from before it has its
// reads and levels carried over once.
func TestMemberReadsDocument(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	if err := st.EnsureIndexes(ctx, Indexes()); err != nil {
		t.Fatal(err)
	}
	a, b := NewStore(st.DB), NewStore(st.DB)
	member, thread := store.NewID(), store.NewID()
	var wg sync.WaitGroup
	for i, s := range []*Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 1 + i; n <= 20; n += 2 {
				if err := s.MarkRead(ctx, member, thread, n); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := a.MarkRead(ctx, member, thread, 3); err != nil { // never back
		t.Fatal(err)
	}
	for _, s := range []*Store{a, b} {
		rs, err := s.Reads(ctx, member, nil)
		if err != nil || rs[thread] != 20 || len(rs) != 1 {
			t.Fatalf("reads after concurrent marks: %v, %v", rs, err)
		}
	}

	// An older database: reads and levels only in their collections.
	old, t1, t2 := store.NewID(), store.NewID(), store.NewID()
	for _, r := range []Read{{ID: old + ":" + t1, MemberID: old, ThreadID: t1, LastN: 4}, {ID: old + ":" + t2, MemberID: old, ThreadID: t2, LastN: 9}} {
		if _, err := a.col(colReads).InsertOne(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	sub := Subscription{ID: old + ":" + t2, MemberID: old, TargetID: t2, Level: Mute}
	if _, err := a.col(colSubs).InsertOne(ctx, sub); err != nil {
		t.Fatal(err)
	}
	rs, err := b.Reads(ctx, old, []string{t2, store.NewID()})
	if err != nil || len(rs) != 1 || rs[t2] != 9 {
		t.Fatalf("carried-over reads: %v, %v", rs, err)
	}
	lv, err := a.MemberLevels(ctx, old)
	if err != nil || len(lv) != 1 || lv[t2] != Mute {
		t.Fatalf("carried-over levels: %v, %v", lv, err)
	}
	if err := b.SetLevel(ctx, old, t1, Watch); err != nil {
		t.Fatal(err)
	}
	if lv, err := a.Levels(ctx, old, t1, t2); err != nil || lv[t1] != Watch || lv[t2] != Mute {
		t.Fatalf("levels after a change: %v, %v", lv, err)
	}
	if n, err := st.DB.Collection(colMemberState).CountDocuments(ctx, bson.M{"_id": old}); err != nil || n != 1 {
		t.Fatalf("member documents: %d, %v", n, err)
	}
}
