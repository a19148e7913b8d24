package resources

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed taxonomy.json
var taxonomyJSON []byte

// Term is one entry of a vocabulary with its label in each UI language.
type Term struct {
	ID     string
	CPV    []string
	Labels map[string]string
}

// Label returns the term's label in lang, falling back to English.
func (t Term) Label(lang string) string {
	if l, ok := t.Labels[lang]; ok && l != "" {
		return l
	}
	return t.Labels["en"]
}

// Taxonomy holds the vocabularies that describe resources; it is read from
// taxonomy.json, the one place where they and their labels live.
type Taxonomy struct {
	vocab map[string][]Term
	index map[string]map[string]Term
}

// Vocabulary names, as keys of taxonomy.json.
const (
	VocType      = "type"
	VocStage     = "stage"
	VocProduct   = "product"
	VocTheme     = "theme"
	VocFramework = "framework"
	VocAmbition  = "ambition"
	VocLicence   = "licence"
	VocAward     = "award"
	VocLanguage  = "language"
	VocKind      = "kind"
)

// LoadTaxonomy parses the embedded taxonomy; it fails on a term missing a
// label in one of the UI languages.
func LoadTaxonomy() (*Taxonomy, error) {
	var raw map[string][]map[string]any
	if err := json.Unmarshal(taxonomyJSON, &raw); err != nil {
		return nil, fmt.Errorf("resources: taxonomy: %w", err)
	}
	t := &Taxonomy{vocab: map[string][]Term{}, index: map[string]map[string]Term{}}
	for name, entries := range raw {
		t.index[name] = map[string]Term{}
		for _, e := range entries {
			term := Term{Labels: map[string]string{}}
			term.ID, _ = e["id"].(string)
			if cpv, ok := e["cpv"].([]any); ok {
				for _, c := range cpv {
					s, _ := c.(string)
					term.CPV = append(term.CPV, s)
				}
			}
			for _, l := range []string{"en", "fr", "nl", "de"} {
				s, _ := e[l].(string)
				if s == "" {
					return nil, fmt.Errorf("resources: taxonomy: %s/%s has no %s label", name, term.ID, l)
				}
				term.Labels[l] = s
			}
			t.vocab[name] = append(t.vocab[name], term)
			t.index[name][term.ID] = term
		}
	}
	return t, nil
}

// MustTaxonomy is LoadTaxonomy for package initialisation; the file is
// embedded and tested, so a failure is a build defect.
func MustTaxonomy() *Taxonomy {
	t, err := LoadTaxonomy()
	if err != nil {
		panic(err)
	}
	return t
}

// Terms lists a vocabulary in file order.
func (t *Taxonomy) Terms(vocab string) []Term { return t.vocab[vocab] }

// Has reports whether id is a term of vocab.
func (t *Taxonomy) Has(vocab, id string) bool { _, ok := t.index[vocab][id]; return ok }

// Label returns the label of id in vocab, or id itself when unknown.
func (t *Taxonomy) Label(vocab, id, lang string) string {
	if term, ok := t.index[vocab][id]; ok {
		return term.Label(lang)
	}
	return id
}

// Term returns a term of vocab.
func (t *Taxonomy) Term(vocab, id string) (Term, bool) {
	term, ok := t.index[vocab][id]
	return term, ok
}
