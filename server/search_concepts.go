package server

import (
	"strings"

	"github.com/circularfairict/portal/glossary"
)

// conceptNames names glossary concepts in the reader's language, for the
// "matched concept" line of search results.
func conceptNames(ids []string, lang string) string {
	g := glossary.Default()
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		if c := g.Concept(id); c != nil {
			names = append(names, c.Name(lang))
		}
	}
	return strings.Join(names, ", ")
}

// queryConcepts names the concepts a query expanded to; "" when it added
// no term in another language.
func queryConcepts(q glossary.Query, lang string) string {
	var ids []string
	for _, e := range q.Concepts {
		if len(e.Terms) > 0 {
			ids = append(ids, e.Concept.ID)
		}
	}
	return conceptNames(ids, lang)
}
