package search

import (
	"context"
	"sort"

	"github.com/blevesearch/bleve/v2"
)

// maxScoreWindow bounds the hits SearchByScore ranks by score alone; a
// deeper page is sorted by the index as asked.
const maxScoreWindow = 1000

// tieMargin is how many hits past the page SearchByScore asks for, so a
// run of equal scores across the page's end is usually seen whole.
const tieMargin = 20

// SearchByScore answers req (query, facets, From and Size) ranked by score,
// ties broken by the sort fields then ("-created", "-_id", ...): the page
// the index gives sorted by "-_score" then those fields. The index sorts
// by score alone, and the fields are read for the tied hits of the page
// only: a sort field makes the index read its doc values for every match,
// which for a broad word is most of the library (about a quarter of a
// search's time). When a run of equal scores reaches past what was asked,
// the query is asked again sorted in full.
func (ix *Index) SearchByScore(ctx context.Context, req *bleve.SearchRequest, then []string) (*bleve.SearchResult, error) {
	full := append([]string{"-_score"}, then...)
	from, size := req.From, req.Size
	if from+size+tieMargin > maxScoreWindow || size <= 0 {
		req.SortBy(full)
		return ix.Search(ctx, req)
	}
	asked := from + size + tieMargin
	req.From, req.Size = 0, asked
	req.SortBy([]string{"-_score"})
	res, err := ix.Search(ctx, req)
	if err != nil {
		return nil, err
	}
	hits := res.Hits
	end := from + size
	if end > len(hits) {
		end = len(hits)
	}
	if len(hits) == asked && end > 0 && hits[asked-1].Score == hits[end-1].Score {
		req.From, req.Size = from, size
		req.SortBy(full)
		return ix.Search(ctx, req)
	}
	// The hits sharing a score with another, up to the page's last score.
	var tied []string
	for i := 0; i < len(hits) && (end == 0 || hits[i].Score >= hits[end-1].Score); i++ {
		if (i > 0 && hits[i-1].Score == hits[i].Score) || (i+1 < len(hits) && hits[i+1].Score == hits[i].Score) {
			tied = append(tied, hits[i].ID)
		}
	}
	if len(tied) > 0 {
		tr := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery(tied), len(tied), 0, false)
		tr.Score = "none"
		tr.SortBy(then)
		order, err := ix.Search(ctx, tr)
		if err != nil {
			return nil, err
		}
		pos := make(map[string]int, len(order.Hits))
		for i, h := range order.Hits {
			pos[h.ID] = i
		}
		sort.SliceStable(hits, func(i, j int) bool {
			if hits[i].Score != hits[j].Score {
				return hits[i].Score > hits[j].Score
			}
			return pos[hits[i].ID] < pos[hits[j].ID]
		})
	}
	if from > len(hits) {
		from = len(hits)
	}
	res.Hits = hits[from:end]
	req.From, req.Size = from, size
	req.SortBy(full)
	return res, nil
}
