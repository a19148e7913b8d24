package forum

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/bus"
	"github.com/circularfairict/portal/glossary"
	"github.com/circularfairict/portal/search"
	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

// indexed returns a store searching through a new index, with a
// portal-wide and a group category.
func indexed(t *testing.T) (*Store, *search.Index, *Category, *Category) {
	t.Helper()
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
	grp, err := s.CreateCategory(ctx, Category{Name: "Group room", GroupID: store.NewID()})
	if err != nil {
		t.Fatal(err)
	}
	// With the change log, as the server opens it: hits then come from a
	// current index without their posts read.
	ix, err := search.Open(search.Options{Dir: filepath.Join(t.TempDir(), "search"), DB: st.DB}, s.SearchIndexKind())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if _, err := ix.CatchUp(ctx, nil); err != nil {
		t.Fatal(err)
	}
	s.SetIndex(ix)
	return s, ix, gen, grp
}

func find(t *testing.T, s *Store, q string, cats ...*Category) []Hit {
	t.Helper()
	sq := SearchQuery{Query: glossary.ParseQuery(q, "en")}
	for _, c := range cats {
		sq.CategoryIDs = append(sq.CategoryIDs, c.ID)
	}
	hits, err := s.Search(context.Background(), sq)
	if err != nil {
		t.Fatalf("%q: %v", q, err)
	}
	return hits
}

func threadIDs(hits []Hit) string {
	var ids []string
	for _, h := range hits {
		ids = append(ids, h.Thread.ID)
	}
	return strings.Join(ids, ",")
}

