package textindex

import (
	"slices"
	"testing"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Réparabilité":   "reparabilite",
		"Straße":         "strasse",
		"Œuvre":          "oeuvre",
		"CIRCULAIRE":     "circulaire",
		"coöperatie":     "cooperatie",
		"Überprüfung":    "uberprufung",
		"plain ascii 42": "plain ascii 42",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// A query finds a document when each query word shares a term with it, in
// each of the four languages, with or without accents and inflection.
func TestQueryMatchesDocuments(t *testing.T) {
	tests := []struct {
		name, lang, doc, query string
		want                   bool
	}{
		{"en plural finds singular", "en", "Criteria for a laptop with a long lifetime", "laptops", true},
		{"en singular finds plural", "en", "Refurbished smartphones for schools", "smartphone", true},
		{"en verb forms", "en", "We are repairing devices", "repaired", true},
		{"en unrelated", "en", "Criteria for monitors", "laptops", false},
		{"fr accents folded", "fr", "Critères de réparabilité des ordinateurs", "reparabilite", true},
		{"fr accents in query", "fr", "criteres de reparabilite", "réparabilité", true},
		{"fr plural", "fr", "Clause sur les ordinateurs portables", "ordinateur portable", true},
		{"nl plural", "nl", "Eisen voor laptops en beeldschermen", "beeldscherm", true},
		{"nl diminutive-free stem", "nl", "De leveranciers moeten de fabrieken openbaar maken", "leverancier fabriek", true},
		{"de umlaut folded", "de", "Anforderungen an die Überprüfung der Lieferkette", "uberprufung", true},
		{"de plural", "de", "Kriterien für Bildschirme", "bildschirm", true},
		{"de eszett", "de", "Die Straße der Reparatur", "strasse", true},
		{"all words required", "en", "laptop criteria", "laptop printer", false},
		{"stop words ignored", "en", "laptop criteria", "the laptop", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			terms := Analyze(tt.doc, tt.lang)
			q := ParseQuery(tt.query)
			got := !q.Empty() && q.Matches(terms) == len(q.Clauses)
			if got != tt.want {
				t.Fatalf("query %q on %q (%s): match %v, want %v\nterms %v\nclauses %v", tt.query, tt.doc, tt.lang, got, tt.want, terms, q.Clauses)
			}
		})
	}
}

func TestParseQueryIsSafe(t *testing.T) {
	q := ParseQuery(`{"$where": "sleep(1000)"} .* $ne laptops`)
	for _, c := range q.Clauses {
		for _, v := range c {
			for _, r := range v {
				if r == '$' || r == '{' || r == '.' || r == '*' || r == '"' {
					t.Fatalf("clause term %q carries %q", v, r)
				}
			}
		}
	}
	if !slices.Contains(q.Words, "laptops") {
		t.Fatalf("words %v", q.Words)
	}
	many := ParseQuery("a1 b2 c3 d4 e5 f6 g7 h8 i9 j10 k11 l12 m13 n14")
	if len(many.Clauses) != MaxClauses {
		t.Fatalf("%d clauses", len(many.Clauses))
	}
}
