package frontend

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

func TestCatalogsComplete(t *testing.T) {
	c, err := LoadCatalog(Locales())
	if err != nil {
		t.Fatal(err) // LoadCatalog fails on any key missing in a language
	}
	for _, k := range c.Keys() {
		for _, l := range Languages {
			if strings.TrimSpace(c.T(l, k)) == "" {
				t.Errorf("%s: empty message for %s", l, k)
			}
		}
		// Placeholders must match across languages.
		want := placeholders(c.T("en", k))
		for _, l := range Languages[1:] {
			if got := placeholders(c.T(l, k)); got != want {
				t.Errorf("%s: %s has placeholders %q, English has %q", l, k, got, want)
			}
		}
	}
}

var phRe = regexp.MustCompile(`\{\d\}`)

func placeholders(s string) string {
	m := phRe.FindAllString(s, -1)
	return strings.Join(m, "")
}

var (
	actionRe  = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	keyRe     = regexp.MustCompile(`\.T "([a-z0-9_.]+)"`)
	tagRe     = regexp.MustCompile(`(?s)<[^>]*>`)
	letterRe  = regexp.MustCompile(`\p{L}{2,}`)
	textAttRe = regexp.MustCompile(`(?i)\b(alt|title|aria-label|placeholder|content)="([^"]*)"`)
)

// Every message a template asks for exists, and no template carries text of
// its own: UI text comes from the catalogs only.
func TestTemplatesUseCatalog(t *testing.T) {
	c, err := LoadCatalog(Locales())
	if err != nil {
		t.Fatal(err)
	}
	err = fs.WalkDir(Templates(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(Templates(), p)
		src := string(b)
		for _, m := range keyRe.FindAllStringSubmatch(src, -1) {
			if !c.Has(m[1]) {
				t.Errorf("%s: message key %q not in the catalogs", p, m[1])
			}
		}
		noActions := actionRe.ReplaceAllString(src, "")
		for _, m := range textAttRe.FindAllStringSubmatch(noActions, -1) {
			if m[1] == "content" && (m[2] == "width=device-width, initial-scale=1") {
				continue
			}
			if letterRe.MatchString(m[2]) {
				t.Errorf("%s: hard-coded %s=%q", p, m[1], m[2])
			}
		}
		text := tagRe.ReplaceAllString(noActions, " ")
		for _, w := range letterRe.FindAllString(text, -1) {
			t.Errorf("%s: hard-coded text %q", p, w)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNegotiate(t *testing.T) {
	c, err := LoadCatalog(Locales())
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"":                        "en",
		"fr-CA,fr;q=0.9":          "fr",
		"de-AT":                   "de",
		"nl-BE,nl;q=0.8,en;q=0.5": "nl",
		"pt-BR":                   "en",
		"*":                       "en",
		"garbage;;;q=x":           "en",
	}
	for in, want := range tests {
		if got := c.Negotiate(in); got != want {
			t.Errorf("Negotiate(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestAssetsFingerprinted(t *testing.T) {
	a, err := LoadAssets(Static(), "/static")
	if err != nil {
		t.Fatal(err)
	}
	u := a.URL("css/portal.css")
	if !regexp.MustCompile(`^/static/css/portal\.[0-9a-f]{12}\.css$`).MatchString(u) {
		t.Fatalf("URL %q is not fingerprinted", u)
	}
	if _, _, ok := a.Open(u); !ok {
		t.Fatal("fingerprinted URL does not resolve")
	}
	if _, _, ok := a.Open("/static/css/portal.css"); ok {
		t.Fatal("unversioned URL must not be served")
	}
}

func TestCountsTakeSingular(t *testing.T) {
	c, err := LoadCatalog(Locales())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang string
		n    any
		want string
	}{
		{"en", 1, "1 reply"}, {"en", 2, "2 replies"}, {"en", 0, "0 replies"}, {"en", int64(1), "1 reply"},
		{"fr", 0, "0 réponse"}, {"fr", 1, "1 réponse"}, {"fr", 2, "2 réponses"},
		{"nl", 1, "1 reactie"}, {"de", 3, "3 Antworten"}, {"en", "1", "1 replies"},
	} {
		if got := c.T(tc.lang, "forum.replies_count", tc.n); got != tc.want {
			t.Errorf("%s %v: got %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
}
