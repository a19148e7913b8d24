package auth

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"
)

// Whatever a member types into the directory search, the query keeps its
// fixed shape: known fields only, no operator taken from input, and every
// pattern matches the typed word literally.
func FuzzDirectoryQuery(f *testing.F) {
	for _, s := range []string{"dubois", ".*", `{"$ne": null}`, "$where", "a.b", "(((", "\\", "name.$", "x y z w v u t"} {
		f.Add(s, "BE", "ngo", "nl")
	}
	allowed := map[string]bool{"status": true, "country": true, "org_type": true, "languages": true, "_id": true, "$and": true}
	f.Fuzz(func(t *testing.T, q, country, orgType, lang string) {
		filter := directoryQuery(DirectoryFilter{Q: q, Country: country, OrgType: orgType, Language: lang}, nil)
		for k, v := range filter {
			if !allowed[k] {
				t.Fatalf("unexpected key %q", k)
			}
			if k == "country" || k == "org_type" || k == "languages" {
				if _, ok := v.(string); !ok {
					t.Fatalf("%s is not a plain value: %#v", k, v)
				}
			}
		}
		and, _ := filter["$and"].(bson.A)
		if len(and) > 5 {
			t.Fatalf("%d word clauses", len(and))
		}
		words := strings.Fields(strings.ToValidUTF8(q, ""))
		for i, clause := range and {
			re := clause.(bson.M)["$or"].(bson.A)[0].(bson.M)["name"].(bson.M)["$regex"].(string)
			if !utf8.ValidString(re) {
				t.Fatalf("pattern %q is not valid UTF-8", re)
			}
			compiled, err := regexp.Compile("(?i)" + re)
			if err != nil {
				t.Fatalf("pattern %q does not compile: %v", re, err)
			}
			if re != regexp.QuoteMeta(words[i]) || !compiled.MatchString(words[i]) {
				t.Fatalf("pattern %q is not the literal word %q", re, words[i])
			}
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
