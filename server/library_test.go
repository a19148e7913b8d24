package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/resources/samples"
)

type part struct{ name, value string }

// multipartBody builds an upload body: fields in order, then the file.
func multipartBody(fields []part, filename string, data []byte) (string, []byte) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		_ = w.WriteField(f.name, f.value)
	}
	if filename != "" {
		fw, _ := w.CreateFormFile("file", filename)
		_, _ = fw.Write(data)
	}
	_ = w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

func metaFields(title string) []part {
	return []part{{"title", title}, {"summary", "A summary for peers."}, {"type", "criteria_set"}, {"languages", "en"}, {"licence", "cc_by"}, {"visibility", "public"}}
}

// upload posts a multipart body as the page script does: CSRF in the header, JSON asked.
func (c *client) upload(path string, fields []part, filename string, data []byte) (*http.Response, string) {
	c.t.Helper()
	ct, body := multipartBody(fields, filename, data)
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	return c.do(req)
}

func decodeResource(t *testing.T, body string) resourceJSON {
	t.Helper()
	var r resourceJSON
	if err := json.Unmarshal([]byte(body), &r); err != nil || r.ID == "" {
		t.Fatalf("not a resource: %v: %.300s", err, body)
	}
	return r
}

func TestUploadAndDownload(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	c.signIn("buyer")
	data := samples.PDF("Critères de réparabilité pour ordinateurs portables", "Les pièces détachées sont disponibles sept ans.")
	res, body := c.upload("/api/v1/resources", metaFields("Critères de réparabilité"), "Critères réparabilité.pdf", data)
	if res.StatusCode != 201 {
		t.Fatalf("upload: %d %s", res.StatusCode, body)
	}
	r := decodeResource(t, body)
	if res.Header.Get("Location") != "/api/v1/resources/"+r.ID {
		t.Fatalf("Location %q", res.Header.Get("Location"))
	}

	anon := newClient(t, s)
	res, got := anon.get(r.FileURL)
	if res.StatusCode != 200 || got != string(data) {
		t.Fatalf("download: %d, %d bytes (want %d)", res.StatusCode, len(got), len(data))
	}
	h := res.Header
	for name, want := range map[string]string{
		"Content-Type":            "application/pdf",
		"Content-Disposition":     `attachment; filename="Crit_res r_parabilit_.pdf"; filename*=UTF-8''Crit%C3%A8res%20r%C3%A9parabilit%C3%A9.pdf`,
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "sandbox; default-src 'none'",
		"Accept-Ranges":           "bytes",
		"ETag":                    `"` + r.Versions[0].SHA256 + `"`,
	} {
		if h.Get(name) != want {
			t.Errorf("%s = %q, want %q", name, h.Get(name), want)
		}
	}

	t.Run("conditional and ranges", func(t *testing.T) {
		etag := h.Get("ETag")
		size := len(data)
		tests := []struct {
			name, rng, ifNone, ifRange string
			status                     int
			body, contentRange         string
		}{
			{"not modified", "", etag, "", 304, "", ""},
			{"first bytes", "bytes=0-4", "", "", 206, string(data[:5]), fmt.Sprintf("bytes 0-4/%d", size)},
			{"middle", "bytes=10-19", "", "", 206, string(data[10:20]), fmt.Sprintf("bytes 10-19/%d", size)},
			{"open end", fmt.Sprintf("bytes=%d-", size-7), "", "", 206, string(data[size-7:]), fmt.Sprintf("bytes %d-%d/%d", size-7, size-1, size)},
			{"suffix", "bytes=-5", "", "", 206, string(data[size-5:]), fmt.Sprintf("bytes %d-%d/%d", size-5, size-1, size)},
			{"end past the file", fmt.Sprintf("bytes=%d-%d", size-2, size+100), "", "", 206, string(data[size-2:]), fmt.Sprintf("bytes %d-%d/%d", size-2, size-1, size)},
			{"unsatisfiable", fmt.Sprintf("bytes=%d-", size+10), "", "", 416, "", fmt.Sprintf("bytes */%d", size)},
			{"several ranges get the whole file", "bytes=0-1,5-6", "", "", 200, string(data), ""},
			{"stale if-range gets the whole file", "bytes=0-4", "", `"other"`, 200, string(data), ""},
			{"matching if-range", "bytes=0-4", "", etag, 206, string(data[:5]), fmt.Sprintf("bytes 0-4/%d", size)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req := httptest.NewRequest("GET", r.FileURL, nil)
				if tt.rng != "" {
					req.Header.Set("Range", tt.rng)
				}
				if tt.ifNone != "" {
					req.Header.Set("If-None-Match", tt.ifNone)
				}
				if tt.ifRange != "" {
					req.Header.Set("If-Range", tt.ifRange)
				}
				res, got := anon.do(req)
				if res.StatusCode != tt.status {
					t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
				}
				if tt.status != 416 && got != tt.body {
					t.Fatalf("body %d bytes, want %d", len(got), len(tt.body))
				}
				if res.Header.Get("Content-Range") != tt.contentRange {
					t.Fatalf("Content-Range %q, want %q", res.Header.Get("Content-Range"), tt.contentRange)
				}
			})
		}
	})

	t.Run("versions and stable link", func(t *testing.T) {
		v2 := samples.PDF("Critères v2", "Huit ans de pièces détachées.")
		res, body := c.upload("/api/v1/resources/"+r.ID+"/versions", []part{{"note", "Eight years of spare parts"}}, "v2.pdf", v2)
		if res.StatusCode != 201 {
			t.Fatalf("new version: %d %s", res.StatusCode, body)
		}
		r2 := decodeResource(t, body)
		if r2.Latest != 2 || len(r2.Versions) != 2 {
			t.Fatalf("latest %d, %d versions", r2.Latest, len(r2.Versions))
		}
		for _, tt := range []struct {
			path string
			want []byte
		}{{r.FileURL, v2}, {r2.Versions[0].URL, data}, {r2.Versions[1].URL, v2}} {
			if res, got := anon.get(tt.path); res.StatusCode != 200 || got != string(tt.want) {
				t.Errorf("%s: %d, %d bytes", tt.path, res.StatusCode, len(got))
			}
		}
		if res, _ := anon.get("/api/v1/resources/" + r.ID + "/versions/3/file"); res.StatusCode != 404 {
			t.Errorf("unknown version: %d", res.StatusCode)
		}
		// Only the owner (or a moderator) adds versions.
		other := newClient(t, s)
		other.signIn("facilitator")
		if res, _ := other.upload("/api/v1/resources/"+r.ID+"/versions", []part{{"note", "mine"}}, "v3.txt", []byte("x\n")); res.StatusCode != 403 {
			t.Errorf("someone else's version: %d", res.StatusCode)
		}
		_, page := anon.get("/library/" + r.ID)
		if !strings.Contains(page, "Eight years of spare parts") || !strings.Contains(page, r2.Versions[0].URL) {
			t.Error("the page does not list the versions with their links and notes")
		}
	})

	t.Run("idempotent retry", func(t *testing.T) {
		ct, b := multipartBody(metaFields("Retried upload"), "r.txt", []byte("retried\n"))
		var ids []string
		for i := 0; i < 2; i++ {
			req := httptest.NewRequest("POST", "/api/v1/resources", bytes.NewReader(b))
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Accept", "application/json")
			req.Header.Set("X-CSRF-Token", c.csrf)
			req.Header.Set("Idempotency-Key", "retry-123")
			res, body := c.do(req)
			if res.StatusCode != 201 && res.StatusCode != 200 {
				t.Fatalf("attempt %d: %d %s", i, res.StatusCode, body)
			}
			ids = append(ids, decodeResource(t, body).ID)
		}
		if ids[0] != ids[1] {
			t.Fatalf("a retry created a second resource: %v", ids)
		}
	})
}

