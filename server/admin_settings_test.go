package server

import (
	"net/url"
	"strings"
	"testing"

	"github.com/circularfairict/portal/auth"
)

// TestSiteSettings: an administrator sets the portal's own words and
// defaults; pages show them in the reader's language with the built-in
// text as fallback; refused input comes back with the form.
func TestSiteSettings(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	admin := newClient(t, s)
	admin.signIn("coordinator")
	if res, page := admin.get("/admin/settings"); res.StatusCode != 200 || !strings.Contains(page, `placeholder="Circular &amp; Fair ICT Pact community portal"`) {
		t.Fatalf("settings page: %d", res.StatusCode)
	}
	buyer := newClient(t, s)
	buyer.signIn("buyer")
	if res, _ := buyer.get("/admin/settings"); res.StatusCode != 403 {
		t.Fatalf("settings for a member: %d", res.StatusCode)
	}

	form := url.Values{"name_fr": {"Communauté des acheteurs responsables"}, "intro_fr": {"Bienvenue aux acheteurs publics francophones."},
		"name_en": {"Responsible Buyers Community"}, "contact": {"not an address"}, "licence": {"cc_by_sa"}, "languages": {"en", "fr", "nl"}}
	res, page := admin.post("/admin/settings", form)
	if res.StatusCode != 400 || !strings.Contains(page, "Enter an e-mail address") || !strings.Contains(page, "Bienvenue aux acheteurs publics francophones.") ||
		!strings.Contains(page, `href="#s-contact"`) {
		t.Fatalf("refused settings: %d %.2000s", res.StatusCode, page)
	}
	form.Set("contact", "hello@example.org")
	if res, _ := admin.post("/admin/settings", form); res.StatusCode != 303 {
		t.Fatalf("save: %d", res.StatusCode)
	}
	if e := lastAudit(t, s); e.Action != auditSettingsSaved {
		t.Fatalf("audit: %+v", e)
	}

	fr := newClient(t, s)
	fr.header.Set("Accept-Language", "fr")
	_, page = fr.get("/")
	for _, want := range []string{"<title>Communauté des acheteurs responsables</title>", "Bienvenue aux acheteurs publics francophones.", `href="mailto:hello@example.org"`} {
		if !strings.Contains(page, want) {
			t.Errorf("French home lacks %q", want)
		}
	}
	en := newClient(t, s)
	en.header.Set("Accept-Language", "en")
	_, page = en.get("/")
	if !strings.Contains(page, "<title>Responsible Buyers Community</title>") || !strings.Contains(page, "Public buyers from across Europe") {
		t.Errorf("English home: name or built-in introduction missing")
	}
	nl := newClient(t, s)
	nl.header.Set("Accept-Language", "nl")
	if _, page = nl.get("/"); !strings.Contains(page, "<title>Responsible Buyers Community</title>") {
		t.Error("Dutch reader does not fall back to the English name")
	}
	// German is no longer offered: not in the switcher, and German readers
	// get the first language offered.
	de := newClient(t, s)
	de.header.Set("Accept-Language", "de")
	if _, page = de.get("/"); strings.Contains(page, `<option value="de"`) || !strings.Contains(page, `<html lang="en">`) {
		t.Error("a language turned off is still offered")
	}
	// New resources propose the chosen licence.
	if _, page = buyer.get("/library/upload"); !strings.Contains(page, `value="cc_by_sa" selected`) && !strings.Contains(page, `value="cc_by_sa" checked`) {
		t.Error("the upload form does not propose the default licence")
	}
	_ = auth.RoleAdmin
}
