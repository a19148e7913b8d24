// Package searchtest helps the benchmarks of the packages that keep a kind
// in the search index.
package searchtest

import (
	"os"
	"testing"

	"github.com/circularfairict/portal/search"
)

// BenchCopy opens the copy of a real index that PORTAL_BENCH_INDEX names,
// as it is (search.OpenExisting), closed when b ends; without one, b is
// skipped.
func BenchCopy(b *testing.B) *search.Index {
	b.Helper()
	dir := os.Getenv("PORTAL_BENCH_INDEX")
	if dir == "" {
		b.Skip("PORTAL_BENCH_INDEX names no copy of an index")
	}
	ix, err := search.OpenExisting(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ix.Close() })
	return ix
}
