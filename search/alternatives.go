package search

import (
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// tokenCache keeps the analyses of query texts by analyser: mostly the
// glossary's terms, which every query naming a concept analyses again.
// Bounded, since typed words pass through it too.
type tokenCache struct {
	m sync.Map // analyser + "\x00" + text -> []string
	n atomic.Int64
}

const maxCachedTokens = 50000

// Tokens are the terms a match query of text looks up in a field of
// analyser (AnalyzerFolded, or Analyzer(lang)): what the index's mapping
// makes of it, stop words left out. Nil when the analyser is unknown.
func (ix *Index) Tokens(analyzer, text string) []string {
	key := analyzer + "\x00" + text
	if v, ok := ix.tokens.m.Load(key); ok {
		return v.([]string)
	}
	a := ix.Mapping().AnalyzerNamed(analyzer)
	if a == nil {
		return nil
	}
	var out []string
	for _, t := range a.Analyze([]byte(text)) {
		out = append(out, string(t.Term))
	}
	if ix.tokens.n.Load() < maxCachedTokens {
		ix.tokens.n.Add(1)
		ix.tokens.m.Store(key, out)
	}
	return out
}

// Covered is, for each key, the tokens of all the typed words under
// analyzer(key): what the words' own clause already matches in that key's
// fields, as Needed takes it. A key under which some word has no token (a
// stop word there) is left out.
func (ix *Index) Covered(words, keys []string, analyzer func(key string) string) map[string][]string {
	covered := map[string][]string{}
	for _, k := range keys {
		var all []string
		for _, w := range words {
			toks := ix.Tokens(analyzer(k), w)
			if len(toks) == 0 {
				all = nil
				break
			}
			all = append(all, toks...)
		}
		if len(all) > 0 {
			covered[k] = all
		}
	}
	return covered
}

// Alternative is one way for a document to match a disjunction: every
// token in one field of a set of fields analysed alike (Key, e.g. the
// language: the head and body fields of one language).
type Alternative struct {
	Key    string
	Tokens []string
}

// Needed tells which alternatives of a disjunction to look up: not one
// without tokens (it matches nothing), nor one with the same tokens as an
// earlier one of the same key, nor one whose tokens include all of
// covered[key] (what another clause of the same disjunction already
// matches in those fields, e.g. the typed words, which weigh far more).
// Each left out matched only documents another clause matches: a glossary
// concept's terms are often one stem (repair, repairs, repairable), each
// a pass over the same postings. A longer term including a shorter one of
// the same key (secure data wiping, data wiping) stays: a document with
// both ranks above one with the shorter alone.
func Needed(alts []Alternative, covered map[string][]string) []bool {
	keep := make([]bool, len(alts))
	for i, a := range alts {
		if len(a.Tokens) == 0 {
			continue
		}
		if c, ok := covered[a.Key]; ok && len(c) > 0 && subset(c, a.Tokens) {
			continue
		}
		keep[i] = true
		for _, b := range alts[:i] {
			if b.Key == a.Key && subset(b.Tokens, a.Tokens) && subset(a.Tokens, b.Tokens) {
				keep[i] = false
				break
			}
		}
	}
	return keep
}

// subset reports whether every token of a is in b.
func subset(a, b []string) bool {
	for _, x := range a {
		found := false
		for _, y := range b {
			if x == y {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Match is a match query of text in field, whose analyser is analyzer,
// requiring every token (and) or any: a term query when the text is one
// token, as it mostly is. bleve makes a match query of one token a
// conjunction (or disjunction) of one clause around its term, and each
// level costs a call and a document match per posting it passes on; the
// score is the same (one clause: nothing to add up, all of it matched).
func (ix *Index) Match(field, analyzer, text string, boost float64, and bool) query.Query {
	if toks := ix.Tokens(analyzer, text); len(toks) == 1 {
		t := bleve.NewTermQuery(toks[0])
		t.SetField(field)
		t.SetBoost(boost)
		return t
	}
	m := bleve.NewMatchQuery(text)
	m.SetField(field)
	m.SetBoost(boost)
	if and {
		m.SetOperator(query.MatchQueryOperatorAnd)
	}
	return m
}

// Or is a disjunction of qs, or its one query; And the same for a
// conjunction: a compound query of one clause scores as that clause, with
// one more level to pass every match through.
func Or(qs ...query.Query) query.Query {
	if len(qs) == 1 {
		return qs[0]
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// And: see Or.
func And(qs ...query.Query) query.Query {
	if len(qs) == 1 {
		return qs[0]
	}
	return bleve.NewConjunctionQuery(qs...)
}
