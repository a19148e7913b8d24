package server

import (
	"bytes"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// hostileFileNames are upload names that try to escape the data directory,
// split a response header, or break the Content-Disposition syntax.
var hostileFileNames = []struct{ name, fileName string }{
	{"parent directories", "../../../../etc/passwd.txt"},
	{"parent directories, Windows", `..\..\..\Windows\win.ini.txt`},
	{"absolute path", "/etc/cron.d/portal.txt"},
	{"absolute Windows path", `C:\Users\Public\evil.txt`},
	{"dot dot only", ".."},
	{"dot only", "."},
	{"hidden file", ".htaccess"},
	{"NUL byte", "report.txt\x00.exe"},
	{"CR LF header injection", "a.txt\r\nX-Injected: 1\r\nSet-Cookie: sid=evil"},
	{"LF only", "a\nX-Injected: 1.txt"},
	{"double quotes", `say "hello".txt`},
	{"quote and semicolon break-out", `x.txt"; filename="evil.exe`},
	{"semicolons", "a;b;filename=c.txt"},
	{"equals, colon and at sign", "agenda=10:00@town hall.txt"},
	{"percent escapes", "%2e%2e%2fetc%2fpasswd %0d%0a.txt"},
	{"very long", strings.Repeat("verylongname-", 60) + ".txt"},
	{"Unicode", "Critères d’achat – Überprüfung 調達 😀.txt"},
	{"right-to-left override", "invoice\u202etxt.exe"},
	{"only spaces", "   "},
	{"backslash quote", `a\"b.txt`},
}

// rfc8187Value is an ext-value of RFC 8187 (charset'language'value-chars)
// as RFC 6266 uses it for filename*.
var (
	rfc8187Value = regexp.MustCompile("^UTF-8''(?:[A-Za-z0-9!#$&+.^_`|~-]|%[0-9A-F]{2})+$")
	quotedFall   = regexp.MustCompile(`^"[\x20\x21\x23-\x5b\x5d-\x7e]+"$`)
)

// Upload names with path parts, control characters, quotes, semicolons,
// great length or any script are stored as a harmless display name, come
// back in a well-formed Content-Disposition (RFC 6266, filename* per RFC
// 8187) without any extra header, and never name a file on disk: nothing
// appears outside the data directory, and the spool inside it is empty
// afterwards.
func TestUploadFileNamesAreSafe(t *testing.T) {
	s, logs := newTestServer(t, opts{})
	c := newClient(t, s)
	c.signIn("buyer")
	dataDir := s.cfg.DataDir
	outside := filepath.Dir(dataDir)
	before := listDir(t, outside)
	data := []byte("Plain text for the name tests.\n")

	for _, tt := range hostileFileNames {
		t.Run(tt.name, func(t *testing.T) {
			ct, body := rawNameUpload(t, metaFields("Name test "+tt.name), tt.fileName, data)
			req := httptest.NewRequest(http.MethodPost, "/api/v1/resources", bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Accept", "application/json")
			req.Header.Set("X-CSRF-Token", c.csrf)
			res, got := c.do(req)
			if res.StatusCode != 201 {
				t.Fatalf("upload of %q: %d %s", tt.fileName, res.StatusCode, got)
			}
			r := decodeResource(t, got)
			stored := r.Versions[0].Filename
			if stored == "" || stored == "." || stored == ".." || strings.ContainsAny(stored, "/\\\"") || utf8.RuneCountInString(stored) > 200 || !utf8.ValidString(stored) {
				t.Fatalf("stored name %q for %q", stored, tt.fileName)
			}
			for _, r := range stored {
				if unicode.IsControl(r) {
					t.Fatalf("stored name %q keeps control character %U", stored, r)
				}
			}

			res, file := newClient(t, s).get(r.FileURL)
			if res.StatusCode != 200 || file != string(data) {
				t.Fatalf("download: %d %q", res.StatusCode, file)
			}
			if v := res.Header.Values("X-Injected"); len(v) > 0 {
				t.Fatalf("an injected header came back: %q", v)
			}
			for _, v := range res.Header.Values("Set-Cookie") {
				if strings.Contains(v, "evil") {
					t.Fatalf("the file name set a cookie: %q", v)
				}
			}
			cds := res.Header.Values("Content-Disposition")
			if len(cds) != 1 {
				t.Fatalf("%d Content-Disposition headers: %q", len(cds), cds)
			}
			checkContentDisposition(t, cds[0], stored)
		})
	}

	if err := filepath.WalkDir(filepath.Join(dataDir, "tmp"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("spool file left behind: %s", p)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	after := listDir(t, outside)
	for name := range after {
		if !before[name] {
			t.Errorf("a file appeared beside the data directory: %s", name)
		}
	}
	for _, p := range []string{"/etc/cron.d/portal.txt", "/etc/passwd.txt", "/tmp/evil.txt"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s exists", p)
		}
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Error("a file name caused a server error")
	}
	t.Logf("%d hostile file names uploaded and downloaded", len(hostileFileNames))
}

// checkContentDisposition parses the header strictly: attachment, a quoted
// ASCII fallback, and filename* that decodes to exactly the stored name.
func checkContentDisposition(t *testing.T, cd, stored string) {
	t.Helper()
	for i := 0; i < len(cd); i++ {
		if cd[i] < 0x20 || cd[i] > 0x7e {
			t.Fatalf("Content-Disposition has byte %#x: %q", cd[i], cd)
		}
	}
	parts := strings.Split(cd, "; ")
	if len(parts) != 3 || parts[0] != "attachment" || !strings.HasPrefix(parts[1], "filename=") || !strings.HasPrefix(parts[2], "filename*=") {
		t.Fatalf("Content-Disposition %q is not attachment; filename=…; filename*=…", cd)
	}
	if fb := strings.TrimPrefix(parts[1], "filename="); !quotedFall.MatchString(fb) {
		t.Fatalf("fallback %s is not a plain quoted ASCII string", fb)
	}
	ext := strings.TrimPrefix(parts[2], "filename*=")
	if !rfc8187Value.MatchString(ext) {
		t.Fatalf("filename*=%s is not an RFC 8187 ext-value", ext)
	}
	dec, err := url.PathUnescape(strings.TrimPrefix(ext, "UTF-8''"))
	if err != nil || dec != stored {
		t.Fatalf("filename* decodes to %q (%v), want %q", dec, err, stored)
	}
	// Go's MIME parser, which follows RFC 2231/8187, reads the same name.
	disp, params, err := mime.ParseMediaType(cd)
	if err != nil || disp != "attachment" || params["filename"] != stored {
		t.Fatalf("mime.ParseMediaType(%q) = %q %q %v", cd, disp, params, err)
	}
}

// rawNameUpload builds a multipart body whose file part carries name
// through filename* (RFC 2231 percent-encoding), so that control characters
// and quotes reach the server as the member's browser or script sent them.
func rawNameUpload(t *testing.T, fields []part, name string, data []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		_ = w.WriteField(f.name, f.value)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename*=UTF-8''`+pctEncodeAll(name))
	h.Set("Content-Type", "application/octet-stream")
	pw, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = pw.Write(data)
	_ = w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

func pctEncodeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// listDir names the entries of a directory.
func listDir(t *testing.T, dir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		out[e.Name()] = true
	}
	return out
}
