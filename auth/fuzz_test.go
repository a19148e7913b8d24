package auth

import (
	"strings"
	"testing"
	"unicode"

	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/circularfairict/portal/search"
)

// Whatever a member types into the directory search, the query keeps its
// fixed shape: filter values compared as whole terms, at most five words,
// each a folded run of letters and digits searched as a prefix, never
// query syntax.
func FuzzDirectoryQuery(f *testing.F) {
	for _, s := range []string{"dubois", ".*", `{"$ne": null}`, "$where", "a.b", "(((", "\\", "name:x +y -z", "x y z w v u t", "dubois~2^3*"} {
		f.Add(s, "BE", "ngo", "nl")
	}
	f.Fuzz(func(t *testing.T, q, country, orgType, lang string) {
		top, ok := directoryQuery(DirectoryFilter{Q: q, Country: country, OrgType: orgType, Language: lang}, nil).(*query.ConjunctionQuery)
		if !ok {
			t.Fatal("not a conjunction")
		}
		words := 0
		for _, c := range top.Conjuncts {
			switch c := c.(type) {
			case *query.TermQuery:
				if v := map[string]string{fCountry: country, fOrgType: orgType, fLanguage: lang, search.FieldKind: SearchKind}[c.FieldVal]; v != c.Term {
					t.Fatalf("term %s=%q is not the value given", c.FieldVal, c.Term)
				}
			case *query.DisjunctionQuery:
				words++
				for _, d := range c.Disjuncts {
					p, ok := d.(*query.PrefixQuery)
					if !ok {
						t.Fatalf("word clause %T", d)
					}
					for _, r := range p.Prefix {
						if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
							t.Fatalf("prefix %q is not a plain word", p.Prefix)
						}
					}
				}
			default:
				t.Fatalf("unexpected clause %T", c)
			}
		}
		if words > maxDirectoryWords {
			t.Fatalf("%d word clauses", words)
		}
	})
}

// Validate never panics and always leaves a normalised profile.
func FuzzProfileValidate(f *testing.F) {
	f.Add("Anna", "Ministry", "ministry", "nl", "nl,en", "buyer", true)
	f.Add("", "", "", "", "", "", false)
	f.Add("<script>", "x\x00y", "supplier", "zz", "EN, $ne", "buyer", true)
	f.Fuzz(func(t *testing.T, name, org, orgType, country, langs, buyer string, conduct bool) {
		p := Profile{Name: name, Organisation: org, OrgType: orgType, Country: country, Languages: strings.Split(langs, ","), Buyer: buyer, Conduct: conduct}
		errs := p.Validate()
		if len(errs) == 0 {
			if p.Name != strings.TrimSpace(p.Name) || !countryRe.MatchString(p.Country) || len(p.Languages) == 0 {
				t.Fatalf("accepted an unnormalised profile: %+v", p)
			}
			if p.Buyer == "buyer" && (p.OrgType == string(OrgSupplier) || p.OrgType == string(OrgNGO)) {
				t.Fatal("a supplier was accepted as a public buyer")
			}
		}
		for field, key := range errs {
			if !strings.HasPrefix(key, "profile.error.") {
				t.Fatalf("%s: message key %q", field, key)
			}
		}
	})
}
