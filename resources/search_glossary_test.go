package resources_test

import (
	"context"
	"testing"

	"github.com/circularfairict/portal/resources"
)

// A query in one language finds the documents about the same glossary
// concept in the others, below the documents that contain the words typed,
// and says which concept it went through.
func TestSearchAcrossLanguages(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	d := seedSearch(t, s)
	anon := resources.Viewer{}

	res, err := s.Search(ctx, resources.Search{Q: "réparabilité", Viewer: anon, Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	got := ids(res.Items)
	if len(got) < 3 || got[0] != d["fr-repar"] {
		t.Fatalf("réparabilité: %v, want the French document first", got)
	}
	for _, k := range []string{"en-laptop", "de-monitor"} {
		if !hasID(res.Items, d[k]) {
			t.Errorf("réparabilité does not find %s (English repairable, German Reparierbarkeit): %v", k, got)
		}
		if v := res.Via[d[k]]; len(v) != 1 || v[0] != "repairability" {
			t.Errorf("%s matched via %v, want [repairability]", k, v)
		}
	}
	if v := res.Via[d["fr-repar"]]; v != nil {
		t.Errorf("the French document matched directly but is marked via %v", v)
	}
	if len(res.Query.Concepts) != 1 || res.Query.Concepts[0].Name != "repairability" {
		t.Errorf("concepts %+v, want repairability named in English", res.Query.Concepts)
	}

	// Literal: the typed words only.
	lit, err := s.Search(ctx, resources.Search{Q: "réparabilité", Viewer: anon, Literal: true})
	if err != nil {
		t.Fatal(err)
	}
	if hasID(lit.Items, d["en-laptop"]) || !hasID(lit.Items, d["fr-repar"]) || len(lit.Query.Concepts) != 0 {
		t.Errorf("literal search: %v, concepts %v", ids(lit.Items), lit.Query.Concepts)
	}

	// A Dutch word finds the German document on the supply chain
	// (Lieferkette), and facets still combine with expansion.
	res, err = s.Search(ctx, resources.Search{Q: "toeleveringsketen", Viewer: anon, Lang: "nl",
		Filters: map[string][]string{"language": {"de"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res.Items); len(got) != 1 || got[0] != d["de-monitor"] {
		t.Errorf("toeleveringsketen, German only: %v", got)
	}

	// Visibility holds for expanded matches too.
	res, err = s.Search(ctx, resources.Search{Q: "reconditionné", Viewer: anon, Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	if hasID(res.Items, d["members-only"]) {
		t.Errorf("reconditionné shows the members-only refurbished case study to a visitor")
	}
	res, err = s.Search(ctx, resources.Search{Q: "reconditionné", Viewer: resources.Viewer{ID: "m", Approved: true}, Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	if !hasID(res.Items, d["members-only"]) {
		t.Errorf("reconditionné does not find the English refurbished case study for a member: %v", ids(res.Items))
	}
}
