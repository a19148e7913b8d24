package frontend

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"golang.org/x/text/language"
)

// Languages the UI is translated into; the first is the fallback.
var Languages = []string{"en", "fr", "nl", "de"}

// LanguageNames are shown in the switcher, each in its own language.
var LanguageNames = map[string]string{"en": "English", "fr": "Français", "nl": "Nederlands", "de": "Deutsch"}

// Catalog holds every UI message in every language.
type Catalog struct {
	msgs    map[string]map[string]string
	matcher language.Matcher
}

// LoadCatalog reads locales/<lang>.json for each UI language. A key present
// in English but missing elsewhere is an error, so no page shows a raw key.
func LoadCatalog(fsys fs.FS) (*Catalog, error) {
	c := &Catalog{msgs: map[string]map[string]string{}}
	var tags []language.Tag
	for _, l := range Languages {
		b, err := fs.ReadFile(fsys, l+".json")
		if err != nil {
			return nil, fmt.Errorf("frontend: catalog %s: %w", l, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("frontend: catalog %s: %w", l, err)
		}
		c.msgs[l] = m
		tags = append(tags, language.Make(l))
	}
	var missing []string
	for k := range c.msgs["en"] {
		for _, l := range Languages[1:] {
			if _, ok := c.msgs[l][k]; !ok {
				missing = append(missing, l+":"+k)
			}
		}
	}
	for _, l := range Languages[1:] {
		for k := range c.msgs[l] {
			if _, ok := c.msgs["en"][k]; !ok {
				missing = append(missing, "en:"+k)
			}
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("frontend: catalog keys missing: %s", strings.Join(missing, ", "))
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

// Supported reports whether lang is one of the UI languages.
func Supported(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// Negotiate picks the UI language from an Accept-Language header.
func (c *Catalog) Negotiate(acceptLanguage string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return Languages[0]
	}
	_, idx, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return Languages[0]
	}
	return Languages[idx]
}

// T translates key into lang. Arguments fill {0}, {1}, ... placeholders. An
// unknown key returns the key itself, which tests catch.
//
// Counts: when the first argument is an integer that the language treats
// as singular and the catalog has key + ".one", that message is used, so
// catalogs say "1 reply" and "2 replies" without templates choosing.
func (c *Catalog) T(lang, key string, args ...any) string {
	if len(args) > 0 && singular(lang, args[0]) && c.Has(key+".one") {
		key += ".one"
	}
	s, ok := c.msgs[lang][key]
	if !ok {
		if s, ok = c.msgs["en"][key]; !ok {
			return key
		}
	}
	for i, a := range args {
		s = strings.ReplaceAll(s, fmt.Sprintf("{%d}", i), fmt.Sprint(a))
	}
	return s
}

// Has reports whether key exists in the catalog.
func (c *Catalog) Has(key string) bool { _, ok := c.msgs["en"][key]; return ok }

// Keys returns every message key, sorted.
func (c *Catalog) Keys() []string {
	keys := make([]string, 0, len(c.msgs["en"]))
	for k := range c.msgs["en"] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// singular reports whether n takes the singular form in lang: French
// counts zero as singular ("0 réponse"); English, Dutch and German do not.
func singular(lang string, n any) bool {
	var v int64
	switch n := n.(type) {
	case int:
		v = int64(n)
	case int32:
		v = int64(n)
	case int64:
		v = n
	default:
		return false
	}
	if lang == "fr" {
		return v == 0 || v == 1
	}
	return v == 1
}
