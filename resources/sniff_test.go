package resources

import (
	"bytes"
	"strings"
	"testing"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/resources/samples"
)

func TestSniff(t *testing.T) {
	pdf := samples.PDF("Laptop criteria", "Lifetime and repairability.")
	tests := []struct {
		name, file string
		data       []byte
		want       Kind
		refusedKey string
	}{
		{"pdf", "a.pdf", pdf, KindPDF, ""},
		{"docx", "a.docx", samples.DOCX("Clause", "Text"), KindDOCX, ""},
		{"xlsx", "a.xlsx", samples.XLSX([][]string{{"a", "b"}}), KindXLSX, ""},
		{"pptx", "a.pptx", samples.PPTX("Slide one"), KindPPTX, ""},
		{"odt", "a.odt", samples.ODT("Titre", "Texte"), KindODT, ""},
		{"ods", "a.ods", samples.ODS([][]string{{"a"}}), KindODS, ""},
		{"markdown", "notes.md", []byte("# Notes\n\nSome *text*.\n"), KindMarkdown, ""},
		{"csv", "t.csv", []byte("a,b\n1,2\n"), KindCSV, ""},
		{"text", "t.txt", []byte("Plain text with accents: réparabilité\n"), KindText, ""},
		{"kind from bytes not name", "report.docx", []byte("just text"), KindText, ""},
		{"html renamed pdf", "report.pdf", []byte(samples.HTML), "", "html"},
		{"html with bom and blanks", "a.txt", []byte("\xef\xbb\xbf\n  <html><body>x</body></html>"), "", "html"},
		{"svg", "logo.svg", []byte(samples.SVG), "", "svg"},
		{"macro docx", "a.docx", samples.MacroDOCX("Invoice"), "", "macros"},
		{"zip bomb", "a.docx", samples.ZipBomb(), "", "zip_bomb_size"},
		{"too many entries", "a.zip", samples.ManyEntries(maxZipEntries + 1), "", "zip_bomb_entries"},
		{"plain zip", "a.zip", samples.ManyEntries(2), "", "archive"},
		{"windows executable", "setup.pdf", append([]byte("MZ\x90\x00"), make([]byte, 100)...), "", "executable"},
		{"elf", "a.txt", []byte("\x7fELF\x02\x01\x01"), "", "executable"},
		{"shell script", "a.txt", []byte("#!/bin/sh\nrm -rf /\n"), "", "executable"},
		{"legacy office", "a.doc", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"), "", "legacy_office"},
		{"binary", "a.txt", []byte("abc\x00\x01def"), "", "binary"},
		{"pdf with javascript", "a.pdf", []byte("%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n%%EOF\n"), "", "pdf_active"},
		{"pdf and zip polyglot", "a.pdf", append(append([]byte(nil), pdf...), samples.DOCX("x")...), "", "polyglot"},
		{"pdf with html after eof", "a.pdf", append(append([]byte(nil), pdf...), []byte("\n<html><script>alert(1)</script></html>")...), "", "polyglot"},
		{"text hiding a pdf", "a.txt", []byte("hello %PDF-1.4 world"), "", "polyglot"},
		{"empty", "a.txt", nil, "", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Sniff(bytes.NewReader(tt.data), int64(len(tt.data)), tt.file)
			if tt.refusedKey == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Sniff = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			fe, ok := fault.As(err)
			if !ok || fe.Key != "library.refused."+tt.refusedKey || fe.Kind != fault.Invalid || fe.Field != "file" {
				t.Fatalf("Sniff = %q, %v; want refusal %s", got, err, tt.refusedKey)
			}
		})
	}
}

func TestExtract(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		data []byte
		want []string
	}{
		{"pdf", KindPDF, samples.PDF("Critères de réparabilité", "Les ordinateurs portables doivent être réparables.", "Second paragraph about laptops."), []string{"Critères de réparabilité", "ordinateurs portables", "laptops"}},
		{"docx", KindDOCX, samples.DOCX("Due diligence clause", "The supplier discloses its factories."), []string{"Due diligence clause", "discloses its factories"}},
		{"odt", KindODT, samples.ODT("Zorgplicht", "De leverancier maakt de fabrieken bekend."), []string{"Zorgplicht", "fabrieken"}},
		{"xlsx", KindXLSX, samples.XLSX([][]string{{"Tier", "Factory"}, {"1", "Assembly plant"}}), []string{"Factory", "Assembly plant"}},
		{"ods", KindODS, samples.ODS([][]string{{"Kriterium", "Punkte"}}), []string{"Kriterium", "Punkte"}},
		{"pptx", KindPPTX, samples.PPTX("Slide about monitors", "Second slide"), []string{"monitors", "Second slide"}},
		{"markdown", KindMarkdown, []byte("# Checklist\n- item"), []string{"Checklist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Extract(tt.kind, bytes.NewReader(tt.data), int64(len(tt.data)))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Fatalf("extracted text lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestCleanFilename(t *testing.T) {
	for in, want := range map[string]string{
		`C:\Users\anna\clause.docx`:      "clause.docx",
		"../../etc/passwd":               "passwd",
		"a\"b\r\n.pdf":                   "ab.pdf",
		"":                               "file",
		"..":                             "file",
		"Critères é.pdf":                 "Critères é.pdf",
		"a\u202etxt.exe":                 "atxt.exe",
		"\ufeffx\u200b\u2066y\u2069.pdf": "xy.pdf",
		"line\u2028break.txt":            "linebreak.txt",
		strings.Repeat("a", 199) + ". b": strings.Repeat("a", 199),
	} {
		if got := CleanFilename(in); got != want {
			t.Errorf("CleanFilename(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDownloadName(t *testing.T) {
	long := strings.Repeat("é", 150) + ".html"
	tests := []struct {
		name string
		kind Kind
		want string
	}{
		{"x.html", KindText, "x.txt"},
		{"a\u202etxt.exe", KindText, "atxt.txt"},
		{"clause.pdf", KindDOCX, "clause.docx"},
		{"REPORT.PDF", KindPDF, "REPORT.PDF"},
		{"Criteria v2.1", KindPDF, "Criteria v2.1.pdf"},
		{"Criteria 2.1 final", KindPDF, "Criteria 2.1 final.pdf"},
		{"notes.markdown", KindMarkdown, "notes.markdown"},
		{"notes.txt", KindMarkdown, "notes.md"},
		{"data", KindCSV, "data.csv"},
		{"pdf", KindPDF, "pdf.pdf"},
		{"", KindPDF, "file.pdf"},
		{".htaccess", KindText, "htaccess.txt"},
		{long, KindText, strings.Repeat("é", 98) + ".txt"},
		{"x.html", "", "x.html"},
	}
	for _, tt := range tests {
		if got := DownloadName(tt.name, tt.kind); got != tt.want {
			t.Errorf("DownloadName(%q, %q) = %q, want %q", tt.name, tt.kind, got, tt.want)
		}
	}
}
