package glossary

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/circularfairict/portal/textindex"
)

// The embedded glossary is well formed and large enough to be useful.
func TestGlossaryParses(t *testing.T) {
	g, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(g.Concepts()); n < 200 {
		t.Fatalf("%d concepts, want at least 200", n)
	}
	for _, c := range g.Concepts() {
		for _, l := range textindex.Languages {
			seen := map[string]bool{}
			for _, term := range c.Terms[l] {
				if strings.TrimSpace(term) != term || term == "" {
					t.Errorf("%s/%s: term %q has stray spaces", c.ID, l, term)
				}
				if seen[term] {
					t.Errorf("%s/%s: term %q listed twice", c.ID, l, term)
				}
				seen[term] = true
			}
		}
	}
}

func TestParseRejectsBadData(t *testing.T) {
	for name, in := range map[string]string{
		"not json":          `{`,
		"no id":             `[{"en":["a b"],"fr":["c"],"nl":["d"],"de":["e"]}]`,
		"duplicate id":      `[{"id":"x","en":["aa"],"fr":["bb"],"nl":["cc"],"de":["dd"]},{"id":"x","en":["ee"],"fr":["ff"],"nl":["gg"],"de":["hh"]}]`,
		"missing language":  `[{"id":"x","en":["aa"],"fr":["bb"],"nl":["cc"]}]`,
		"term without word": `[{"id":"x","en":["aa"],"fr":["bb"],"nl":["cc"],"de":["!"]}]`,
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

// Every term, looked up on its own in its language, names its own concept
// and no other, over all its words: a query using any term expands to one
// concept. This is what keeps expansion unambiguous as the data grows.
func TestEveryTermFindsOnlyItsConcept(t *testing.T) {
	g := Default()
	for _, c := range g.Concepts() {
		for _, l := range textindex.Languages {
			for _, term := range c.Terms[l] {
				q := textindex.ParseQuery(term)
				es := g.expandWords(q, l)
				if len(es) == 0 || es[0].Concept != c || es[0].From != 0 || es[0].To != len(q.Words) {
					t.Errorf("%s/%s term %q: finds %s", c.ID, l, term, describe(es))
					continue
				}
				for _, e := range es[1:] {
					if e.From == 0 {
						t.Errorf("%s/%s term %q: also claimed by %s", c.ID, l, term, e.Concept.ID)
					}
				}
			}
		}
	}
}

func describe(es []Expansion) string {
	var parts []string
	for _, e := range es {
		parts = append(parts, e.Concept.ID+"["+string(rune('0'+e.From))+":"+string(rune('0'+e.To))+"]")
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// Every theme, stage, product, framework and resource type of the library's
// taxonomy has a concept, and that concept is what its label in each
// language finds, so a facet's own words search across languages.
func TestTaxonomyCovered(t *testing.T) {
	b, err := os.ReadFile("../resources/taxonomy.json")
	if err != nil {
		t.Fatal(err)
	}
	var tax map[string][]map[string]any
	if err := json.Unmarshal(b, &tax); err != nil {
		t.Fatal(err)
	}
	g := Default()
	tagged := map[string]*Concept{}
	for _, c := range g.Concepts() {
		for _, v := range c.Taxonomy {
			if tagged[v] != nil {
				t.Errorf("taxonomy value %s claimed by %s and %s", v, tagged[v].ID, c.ID)
			}
			tagged[v] = c
		}
	}
	known := map[string]bool{}
	for _, vocab := range []string{"theme", "stage", "product", "framework", "type"} {
		if len(tax[vocab]) == 0 {
			t.Fatalf("taxonomy has no %s vocabulary", vocab)
		}
		for _, e := range tax[vocab] {
			key := vocab + "/" + e["id"].(string)
			known[key] = true
			c := tagged[key]
			if c == nil {
				t.Errorf("no concept for %s", key)
				continue
			}
			for _, l := range textindex.Languages {
				label := e[l].(string)
				found := false
				for _, x := range g.Expand(label, l) {
					found = found || x.Concept == c
				}
				if !found {
					t.Errorf("%s label %q (%s) does not find concept %s: %s", key, label, l, c.ID, describe(g.Expand(label, l)))
				}
			}
		}
	}
	for v, c := range tagged {
		if !known[v] {
			t.Errorf("concept %s names unknown taxonomy value %s", c.ID, v)
		}
	}
}

func ids(es []Expansion) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Concept.ID)
	}
	return out
}

func hasTerm(ts []Term, lang, text string) bool {
	for _, t := range ts {
		if t.Lang == lang && t.Text == text {
			return true
		}
	}
	return false
}

func TestExpand(t *testing.T) {
	tests := []struct {
		name, q, lang string
		want          []string // concept IDs in order
		name0         string   // display name of the first concept
		terms         []string // lang:text that the first concept must offer
		notTerms      []string // lang:text it must not offer (what was typed)
	}{
		{"french clause", "clause de réparabilité", "fr", []string{"contract_clause", "repairability"}, "clause contractuelle",
			[]string{"en:contract clause", "nl:contractclausule", "de:Vertragsklausel"}, nil},
		{"accents optional", "reparabilite", "en", []string{"repairability"}, "repairability",
			[]string{"en:repairability", "nl:repareerbaarheid", "de:Reparierbarkeit"}, []string{"fr:réparabilité"}},
		{"inflected dutch", "reserveonderdeel beeldschermen", "nl", []string{"spare_parts", "monitors"}, "reserveonderdelen",
			[]string{"fr:pièces détachées", "en:spare parts", "de:Ersatzteile"}, nil},
		{"longest term wins", "contract performance clause", "en", []string{"contract_performance"}, "contract performance clauses",
			[]string{"fr:clauses d'exécution", "de:Ausführungsbedingungen"}, nil},
		{"german compound", "Zuschlagskriterien Gütezeichen", "de", []string{"award_criteria", "ecolabels"}, "Zuschlagskriterien",
			[]string{"en:award criteria", "fr:critères d'attribution", "nl:gunningscriteria"}, nil},
		{"phrase needs adjacent words", "data battery erasure", "en", []string{"battery"}, "battery", nil, nil},
		{"unknown words", "xylophone quartet", "en", nil, "", nil, nil},
		{"stop words only", "de la", "fr", nil, "", nil, nil},
		{"name in reader's language", "dwangarbeid", "de", []string{"forced_labour"}, "Zwangsarbeit", []string{"en:forced labour"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := Expand(tt.q, tt.lang)
			if strings.Join(ids(es), ",") != strings.Join(tt.want, ",") {
				t.Fatalf("Expand(%q) = %v, want %v", tt.q, ids(es), tt.want)
			}
			if len(es) == 0 {
				return
			}
			if es[0].Name != tt.name0 {
				t.Errorf("name %q, want %q", es[0].Name, tt.name0)
			}
			for _, lt := range tt.terms {
				l, text, _ := strings.Cut(lt, ":")
				if !hasTerm(es[0].Terms, l, text) {
					t.Errorf("no %s term %q among %v", l, text, es[0].Terms)
				}
			}
			for _, lt := range tt.notTerms {
				l, text, _ := strings.Cut(lt, ":")
				if hasTerm(es[0].Terms, l, text) {
					t.Errorf("%s term %q repeats what was typed", l, text)
				}
			}
		})
	}
}

func TestQueryGroupsAndMatch(t *testing.T) {
	q := ParseQuery("laptop clause de réparabilité", "en")
	gs := q.Groups()
	if len(gs) != 3 || gs[0].Concept == nil || gs[1].Concept == nil || gs[2].Concept == nil {
		t.Fatalf("groups %+v", gs)
	}
	english := textindex.Analyze("Repairability clause for notebooks", "en")
	french := textindex.Analyze("Clause de réparabilité pour ordinateurs portables laptop", "fr")
	dutch := textindex.Analyze("Repareerbaarheid van laptops: contractclausule", "nl")
	unrelated := textindex.Analyze("Clause on forced labour for laptops", "en")
	if ok, via := q.Match(french); !ok || len(via) != 0 {
		t.Errorf("french document: ok=%v via=%v, want a direct match", ok, via)
	}
	if ok, via := q.Match(english); !ok || strings.Join(via, ",") != "laptops,repairability" {
		t.Errorf("english document: ok=%v via=%v", ok, via)
	}
	if ok, _ := q.Match(dutch); !ok {
		t.Errorf("dutch document not matched")
	}
	if ok, _ := q.Match(unrelated); ok {
		t.Errorf("a document without repairability matched")
	}
	if Literal("laptop clause").Expanded() || !q.Expanded() {
		t.Errorf("Expanded: literal %v, parsed %v", Literal("laptop clause").Expanded(), q.Expanded())
	}
	// A word no concept knows is a group of its own, matched as typed.
	q = ParseQuery("xylophone battery", "en")
	if gs := q.Groups(); len(gs) != 2 || gs[0].Concept != nil || gs[1].Concept == nil {
		t.Fatalf("groups %+v", gs)
	}
	if g := q.Groups()[0]; g.Match(textindex.Analyze("xylophones", "en")) != Direct || len(g.Alternatives()) != 1 {
		t.Errorf("plain word group: %v alternatives", len(g.Alternatives()))
	}
}

// A query of many concept words stays bounded: twelve words, each concept's
// other terms capped.
func TestQueryBounded(t *testing.T) {
	q := ParseQuery(strings.Repeat("battery audit smelter laptop monitor repair ", 10), "en")
	if len(q.Words) > textindex.MaxClauses {
		t.Fatalf("%d words", len(q.Words))
	}
	for _, e := range q.Concepts {
		if len(e.Terms) > MaxTerms {
			t.Errorf("%s: %d terms", e.Concept.ID, len(e.Terms))
		}
	}
}

// The vocabulary of ICT tenders that buyers search for is covered, each
// phrase by one concept over all its words.
func TestTenderVocabularyCovered(t *testing.T) {
	for _, phrase := range []string{"repairability", "refurbished", "take-back", "spare parts", "battery",
		"energy efficiency", "ecolabel", "TCO Certified", "EPEAT", "supply chain", "factory list", "smelter",
		"conflict minerals", "forced labour", "due diligence", "remediation", "audit", "disclosure",
		"contract performance clause", "award criteria", "selection criteria", "technical specifications",
		"market consultation", "framework agreement", "life-cycle costing", "imaging equipment", "servers",
		"monitors", "mobile phones", "computers", "public procurement directive"} {
		es := Expand(phrase, "en")
		if len(es) != 1 || es[0].From != 0 || es[0].To != len(textindex.ParseQuery(phrase).Words) {
			t.Errorf("%q: %s", phrase, describe(es))
		}
	}
}
