//go:build unix

package resources

import (
	"context"
	"testing"

	"github.com/blevesearch/bleve/v2"

	"github.com/circularfairict/portal/search"
	"github.com/circularfairict/portal/search/searchtest"
)

// BenchmarkLibraryIndexAtScale runs the index's share of the community
// page benchmark's library searches (the ranking query with the facets the
// page shows, the snippets' query over the page's hits, the concepts'
// queries and a "did you mean" when nothing matched) on a copy of a real
// index, such as the full-scale community's, without its database:
//
//	cp -a DATA/search /tmp/copy && PORTAL_BENCH_INDEX=/tmp/copy \
//	  go test -run '^$' -bench LibraryIndexAtScale -benchtime 20x ./resources/
//
// Skipped without PORTAL_BENCH_INDEX. The copy's mapping must be this
// code's (a copy made by an older version answers, but on old fields).
func BenchmarkLibraryIndexAtScale(b *testing.B) {
	s := &Service{index: searchtest.BenchCopy(b)}
	ctx := context.Background()
	viewer := Viewer{ID: "reader", Approved: true}
	for _, bq := range benchQueries {
		q := bq.q
		q.Viewer = viewer
		b.Run(bq.name, func(b *testing.B) {
			defer cpuPerOp(b)()
			var total uint64
			for i := 0; i < b.N; i++ {
				total = indexShare(b, ctx, s, q)
			}
			b.ReportMetric(float64(total), "hits")
		})
	}
}

// indexShare is Service.Search without the rows read by _id: what it asks
// the index for a first page of q.
func indexShare(b *testing.B, ctx context.Context, s *Service, q Search) uint64 {
	q.Filters = CleanFilters(q.Filters)
	q.PerPage, q.Page = 20, 1
	pq := s.parse(q.Q, q.Lang, q.Literal)
	req := q.request(pq, "")
	req.Size = q.PerPage
	if !q.Brief {
		req.AddFacet(fieldFacets, bleve.NewFacetRequest(fieldFacets, facetAllSize))
	}
	out, err := s.index.SearchByScore(ctx, req, []string{"-" + fieldCreated, "-_id"})
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range Facets {
		if len(q.Filters[f]) == 0 || q.Brief {
			continue
		}
		fr := q.request(pq, f)
		fr.Size = 0
		fr.Score = "none"
		fr.AddFacet(fieldFacets, bleve.NewFacetRequest(fieldFacets, facetAllSize))
		if _, err := s.index.Search(ctx, fr); err != nil {
			b.Fatal(err)
		}
	}
	if len(out.Hits) > 0 {
		if _, err := s.locate(ctx, q, pq, out.Hits, benchSnippetFields()); err != nil {
			b.Fatal(err)
		}
		if pq.Expanded() {
			res := &Result{Via: map[string][]string{}}
			for _, h := range out.Hits {
				_, id := search.SplitDocID(h.ID)
				res.Items = append(res.Items, &Resource{ID: id})
			}
			if err := s.via(ctx, q, pq, res); err != nil {
				b.Fatal(err)
			}
		}
	} else if !q.Brief {
		s.suggest(ctx, q, pq)
	}
	return out.Total
}