func TestUploadRefusals(t *testing.T) {
	s, logs := newTestServer(t, opts{})
	c := newClient(t, s)
	c.signIn("buyer")
	tests := []struct {
		name, file string
		data       []byte
		fields     []part
		status     int
		field      string
		message    string
	}{
		{"html renamed pdf", "invoice.pdf", []byte(samples.HTML), metaFields("Invoice"), 400, "file", "Web pages (HTML) are not accepted"},
		{"svg", "logo.svg", []byte(samples.SVG), metaFields("Logo"), 400, "file", "SVG images are not accepted"},
		{"macro-enabled docx", "clause.docx", samples.MacroDOCX("Clause"), metaFields("Clause"), 400, "file", "Documents with macros are not accepted"},
		{"zip bomb", "bomb.docx", samples.ZipBomb(), metaFields("Bomb"), 400, "file", "zip bomb"},
		{"executable", "setup.pdf", append([]byte("MZ"), make([]byte, 64)...), metaFields("Setup"), 400, "file", "Programs and scripts"},
		{"no file", "", nil, metaFields("Nothing"), 400, "file", "Choose a file"},
		{"no title", "a.txt", []byte("text\n"), metaFields(""), 400, "title", "Give the resource a title"},
		{"unknown type", "a.txt", []byte("text\n"), []part{{"title", "Typed"}, {"summary", "s"}, {"type", "novel"}, {"languages", "en"}, {"licence", "cc_by"}, {"visibility", "public"}}, 400, "type", "Choose the type"},
		{"group not mine", "a.txt", []byte("text\n"), []part{{"title", "Group"}, {"summary", "s"}, {"type", "report"}, {"languages", "en"}, {"licence", "cc_by"}, {"visibility", "group"}, {"group", "aaaaaaaaaaaaaaaaaaaaaaaa"}}, 400, "group", "Choose one of your groups"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := c.upload("/api/v1/resources", tt.fields, tt.file, tt.data)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, body)
			}
			var eb struct {
				Error struct {
					Field   string            `json:"field"`
					Message string            `json:"message"`
					Fields  map[string]string `json:"fields"`
				} `json:"error"`
			}
			_ = json.Unmarshal([]byte(body), &eb)
			if tt.field != "" && eb.Error.Field != tt.field {
				t.Errorf("field %q, want %q", eb.Error.Field, tt.field)
			}
			if !strings.Contains(eb.Error.Message, tt.message) {
				t.Errorf("message %q lacks %q", eb.Error.Message, tt.message)
			}
		})
	}
	// Nothing half-written: no file of a refused upload is stored.
	n, err := s.store.DB.Collection("library.files").CountDocuments(context.Background(), map[string]any{})
	if err != nil || n != 0 {
		t.Fatalf("%d files stored after refusals (%v)", n, err)
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Fatal("refusals logged errors")
	}

	t.Run("form keeps the input and names each error", func(t *testing.T) {
		c.get("/library/upload")
		ct, b := multipartBody([]part{{"_csrf", c.csrf}, {"title", ""}, {"summary", "My careful summary"}, {"type", "criteria_set"}, {"licence", "cc_by"}, {"visibility", "public"}}, "a.txt", []byte("text\n"))
		req := httptest.NewRequest("POST", "/library/upload", bytes.NewReader(b))
		req.Header.Set("Content-Type", ct)
		res, page := c.do(req)
		if res.StatusCode != 400 {
			t.Fatalf("status %d", res.StatusCode)
		}
		for _, want := range []string{"My careful summary", `id="e-title"`, "Give the resource a title", `aria-describedby="e-title"`, "Choose at least one language"} {
			if !strings.Contains(page, want) {
				t.Errorf("form lacks %q", want)
			}
		}
	})
}

