package search

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
)

// shardKind's documents have a text, a facet tag, a keyword category and
// a number to sort by (the ranking tests use its text and number).
type shardKind struct{ docs map[string]map[string]any }

func (shardKind) Name() string { return "shard" }
func (shardKind) Version() int { return 1 }
func (shardKind) Mapping() *mapping.DocumentMapping {
	dm := bleve.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt("text", TextField("en"))
	dm.AddFieldMappingsAt("tag", KeywordField(true))
	dm.AddFieldMappingsAt("cat", KeywordField(false))
	dm.AddFieldMappingsAt("n", NumberField())
	return dm
}
func (k shardKind) Stamps(context.Context) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for id := range k.docs {
		out[id] = time.Unix(1, 0)
	}
	return out, nil
}
func (k shardKind) All(ctx context.Context, fn func(*Doc) error) error {
	ids := make([]string, 0, len(k.docs))
	for id := range k.docs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		d, _ := k.Load(ctx, id)
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}
func (k shardKind) Load(_ context.Context, id string) (*Doc, error) {
	f, ok := k.docs[id]
	if !ok {
		return nil, nil
	}
	return &Doc{ID: id, Stamp: time.Unix(1, 0), Fields: f}, nil
}

// shardCorpus: 400 documents of a few texts, tags and categories, and one
// document that is clearly the best match for "refurbished laptop keyboard".
func shardCorpus() map[string]map[string]any {
	texts := []string{
		"battery replacement for a phone",
		"spare parts for washing machines",
		"repair cafe guide to laptops",
		"laptop battery and charger",
		"keyboard cleaning after a spill",
		"data wiping before donating a computer",
	}
	tags := []string{"guide", "howto", "policy", "case"}
	docs := map[string]map[string]any{}
	for i := 0; i < 400; i++ {
		docs[fmt.Sprintf("d%03d", i)] = map[string]any{
			"text": texts[(i*7)%len(texts)] + fmt.Sprintf(" number%d", i%13),
			"tag":  []string{tags[i%len(tags)], tags[(i/3)%len(tags)]},
			"cat":  fmt.Sprintf("c%d", i%9),
			"n":    float64((i * 37) % 400),
		}
	}
	docs["best"] = map[string]any{"text": "refurbished laptop keyboard: refurbished laptop keyboard swap", "tag": []string{"guide"}, "cat": "c1", "n": float64(1)}
	return docs
}

