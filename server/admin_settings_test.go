package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
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
}

// TestConductVersions: a new code of conduct is a new version that members
// accept at their next visit (pages only; API clients and forms are not
// interrupted); saving the settings without changing it asks nothing again.
func TestConductVersions(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	admin := newClient(t, s)
	admin.signIn("coordinator")
	buyer := newClient(t, s)
	buyer.signIn("buyer")
	if res, _ := buyer.get("/library"); res.StatusCode != 200 {
		t.Fatalf("before any new version: %d", res.StatusCode)
	}
	settings := url.Values{"conduct_en": {"Be kind. Share what you may share."}, "conduct_fr": {"Soyez bienveillants."}, "languages": {"en", "fr", "nl", "de"}}
	admin.get("/admin/settings")
	if res, _ := admin.post("/admin/settings", settings); res.StatusCode != 303 {
		t.Fatalf("save: %d", res.StatusCode)
	}
	if e := lastAudit(t, s); e.Details["conduct_version"] != "1" {
		t.Fatalf("audit: %+v", e)
	}
	res, _ := buyer.get("/library?q=x")
	if res.StatusCode != 303 || res.Header.Get("Location") != "/conduct?next=%2Flibrary%3Fq%3Dx" {
		t.Fatalf("member on a page after a new version: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	// JSON and token clients are not sent anywhere.
	req := httptest.NewRequest(http.MethodGet, "/api/v1/resources", nil)
	req.Header.Set("Accept", "application/json")
	if res, _ := buyer.do(req); res.StatusCode != 200 {
		t.Fatalf("API after a new version: %d", res.StatusCode)
	}
	res, page := buyer.get("/conduct?next=%2Flibrary%3Fq%3Dx")
	if res.StatusCode != 200 || !strings.Contains(page, "Be kind. Share what you may share.") || !strings.Contains(page, `action="/conduct"`) {
		t.Fatalf("conduct page: %d %.1500s", res.StatusCode, page)
	}
	res, _ = buyer.post("/conduct", url.Values{"next": {"/library?q=x"}})
	if res.StatusCode != 303 || res.Header.Get("Location") != "/library?q=x" {
		t.Fatalf("accept: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := buyer.get("/library"); res.StatusCode != 200 {
		t.Fatalf("after accepting: %d", res.StatusCode)
	}
	if e := lastAudit(t, s); e.Action != auditConductAccepted || e.Details["version"] != "1" {
		t.Fatalf("audit: %+v", e)
	}
	// The administrator accepts too; saving other words keeps version 1.
	admin.get("/conduct")
	admin.post("/conduct", url.Values{"next": {"/admin/settings"}})
	admin.get("/admin/settings")
	settings.Set("intro_en", "Welcome.")
	if res, _ := admin.post("/admin/settings", settings); res.StatusCode != 303 {
		t.Fatalf("save again: %d", res.StatusCode)
	}
	if res, _ := buyer.get("/library"); res.StatusCode != 200 {
		t.Fatalf("unchanged conduct asked again: %d", res.StatusCode)
	}
	// Visitors read it, with nothing to accept.
	if res, page := newClient(t, s).get("/conduct?lang=fr"); res.StatusCode != 200 || !strings.Contains(page, "Soyez bienveillants.") || strings.Contains(page, `action="/conduct"`) {
		t.Fatalf("visitor: %d", res.StatusCode)
	}
}
