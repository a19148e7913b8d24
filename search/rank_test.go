package search

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/blevesearch/bleve/v2"
)

// SearchByScore gives every page the index gives sorted in full: ties
// within the page, across its start and its end, and runs of equal scores
// longer than the margin it asks for.
func TestSearchByScoreEqualsFullSort(t *testing.T) {
	docs := map[string]map[string]any{}
	texts := []string{"battery", "battery battery", "battery spare parts", "spare battery and a long text about repair"}
	for i := 0; i < 120; i++ {
		// Texts repeat (equal scores); a run of 60 equal ones is longer
		// than the margin.
		text := texts[i%len(texts)]
		if i >= 60 {
			text = "battery pack"
		}
		docs[fmt.Sprintf("d%03d", i)] = map[string]any{"text": text, "n": float64((i * 37) % 120)}
	}
	for _, shards := range []int{1, 2} {
		t.Run(fmt.Sprintf("shards=%d", shards), func(t *testing.T) { searchByScoreEqualsFullSort(t, docs, shards) })
	}
}

func searchByScoreEqualsFullSort(t *testing.T, docs map[string]map[string]any, shards int) {
	ctx := context.Background()
	ix, err := Open(Options{Dir: filepath.Join(t.TempDir(), "ix"), Shards: shards}, shardKind{docs: docs})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if _, err := ix.CatchUp(ctx, nil); err != nil {
		t.Fatal(err)
	}
	then := []string{"-n", "-_id"}
	for _, q := range []string{"battery", "spare", "repair", "nothing"} {
		for _, page := range [][2]int{{0, 1}, {0, 5}, {0, 20}, {3, 7}, {20, 20}, {40, 30}, {100, 20}, {200, 10}, {0, 0}} {
			mq := bleve.NewMatchQuery(q)
			mq.SetField("text")
			full := bleve.NewSearchRequestOptions(mq, page[1], page[0], false)
			full.SortBy(append([]string{"-_score"}, then...))
			want, err := ix.Search(ctx, full)
			if err != nil {
				t.Fatal(err)
			}
			req := bleve.NewSearchRequestOptions(mq, page[1], page[0], false)
			got, err := ix.SearchByScore(ctx, req, then)
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != want.Total || !reflect.DeepEqual(ids(got), ids(want)) {
				t.Errorf("%q from %d size %d: got %d %v, want %d %v", q, page[0], page[1], got.Total, ids(got), want.Total, ids(want))
			}
		}
	}
}

func ids(r *bleve.SearchResult) []string {
	out := []string{}
	for _, h := range r.Hits {
		out = append(out, h.ID)
	}
	return out
}

// Needed leaves out the alternatives that add no match: empty, equal to an
// earlier one, or including all the covered tokens; a longer one including
// a shorter one stays (it ranks a document with both higher).
func TestNeeded(t *testing.T) {
	alts := []Alternative{
		{"en", []string{"repair"}},         // kept
		{"en", []string{"repair"}},         // same as the first
		{"en", []string{"eas", "repair"}},  // longer: kept
		{"en", nil},                        // matches nothing
		{"fr", []string{"repar"}},          // the typed word's stem
		{"fr", []string{"indic", "repar"}}, // includes the typed word's
		{"fr", []string{"facil"}},          // kept
		{"nl", []string{"reparatie"}},      // kept
		{"nl", []string{"reparatie"}},      // same
		{"de", []string{"reparatur"}},      // de not covered: kept
	}
	covered := map[string][]string{"fr": {"repar"}, "en": {"reparabilit"}}
	want := []bool{true, false, true, false, false, false, true, true, false, true}
	if got := Needed(alts, covered); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