func openShardsFor(t *testing.T, n int, docs map[string]map[string]any) *Index {
	t.Helper()
	ix, err := Open(Options{Dir: filepath.Join(t.TempDir(), "ix"), Shards: n}, shardKind{docs: docs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ix.Close() })
	if ix.Shards() != n {
		t.Fatalf("%d shards, want %d", ix.Shards(), n)
	}
	if _, err := ix.CatchUp(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return ix
}

// One index and two shards answer alike: the same hits (as sets: equal
// scores may come in another order), totals, facet counts, the same top
// hit for a clear best match, and the same document counts, dictionaries
// and stamps. Scores may differ a little (each shard has its own term
// statistics), so only the clear best match's rank is compared.
func TestShardsAnswerAsOneIndex(t *testing.T) {
	ctx := context.Background()
	docs := shardCorpus()
	one, two := openShardsFor(t, 1, docs), openShardsFor(t, 2, docs)
	for _, s := range two.shards {
		if c, _ := s.DocCount(); c == 0 || c == uint64(len(docs)) {
			t.Fatalf("a shard holds %d of %d documents: not split", c, len(docs))
		}
	}
	type answer struct {
		total  uint64
		ids    []string
		facets map[string]int
		top    string
	}
	ask := func(ix *Index, q string, from, size int, sortBy []string, scored bool) answer {
		mq := bleve.NewMatchQuery(q)
		mq.SetField("text")
		req := bleve.NewSearchRequestOptions(mq, size, from, false)
		req.AddFacet("tag", bleve.NewFacetRequest("tag", 100))
		req.IncludeLocations = true
		req.Fields = []string{"text"}
		if !scored {
			req.Score = "none"
		}
		if sortBy != nil {
			req.SortBy(sortBy)
		}
		res, err := ix.Search(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		a := answer{total: res.Total, facets: map[string]int{}}
		for _, h := range res.Hits {
			a.ids = append(a.ids, h.ID)
			if len(h.Locations["text"]) == 0 || h.Fields["text"] == nil {
				t.Errorf("%q: hit %s without its locations or stored text", q, h.ID)
			}
		}
		if len(res.Hits) > 0 {
			a.top = res.Hits[0].ID
		}
		if sortBy == nil {
			sort.Strings(a.ids)
		}
		for _, tf := range res.Facets["tag"].Terms.Terms() {
			a.facets[tf.Term] = tf.Count
		}
		a.facets["(other)"] = res.Facets["tag"].Other
		return a
	}
	for _, q := range []string{"battery", "laptop", "refurbished laptop keyboard", "number3", "nothing"} {
		// All hits (a set), then sorted pages: by a field, and by ID.
		a, b := ask(one, q, 0, 1000, nil, true), ask(two, q, 0, 1000, nil, true)
		if a.total != b.total || !reflect.DeepEqual(a.ids, b.ids) || !reflect.DeepEqual(a.facets, b.facets) {
			t.Errorf("%q: one index %d %v %v, two shards %d %v %v", q, a.total, len(a.ids), a.facets, b.total, len(b.ids), b.facets)
		}
		for _, page := range [][2]int{{0, 10}, {15, 10}, {90, 40}} {
			for _, by := range [][]string{{"-n", "_id"}, {"_id"}} {
				a, b := ask(one, q, page[0], page[1], by, false), ask(two, q, page[0], page[1], by, false)
				if a.total != b.total || !reflect.DeepEqual(a.ids, b.ids) {
					t.Errorf("%q sorted by %v from %d: one index %v, two shards %v", q, by, page[0], a.ids, b.ids)
				}
			}
		}
	}
	if a, b := ask(one, "refurbished laptop keyboard", 0, 5, nil, true), ask(two, "refurbished laptop keyboard", 0, 5, nil, true); a.top != "shard/best" || b.top != "shard/best" {
		t.Errorf("top hit: one index %s, two shards %s", a.top, b.top)
	}
	// SearchByScore's two steps over shards: the page is the full sort's.
	for _, page := range [][2]int{{0, 5}, {5, 20}, {40, 30}} {
		mq := bleve.NewMatchQuery("laptop battery")
		mq.SetField("text")
		full := bleve.NewSearchRequestOptions(mq, page[1], page[0], false)
		full.SortBy([]string{"-_score", "-n", "_id"})
		want, err := two.Search(ctx, full)
		if err != nil {
			t.Fatal(err)
		}
		got, err := two.SearchByScore(ctx, bleve.NewSearchRequestOptions(mq, page[1], page[0], false), []string{"-n", "_id"})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ids(got), ids(want)) {
			t.Errorf("SearchByScore from %d: %v, full sort %v", page[0], ids(got), ids(want))
		}
	}
	// A DocIDQuery finds documents in whichever shard they are.
	req := bleve.NewSearchRequest(bleve.NewDocIDQuery([]string{"shard/d001", "shard/d002", "shard/best", "shard/gone"}))
	if res, err := two.Search(ctx, req); err != nil || res.Total != 3 {
		t.Errorf("IDs over shards: %v %v, want 3", res, err)
	}
	if a, b := mustCount(t, one), mustCount(t, two); a != b || a != uint64(len(docs)) {
		t.Errorf("doc count: one index %d, two shards %d, want %d", a, b, len(docs))
	}
	ta, err := one.FieldTerms("cat")
	if err != nil {
		t.Fatal(err)
	}
	tb, err := two.FieldTerms("cat")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ta, tb) || len(ta) != 9 {
		t.Errorf("categories: one index %v, two shards %v", ta, tb)
	}
	sa, err := one.stamps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := two.stamps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sa, sb) {
		t.Errorf("stamps differ: %d and %d", len(sa), len(sb))
	}
	for _, w := range []string{"laptp", "batery", "keybord"} {
		if a, b := one.Closest(ctx, w, []string{"text"}), two.Closest(ctx, w, []string{"text"}); a != b || a == "" {
			t.Errorf("closest to %q: one index %q, two shards %q", w, a, b)
		}
	}
}

