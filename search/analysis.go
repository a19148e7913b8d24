package search

import (
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/lang/de"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/fr"
	"github.com/blevesearch/bleve/v2/analysis/lang/nl"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
)

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
		"en": {en.PossessiveName, lowercase.Name, en.StopName, en.SnowballStemmerName},
		"fr": {fr.ElisionName, lowercase.Name, fr.StopName, fr.SnowballStemmerName},
		"nl": {lowercase.Name, nl.StopName, nl.SnowballStemmerName},
		"de": {lowercase.Name, de.StopName, de.NormalizeName, de.SnowballStemmerName},
	}
	for _, l := range Languages {
		if err := m.AddCustomAnalyzer(Analyzer(l), map[string]any{
			"type":          custom.Name,
			"char_filters":  []string{asciifolding.Name},
			"tokenizer":     unicode.Name,
			"token_filters": filters[l],
		}); err != nil {
			return err
		}
	}
	return m.AddCustomAnalyzer(AnalyzerFolded, map[string]any{
		"type":          custom.Name,
		"char_filters":  []string{asciifolding.Name},
		"tokenizer":     unicode.Name,
		"token_filters": []string{lowercase.Name},
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
