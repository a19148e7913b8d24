// The relevance set judges ranking, not concurrency: under the race
// detector the embedded database answers its 73 searches 20 times slower
// (minutes, and a search past the driver's timeout on a busy machine), so
// scripts/test.sh runs this package without -race.

//go:build !race

package relevance_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/demo"
	"github.com/circularfairict/portal/relevance"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// minRecall is the recall@5 the library search must reach on the set.
const minRecall = 0.9

// TestLibraryRelevance loads the demo library and the corpus into a fresh
// database and runs every query through the library's search service, once
// with the words typed only (the baseline) and once with glossary
// expansion, as readers get it.
func TestLibraryRelevance(t *testing.T) {
	set, err := relevance.Load("testdata")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st := storetest.New(t)
	if err := st.EnsureIndexes(ctx, append(auth.Indexes(), resources.Indexes()...)); err != nil {
		t.Fatal(err)
	}
	a := auth.NewStore(st.DB)
	lib, err := resources.New(st.DB, resources.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := lib.OpenIndex(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ix.Close() })
	if err := demo.Seed(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedLibrary(ctx, a, lib); err != nil {
		t.Fatal(err)
	}
	demoIDs, err := demo.LibraryIDs(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	keyOf := map[string]string{}
	langs := map[string][]string{}
	for k, id := range demoIDs {
		r, err := lib.Resource(ctx, id)
		if err != nil {
			t.Fatalf("demo resource %s: %v", k, err)
		}
		keyOf[id] = relevance.DemoPrefix + k
		langs[relevance.DemoPrefix+k] = r.Languages
	}
	for _, d := range set.Docs {
		m := resources.Meta{Title: d.Title, Summary: d.Summary, Type: d.Type, Stages: d.Stages, Products: d.Products,
			Themes: d.Themes, Frameworks: d.Frameworks, Languages: d.Languages, Licence: "cc_by", Visibility: resources.VisibilityPublic}
		sp, err := lib.Receive(ctx, bytes.NewReader([]byte(d.Title+"\n\n"+d.Text+"\n")), d.Key+".txt")
		if err != nil {
			t.Fatalf("%s: %v", d.Key, err)
		}
		r, _, err := lib.Create(ctx, "relevance-owner", m, sp, "", "relevance:"+d.Key)
		sp.Close()
		if err != nil {
			t.Fatalf("%s: %v", d.Key, err)
		}
		keyOf[r.ID] = d.Key
		langs[d.Key] = d.Languages
	}

	// The set is as large and as multilingual as its purpose needs.
	perLang := map[string]int{}
	for _, d := range set.Docs {
		for _, l := range d.Languages {
			perLang[l]++
		}
	}
	cross, queryLangs := 0, map[string]int{}
	for _, q := range set.Queries {
		queryLangs[q.Lang]++
		if relevance.CrossLanguage(q, langs) {
			cross++
		}
	}
	if len(set.Docs) < 40 || len(set.Queries) < 60 || 3*cross < len(set.Queries) {
		t.Fatalf("%d documents, %d queries of which %d cross-language: want 40, 60 and a third", len(set.Docs), len(set.Queries), cross)
	}
	for _, l := range []string{"en", "fr", "nl", "de"} {
		if perLang[l] < 8 || queryLangs[l] < 10 {
			t.Errorf("%s: %d documents and %d queries", l, perLang[l], queryLangs[l])
		}
	}

	run := func(literal bool) *relevance.Report {
		rep, err := relevance.Evaluate(set, 5, func(q relevance.Query) ([]string, error) {
			res, err := lib.Search(ctx, resources.Search{Q: q.Q, Lang: q.Lang, Literal: literal, PerPage: 10, Viewer: resources.Viewer{All: true}})
			if err != nil {
				return nil, err
			}
			var keys []string
			for _, r := range res.Items {
				keys = append(keys, keyOf[r.ID])
			}
			return keys, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	summary := func(rep *relevance.Report, crossOnly bool) string {
		n, recall, rr := 0, 0.0, 0.0
		for _, o := range rep.Outcomes {
			if crossOnly && !relevance.CrossLanguage(o.Query, langs) {
				continue
			}
			n++
			recall += o.Recall
			rr += o.RR
		}
		return fmt.Sprintf("recall@5 %.3f, MRR %.3f over %d queries", recall/float64(n), rr/float64(n), n)
	}
	before, after := run(true), run(false)
	t.Logf("%d documents (%d demo), %d queries (%d cross-language)", len(keyOf), len(demoIDs), len(set.Queries), cross)
	t.Logf("words typed only:    %s; cross-language: %s", summary(before, false), summary(before, true))
	t.Logf("glossary expansion:  %s; cross-language: %s", summary(after, false), summary(after, true))
	for _, o := range after.Outcomes {
		if len(o.Missing) > 0 {
			t.Logf("%s %q misses %s; got %s", o.Query.Lang, o.Query.Q, strings.Join(o.Missing, ", "), strings.Join(o.Got, ", "))
		} else if o.RR < 1 {
			t.Logf("%s %q ranks a wanted resource first at 1/%.0f; got %s", o.Query.Lang, o.Query.Q, 1/o.RR, strings.Join(o.Got, ", "))
		}
	}
	if after.RecallK < minRecall {
		t.Errorf("recall@5 %.3f, want at least %.2f", after.RecallK, minRecall)
	}
}
