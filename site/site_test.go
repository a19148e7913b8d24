package site

import (
	"testing"

	"github.com/circularfairict/portal/fault"
)

var langs = []string{"en", "fr", "nl", "de"}

func TestIn(t *testing.T) {
	texts := map[string]string{"fr": "Bonjour", "nl": "Hallo"}
	for _, tc := range []struct {
		lang  string
		langs []string
		want  string
	}{
		{"fr", langs, "Bonjour"},
		{"de", langs, "Bonjour"}, // names: another language's before the built-in one
		{"de", nil, ""},          // prose: the built-in text in the reader's language
		{"en", nil, ""},
	} {
		if got := In(texts, tc.lang, tc.langs); got != tc.want {
			t.Errorf("In(%s, %v) = %q, want %q", tc.lang, tc.langs, got, tc.want)
		}
	}
	if got := In(map[string]string{"en": "Hello", "fr": "Bonjour"}, "nl", nil); got != "Hello" {
		t.Errorf("English fallback: %q", got)
	}
}

func TestValidate(t *testing.T) {
	licence := func(id string) bool { return id == "cc_by_sa" }
	long := string(make([]rune, MaxName+1))
	for _, tc := range []struct {
		name  string
		s     Settings
		field string
	}{
		{"ok", Settings{Names: map[string]string{"fr": " Nom "}, Contact: "a@example.org", DefaultLicence: "cc_by_sa", Languages: []string{"fr"}}, ""},
		{"name too long", Settings{Names: map[string]string{"fr": long}, Languages: langs}, "name_fr"},
		{"contact with a display name", Settings{Contact: "Ann <a@example.org>", Languages: langs}, "contact"},
		{"contact with a header", Settings{Contact: "a@example.org\r\nBcc: b@example.org", Languages: langs}, "contact"},
		{"unknown licence", Settings{DefaultLicence: "mine", Languages: langs}, "licence"},
		{"no language", Settings{}, "languages"},
		{"unknown language", Settings{Languages: []string{"xx"}}, "languages"},
	} {
		err := tc.s.Validate(langs, licence)
		fe, _ := fault.As(err)
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.field != "" && (fe == nil || fe.Field != tc.field):
			t.Errorf("%s: got %v, want an error on %s", tc.name, err, tc.field)
		}
	}
	s := Settings{Names: map[string]string{"fr": " Nom ", "nl": "  "}, Languages: langs}
	if err := s.Validate(langs, licence); err != nil || s.Names["fr"] != "Nom" || len(s.Names) != 1 {
		t.Errorf("texts not trimmed or empty ones kept: %v %v", s.Names, err)
	}
}

func TestNextConductVersion(t *testing.T) {
	old := &Settings{Conducts: map[string]string{"en": "Be kind."}, ConductVersion: 3}
	if v := (&Settings{Conducts: map[string]string{"en": "Be kind."}}).NextConductVersion(old); v != 3 {
		t.Errorf("same text: version %d, want 3", v)
	}
	if v := (&Settings{Conducts: map[string]string{"en": "Be kinder."}}).NextConductVersion(old); v != 4 {
		t.Errorf("changed text: version %d, want 4", v)
	}
	if v := (&Settings{Conducts: map[string]string{"en": "Be kind.", "fr": "Soyez aimables."}}).NextConductVersion(old); v != 4 {
		t.Errorf("new language: version %d, want 4", v)
	}
	if v := (&Settings{}).NextConductVersion(&Settings{}); v != 0 {
		t.Errorf("never set: version %d, want 0", v)
	}
}
