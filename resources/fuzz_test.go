package resources

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/resources/samples"
)

var allowedKinds = map[Kind]bool{KindPDF: true, KindDOCX: true, KindXLSX: true, KindPPTX: true, KindODT: true,
	KindODS: true, KindODP: true, KindText: true, KindMarkdown: true, KindCSV: true}

// Whatever bytes arrive, Sniff and the archive checks answer without
// panicking: an allowlisted kind, or a refusal the member can read (an
// Invalid fault with a library.refused key on the file field). Text
// extraction of an accepted file never panics either and is bounded.
func FuzzSniff(f *testing.F) {
	seeds := [][]byte{
		samples.PDF("Laptop criteria", "Lifetime"),
		samples.DOCX("Clause", "Text"),
		samples.XLSX([][]string{{"a", "b"}}),
		samples.PPTX("Slide"),
		samples.ODT("Titre", "Texte"),
		samples.ODS([][]string{{"a"}}),
		samples.MacroDOCX("Invoice"),
		samples.ManyEntries(3),
		[]byte(samples.HTML),
		[]byte(samples.SVG),
		[]byte("# Notes\n\n*text*\n"),
		[]byte("a,b\n1,2\n"),
		[]byte("MZ\x90\x00"),
		[]byte("%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (x) >> >> endobj\n%%EOF\n"),
		[]byte("\xef\xbb\xbf <?xml version=\"1.0\"?><x/>"),
		[]byte("abc\x00def"),
		[]byte("%PDF-1.7\n1 0 obj << /OpenAction << /S /J#61vaScript /J#53 (x) >> >> endobj\n%%EOF\n"),
		samples.PDFObjStm(nil, "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>", "<< /S /JavaScript /JS (x) >>"),
		samples.LyingDOCX(4096),
	}
	names := []string{"a.pdf", "a.docx", "a.xlsx", "a.pptx", "a.odt", "a.ods", "a.docx", "a.zip", "a.html", "a.svg", "a.md", "a.csv", "a.exe", "a.pdf", "a.xml", "a.txt", "a.pdf", "a.pdf", "a.docx"}
	for i, s := range seeds {
		f.Add(s, names[i])
	}
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		kind, err := Sniff(bytes.NewReader(data), int64(len(data)), name)
		if err != nil {
			fe, ok := fault.As(err)
			if !ok || fe.Kind != fault.Invalid || fe.Field != "file" || !strings.HasPrefix(fe.Key, "library.refused.") {
				t.Fatalf("Sniff(%d bytes, %q) failed without a refusal: %v", len(data), name, err)
			}
			return
		}
		if !allowedKinds[kind] {
			t.Fatalf("Sniff(%d bytes, %q) = %q, not in the allowlist", len(data), name, kind)
		}
		text := Extract(kind, bytes.NewReader(data), int64(len(data)))
		if !utf8.ValidString(text) {
			t.Fatalf("extracted text of a %s is not UTF-8", kind)
		}
	})
}

// A member's file name is only ever shown and sent back in a header: the
// clean name is never empty, has no path separator, control character,
// bidi or other format character, line or paragraph separator or double
// quote, is not a dot name, stays short, and is left as it is when cleaned
// again. The name a file is stored and served under (DownloadName) has the
// same properties for every kind and ends in an extension of that kind.
func FuzzCleanFilename(f *testing.F) {
	for _, s := range []string{"report.pdf", "../../etc/passwd", "/abs/path.txt", `C:\Windows\x.docx`, "a\x00b.pdf",
		"a\r\nSet-Cookie: x.pdf", `"quoted";.pdf`, "..", ".", "", "…" + strings.Repeat("é", 300), "\u202egnp.exe",
		"x.html", "a\u202etxt.exe", "\u2066x\u2069\u200b.pdf\ufeff", strings.Repeat("a", 199) + ". .html", "v2.1", "\xff\xfe.md"} {
		f.Add(s)
	}
	kinds := []Kind{KindPDF, KindDOCX, KindXLSX, KindPPTX, KindODT, KindODS, KindODP, KindText, KindMarkdown, KindCSV}
	safe := func(t *testing.T, what, name, got string) {
		t.Helper()
		if got == "" || got == "." || got == ".." || strings.ContainsAny(got, "/\\\"") || len(got) > 200 || !utf8.ValidString(got) {
			t.Fatalf("%s(%q) = %q", what, name, got)
		}
		for _, r := range got {
			if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) {
				t.Fatalf("%s(%q) = %q keeps %U", what, name, got, r)
			}
		}
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := CleanFilename(name)
		safe(t, "CleanFilename", name, got)
		if again := CleanFilename(got); again != got {
			t.Fatalf("CleanFilename(%q) = %q, cleaned again %q", name, got, again)
		}
		for _, k := range kinds {
			dn := DownloadName(name, k)
			safe(t, "DownloadName", name, dn)
			ok := false
			for _, e := range k.extensions() {
				ok = ok || len(dn) > len(e) && strings.EqualFold(dn[len(dn)-len(e):], e)
			}
			if !ok {
				t.Fatalf("DownloadName(%q, %s) = %q lacks the extension", name, k, dn)
			}
			if again := DownloadName(dn, k); again != dn {
				t.Fatalf("DownloadName(%q, %s) = %q, then %q", name, k, dn, again)
			}
		}
	})
}

// Filter values from the query string are kept only for known facets,
// bounded, and reduced to plain words: nothing shaped like an operator or a
// path survives.
func FuzzCleanFilters(f *testing.F) {
	f.Add("type", "criteria_set", "theme", "$ne")
	f.Add("$where", "1", "country", "BE.x")
	f.Add("group", "a b", "language", "")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		in := map[string][]string{k1: {v1, v2, v1}, k2: {v2}}
		out := CleanFilters(in)
		for k, vs := range out {
			if !contains(Facets, k) {
				t.Fatalf("unknown facet %q kept", k)
			}
			if len(vs) > 20 {
				t.Fatalf("%d values for %s", len(vs), k)
			}
			seen := map[string]bool{}
			for _, v := range vs {
				if v != "-" && !filterValueRe.MatchString(v) {
					t.Fatalf("value %q kept for %s", v, k)
				}
				if seen[v] {
					t.Fatalf("value %q twice for %s", v, k)
				}
				seen[v] = true
			}
		}
	})
}
