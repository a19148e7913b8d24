// Package textindex turns text into search terms that a plain multikey index
// can match: it tokenises, lower-cases, folds accents, drops stop words and
// stems English, French, Dutch and German with the Snowball stemmers. Feature
// packages store Analyze's output in a terms array on each document and
// match queries with Query, so search runs on MongoDB and FerretDB alike
// (no $text). It imports neither the driver nor any feature package.
package textindex

import (
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	snowball "github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/dutch"
	"github.com/blevesearch/snowballstem/english"
	"github.com/blevesearch/snowballstem/french"
	"github.com/blevesearch/snowballstem/german"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Languages with a stemmer; text in any other language is folded but not stemmed.
var Languages = []string{"en", "fr", "nl", "de"}

var stemmers = map[string]func(*snowball.Env) bool{
	"en": english.Stem, "fr": french.Stem, "nl": dutch.Stem, "de": german.Stem,
}

// MaxTokenLen drops longer "words" (hashes, base64 runs) from the index.
const MaxTokenLen = 40

// Fold lower-cases s and removes diacritics: "Réparabilité" -> "reparabilite".
// German ß becomes ss and the ligatures œ/æ are spelled out, so either
// spelling of a word finds the other.
func Fold(s string) string {
	// Most words are ASCII, which decomposition leaves as they are: the
	// search index folds every token, and building the transformer chain
	// allocates its buffers (about 8 KiB) each time, which made indexing
	// 256 KiB of text allocate half a gigabyte.
	if isASCII(s) {
		return strings.ToLower(s)
	}
	t := foldChains.Get().(transform.Transformer)
	t.Reset()
	out, _, err := transform.String(t, s)
	foldChains.Put(t)
	if err != nil {
		out = s
	}
	out = strings.ToLower(out)
	return foldReplacer.Replace(out)
}

// foldChains reuses Fold's transformer chains (and their buffers); a
// chain holds state during one transformation, so each caller takes its own.
var foldChains = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

var foldReplacer = strings.NewReplacer("ß", "ss", "œ", "oe", "æ", "ae", "ø", "o", "ł", "l", "đ", "d", "ı", "i")

// Tokens splits text into folded words: runs of letters and digits. Words
// joined by an apostrophe ("l'achat") are split and the elided article
// dropped as a stop word later; hyphenated words give their parts.
func Tokens(text string) []string {
	folded := Fold(text)
	words := strings.FieldsFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	out := words[:0]
	for _, w := range words {
		if len(w) <= MaxTokenLen {
			out = append(out, w)
		}
	}
	return out
}

// Stem returns the stem of a folded word in lang, or the word itself when
// lang has no stemmer.
func Stem(word, lang string) string {
	st, ok := stemmers[lang]
	if !ok {
		return word
	}
	env := snowball.NewEnv(word)
	st(env)
	return env.Current()
}

// Analyze returns the distinct index terms of text written in langs: each
// word that is not a stop word in one of those languages, folded, plus its
// stem in each of them. An empty langs uses all four stemming languages.
// The result is sorted, so equal inputs give equal arrays.
func Analyze(text string, langs ...string) []string {
	langs = stemLangs(langs)
	set := map[string]struct{}{}
	for _, w := range Tokens(text) {
		if isStop(w, langs) {
			continue
		}
		set[w] = struct{}{}
		for _, l := range langs {
			if s := Stem(w, l); s != "" {
				set[s] = struct{}{}
			}
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

func stemLangs(langs []string) []string {
	var out []string
	for _, l := range langs {
		if _, ok := stemmers[l]; ok {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return Languages
	}
	return out
}

func isStop(w string, langs []string) bool {
	if len([]rune(w)) < 2 && !unicode.IsDigit([]rune(w)[0]) {
		return true
	}
	for _, l := range langs {
		if _, ok := stopWords[l][w]; ok {
			return true
		}
	}
	return false
}

// Query is a parsed search: every clause must match a document (AND); a
// clause matches when the document has any of its terms (the word folded,
// or stemmed in any of the four languages, since a query's language is not
// known). Phrases are not supported; quotes are ignored.
type Query struct {
	Clauses [][]string
	// Words are the folded query words, for highlighting.
	Words []string
}

// MaxClauses bounds the work one query may ask of the database.
const MaxClauses = 12

// ParseQuery parses what a person typed. Stop words of all four languages are
// dropped unless nothing else remains. The result holds only plain strings
// derived from letters and digits, so it is safe in any filter.
func ParseQuery(q string) Query {
	toks := Tokens(q)
	var kept []string
	for _, w := range toks {
		if !isStop(w, Languages) {
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 {
		kept = toks
	}
	var out Query
	seen := map[string]bool{}
	for _, w := range kept {
		if seen[w] || len(out.Clauses) == MaxClauses {
			continue
		}
		seen[w] = true
		vars := map[string]struct{}{w: {}}
		for _, l := range Languages {
			vars[Stem(w, l)] = struct{}{}
		}
		clause := make([]string, 0, len(vars))
		for v := range vars {
			if v != "" {
				clause = append(clause, v)
			}
		}
		sort.Strings(clause)
		out.Clauses = append(out.Clauses, clause)
		out.Words = append(out.Words, w)
	}
	return out
}

// Empty reports whether the query has no clause.
func (q Query) Empty() bool { return len(q.Clauses) == 0 }

// Matches reports how many clauses terms satisfies (terms sorted, as Analyze
// returns them); a document matches the query when all do.
func (q Query) Matches(terms []string) int {
	n := 0
	for _, c := range q.Clauses {
		for _, v := range c {
			i := sort.SearchStrings(terms, v)
			if i < len(terms) && terms[i] == v {
				n++
				break
			}
		}
	}
	return n
}