func mustCount(t *testing.T, ix *Index) uint64 {
	t.Helper()
	n, err := ix.DocCount()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// An index of another layout is rebuilt on Open: the single index directly
// in the directory (before shards) and one of another shard count asked
// for; with no count asked for, the count on disk stays (no rebuild).
func TestOtherShardLayoutRebuilt(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "ix")
	k := memKind{docs: map[string]string{"a": "spare parts", "b": "battery", "c": "laptop"}}
	// The layout before shards, with this very mapping version.
	old, err := bleve.New(dir, bleve.NewIndexMapping())
	if err != nil {
		t.Fatal(err)
	}
	probe := &Index{kinds: map[string]Kind{"mem": k}, names: []string{"mem"}}
	if err := old.SetInternal(keyMapping, []byte(probe.version())); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	open := func(shards int) (*Index, Stats) {
		t.Helper()
		ix, err := Open(Options{Dir: dir, Shards: shards}, k)
		if err != nil {
			t.Fatal(err)
		}
		st, err := ix.CatchUp(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ix, st
	}
	ix, st := open(0)
	if ix.Shards() != DefaultShards || st.Added != 3 {
		t.Fatalf("from the single layout: %d shards, %+v; want %d shards, all added", ix.Shards(), st, DefaultShards)
	}
	if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); err == nil {
		t.Fatal("the single index is still in the directory")
	}
	_ = ix.Close()
	for _, c := range []struct {
		ask, have int
		rebuilt   bool
	}{{0, DefaultShards, false}, {1, 1, true}, {1, 1, false}, {0, 1, false}, {3, 3, true}, {3, 3, false}} {
		ix, st := open(c.ask)
		if ix.Shards() != c.have || (st.Added == 3) != c.rebuilt {
			t.Errorf("asked %d: %d shards, %+v; want %d shards, rebuilt %v", c.ask, ix.Shards(), st, c.have, c.rebuilt)
		}
		if n := mustCount(t, ix); n != 3 {
			t.Errorf("asked %d: %d documents", c.ask, n)
		}
		_ = ix.Close()
	}
	// A shard missing (a layout written half-way) rebuilds the whole.
	if err := os.RemoveAll(shardDir(dir, 1)); err != nil {
		t.Fatal(err)
	}
	ix, st = open(0)
	if ix.Shards() != 3 || st.Added != 3 {
		t.Errorf("shard 1 of 3 missing: %d shards, %+v; want all added again", ix.Shards(), st)
	}
	// The directory stays locked while open, from its first shard on.
	if _, err := Open(Options{Dir: dir}, k); err != ErrLocked {
		t.Errorf("second open: %v, want ErrLocked", err)
	}
	_ = ix.Close()
}

// A new index of two shards is filled in several batches per shard (more
// documents than one batch holds), every document once, the progress
// reaching the total; a shard that does not open (corrupt) moves the whole
// directory aside and the index is rebuilt.
func TestShardsFilledInBatches(t *testing.T) {
	ctx := context.Background()
	docs := map[string]string{}
	for i := 0; i < 2*fillBatchDocs+500; i++ {
		docs[fmt.Sprintf("d%05d", i)] = fmt.Sprintf("spare part number%d", i%50)
	}
	k := memKind{docs: docs}
	dir := filepath.Join(t.TempDir(), "ix")
	ix, err := Open(Options{Dir: dir, Shards: 2}, k)
	if err != nil {
		t.Fatal(err)
	}
	last, total := 0, 0
	st, err := ix.CatchUp(ctx, func(done, all int) { last, total = done, all })
	if err != nil {
		t.Fatal(err)
	}
	if st.Added != len(docs) || last != len(docs) || total != len(docs) {
		t.Fatalf("%+v, progress %d of %d; want %d added", st, last, total, len(docs))
	}
	for i, s := range ix.shards {
		if c, _ := s.DocCount(); c <= fillBatchDocs {
			t.Errorf("shard %d holds %d documents: fewer than two batches", i, c)
		}
	}
	if n := mustCount(t, ix); n != uint64(len(docs)) {
		t.Errorf("%d documents, want %d", n, len(docs))
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	_ = filepath.WalkDir(shardDir(dir, 1), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			_ = os.WriteFile(p, []byte("not an index"), 0o600)
		}
		return nil
	})
	ix, err = Open(Options{Dir: dir}, k)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if st, err := ix.CatchUp(ctx, nil); err != nil || st.Added != len(docs) || ix.Shards() != 2 {
		t.Errorf("after shard 1 was corrupted: %+v %v, %d shards; want all added again in 2", st, err, ix.Shards())
	}
	if aside, _ := filepath.Glob(dir + ".broken-*"); len(aside) != 1 {
		t.Errorf("the corrupt index was not moved aside: %v", aside)
	}
}
