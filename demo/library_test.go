package demo

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func TestSeedLibraryIdempotent(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
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
	for i := 0; i < 2; i++ {
		if err := Seed(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := SeedLibrary(ctx, a, lib); err != nil {
			t.Fatal(err)
		}
	}
	res, err := lib.Search(ctx, resources.Search{Viewer: resources.Viewer{All: true}, PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != len(demoLibrary()) {
		t.Fatalf("%d resources after seeding twice, want %d", res.Total, len(demoLibrary()))
	}
	langs := map[string]int{}
	kinds := map[resources.Kind]bool{}
	for _, r := range res.Items {
		for _, l := range r.Languages {
			langs[l]++
		}
		kinds[r.Current().Kind] = true
		if r.Preview == "" {
			full, _ := lib.Resource(ctx, r.ID)
			if full.Preview == "" {
				t.Errorf("%s: no text extracted from its %s file", r.Title, r.Current().Kind)
			}
		}
	}
	for _, l := range []string{"en", "fr", "nl", "de"} {
		if langs[l] == 0 {
			t.Errorf("no demo resource in %s", l)
		}
	}
	if len(kinds) < 7 {
		t.Errorf("demo files of only %d kinds", len(kinds))
	}
	spec, _ := lib.Search(ctx, resources.Search{Q: "repairability laptops", Viewer: resources.Viewer{All: true}})
	if spec.Total == 0 || spec.Items[0].Latest != 2 || spec.Items[0].UsedCount != 3 {
		var got []string
		for _, r := range spec.Items {
			got = append(got, fmt.Sprintf("%q (version %d, used %d, score %.4f)", r.Title, r.Latest, r.UsedCount, r.Score))
		}
		t.Fatalf("laptop specification first, at version 2 and used 3 times; got %s", strings.Join(got, "; "))
	}
}
