package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// postSettings sends the settings form as the browser does: multipart,
// _csrf first, the logo file (if any) last.
func (c *client) postSettings(form url.Values, filename string, data []byte) (*http.Response, string) {
	c.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("_csrf", c.csrf)
	for k, vs := range form {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	if filename != "" {
		fw, _ := w.CreateFormFile("logo", filename)
		_, _ = fw.Write(data)
	}
	_ = w.Close()
	req := httptest.NewRequest(http.MethodPost, "/admin/settings", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.do(req)
}

func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		img.Set(x, x%h, color.NRGBA{R: 0x1f, G: 0x6f, B: 0x4a, A: 0xff})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSettingsLogo: an administrator sets the community's logo through the
// settings form; every page's header shows it, it is served at its content
// hash with a long cache; unsafe or oversized files are refused on the
// field with the typed words kept; removing it brings the icon back.
func TestSettingsLogo(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	admin := newClient(t, s)
	admin.signIn("coordinator")
	if res, page := admin.get("/admin/settings"); res.StatusCode != 200 || !strings.Contains(page, `enctype="multipart/form-data"`) || !strings.Contains(page, `name="logo" type="file"`) {
		t.Fatalf("settings page: %d", res.StatusCode)
	}
	form := url.Values{"intro_en": {"Typed words stay."}, "languages": {"en", "fr", "nl", "de"}}

	refusals := []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"svg", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "Choose a PNG, JPEG or WebP image"},
		{"html named png", "logo.png", []byte("<!doctype html><html><script>alert(1)</script></html>"), "Choose a PNG, JPEG or WebP image"},
		{"too many pixels", "wide.png", testPNG(t, 3000, 10), "at most 2048 by 2048 pixels"},
		{"too heavy", "heavy.png", append(testPNG(t, 10, 10), make([]byte, 600<<10)...), "at most 512 KiB"},
	}
	for _, r := range refusals {
		res, page := admin.postSettings(form, r.file, r.data)
		if res.StatusCode != 400 || !strings.Contains(page, r.want) || !strings.Contains(page, `id="s-logo-error"`) ||
			!strings.Contains(page, "Typed words stay.") || !strings.Contains(page, `href="#s-logo"`) {
			t.Errorf("%s: %d %.300s", r.name, res.StatusCode, page)
		}
	}
	// A body above the forms' limit is refused before it is read.
	if res, _ := admin.postSettings(form, "huge.png", make([]byte, 2<<20)); res.StatusCode != 413 {
		t.Errorf("huge body: %d", res.StatusCode)
	}
	if l, err := s.site.Logo(t.Context()); err != nil || l != nil {
		t.Fatalf("a refused logo was stored: %v %v", l, err)
	}

	data := testPNG(t, 96, 32)
	sum := sha256.Sum256(data)
	logoURL := "/site/logo/" + hex.EncodeToString(sum[:16]) + ".png"
	admin.get("/admin/settings")
	if res, page := admin.postSettings(form, "logo.png", data); res.StatusCode != 303 {
		t.Fatalf("save with a logo: %d %.500s", res.StatusCode, page)
	}
	if e := lastAudit(t, s); e.Action != auditSettingsSaved || e.Details["logo"] != hex.EncodeToString(sum[:16]) {
		t.Fatalf("audit: %+v", e)
	}
	visitor := newClient(t, s)
	_, page := visitor.get("/library")
	if !strings.Contains(page, `<a class="brand" href="/"><img class="brand-logo" src="`+logoURL+`" alt="" height="32">`) || strings.Contains(page, `<a class="brand" href="/"><img src="/static/img/icon`) {
		t.Fatalf("header without the logo: %.1500s", page)
	}
	res, got := visitor.get(logoURL)
	if res.StatusCode != 200 || got != string(data) || res.Header.Get("Content-Type") != "image/png" ||
		res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("logo download: %d %v", res.StatusCode, res.Header)
	}
	for _, other := range []string{"/site/logo/" + strings.Repeat("0", 32) + ".png", strings.TrimSuffix(logoURL, ".png") + ".jpg", strings.TrimSuffix(logoURL, ".png")} {
		if res, _ := visitor.get(other); res.StatusCode != 404 {
			t.Errorf("%s: %d", other, res.StatusCode)
		}
	}
	// Saving the words again without a file keeps the logo.
	_, page = admin.get("/admin/settings")
	if !strings.Contains(page, `class="logo-preview" src="`+logoURL+`"`) || !strings.Contains(page, `action="/admin/settings/logo/remove"`) {
		t.Fatal("settings page does not show the current logo and its removal")
	}
	if res, _ := admin.postSettings(form, "", nil); res.StatusCode != 303 {
		t.Fatalf("save without a file: %d", res.StatusCode)
	}
	if _, page = visitor.get("/"); !strings.Contains(page, logoURL) {
		t.Fatal("saving the words dropped the logo")
	}

	// Neither a member nor a visitor may remove it.
	buyer := newClient(t, s)
	buyer.signIn("buyer")
	if res, _ := buyer.post("/admin/settings/logo/remove", nil); res.StatusCode != 403 {
		t.Errorf("member removes the logo: %d", res.StatusCode)
	}
	if res, _ := buyer.postSettings(form, "logo.png", data); res.StatusCode != 403 {
		t.Errorf("member posts the settings form: %d", res.StatusCode)
	}
	if res, _ := visitor.get("/admin/settings"); res.StatusCode != 303 || !strings.HasPrefix(res.Header.Get("Location"), "/signin") {
		t.Errorf("visitor on the settings form: %d %q", res.StatusCode, res.Header.Get("Location"))
	}

	admin.get("/admin/settings")
	if res, _ := admin.post("/admin/settings/logo/remove", nil); res.StatusCode != 303 {
		t.Fatalf("remove: %d", res.StatusCode)
	}
	if e := lastAudit(t, s); e.Action != auditSettingsSaved || e.Details["logo"] != "removed" {
		t.Fatalf("audit: %+v", e)
	}
	if _, page = visitor.get("/library"); strings.Contains(page, "brand-logo") || !strings.Contains(page, `<a class="brand" href="/"><img src="/static/img/icon`) {
		t.Fatal("the built-in icon is not back")
	}
	if res, _ := visitor.get(logoURL); res.StatusCode != 404 {
		t.Fatalf("removed logo still served: %d", res.StatusCode)
	}
	if _, page = admin.get("/admin/settings"); !strings.Contains(page, "Typed words stay.") {
		t.Fatal("removing the logo lost the words")
	}
}