func TestUploadCSRF(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	c.signIn("buyer")
	post := func(fields []part, header string) int {
		ct, b := multipartBody(fields, "a.txt", []byte("hello\n"))
		req := httptest.NewRequest("POST", "/library/upload", bytes.NewReader(b))
		req.Header.Set("Content-Type", ct)
		if header != "" {
			req.Header.Set("X-CSRF-Token", header)
		}
		res, _ := c.do(req)
		return res.StatusCode
	}
	base := metaFields("CSRF test")
	tests := []struct {
		name   string
		fields []part
		header string
		want   int
	}{
		{"no token", base, "", 403},
		{"wrong header", base, "forged", 403},
		{"wrong field", append([]part{{"_csrf", "forged"}}, base...), "", 403},
		{"token after the file", base, "", 403},
		{"token first", append([]part{{"_csrf", c.csrf}}, base...), "", 303},
		{"token in header", base, c.csrf, 303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := post(tt.fields, tt.header); got != tt.want {
				t.Fatalf("status %d, want %d", got, tt.want)
			}
		})
	}
	// Anonymous visitors cannot upload at all.
	anon := newClient(t, s)
	anon.get("/")
	if res, _ := anon.upload("/api/v1/resources", base, "a.txt", []byte("x\n")); res.StatusCode != 401 {
		t.Fatalf("anonymous upload: %d", res.StatusCode)
	}
}

