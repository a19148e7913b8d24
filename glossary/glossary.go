// Package glossary is the portal's multilingual procurement vocabulary: each
// concept (repairability, take-back, award criteria, ...) with its terms in
// English, French, Dutch and German. Search uses it to expand a query into
// the other languages, so a French query about "réparabilité" also finds the
// English and Dutch documents on repairability, ranked below documents that
// contain the words typed.
//
// The concepts are data (glossary.json, embedded); terms are analysed with
// textindex exactly as documents are, so a term matches the words a document
// is indexed under. The package depends on textindex only and says nothing
// about storage: callers turn a Query's groups into their own filters.
package glossary

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/circularfairict/portal/textindex"
)

//go:embed glossary.json
var data []byte

// Concept is one idea with its terms per language; the first term of a
// language is the concept's name in it.
type Concept struct {
	ID string
	// Taxonomy lists the resources/taxonomy.json values the concept stands
	// for, as "vocabulary/id" (e.g. "theme/repairability").
	Taxonomy []string
	Terms    map[string][]string
}

// Name is the concept's preferred term in lang, English when lang is not one
// of the four.
func (c *Concept) Name(lang string) string {
	if t := c.Terms[lang]; len(t) > 0 {
		return t[0]
	}
	return c.Terms["en"][0]
}

// Term is one way of writing a concept, analysed for matching.
type Term struct {
	Lang string
	Text string
	// Clauses hold, per word of the term, the folded word and its stem in
	// Lang: a document has the term when it has one of each clause.
	Clauses [][]string
	stems   []string
}

// Glossary is a parsed, indexed set of concepts.
type Glossary struct {
	concepts []*Concept
	byID     map[string]*Concept
	terms    map[*Concept][]Term
	// byFirst finds candidate terms by language and the stem of their first word.
	byFirst map[string][]termRef
}

type termRef struct {
	c *Concept
	i int // index in terms[c]
}

type rawConcept struct {
	ID       string   `json:"id"`
	Taxonomy []string `json:"taxonomy,omitempty"`
	EN       []string `json:"en"`
	FR       []string `json:"fr"`
	NL       []string `json:"nl"`
	DE       []string `json:"de"`
}

// Parse reads a glossary in the format of glossary.json. It rejects a
// concept without an ID, a repeated ID and a concept missing one of the four
// languages; ambiguity between concepts is left to the data's tests.
func Parse(b []byte) (*Glossary, error) {
	var raw []rawConcept
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("glossary: %w", err)
	}
	g := &Glossary{byID: map[string]*Concept{}, terms: map[*Concept][]Term{}, byFirst: map[string][]termRef{}}
	for _, r := range raw {
		if r.ID == "" {
			return nil, fmt.Errorf("glossary: concept without id after %d concepts", len(g.concepts))
		}
		if g.byID[r.ID] != nil {
			return nil, fmt.Errorf("glossary: concept %s defined twice", r.ID)
		}
		c := &Concept{ID: r.ID, Taxonomy: r.Taxonomy, Terms: map[string][]string{"en": r.EN, "fr": r.FR, "nl": r.NL, "de": r.DE}}
		for _, l := range textindex.Languages {
			if len(c.Terms[l]) == 0 {
				return nil, fmt.Errorf("glossary: concept %s has no %s term", c.ID, l)
			}
			for _, text := range c.Terms[l] {
				t := analyse(text, l)
				if len(t.stems) == 0 {
					return nil, fmt.Errorf("glossary: concept %s: %s term %q has no searchable word", c.ID, l, text)
				}
				g.byFirst[l+"\x00"+t.stems[0]] = append(g.byFirst[l+"\x00"+t.stems[0]], termRef{c, len(g.terms[c])})
				g.terms[c] = append(g.terms[c], t)
			}
		}
		g.concepts = append(g.concepts, c)
		g.byID[c.ID] = c
	}
	return g, nil
}

// analyse splits a term into words as a query is split (folded, stop words
// of the four languages dropped, so "clause de réparabilité" and "clause
// réparabilité" are one term) and stems each word in the term's language.
func analyse(text, lang string) Term {
	t := Term{Lang: lang, Text: text}
	for _, w := range textindex.ParseQuery(text).Words {
		s := textindex.Stem(w, lang)
		t.stems = append(t.stems, s)
		c := []string{w}
		if s != w && s != "" {
			c = append(c, s)
		}
		t.Clauses = append(t.Clauses, c)
	}
	return t
}

