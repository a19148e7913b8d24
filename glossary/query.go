package glossary

import (
	"sort"

	"github.com/circularfairict/portal/textindex"
)

// Query is a parsed search with the concepts it mentions. Its words are
// split into groups: a group is either one word no concept covers, or the
// words of one concept. A document matches the query when it matches every
// group; it matches a concept's group directly (the words typed) or through
// one of the concept's other terms, which ranks below.
type Query struct {
	textindex.Query
	Concepts []Expansion
}

// MaxTerms bounds the other terms one concept adds to a query, so a query of
// twelve concept words stays a bounded filter.
const MaxTerms = 24

// ParseQuery parses what a person typed and expands it with g's concepts;
// lang is the reader's language (concept names). When two concepts cover the
// same words, the first is kept, so every word belongs to one group.
func (g *Glossary) ParseQuery(q, lang string) Query {
	out := Query{Query: textindex.ParseQuery(q)}
	next := 0
	for _, e := range g.expandWords(out.Query, lang) {
		if e.From < next {
			continue
		}
		if len(e.Terms) > MaxTerms {
			e.Terms = e.Terms[:MaxTerms]
		}
		out.Concepts = append(out.Concepts, e)
		next = e.To
	}
	return out
}

// ParseQuery is ParseQuery on the embedded glossary.
func ParseQuery(q, lang string) Query { return Default().ParseQuery(q, lang) }

// Literal is a query without expansion: the words typed only.
func Literal(q string) Query { return Query{Query: textindex.ParseQuery(q)} }

// Group is a run of query words and what may stand for them.
type Group struct {
	// Clauses are the typed words, one clause per word as in textindex.Query.
	Clauses [][]string
	// Concept is the concept the words name, nil for a word no concept covers.
	Concept *Expansion
}

// Alternatives lists the ways a document may match the group, each a set
// of clauses that must all match: the typed words first, then the concept's
// other terms.
func (g Group) Alternatives() [][][]string {
	out := [][][]string{g.Clauses}
	if g.Concept != nil {
		for _, t := range g.Concept.Terms {
			out = append(out, t.Clauses)
		}
	}
	return out
}

// Level says how a document matches a group.
type Level int

// Levels, weakest first.
const (
	NoMatch Level = iota
	ViaConcept
	Direct
)

// Match tells how terms (sorted, as textindex.Analyze returns them) match
// the group.
func (g Group) Match(terms []string) Level {
	if allIn(g.Clauses, terms) {
		return Direct
	}
	if g.Concept != nil {
		for _, t := range g.Concept.Terms {
			if allIn(t.Clauses, terms) {
				return ViaConcept
			}
		}
	}
	return NoMatch
}

func allIn(clauses [][]string, terms []string) bool {
	for _, c := range clauses {
		found := false
		for _, v := range c {
			i := sort.SearchStrings(terms, v)
			if i < len(terms) && terms[i] == v {
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

// Groups splits the query into its groups, in the order of its words.
func (q Query) Groups() []Group {
	var out []Group
	next := 0
	for i := range q.Concepts {
		e := &q.Concepts[i]
		for ; next < e.From; next++ {
			out = append(out, Group{Clauses: q.Clauses[next : next+1]})
		}
		out = append(out, Group{Clauses: q.Clauses[e.From:e.To], Concept: e})
		next = e.To
	}
	for ; next < len(q.Clauses); next++ {
		out = append(out, Group{Clauses: q.Clauses[next : next+1]})
	}
	return out
}

// Expanded reports whether any concept adds terms to the query.
func (q Query) Expanded() bool {
	for _, e := range q.Concepts {
		if len(e.Terms) > 0 {
			return true
		}
	}
	return false
}

// Match tells whether terms match every group and which concepts it needed:
// the IDs of the concepts matched through another term than the one typed.
func (q Query) Match(terms []string) (ok bool, via []string) {
	for _, g := range q.Groups() {
		switch g.Match(terms) {
		case NoMatch:
			return false, nil
		case ViaConcept:
			via = append(via, g.Concept.Concept.ID)
		}
	}
	return true, via
}