// The upload limit is enforced while reading, over a real connection, both
// for a declared length and for a chunked body; other routes keep theirs.
func TestUploadTooLarge(t *testing.T) {
	s, _ := newTestServer(t, opts{bodyMax: 64 << 10, uploadMax: 1 << 20})
	c := newClient(t, s)
	c.signIn("buyer")
	base := listen(t, s)
	big := bytes.Repeat([]byte("a"), 3<<20/2)
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			ct, b := multipartBody(metaFields("Too big"), "big.txt", big)
			var body io.Reader = bytes.NewReader(b)
			if chunked {
				body = io.MultiReader(body) // unknown length: sent chunked
			}
			req, _ := http.NewRequest("POST", base+"/api/v1/resources", body)
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Accept", "application/json")
			req.Header.Set("X-CSRF-Token", c.csrf)
			req.Header.Set("Origin", "http://127.0.0.1:8080")
			for k, v := range c.cookies {
				req.AddCookie(&http.Cookie{Name: k, Value: v})
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 413 || !strings.Contains(string(got), "1 MiB") || !strings.Contains(string(got), "too_large") {
				t.Fatalf("status %d: %s", res.StatusCode, got)
			}
		})
	}
	// A chunked body on an ordinary route is cut at PORTAL_BODY_MAX_BYTES.
	req, _ := http.NewRequest("POST", base+"/language", io.MultiReader(strings.NewReader("lang=fr&pad="+strings.Repeat("x", 100<<10))))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Fatalf("chunked form: %d", res.StatusCode)
	}
}

// A 50 MiB file goes up and comes back byte for byte over a real connection.
func TestLargeRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MiB round trip skipped in -short mode")
	}
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	c.signIn("buyer")
	base := listen(t, s)
	data := bytes.Repeat([]byte("Circular and fair ICT: lifetime, repairability, fair working conditions.\n"), 50<<20/72+1)[:50<<20]
	rand.Read(data[:0])
	ct, b := multipartBody(metaFields("Large dataset"), "large.csv", data)
	req, _ := http.NewRequest("POST", base+"/api/v1/resources", bytes.NewReader(b))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("upload: %d %s", res.StatusCode, body)
	}
	r := decodeResource(t, string(body))
	res, err = http.Get(base + r.FileURL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("round trip differs: status %d, got %d bytes, want %d: %.200s", res.StatusCode, len(got), len(data), got)
	}
}

// Ranges of a file of several chunks (255 KiB each, read one by one by
// _id) come back exactly, whether they start or end at a chunk boundary,
// inside a chunk, or span chunks.
func TestRangesAcrossChunks(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	c.signIn("buyer")
	line := []byte("supplier,factory,country,audit,finding,follow-up\n")
	data := bytes.Repeat(line, 3*(255<<10)/len(line)+2)
	for i := 0; i < len(data); i += len(line) {
		copy(data[i:], fmt.Sprintf("%08d", i)) // no two lines alike
	}
	res, body := c.upload("/api/v1/resources", metaFields("Audit findings"), "audit.csv", data)
	if res.StatusCode != 201 {
		t.Fatalf("upload: %d %s", res.StatusCode, body)
	}
	r := decodeResource(t, body)
	const k = 255 << 10
	size := len(data)
	for _, rg := range [][2]int{{0, k - 1}, {k, k}, {k - 1, k}, {k - 3, 2*k + 3}, {2 * k, size - 1}, {k + 100, k + 200}, {size - 1, size - 1}} {
		req := httptest.NewRequest("GET", r.FileURL, nil)
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", rg[0], rg[1]))
		res, got := c.do(req)
		if res.StatusCode != 206 || got != string(data[rg[0]:rg[1]+1]) {
			t.Fatalf("range %d-%d: status %d, %d bytes, want %d", rg[0], rg[1], res.StatusCode, len(got), rg[1]-rg[0]+1)
		}
	}
	if res, got := c.get(r.FileURL); res.StatusCode != 200 || got != string(data) {
		t.Fatalf("whole file: status %d, %d bytes of %d", res.StatusCode, len(got), size)
	}
}

