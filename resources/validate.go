package resources

import (
	"strings"
	"unicode/utf8"

	"github.com/circularfairict/portal/fault"
)

// FieldErrors holds every problem of a form, one per field, so a form can
// show them all next to the member's input. It unwraps to the first one,
// which is what an API client gets.
type FieldErrors []*fault.Error

func (e FieldErrors) Error() string {
	keys := make([]string, len(e))
	for i, f := range e {
		keys[i] = f.Field + ": " + f.Key
	}
	return "resources: invalid: " + strings.Join(keys, ", ")
}

// Unwrap returns the first field error.
func (e FieldErrors) Unwrap() error { return e[0] }

// Field returns the error of a field, or nil.
func (e FieldErrors) Field(name string) *fault.Error {
	for _, f := range e {
		if f.Field == name {
			return f
		}
	}
	return nil
}

// Validate normalises meta and checks every field against the taxonomy.
func (s *Service) Validate(m Meta) (Meta, error) {
	var errs FieldErrors
	bad := func(field, key string, args ...any) {
		errs = append(errs, fault.New(fault.Invalid, key, args...).OnField(field))
	}
	m.Title = strings.TrimSpace(m.Title)
	m.Summary = strings.TrimSpace(m.Summary)
	m.Organisation = strings.TrimSpace(m.Organisation)
	m.Country = strings.ToUpper(strings.TrimSpace(m.Country))
	switch n := utf8.RuneCountInString(m.Title); {
	case n == 0:
		bad("title", "library.error.title_required")
	case n < 3:
		bad("title", "library.error.too_short", 3)
	case n > 200:
		bad("title", "library.error.too_long", 200)
	}
	switch n := utf8.RuneCountInString(m.Summary); {
	case n == 0:
		bad("summary", "library.error.summary_required")
	case n > 5000:
		bad("summary", "library.error.too_long", 5000)
	}
	if !s.Tax.Has(VocType, m.Type) {
		bad("type", "library.error.type_required")
	}
	var ok bool
	if m.Languages, ok = s.terms(VocLanguage, m.Languages); !ok || len(m.Languages) == 0 {
		bad("languages", "library.error.languages_required")
	}
	for _, f := range []struct {
		field, vocab string
		list         *[]string
	}{{"stages", VocStage, &m.Stages}, {"products", VocProduct, &m.Products}, {"themes", VocTheme, &m.Themes}, {"frameworks", VocFramework, &m.Frameworks}} {
		if *f.list, ok = s.terms(f.vocab, *f.list); !ok {
			bad(f.field, "library.error.choice")
		}
	}
	if m.Ambition != "" && !s.Tax.Has(VocAmbition, m.Ambition) {
		bad("ambition", "library.error.choice")
	}
	if m.Award != "" && !s.Tax.Has(VocAward, m.Award) {
		bad("award", "library.error.choice")
	}
	if !s.Tax.Has(VocLicence, m.Licence) {
		bad("licence", "library.error.licence_required")
	}
	if m.Country != "" && !IsCountry(m.Country) {
		bad("country", "library.error.country")
	}
	if utf8.RuneCountInString(m.Organisation) > 200 {
		bad("organisation", "library.error.too_long", 200)
	}
	if m.Year != 0 && (m.Year < 1990 || m.Year > s.now().Year()+1) {
		bad("year", "library.error.year")
	}
	switch m.Visibility {
	case VisibilityPublic, VisibilityMembers:
		m.GroupID = ""
	case VisibilityGroup:
		if !ValidID(m.GroupID) {
			bad("group", "library.error.group_required")
		}
	default:
		bad("visibility", "library.error.choice")
	}
	var tr []Translation
	for _, t := range m.Translations {
		t.Title, t.Summary = strings.TrimSpace(t.Title), strings.TrimSpace(t.Summary)
		if t.Title == "" && t.Summary == "" {
			continue
		}
		if !s.Tax.Has(VocLanguage, t.Lang) || t.Title == "" || utf8.RuneCountInString(t.Title) > 200 || utf8.RuneCountInString(t.Summary) > 5000 {
			bad("translations", "library.error.translation")
			continue
		}
		tr = append(tr, t)
	}
	m.Translations = tr
	if len(errs) > 0 {
		return m, errs
	}
	return m, nil
}

// terms keeps the known, distinct IDs of list; ok is false when one is unknown.
func (s *Service) terms(vocab string, list []string) ([]string, bool) {
	var out []string
	seen := map[string]bool{}
	ok := true
	for _, v := range list {
		v = strings.TrimSpace(v)
		if v == "" || seen[v] {
			continue
		}
		if !s.Tax.Has(vocab, v) {
			ok = false
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out, ok
}