var (
	defaultOnce sync.Once
	defaultG    *Glossary
	defaultErr  error
)

// Default returns the embedded glossary, parsed on first use. Its tests
// guarantee that it parses, so an error here means a broken build.
func Default() *Glossary {
	defaultOnce.Do(func() { defaultG, defaultErr = Parse(data) })
	if defaultErr != nil {
		panic(defaultErr)
	}
	return defaultG
}

// Concepts lists the concepts in file order.
func (g *Glossary) Concepts() []*Concept { return g.concepts }

// Concept returns a concept by ID, nil when unknown.
func (g *Glossary) Concept(id string) *Concept { return g.byID[id] }

// Terms returns a concept's analysed terms, in the four languages' order.
func (g *Glossary) Terms(c *Concept) []Term { return g.terms[c] }

// Expansion is a concept a query mentions.
type Expansion struct {
	Concept *Concept
	// Name is the concept's name in the language asked for, for display.
	Name string
	// From and To delimit the query words (textindex.Query.Words) the
	// concept covers: Words[From:To].
	From, To int
	// Terms are the concept's other ways of writing, in every language
	// including the query's (synonyms), without those that say what the
	// typed words already say.
	Terms []Term
}

// Expand finds the concepts a query mentions, in any of the four languages,
// and returns each with its terms in the other languages. lang is the
// reader's language: it names the concepts and breaks ties.
func Expand(query, lang string) []Expansion { return Default().Expand(query, lang) }

// Expand is the package's Expand on g.
func (g *Glossary) Expand(query, lang string) []Expansion {
	return g.expandWords(textindex.ParseQuery(query), lang)
}

// expandWords matches the query's words against the terms, longest term
// first, left to right; words covered by one concept are not matched again.
// Every concept whose term covers the longest span is returned, which the
// data's tests keep to one.
func (g *Glossary) expandWords(q textindex.Query, lang string) []Expansion {
	words := q.Words
	var out []Expansion
	for i := 0; i < len(words); {
		best := 0
		var found []*Concept
		for _, l := range textindex.Languages {
			first := textindex.Stem(words[i], l)
			for _, ref := range g.byFirst[l+"\x00"+first] {
				t := g.terms[ref.c][ref.i]
				n := len(t.stems)
				if n < best || i+n > len(words) || !stemsMatch(t.stems, words[i:i+n], l) {
					continue
				}
				if n > best {
					best, found = n, nil
				}
				if !containsConcept(found, ref.c) {
					found = append(found, ref.c)
				}
			}
		}
		if best == 0 {
			i++
			continue
		}
		for _, c := range found {
			out = append(out, Expansion{Concept: c, Name: c.Name(lang), From: i, To: i + best, Terms: g.others(c, q.Clauses[i:i+best])})
		}
		i += best
	}
	return out
}

func stemsMatch(stems, words []string, lang string) bool {
	for j, s := range stems {
		if textindex.Stem(words[j], lang) != s {
			return false
		}
	}
	return true
}

func containsConcept(list []*Concept, c *Concept) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}

// others returns c's terms except those a document matching the typed
// clauses always matches too, once per distinct set of clauses.
func (g *Glossary) others(c *Concept, typed [][]string) []Term {
	seen := map[string]bool{}
	var out []Term
	for _, t := range g.terms[c] {
		if implied(typed, t.Clauses) {
			continue
		}
		k := clauseKey(t.Clauses)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, t)
	}
	return out
}

// implied reports whether every clause of alt shares a term with a typed
// clause in the same position: then alt adds nothing to what was typed.
func implied(typed, alt [][]string) bool {
	if len(typed) != len(alt) {
		return false
	}
	for i := range alt {
		if !intersects(typed[i], alt[i]) {
			return false
		}
	}
	return true
}

func intersects(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

func clauseKey(cs [][]string) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		s := append([]string(nil), c...)
		sort.Strings(s)
		parts[i] = strings.Join(s, "|")
	}
	return strings.Join(parts, " ")
}