// Visibility is checked on the page, the API and the direct file link, for
// a visitor, a member of another group and a member of the group.
func TestResourceVisibility(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	g, err := s.auth.GroupBySlug(ctx, "national-buyers")
	if err != nil {
		t.Fatal(err)
	}
	owner, _ := s.auth.MemberByIdentity(ctx, auth.DemoProvider, "pieter")
	mk := func(title string, vis resources.Visibility, group string) string {
		sp, err := s.lib.Receive(ctx, strings.NewReader(title+"\n"), "f.txt")
		if err != nil {
			t.Fatal(err)
		}
		defer sp.Close()
		r, _, err := s.lib.Create(ctx, owner.ID, resources.Meta{Title: title, Summary: "s", Type: "report", Languages: []string{"en"}, Licence: "cc_by", Visibility: vis, GroupID: group}, sp, "", "")
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	ids := map[string]string{
		"public":  mk("Public report", resources.VisibilityPublic, ""),
		"members": mk("Members report", resources.VisibilityMembers, ""),
		"group":   mk("Group report", resources.VisibilityGroup, g.ID),
	}
	viewers := map[string]*client{"anonymous": newClient(t, s), "other group": newClient(t, s), "group member": newClient(t, s), "admin": newClient(t, s)}
	viewers["anonymous"].get("/")
	viewers["other group"].signIn("facilitator")
	viewers["group member"].signIn("buyer")
	viewers["admin"].signIn("coordinator")
	want := map[string]map[string]bool{
		"anonymous":    {"public": true},
		"other group":  {"public": true, "members": true},
		"group member": {"public": true, "members": true, "group": true},
		"admin":        {"public": true, "members": true, "group": true},
	}
	for who, c := range viewers {
		for vis, id := range ids {
			for _, path := range []string{"/library/" + id, "/api/v1/resources/" + id, "/api/v1/resources/" + id + "/file", "/api/v1/resources/" + id + "/versions/1/file"} {
				t.Run(who+" "+vis+" "+path[:strings.LastIndex(path, id)], func(t *testing.T) {
					res, _ := c.get(path)
					if got := res.StatusCode == 200; got != want[who][vis] {
						t.Fatalf("%s: status %d", path, res.StatusCode)
					}
					if res.StatusCode != 200 && res.StatusCode != 404 {
						t.Fatalf("hidden resources must be 404, got %d", res.StatusCode)
					}
				})
			}
			t.Run(who+" "+vis+" listed", func(t *testing.T) {
				_, body := c.get("/api/v1/resources?per_page=100")
				if got := strings.Contains(body, id); got != want[who][vis] {
					t.Fatalf("listed=%v", got)
				}
			})
		}
	}
	for _, p := range []string{"/library/000000000000000000000000", "/api/v1/resources/nothex/file", "/api/v1/resources/000000000000000000000000/file"} {
		if res, _ := viewers["admin"].get(p); res.StatusCode != 404 {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
}

func TestLibrarySearchPageAndAPI(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	c.signIn("buyer")
	docs := []struct {
		title, lang, typ, file string
		data                   []byte
	}{
		{"Laptop lifetime criteria", "en", "criteria_set", "l.pdf", samples.PDF("Laptop", "Laptops shall last six years.")},
		{"Critères de réparabilité", "fr", "criteria_set", "c.odt", samples.ODT("Critères", "La réparabilité des écrans.")},
		{"Zorgplichtclausule", "nl", "contract_clause", "z.docx", samples.DOCX("Clausule", "De leveranciers maken hun fabrieken bekend.")},
		{"Überprüfung der Lieferkette", "de", "tool", "u.xlsx", samples.XLSX([][]string{{"Prüfschritt"}, {"Fabriken offenlegen"}})},
	}
	for _, d := range docs {
		f := []part{{"title", d.title}, {"summary", "Summary"}, {"type", d.typ}, {"languages", d.lang}, {"licence", "cc_by"}, {"visibility", "public"}, {"products", "laptops"}}
		if res, body := c.upload("/api/v1/resources", f, d.file, d.data); res.StatusCode != 201 {
			t.Fatalf("%s: %d %s", d.title, res.StatusCode, body)
		}
	}
	anon := newClient(t, s)
	tests := []struct {
		query string
		want  []string
	}{
		{"q=laptops", []string{"Laptop lifetime criteria"}},
		{"q=reparabilite", []string{"Critères de réparabilité"}},
		{"q=r%C3%A9parabilit%C3%A9&lang=fr", []string{"Critères de réparabilité"}},
		{"q=leverancier", []string{"Zorgplichtclausule"}},
		{"q=fabrik", []string{"Überprüfung der Lieferkette", "Zorgplichtclausule"}}, // the Dutch one through the concept "factory"
		{"q=fabrik&literal=1", []string{"Überprüfung der Lieferkette"}},
		{"q=uberprufung", []string{"Überprüfung der Lieferkette"}},
		{"type=criteria_set&lang=fr", []string{"Critères de réparabilité"}},
		{"type=criteria_set&type=tool", []string{"Laptop lifetime criteria", "Critères de réparabilité", "Überprüfung der Lieferkette"}},
		{"type=%24ne", nil},
		{"q=laptops&lang=de", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res, body := anon.get("/api/v1/resources?" + tt.query)
			if res.StatusCode != 200 {
				t.Fatalf("status %d: %s", res.StatusCode, body)
			}
			var out struct {
				Items []struct {
					ID    string `json:"id"`
					Title string `json:"title"`
				} `json:"items"`
				Total  int `json:"total"`
				Facets map[string][]struct {
					Value string `json:"value"`
					Count int    `json:"count"`
				} `json:"facets"`
			}
			if err := json.Unmarshal([]byte(body), &out); err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, it := range out.Items {
				if it.ID == "" {
					t.Fatal("item without id")
				}
				titles = append(titles, it.Title)
			}
			if out.Total != len(tt.want) || len(titles) != len(tt.want) {
				t.Fatalf("got %v (total %d), want %v", titles, out.Total, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(strings.Join(titles, "|"), w) {
					t.Fatalf("got %v, want %v", titles, tt.want)
				}
			}
		})
	}
	// The page shows results, facet counts and keeps the query.
	_, page := anon.get("/library?q=reparabilite")
	for _, want := range []string{"Critères de réparabilité", `value="reparabilite"`, "Resources found: 1", `name="type" value="criteria_set"`} {
		if !strings.Contains(page, want) {
			t.Errorf("library page lacks %q", want)
		}
	}
	// The API says which concept each item matched through.
	_, body := anon.get("/api/v1/resources?q=fabrik")
	var api struct {
		Items []struct {
			Title string   `json:"title"`
			Via   []string `json:"via"`
		} `json:"items"`
		Concepts []struct{ ID, Name string } `json:"concepts"`
	}
	if err := json.Unmarshal([]byte(body), &api); err != nil {
		t.Fatal(err)
	}
	if len(api.Items) != 2 || api.Items[0].Via != nil || strings.Join(api.Items[1].Via, ",") != "factory" ||
		len(api.Concepts) != 1 || api.Concepts[0].ID != "factory" || api.Concepts[0].Name != "factory" {
		t.Errorf("API: %s", body)
	}
	// A cross-language match names its concept and offers the literal search.
	_, page = anon.get("/library?q=fabrik&page=1")
	for _, want := range []string{"Also searching the other languages for: factory.", `href="/library?literal=1&amp;q=fabrik"`, "Matched concept: factory"} {
		if !strings.Contains(page, want) {
			t.Errorf("library page lacks %q", want)
		}
	}
	if strings.Index(page, "Überprüfung der Lieferkette") > strings.Index(page, "Zorgplichtclausule") {
		t.Error("the direct match is not listed first")
	}
	_, page = anon.get("/library?q=fabrik&literal=1&lang=fr")
	if strings.Contains(page, "Zorgplichtclausule") || strings.Contains(page, "Recherche étendue") {
		t.Error("the literal search still expands the query")
	}
	_, page = anon.get("/library?q=fabrik&lang=nl")
	if !strings.Contains(page, "Gevonden via het begrip: fabriek") {
		t.Error("the matched concept is not named in the reader's language")
	}
	_, page = anon.get("/library?type=criteria_set")
	if !strings.Contains(page, `name="type" value="criteria_set" checked`) || !strings.Contains(page, "Resources found: 2") {
		t.Error("the facet is not applied or not shown as selected")
	}
	_, feed := anon.get("/library/feed.atom")
	if !strings.Contains(feed, "<feed") || !strings.Contains(feed, "Laptop lifetime criteria") {
		t.Errorf("feed: %.300s", feed)
	}
	if res, _ := anon.get("/library/feed.atom?group=no-such-group"); res.StatusCode != 404 {
		t.Errorf("feed of an unknown group: %d", res.StatusCode)
	}
}
