package server

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http/httptest"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/resources/samples"
)

// hiddenActiveContent are files whose harmful part hides from a search of
// the raw bytes or of the archive's declared sizes; each was stored before.
func hiddenActiveContent() []struct {
	name, file, key string
	data            []byte
} {
	return []struct {
		name, file, key string
		data            []byte
	}{
		{"PDF script behind name escapes", "a.pdf", "pdf_active",
			[]byte("%PDF-1.7\n1 0 obj << /Type /Catalog /OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >> >> endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")},
		{"PDF launch behind name escapes", "b.pdf", "pdf_active",
			[]byte("%PDF-1.7\n1 0 obj << /Type /Catalog /OpenAction << /S /L#61unch /F (calc.exe) >> >> endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")},
		{"PDF script in a compressed object stream", "c.pdf", "pdf_active",
			samples.PDFObjStm(nil, "<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>", "<< /S /JavaScript /JS (app.alert(1)) >>")},
		{"encrypted PDF", "d.pdf", "pdf_encrypted",
			[]byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n<< /Root 1 0 R /Encrypt << /Filter /Standard /V 2 /R 3 >> >>\n%%EOF\n")},
		{"PDF object stream in LZW", "e.pdf", "pdf_uncheckable",
			samples.PDFObjStm(func(b []byte) ([]byte, string) { return b, "/LZWDecode" }, "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>")},
		{"DOCX inflating to 400 MB, declaring 2,000 bytes", "f.docx", "zip_size_mismatch", samples.LyingDOCX(400 << 20)},
	}
}

// The upload API and the upload form refuse each hidden-content file with
// the catalog's message in the member's language, on the file field, and
// store nothing.
func TestUploadRefusesHiddenActiveContent(t *testing.T) {
	s, logs := newTestServer(t, opts{})
	files := hiddenActiveContent()
	for _, lang := range []string{"en", "fr", "nl", "de"} {
		c := newClient(t, s)
		c.header.Set("Accept-Language", lang)
		c.signIn("buyer")
		for _, f := range files {
			want := s.catalog.T(lang, "library.refused."+f.key)
			if want == "" || want == "library.refused."+f.key {
				t.Fatalf("%s: no %s message for %s", lang, lang, f.key)
			}
			t.Run(lang+"/api/"+f.name, func(t *testing.T) {
				res, body := c.upload("/api/v1/resources", metaFields("Hidden "+f.name), f.file, f.data)
				var eb struct {
					Error struct{ Field, Message string } `json:"error"`
				}
				_ = json.Unmarshal([]byte(body), &eb)
				if res.StatusCode != 400 || eb.Error.Field != "file" || eb.Error.Message != want {
					t.Fatalf("%d %s, want 400 on file with %q", res.StatusCode, body, want)
				}
			})
			t.Run(lang+"/form/"+f.name, func(t *testing.T) {
				c.get("/library/upload")
				ct, b := multipartBody(append([]part{{"_csrf", c.csrf}}, metaFields("Hidden "+f.name)...), f.file, f.data)
				req := httptest.NewRequest("POST", "/library/upload", bytes.NewReader(b))
				req.Header.Set("Content-Type", ct)
				res, page := c.do(req)
				if res.StatusCode != 400 || !strings.Contains(page, html.EscapeString(want)) || !strings.Contains(page, `id="e-file"`) {
					t.Fatalf("status %d; the form does not show %q next to the file field", res.StatusCode, want)
				}
			})
		}
	}
	n, err := s.store.DB.Collection("library.files").CountDocuments(context.Background(), bson.M{})
	if err != nil || n != 0 {
		t.Fatalf("%d files stored after refusals (%v)", n, err)
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Fatal("refusals logged errors")
	}
}

// A file is stored and served under the extension of the kind sniffed from
// its bytes, without bidi or other format characters; names stored before
// these rules are cleaned when served, in the header, the API and the page.
func TestDownloadNamesFollowTheKind(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	c.signIn("buyer")
	text := []byte("Plain text.\n")
	tests := []struct {
		name, upload string
		data         []byte
		want         string
		stored       string // written to the database afterwards, as an older portal stored it; "" keeps the upload's
	}{
		{"web page name on text", "x.html", text, "x.txt", ""},
		{"right-to-left override", "a\u202etxt.exe", text, "atxt.txt", ""},
		{"isolates, zero-width and BOM", "\ufeffre\u200bport\u2066\u2069 final\u200f.pdf", samples.PDF("Report", "Body"), "report final.pdf", ""},
		{"Word file named as PDF", "clause.pdf", samples.DOCX("Clause", "Text"), "clause.docx", ""},
		{"name with a version number", "Criteria v2.1", samples.PDF("Criteria", "Body"), "Criteria v2.1.pdf", ""},
		{"Markdown keeps its long extension", "notes.markdown", []byte("# Notes\n"), "notes.markdown", ""},
		{"stored web page name", "x.txt", text, "x.txt", "x.html"},
		{"stored right-to-left override", "invoice.txt", text, "invoicegnp.txt", "invoice\u202egnp.exe"},
		{"stored control and format characters", "y.txt", text, "ab.txt", "a\u200b\u2066b\u2069.txt\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := c.upload("/api/v1/resources", metaFields("Names "+tt.name), tt.upload, tt.data)
			if res.StatusCode != 201 {
				t.Fatalf("upload: %d %s", res.StatusCode, body)
			}
			r := decodeResource(t, body)
			if tt.stored != "" {
				if _, err := s.store.DB.Collection("resources").UpdateOne(context.Background(), bson.M{"_id": r.ID},
					bson.M{"$set": bson.M{"versions.0.filename": tt.stored}}); err != nil {
					t.Fatal(err)
				}
			} else if got := r.Versions[0].Filename; got != tt.want {
				t.Fatalf("stored as %q, want %q", got, tt.want)
			}
			res, _ = c.get(r.FileURL)
			checkContentDisposition(t, res.Header.Get("Content-Disposition"), tt.want)
			_, body = c.get("/api/v1/resources/" + r.ID)
			if got := decodeResource(t, body).Versions[0].Filename; got != tt.want {
				t.Fatalf("the API names it %q, want %q", got, tt.want)
			}
			_, page := c.get(r.URL)
			if !strings.Contains(page, html.EscapeString(tt.want)+"</a>") {
				t.Fatalf("the resource page does not name it %q", tt.want)
			}
			if strings.ContainsAny(page, "\u202e\u2066\u2069\u200b\u200f\ufeff") {
				t.Fatal("the resource page carries a bidi or format character")
			}
		})
	}
}
