package search

import (
	"context"
	"html"
	"sort"
	"strings"
	"unicode/utf8"

	index "github.com/blevesearch/bleve_index_api"
)

// Span is a matched word's byte offsets in a field's text.
type Span struct{ Start, End int }

// Snippet cuts a passage of about width bytes of text around the densest
// run of spans and returns it as HTML: every matched word inside <mark>,
// everything else escaped. It is built from the offsets the index reports,
// never from a highlighter's HTML, so the text of a document cannot inject
// markup.
func Snippet(text string, spans []Span, width int) string {
	var ok []Span
	for _, s := range spans {
		if s.Start >= 0 && s.End <= len(text) && s.Start < s.End {
			ok = append(ok, s)
		}
	}
	if len(ok) == 0 {
		return ""
	}
	sort.Slice(ok, func(i, j int) bool { return ok[i].Start < ok[j].Start })
	// The window starting at the span that covers most spans within width.
	best, bestN := 0, 0
	for i := range ok {
		n := 0
		for j := i; j < len(ok) && ok[j].End-ok[i].Start <= width; j++ {
			n++
		}
		if n > bestN {
			best, bestN = i, n
		}
	}
	from := ok[best].Start - width/4
	if from < 0 {
		from = 0
	}
	to := from + width
	if to > len(text) {
		to = len(text)
	}
	// Whole characters and, where possible, whole words.
	for from > 0 && !utf8.RuneStart(text[from]) {
		from--
	}
	for to < len(text) && !utf8.RuneStart(text[to]) {
		to++
	}
	if from > 0 {
		if i := strings.IndexAny(text[from:ok[best].Start], " \n\t"); i >= 0 {
			from += i + 1
		}
	}
	if to < len(text) {
		if i := strings.LastIndexAny(text[max(to-width/4, ok[best].End):to], " \n\t"); i >= 0 {
			to = max(to-width/4, ok[best].End) + i
		}
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("… ")
	}
	at := from
	for _, s := range ok[best:] {
		if s.Start < at {
			continue
		}
		if s.End > to {
			break
		}
		b.WriteString(html.EscapeString(text[at:s.Start]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(text[s.Start:s.End]))
		b.WriteString("</mark>")
		at = s.End
	}
	b.WriteString(html.EscapeString(text[at:to]))
	if to < len(text) {
		b.WriteString(" …")
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// Closest returns the term of the fields' dictionaries nearest to word
// (edit distance 1, else 2; the most frequent over all shards wins), or ""
// when none is.
func (ix *Index) Closest(ctx context.Context, word string, fields []string) string {
	var readers []index.IndexReaderFuzzy
	for _, s := range ix.shards {
		adv, err := s.Advanced()
		if err != nil {
			continue
		}
		r, err := adv.Reader()
		if err != nil {
			continue
		}
		defer r.Close()
		if fr, ok := r.(index.IndexReaderFuzzy); ok {
			readers = append(readers, fr)
		}
	}
	for fuzz := 1; fuzz <= 2; fuzz++ {
		// A term's count in a field is its documents in each shard added
		// up; the fields are compared one by one, as in one index.
		type fieldTerm struct{ field, term string }
		counts := map[fieldTerm]uint64{}
		for _, fr := range readers {
			for _, f := range fields {
				d, err := fr.FieldDictFuzzy(f, word, fuzz, "")
				if err != nil {
					continue
				}
				for e, err := d.Next(); err == nil && e != nil; e, err = d.Next() {
					if e.Term != word {
						counts[fieldTerm{f, e.Term}] += e.Count
					}
					if ctx.Err() != nil {
						break
					}
				}
				_ = d.Close()
			}
		}
		best, bestN := "", uint64(0)
		for ft, n := range counts {
			if best == "" || n > bestN || (n == bestN && ft.term < best) {
				best, bestN = ft.term, n
			}
		}
		if best != "" {
			return best
		}
	}
	return ""
}