// Every write reaches the index at once, and what a category filter, a
// hold, a hide or a deletion takes away is never found, nor its snippet.
func TestSearchThroughIndex(t *testing.T) {
	s, _, gen, grp := indexed(t)
	ctx := context.Background()
	author := store.NewID()
	th, _, err := s.CreateThread(ctx, NewThread{Category: gen, AuthorID: author, Title: "Spare parts for laptops",
		Body: "How long do suppliers keep **spare parts** available?", Kind: KindQuestion, Tags: "repair"})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := s.CreateThread(ctx, NewThread{Category: grp, AuthorID: author, Title: "Confidential group talk",
		Body: "Our secret smelter audit results.", Kind: KindDiscussion})
	if err != nil {
		t.Fatal(err)
	}
	if got := threadIDs(find(t, s, "spare parts", gen)); got != th.ID {
		t.Fatalf("spare parts: %s", got)
	}
	if got := threadIDs(find(t, s, "smelter", gen)); got != "" {
		t.Fatalf("a category the searcher may not see was searched: %s", got)
	}
	if got := threadIDs(find(t, s, "smelter", gen, grp)); got != other.ID {
		t.Fatalf("group category: %s", got)
	}
	// A reply is found at once, with a snippet from it.
	p, err := s.Reply(ctx, th.ID, store.NewID(), "We require seven years of <script>alert(1)</script> availability.", false, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	hits := find(t, s, "seven years", gen)
	if len(hits) != 1 || hits[0].N != p.N || !strings.Contains(hits[0].Snippet, "<mark>seven</mark> <mark>years</mark>") {
		t.Fatalf("reply: %+v", hits)
	}
	if strings.Contains(hits[0].Snippet, "<script") || hits[0].Score <= 0 {
		t.Fatalf("snippet not escaped or no score: %q", hits[0].Snippet)
	}
	// An edit replaces the words.
	if _, err := s.EditPost(ctx, th.ID, p.N, p.AuthorID, "We require ten years of availability."); err != nil {
		t.Fatal(err)
	}
	if got := threadIDs(find(t, s, "seven", gen)); got != "" {
		t.Fatalf("edited words still found: %s", got)
	}
	if hits := find(t, s, "ten years", gen); len(hits) != 1 || !strings.Contains(hits[0].Snippet, "<mark>ten</mark>") {
		t.Fatalf("edit: %+v", hits)
	}
	// Hidden, held and deleted posts are never found.
	if err := s.SetHidden(ctx, th.ID, p.N, true, "off topic"); err != nil {
		t.Fatal(err)
	}
	if got := threadIDs(find(t, s, "ten years", gen)); got != "" {
		t.Fatalf("hidden post found: %s", got)
	}
	if err := s.SetHidden(ctx, th.ID, p.N, false, ""); err != nil {
		t.Fatal(err)
	}
	if got := threadIDs(find(t, s, "ten years", gen)); got != th.ID {
		t.Fatalf("shown again: %s", got)
	}
	held, err := s.Reply(ctx, th.ID, store.NewID(), "Waiting refurbished tablets for review.", true, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got := threadIDs(find(t, s, "refurbished tablets", gen)); got != "" {
		t.Fatalf("held post found: %s", got)
	}
	if err := s.ApprovePost(ctx, th.ID, held.N); err != nil {
		t.Fatal(err)
	}
	if got := threadIDs(find(t, s, "refurbished tablets", gen)); got != th.ID {
		t.Fatalf("approved post: %s", got)
	}
	if err := s.DeletePost(ctx, th.ID, held.N, author); err != nil {
		t.Fatal(err)
	}
	if got := threadIDs(find(t, s, "refurbished tablets", gen)); got != "" {
		t.Fatalf("deleted post found: %s", got)
	}
	// A held thread leaves the search, all its posts with it.
	if err := s.HoldThread(ctx, th.ID); err != nil {
		t.Fatal(err)
	}
	if got := threadIDs(find(t, s, "ten years", gen)) + threadIDs(find(t, s, "laptops", gen)); got != "" {
		t.Fatalf("held thread found: %s", got)
	}
	if err := s.ApprovePost(ctx, th.ID, 1); err != nil {
		t.Fatal(err)
	}
	// A move takes the thread and its posts to the other category.
	if err := s.MoveThread(ctx, th.ID, grp); err != nil {
		t.Fatal(err)
	}
	if got := threadIDs(find(t, s, "ten years", gen)) + threadIDs(find(t, s, "laptops", gen)); got != "" {
		t.Fatalf("moved thread found in its old category: %s", got)
	}
	if got := threadIDs(find(t, s, "ten years", grp)); got != th.ID {
		t.Fatalf("moved thread in its new category: %s", got)
	}
	// Solved and tag filters follow an accepted answer at once.
	sq := SearchQuery{CategoryIDs: []string{grp.ID}, Solved: "yes"}
	if hits, _ := s.Search(ctx, sq); len(hits) != 0 {
		t.Fatalf("unsolved question listed as solved")
	}
	if err := s.Accept(ctx, th.ID, p.N); err != nil {
		t.Fatal(err)
	}
	if hits, _ := s.Search(ctx, sq); threadIDs(hits) != th.ID {
		t.Fatalf("solved: %s", threadIDs(hits))
	}
	if hits, _ := s.Search(ctx, SearchQuery{CategoryIDs: []string{grp.ID, gen.ID}, Tag: "repair"}); threadIDs(hits) != th.ID {
		t.Fatalf("tag: %s", threadIDs(hits))
	}
	// A split moves the posts' words to the new thread.
	nt, err := s.Split(ctx, th.ID, p.N, "Availability of spare parts")
	if err != nil {
		t.Fatal(err)
	}
	if hits := find(t, s, "ten years", grp); threadIDs(hits) != nt.ID || hits[0].N != 1 {
		t.Fatalf("split: %+v", hits)
	}
}

// The index rebuilt from nothing holds what the writes put in it.
func TestSearchRebuildEqualsIncremental(t *testing.T) {
	s, ix, gen, _ := indexed(t)
	ctx := context.Background()
	for i, body := range []string{"Battery health of refurbished phones", "Factory lists from suppliers", "Take-back of old screens"} {
		th, _, err := s.CreateThread(ctx, NewThread{Category: gen, AuthorID: store.NewID(), Title: "Question number " + string(rune('A'+i)), Body: body})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Reply(ctx, th.ID, store.NewID(), "A reply about "+body, false, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	before := find(t, s, "battery", gen)
	if _, err := ix.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	after := find(t, s, "battery", gen)
	if threadIDs(before) != threadIDs(after) || len(after) != 1 || before[0].Snippet != after[0].Snippet {
		t.Fatalf("before %+v, after %+v", before, after)
	}
	st, err := ix.CatchUp(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Added+st.Updated+st.Removed != 0 {
		t.Fatalf("a catch-up after a rebuild changed %+v", st)
	}
}

// Whatever is typed, the search answers without an error.
func TestSearchHostileQueries(t *testing.T) {
	s, _, gen, _ := indexed(t)
	ctx := context.Background()
	if _, _, err := s.CreateThread(ctx, NewThread{Category: gen, AuthorID: store.NewID(), Title: "Plain thread title", Body: "Plain words."}); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("word ", 1000)
	for _, q := range []string{`+title:plain -x`, `"unbalanced`, `plain~2 pl*n^3 (a OR b)`, "\xff\xfe plain", long, `$where:1`, `/.*/`} {
		if _, err := s.Search(ctx, SearchQuery{Query: glossary.ParseQuery(q, "en"), CategoryIDs: []string{gen.ID}}); err != nil {
			t.Errorf("%.40q: %v", q, err)
		}
	}
}

// Two servers on one database and one bus: a reply and a hide made on one
// are found, and then not found, on the other at once.
// indexedServers is twoServersOn with a search index for each store,
// caught up as at a server's start, on bus b; changeLog gives them the
// database's change log.
func indexedServers(t *testing.T, b bus.Bus, changeLog bool) (*store.Store, []*Store, []*search.Index, *Category) {
	t.Helper()
	st, sa, sb, gen := twoServersOn(t)
	var indexes []*search.Index
	for _, s := range []*Store{sa, sb} {
		o := search.Options{Dir: filepath.Join(t.TempDir(), "search"), Bus: b}
		if changeLog {
			o.DB = st.DB
		}
		ix, err := search.Open(o, s.SearchIndexKind())
		if err != nil {
			t.Fatal(err)
		}
		if err := ix.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ix.Close() })
		ix.Wait()
		s.SetIndex(ix)
		indexes = append(indexes, ix)
	}
	return st, []*Store{sa, sb}, indexes, gen
}

func TestSearchAcrossServers(t *testing.T) {
	ctx := context.Background()
	_, stores, _, gen := indexedServers(t, bus.NewLocalBus(), false)
	a, other := stores[0], stores[1]
	th, _, err := a.CreateThread(ctx, NewThread{Category: gen, AuthorID: store.NewID(), Title: "Take-back schemes", Body: "Who collects old devices?"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Reply(ctx, th.ID, store.NewID(), "Our supplier collects them with a certificate of destruction.", false, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if hits := find(t, other, "certificate destruction", gen); threadIDs(hits) != th.ID || hits[0].N != p.N {
		t.Fatalf("the other server: %+v", hits)
	}
	if err := a.SetHidden(ctx, th.ID, p.N, true, "confidential"); err != nil {
		t.Fatal(err)
	}
	if hits := find(t, other, "certificate", gen); len(hits) != 0 {
		t.Fatalf("the other server still finds a hidden post: %+v", hits)
	}
}

func TestSplitPostID(t *testing.T) {
	for _, id := range []string{PostID("64b0c0ffee0000000000abcd", 1), PostID("a-b", 123456), PostID("t", 1234567)} {
		tid, n, ok := SplitPostID(id)
		if !ok || PostID(tid, n) != id {
			t.Errorf("SplitPostID(%q) = %q, %d, %v", id, tid, n, ok)
		}
	}
	for _, id := range []string{"", "abc", "-000001", "t-1", "t-000000", "t-x00001", "t-+00001"} {
		if tid, n, ok := SplitPostID(id); ok {
			t.Errorf("SplitPostID(%q) = %q, %d, true; want not ok", id, tid, n)
		}
	}
}

// Count, unscored, finds the threads Search finds, in every category set
// and for words, concepts and prefixes, and is capped at Limit as Search.
func TestSearchCountMatchesSearch(t *testing.T) {
	s, _, gen, grp := indexed(t)
	ctx := context.Background()
	bodies := []string{"Battery health of refurbished phones", "Factory lists from suppliers", "Take-back of old screens",
		"Réparabilité des écrans", "Due diligence on smelters", "Refurbished laptops with a new battery"}
	for i, body := range bodies {
		cat := gen
		if i%2 == 1 {
			cat = grp
		}
		th, _, err := s.CreateThread(ctx, NewThread{Category: cat, AuthorID: store.NewID(), Title: "Question " + string(rune('A'+i)), Body: body})
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < 3; j++ {
			if _, err := s.Reply(ctx, th.ID, store.NewID(), "Also: "+body, false, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, q := range []string{"battery", "refurbished battery", "repairability", "suppl", "due diligence", "question", "nothing here"} {
		for _, cats := range [][]*Category{{gen}, {grp}, {gen, grp}} {
			sq := SearchQuery{Query: glossary.ParseQuery(q, "en")}
			for _, c := range cats {
				sq.CategoryIDs = append(sq.CategoryIDs, c.ID)
			}
			for _, limit := range []int{0, 2} {
				sq.Limit = limit
				hits, err := s.Search(ctx, sq)
				if err != nil {
					t.Fatal(err)
				}
				n, err := s.Count(ctx, sq)
				if err != nil || n != len(hits) {
					t.Errorf("%q in %d categories, limit %d: count %d, %v; search found %d", q, len(cats), limit, n, err, len(hits))
				}
			}
		}
	}
}

// The index itself keeps the categories not allowed out, whichever way it
// is asked (the allowed ones' disjunction, the others left out, no clause
// for a reader of all): Count, which reads no thread, finds the threads
// of the allowed categories only, a category the caller's list does not
// know of included, with words and without.
func TestSearchCategoriesLeftOutByTheIndex(t *testing.T) {
	s, _, gen, grp := indexed(t)
	ctx := context.Background()
	third, err := s.CreateCategory(ctx, Category{Name: "Another group room", GroupID: store.NewID()})
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]int{}
	for i, c := range []*Category{gen, grp, third, third} {
		if _, _, err := s.CreateThread(ctx, NewThread{Category: c, AuthorID: store.NewID(), Title: "Cobalt sourcing " + string(rune('A'+i)),
			Body: "Where does the cobalt come from?", Tags: "cobalt"}); err != nil {
			t.Fatal(err)
		}
		in[c.ID]++
	}
	for _, cats := range [][]*Category{{gen}, {grp}, {third}, {gen, grp}, {gen, third}, {gen, grp, third}} {
		want := 0
		var ids []string
		for _, c := range cats {
			ids = append(ids, c.ID)
			want += in[c.ID]
		}
		for _, q := range []SearchQuery{{Query: glossary.ParseQuery("cobalt", "en")}, {Tag: "cobalt"}} {
			q.CategoryIDs = ids
			if n, err := s.Count(ctx, q); err != nil || n != want {
				t.Errorf("%d categories, words %v: count %d, %v; want %d", len(cats), !q.Query.Empty(), n, err, want)
			}
			hits, err := s.Search(ctx, q)
			if err != nil || len(hits) != want {
				t.Errorf("%d categories, words %v: search found %d, %v; want %d", len(cats), !q.Query.Empty(), len(hits), err, want)
			}
		}
	}
}

// A category created and indexed after rank read the index's categories,
// before its search, is not counted: rank sees it in the dictionary after
// the search and asks again by the allowed categories.
func TestSearchCategoryAddedDuringTheQuery(t *testing.T) {
	s, _, gen, grp := indexed(t)
	ctx := context.Background()
	for _, c := range []*Category{gen, grp} {
		if _, _, err := s.CreateThread(ctx, NewThread{Category: c, AuthorID: store.NewID(), Title: "Cobalt sourcing", Body: "Cobalt.", Tags: "cobalt"}); err != nil {
			t.Fatal(err)
		}
	}
	// One allowed category against one other: the other is left out.
	q := SearchQuery{Query: glossary.ParseQuery("cobalt", "en"), CategoryIDs: []string{gen.ID}}
	want, err := s.Count(ctx, q)
	if err != nil || want == 0 {
		t.Fatalf("count before: %d, %v", want, err)
	}
	var added bool
	afterCategoryClause = func() {
		if added {
			return
		}
		added = true
		late, err := s.CreateCategory(ctx, Category{Name: "A room made a moment ago", GroupID: store.NewID()})
		if err == nil {
			_, _, err = s.CreateThread(ctx, NewThread{Category: late, AuthorID: store.NewID(), Title: "Cobalt again", Body: "Cobalt.", Tags: "cobalt"})
		}
		if err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { afterCategoryClause = nil })
	if n, err := s.Count(ctx, q); err != nil || n != want || !added {
		t.Errorf("count with a category added during the query: %d, %v; want %d (added %v)", n, err, want, added)
	}
}

// A thread whose many posts rank first fills the first window rank asks
// for: the wider window then finds the other threads, as a single wide
// window did.
func TestSearchWindowWidensForLongThreads(t *testing.T) {
	s, _, gen, _ := indexed(t)
	ctx := context.Background()
	long, _, err := s.CreateThread(ctx, NewThread{Category: gen, AuthorID: store.NewID(), Title: "Cobalt", Body: "Cobalt cobalt."})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3*searchFirstWindow; i++ {
		if _, err := s.Reply(ctx, long.ID, store.NewID(), "Cobalt, cobalt, cobalt.", false, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	other, _, err := s.CreateThread(ctx, NewThread{Category: gen, AuthorID: store.NewID(), Title: "Minerals from mines in several countries",
		Body: "Tin, tungsten, tantalum, gold and some cobalt, among many other metals and minerals of the supply chains."})
	if err != nil {
		t.Fatal(err)
	}
	q := SearchQuery{Query: glossary.ParseQuery("cobalt", "en"), CategoryIDs: []string{gen.ID}, Limit: 2}
	hits, err := s.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := threadIDs(hits), long.ID+","+other.ID; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if n, err := s.Count(ctx, q); err != nil || n != 2 {
		t.Fatalf("count %d, %v", n, err)
	}
}

// directAndConcept creates a thread that says "repairability" once in a
// long text and one that says only "réparabilité", often: the index ranks
// the second above the first for "repairability", through the concept.
func directAndConcept(t *testing.T, s *Store, gen *Category) (direct, concept *Thread) {
	t.Helper()
	ctx := context.Background()
	filler := strings.Repeat("The buyer and the supplier met again to talk about the contract and its annexes. ", 20)
	direct, _, err := s.CreateThread(ctx, NewThread{Category: gen, AuthorID: store.NewID(), Title: "Contract annexes",
		Body: filler + "One line on repairability."})
	if err != nil {
		t.Fatal(err)
	}
	concept, _, err = s.CreateThread(ctx, NewThread{Category: gen, AuthorID: store.NewID(), Title: "Réparabilité réparabilité",
		Body: "Réparabilité des écrans : réparabilité."})
	if err != nil {
		t.Fatal(err)
	}
	return direct, concept
}

// A page's rows are read while the snippets' query runs, for the page of
// the index's order; a thread matched through a concept only goes after
// the others, so the page may then need a thread that was not read: it is
// read after, and each page shows what it would without the early read.
func TestSearchPageReadsWhatTheOrderBringsIn(t *testing.T) {
	s, _, gen, _ := indexed(t)
	ctx := context.Background()
	direct, concept := directAndConcept(t, s, gen)
	q := SearchQuery{Query: glossary.ParseQuery("repairability", "en"), CategoryIDs: []string{gen.ID}}
	rq := q
	_, order, err := s.rank(ctx, &rq, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != 2 || order[0].thread != concept.ID {
		t.Fatalf("the index should rank the concept-only thread first for this test to mean anything: %+v", order)
	}
	for page, want := range []string{direct.ID, concept.ID} {
		hits, total, err := s.SearchPage(ctx, q, page+1, 1)
		if err != nil || total != 2 || len(hits) != 1 || hits[0].Thread.ID != want {
			t.Fatalf("page %d: %v, total %d, %s; want %s", page+1, err, total, threadIDs(hits), want)
		}
		if page == 1 && len(hits[0].Via) == 0 {
			t.Errorf("the concept-only thread should say its concept: %+v", hits[0])
		}
	}
}

// When the words typed alone find Limit threads, those are the hits: a
// thread found through the concept's other terms only, however well it
// scores, would rank after all of them. With fewer, it follows them.
func TestSearchTypedWordsFirst(t *testing.T) {
	s, _, gen, _ := indexed(t)
	ctx := context.Background()
	direct, concept := directAndConcept(t, s, gen)
	for _, c := range []struct {
		limit int
		want  string
	}{{1, direct.ID}, {2, direct.ID + "," + concept.ID}} {
		q := SearchQuery{Query: glossary.ParseQuery("repairability", "en"), CategoryIDs: []string{gen.ID}, Limit: c.limit}
		hits, err := s.Search(ctx, q)
		if err != nil || threadIDs(hits) != c.want {
			t.Fatalf("limit %d: %v, %s; want %s", c.limit, err, threadIDs(hits), c.want)
		}
		if len(hits[0].Via) != 0 || (c.limit == 2 && len(hits[1].Via) == 0) {
			t.Errorf("limit %d: the typed word's thread needs no concept, the other does: %+v", c.limit, hits)
		}
		if n, err := s.Count(ctx, q); err != nil || n != c.limit {
			t.Errorf("limit %d: count %d, %v", c.limit, n, err)
		}
	}
}

// A replica whose bus dropped a change is not current: it reads the posts
// and leaves out the one hidden meanwhile, until it follows the change log;
// a current index shows its hits without reading their posts.
func TestSearchReplicaBehindItsBus(t *testing.T) {
	ctx := context.Background()
	st, stores, indexes, gen := indexedServers(t, nil, true)
	a, lagging := stores[0], stores[1]
	th, _, err := a.CreateThread(ctx, NewThread{Category: gen, AuthorID: store.NewID(), Title: "Take-back schemes", Body: "Who collects old devices?"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Reply(ctx, th.ID, store.NewID(), "Our supplier collects them with a certificate of destruction.", false, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := indexes[1].Follow(ctx); err != nil { // no bus: the reply reaches it through the log
		t.Fatal(err)
	}
	if hits := find(t, lagging, "certificate destruction", gen); threadIDs(hits) != th.ID || hits[0].N != p.N || hits[0].Snippet == "" {
		t.Fatalf("the replica once level: %+v", hits)
	}
	if err := a.SetHidden(ctx, th.ID, p.N, true, "confidential"); err != nil {
		t.Fatal(err)
	}
	if !hasPost(t, indexes[1], PostID(th.ID, p.N)) {
		t.Fatal("the lagging replica heard of the hide: the test means nothing")
	}
	if hits := find(t, lagging, "certificate", gen); len(hits) != 0 {
		t.Fatalf("a replica behind its bus shows a hidden post: %+v", hits)
	}
	if _, err := indexes[1].Follow(ctx); err != nil {
		t.Fatal(err)
	}
	if cur, err := indexes[1].Current(ctx, SearchKind); err != nil || !cur {
		t.Fatalf("after following: current %v, %v", cur, err)
	}
	// Current, the replica reads no post: one deleted behind the portal's
	// back (no change numbered) still shows, from the index.
	if _, err := st.DB.Collection(colPosts).DeleteOne(ctx, bson.M{"_id": PostID(th.ID, 1)}); err != nil {
		t.Fatal(err)
	}
	if hits := find(t, lagging, "devices", gen); threadIDs(hits) != th.ID {
		t.Fatalf("a current index should show its hit without reading the post: %+v", hits)
	}
}

func hasPost(t *testing.T, ix *search.Index, postID string) bool {
	t.Helper()
	res, err := ix.Search(context.Background(), bleve.NewSearchRequest(bleve.NewDocIDQuery([]string{search.DocID(SearchKind, postID)})))
	if err != nil {
		t.Fatal(err)
	}
	return res.Total == 1
}
