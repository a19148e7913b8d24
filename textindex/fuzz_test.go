package textindex

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

// Whatever a person types into a search box, the parsed query is bounded
// and holds only words made of letters and digits: safe in any filter and
// never a pattern or an operator.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"laptop repairability", "Réparabilité des ordinateurs", "de het een", `{"$ne": null}`, "a.b $where",
		".*", "(((", "\"exact phrase\"", "Straße Überprüfung", "x\x00y", "\xff\xfe", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		p := ParseQuery(q)
		if len(p.Clauses) > MaxClauses || len(p.Words) != len(p.Clauses) {
			t.Fatalf("ParseQuery(%q): %d clauses, %d words", q, len(p.Clauses), len(p.Words))
		}
		for _, c := range p.Clauses {
			if len(c) == 0 {
				t.Fatalf("ParseQuery(%q): an empty clause", q)
			}
			for _, term := range append(c, p.Words...) {
				if !utf8.ValidString(term) || term == "" {
					t.Fatalf("ParseQuery(%q): term %q", q, term)
				}
				for _, r := range term {
					if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
						t.Fatalf("ParseQuery(%q): term %q holds %q", q, term, r)
					}
				}
			}
		}
	})
}
