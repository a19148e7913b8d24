//go:build unix

package forum

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/circularfairict/portal/glossary"
	"github.com/circularfairict/portal/search"
	"github.com/circularfairict/portal/search/searchtest"
)

// BenchmarkDiscussionsIndexAtScale runs the index's share of the community
// page benchmark's discussions searches (the ranking of the posts, then the
// snippets' query over the threads shown; Count as the combined page's
// other tabs ask it) on a copy of a real index, without its database, for
// a reader of every category:
//
//	cp -a DATA/search /tmp/copy && PORTAL_BENCH_INDEX=/tmp/copy \
//	  go test -run '^$' -bench DiscussionsIndexAtScale -benchtime 20x ./forum/
func BenchmarkDiscussionsIndexAtScale(b *testing.B) {
	s := &Store{index: searchtest.BenchCopy(b)}
	ctx := context.Background()
	// Every category the index knows of, as a reader of all sees them.
	req := bleve.NewSearchRequestOptions(search.KindQuery(SearchKind), 0, 0, false)
	req.AddFacet("c", bleve.NewFacetRequest(fCategory, 1000))
	res, err := s.index.Search(ctx, req)
	if err != nil {
		b.Fatal(err)
	}
	var cats []string
	for _, t := range res.Facets["c"].Terms.Terms() {
		cats = append(cats, t.Term)
	}
	b.Logf("%d posts, %d categories", res.Total, len(cats))
	for _, bq := range []struct{ name, q, lang string }{
		{"en", "due diligence", "en"},
		{"fr word", "réparabilité", "fr"},
		{"prefix", "remedia", "en"},
	} {
		q := SearchQuery{Query: glossary.ParseQuery(bq.q, bq.lang), CategoryIDs: cats}
		b.Run(bq.name, func(b *testing.B) {
			defer cpuPerOp(b)()
			n := 0
			for i := 0; i < b.N; i++ {
				q := q
				must, order, err := s.rank(ctx, &q, true)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.locate(ctx, must, order); err != nil {
					b.Fatal(err)
				}
				n = len(order)
			}
			b.ReportMetric(float64(n), "threads")
		})
		b.Run(bq.name+"/count", func(b *testing.B) {
			defer cpuPerOp(b)()
			for i := 0; i < b.N; i++ {
				if _, err := s.Count(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// cpuPerOp reports the process's CPU time per operation (user and system,
// every goroutine), which a shared machine's load changes less than wall
// time.
func cpuPerOp(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		b.ReportMetric(float64((cpu()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
}
