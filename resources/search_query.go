package resources

import (
	"context"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/circularfairict/portal/glossary"
	"github.com/circularfairict/portal/search"
	"github.com/circularfairict/portal/textindex"
)

// MaxQueryBytes bounds what a query may ask of the index; the rest of a
// longer query is ignored.
const MaxQueryBytes = 1000

// maxPhrases bounds the quoted phrases of one query.
const maxPhrases = 4

// parsedQuery is what a person typed, as the index is asked: the words with
// their glossary concepts, the quoted phrases, and the start of the last
// word when it may still be being typed.
type parsedQuery struct {
	glossary.Query
	phrases []string
	prefix  string
	// terms, when set, keeps of a concept's other terms those that add
	// matches to the typed words and to each other (Service.parse).
	terms func(words []string, terms []glossary.Term) []glossary.Term
	// ix, when set, analyses the words as the index does (search.Match).
	ix *search.Index
}

// conceptTerms are the concept's terms the query looks for besides the
// typed words of its group.
func (pq parsedQuery) conceptTerms(words []string, terms []glossary.Term) []glossary.Term {
	if pq.terms == nil {
		return terms
	}
	return pq.terms(words, terms)
}

// parse is parseQuery with the concepts' terms reduced to those that can
// add a match, as the index analyses them: a concept lists every way of
// writing it (repair, repairs, repairable, ease of repair), most of which
// are one stem in the index, and each term looked up is one more pass over
// the same postings. The result's Query keeps every term (it names the
// concepts shown).
func (s *Service) parse(q, lang string, literal bool) parsedQuery {
	pq := parseQuery(q, lang, literal)
	pq.ix = s.index
	if s.index == nil || !pq.Expanded() {
		return pq
	}
	ix := s.index
	pq.terms = func(words []string, terms []glossary.Term) []glossary.Term {
		// What the typed words match in each language's fields: a term
		// of that language containing all of them adds nothing.
		covered := ix.Covered(words, textLangs, func(l string) string { return search.Analyzer(langOf(l)) })
		alts := make([]search.Alternative, len(terms))
		for i, t := range terms {
			l := indexLangs([]string{t.Lang})[0]
			alts[i] = search.Alternative{Key: l, Tokens: ix.Tokens(search.Analyzer(langOf(l)), t.Text)}
		}
		var out []glossary.Term
		for i, keep := range search.Needed(alts, covered) {
			if keep {
				out = append(out, terms[i])
			}
		}
		return out
	}
	return pq
}

// langOf is the analyser's language of a text field suffix ("" for xx).
func langOf(suffix string) string {
	if suffix == "xx" {
		return ""
	}
	return suffix
}

func (pq parsedQuery) empty() bool { return pq.Query.Empty() && len(pq.phrases) == 0 }

var phraseRe = regexp.MustCompile(`"([^"]*)"`)

// parseQuery never fails: the text is made valid UTF-8 and bounded, and
// only plain words and phrases reach the index, always as the objects of
// a query built here (never a query string), so operators such as
// +-:^~*() are ordinary punctuation. An unbalanced quote is ignored.
func parseQuery(q, lang string, literal bool) parsedQuery {
	q = strings.ToValidUTF8(q, " ")
	if len(q) > MaxQueryBytes {
		q = q[:MaxQueryBytes]
		for !utf8.ValidString(q) {
			q = q[:len(q)-1]
		}
	}
	var pq parsedQuery
	for _, m := range phraseRe.FindAllStringSubmatch(q, -1) {
		if p := strings.TrimSpace(m[1]); len(textindex.Tokens(p)) > 1 && len(pq.phrases) < maxPhrases {
			pq.phrases = append(pq.phrases, p)
		}
	}
	words := phraseRe.ReplaceAllStringFunc(q, func(m string) string {
		if len(textindex.Tokens(m)) > 1 {
			return " "
		}
		return m
	})
	if literal {
		pq.Query = glossary.Literal(words)
	} else {
		pq.Query = glossary.ParseQuery(words, lang)
	}
	// While typing, the last word may be unfinished: it also matches the
	// words it begins (three letters at least, so one letter never
	// expands to the whole dictionary).
	trimmed := strings.TrimRightFunc(words, func(r rune) bool { return r == '"' })
	if n := len(pq.Words); n > 0 && trimmed != "" && !unicode.IsSpace(rune(trimmed[len(trimmed)-1])) && trimmed == words {
		toks := textindex.Tokens(trimmed)
		if last := toks[len(toks)-1]; last == pq.Words[n-1] && utf8.RuneCountInString(last) >= 3 {
			pq.prefix = last
		}
	}
	return pq
}

// suggest proposes a spelling for a query that found nothing: each word
// not in the index is replaced by the closest term of the index's
// dictionary of titles and text (edit distance 1 or 2), when one gives
// results the viewer may see.
func (s *Service) suggest(ctx context.Context, q Search, pq parsedQuery) string {
	if len(pq.phrases) > 0 || len(pq.Words) == 0 {
		return ""
	}
	changed := false
	out := make([]string, len(pq.Words))
	for i, w := range pq.Words {
		out[i] = w
		if utf8.RuneCountInString(w) < 4 {
			continue
		}
		if alt := s.index.Closest(ctx, w, libraryTermFields()); alt != "" && alt != w {
			out[i], changed = alt, true
		}
	}
	if !changed {
		return ""
	}
	alt := strings.Join(out, " ")
	try := q
	try.Q, try.Page, try.PerPage = alt, 1, 1
	pq2 := s.parse(alt, q.Lang, q.Literal)
	req := try.request(pq2, "")
	req.Size = 0
	res, err := s.index.Search(ctx, req)
	if err != nil || res.Total == 0 {
		return ""
	}
	return alt
}

// libraryTermFields are the folded fields whose words a suggestion may be:
// the unstemmed dictionary, so a suggestion is a real word.
func libraryTermFields() []string {
	return []string{fieldWords}
}
