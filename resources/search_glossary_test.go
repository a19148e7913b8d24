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

	// Titles: the same items in the same order, without the snippets and
	// concepts that the cards beside a discussion search never show.
	bare, err := s.Search(ctx, resources.Search{Q: "réparabilité", Viewer: anon, Lang: "en", Brief: true, Titles: true})
	if err != nil {
		t.Fatal(err)
	}
	if b := ids(bare.Items); len(b) != len(got) || b[0] != got[0] || bare.Total != res.Total {
		t.Errorf("titles only: %v (total %d), want %v (total %d)", b, bare.Total, got, res.Total)
	}
	snippets := 0
	for _, r := range res.Items {
		if r.Snippet != "" {
			snippets++
		}
	}
	for _, r := range bare.Items {
		if r.Snippet != "" {
			t.Errorf("titles only: %s has a snippet", r.Title)
		}
	}
	if snippets == 0 || len(bare.Via) != 0 {
		t.Errorf("titles only: %d snippets in the full search, concepts %v without them", snippets, bare.Via)
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

// The words typed rank above the concept's other terms even when a
// document in another language has those terms in its title and summary,
// several times, and the typed word stands only in the body of the
// document that contains it (the demo's "réparabilité": two English
// repairability documents came before the French one that has the word).
func TestTypedWordsRankFirst(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	en := meta("Repairability criteria: repairable laptops and repair", "Repairability, repair information and repairable batteries for repairability scores.", "criteria_set", "en")
	enID := create(t, s, "owner-en", en, "repair.md", []byte("# Repairability\n\nRepairable devices, repair manuals, repairability index.\n")).ID
	fr := meta("Lot de smartphones reconditionnés", "Cahier des charges pour des smartphones.", "tender_specification", "fr")
	frID := create(t, s, "owner-fr", fr, "lot.md", []byte("# Lot\n\nLes données sont effacées. La réparabilité et la disponibilité des pièces sont notées.\n")).ID
	res, err := s.Search(ctx, resources.Search{Q: "réparabilité", Viewer: resources.Viewer{}, Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res.Items); len(got) != 2 || got[0] != frID || got[1] != enID {
		t.Fatalf("réparabilité: %v, want the French document (%s) then the English one (%s)", got, frID, enID)
	}
}
