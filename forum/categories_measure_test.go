package forum

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

// TestMeasureCategoriesRead times reading every category, as the
// discussions pages and notifications do, on 26 categories as the
// community generator makes them (PORTAL_MEASURE_CATEGORIES=1; skipped
// otherwise), beside Categories from its stamped copy (the stamp's lookup
// by _id and a copy).
// Figures are in docs/benchmarks.md.
func TestMeasureCategoriesRead(t *testing.T) {
	if os.Getenv("PORTAL_MEASURE_CATEGORIES") == "" {
		t.Skip()
	}
	st := storetest.New(t)
	s := NewStore(st.DB)
	ctx := context.Background()
	for i := range 26 {
		c := Category{Name: fmt.Sprintf("Discussions of ICT buyers %d", i), Description: "A sentence about buying ICT, as the generator writes one.", Visibility: "members"}
		if i < 20 {
			c.GroupID = store.NewID()
		}
		if _, err := s.CreateCategory(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.IndexIDLookups(ctx); err != nil {
		t.Fatal(err)
	}
	runs := func(f func() error) (time.Duration, time.Duration) {
		var ds []time.Duration
		for range 21 {
			start := time.Now()
			if err := f(); err != nil {
				t.Fatal(err)
			}
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		return ds[10], ds[19]
	}
	read, readP := runs(func() error { _, err := s.readCategories(ctx); return err })
	cached, cachedP := runs(func() error { _, err := s.Categories(ctx); return err })
	t.Logf("26 categories: read of the collection median %v, p95 %v; Categories from the stamped copy median %v, p95 %v", read, readP, cached, cachedP)
}
