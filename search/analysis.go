package search

import (
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/de"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/fr"
	"github.com/blevesearch/bleve/v2/analysis/lang/nl"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"

	"github.com/circularfairict/portal/textindex"
)

// foldName is the token filter that folds accents as textindex.Fold does
// (the glossary's folding). It works on each token's term, not on the
// text before tokenising, so the offsets the index keeps stay those of the
// original text, which snippets are cut from.
const foldName = "portal_fold"

type foldFilter struct{}

func (foldFilter) Filter(ts analysis.TokenStream) analysis.TokenStream {
	for _, t := range ts {
		// The lower-case filter ran before this one: an ASCII term is
		// already folded, and rewriting it would allocate per token.
		if asciiLower(t.Term) {
			continue
		}
		t.Term = []byte(textindex.Fold(string(t.Term)))
	}
	return ts
}

func asciiLower(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

func init() {
	if err := registry.RegisterTokenFilter(foldName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return foldFilter{}, nil
	}); err != nil {
		panic(err)
	}
}

// Languages with their own analyser; other text uses AnalyzerFolded.
var Languages = []string{"en", "fr", "nl", "de"}

// AnalyzerFolded folds case and accents without stemming (text in another
// language, names).
const AnalyzerFolded = "portal_folded"

// Analyzer names the analyser of a language: bleve's stop words and
// Snowball stemmer for en/fr/nl/de, after folding accents and case so
// "Réparabilité" and "reparabilite" are one word; AnalyzerFolded otherwise.
func Analyzer(lang string) string {
	for _, l := range Languages {
		if l == lang {
			return "portal_" + l
		}
	}
	return AnalyzerFolded
}

func registerAnalyzers(m *mapping.IndexMappingImpl) error {
	filters := map[string][]string{
		"en": {en.PossessiveName, lowercase.Name, en.StopName, foldName, en.SnowballStemmerName},
		"fr": {fr.ElisionName, lowercase.Name, fr.StopName, foldName, fr.SnowballStemmerName},
		"nl": {lowercase.Name, nl.StopName, foldName, nl.SnowballStemmerName},
		"de": {lowercase.Name, de.StopName, foldName, de.SnowballStemmerName},
	}
	for _, l := range Languages {
		if err := m.AddCustomAnalyzer(Analyzer(l), map[string]any{
			"type":          custom.Name,
			"tokenizer":     unicode.Name,
			"token_filters": filters[l],
		}); err != nil {
			return err
		}
	}
	return m.AddCustomAnalyzer(AnalyzerFolded, map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []string{lowercase.Name, foldName},
	})
}

// TextField is an analysed text field in lang, stored with term vectors so
// phrases match and snippets can be cut around the matched words.
func TextField(lang string) *mapping.FieldMapping {
	f := bleve.NewTextFieldMapping()
	f.Analyzer = Analyzer(lang)
	f.Store = true
	f.IncludeTermVectors = true
	f.IncludeInAll = false
	f.DocValues = false
	return f
}

// KeywordField is an exact value (visibility, IDs, facet values); facets
// need doc values.
func KeywordField(facet bool) *mapping.FieldMapping {
	f := bleve.NewKeywordFieldMapping()
	f.Analyzer = keyword.Name
	f.Store = false
	f.IncludeInAll = false
	f.IncludeTermVectors = false
	f.DocValues = facet
	return f
}

// NumberField is a sortable number; DateField a sortable time.
func NumberField() *mapping.FieldMapping {
	f := bleve.NewNumericFieldMapping()
	f.Store, f.IncludeInAll, f.DocValues = false, false, true
	return f
}

// DateField is a sortable time.
func DateField() *mapping.FieldMapping {
	f := bleve.NewDateTimeFieldMapping()
	f.Store, f.IncludeInAll, f.DocValues = false, false, true
	return f
}
