// Package samples makes small, real documents of every accepted kind (PDF,
// DOCX, ODT, XLSX, ODS, PPTX, ODP, Markdown, CSV) and a few that must be
// refused. The demo seed, the tests, the browser test and the benchmarks
// generate their files with it, so no binary fixture is checked in.
package samples

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/go-pdf/fpdf"
)

// PDF returns a one-column PDF with a title and paragraphs, its text in
// compressed content streams with the core fonts' WinAnsi encoding.
func PDF(title string, paragraphs ...string) []byte {
	p := fpdf.New("P", "mm", "A4", "")
	tr := p.UnicodeTranslatorFromDescriptor("") // cp1252 for the core fonts
	p.SetTitle(title, true)
	p.SetCreator("Circular & Fair ICT portal", true)
	p.AddPage()
	p.SetFont("Helvetica", "B", 16)
	p.MultiCell(0, 8, tr(title), "", "L", false)
	p.Ln(4)
	p.SetFont("Helvetica", "", 11)
	for _, para := range paragraphs {
		p.MultiCell(0, 6, tr(para), "", "L", false)
		p.Ln(2)
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		panic("samples: pdf: " + err.Error())
	}
	return buf.Bytes()
}

type entry struct{ name, body string }

func zipOf(entries []entry, storeFirst bool) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i, e := range entries {
		method := zip.Deflate
		if i == 0 && storeFirst {
			method = zip.Store // OpenDocument: "mimetype" first and uncompressed
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
		if err != nil {
			panic(err)
		}
		_, _ = w.Write([]byte(e.body))
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

const xmlHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

// DOCX returns a Word document with a heading and paragraphs.
func DOCX(title string, paragraphs ...string) []byte { return docx(title, paragraphs, false) }

// MacroDOCX returns a macro-enabled Word document (a vbaProject part and the
// macro-enabled content type), which the library refuses.
func MacroDOCX(title string) []byte {
	return docx(title, []string{"Enable content to see this document."}, true)
}

func docx(title string, paragraphs []string, macros bool) []byte {
	var body strings.Builder
	body.WriteString(`<w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr><w:r><w:t>` + esc(title) + `</w:t></w:r></w:p>`)
	for _, p := range paragraphs {
		body.WriteString(`<w:p><w:r><w:t xml:space="preserve">` + esc(p) + `</w:t></w:r></w:p>`)
	}
	main := "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
	extra := ""
	if macros {
		main = "application/vnd.ms-word.document.macroEnabled.main+xml"
		extra = `<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>`
	}
	entries := []entry{
		{"[Content_Types].xml", xmlHead + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` + extra + `<Override PartName="/word/document.xml" ContentType="` + main + `"/></Types>`},
		{"_rels/.rels", xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		{"word/document.xml", xmlHead + `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body.String() + `</w:body></w:document>`},
	}
	if macros {
		entries = append(entries, entry{"word/vbaProject.bin", "\xd0\xcf\x11\xe0 not really a macro project"})
	}
	return zipOf(entries, false)
}

// ODT returns an OpenDocument text with a heading and paragraphs.
func ODT(title string, paragraphs ...string) []byte {
	var body strings.Builder
	body.WriteString(`<text:h text:outline-level="1">` + esc(title) + `</text:h>`)
	for _, p := range paragraphs {
		body.WriteString(`<text:p>` + esc(p) + `</text:p>`)
	}
	return odf("application/vnd.oasis.opendocument.text", `<office:text>`+body.String()+`</office:text>`)
}

// ODS returns an OpenDocument spreadsheet with one sheet of rows.
func ODS(rows [][]string) []byte {
	var body strings.Builder
	body.WriteString(`<office:spreadsheet><table:table table:name="Sheet1">`)
	for _, r := range rows {
		body.WriteString(`<table:table-row>`)
		for _, c := range r {
			body.WriteString(`<table:table-cell office:value-type="string"><text:p>` + esc(c) + `</text:p></table:table-cell>`)
		}
		body.WriteString(`</table:table-row>`)
	}
	body.WriteString(`</table:table></office:spreadsheet>`)
	return odf("application/vnd.oasis.opendocument.spreadsheet", body.String())
}

func odf(mime, body string) []byte {
	return zipOf([]entry{
		{"mimetype", mime},
		{"META-INF/manifest.xml", xmlHead + `<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="` + mime + `"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`},
		{"content.xml", xmlHead + `<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.2"><office:body>` + body + `</office:body></office:document-content>`},
	}, true)
}

// XLSX returns an Excel workbook with one sheet of rows, as inline strings.
func XLSX(rows [][]string) []byte {
	var sheet strings.Builder
	for i, r := range rows {
		fmt.Fprintf(&sheet, `<row r="%d">`, i+1)
		for j, c := range r {
			fmt.Fprintf(&sheet, `<c r="%c%d" t="inlineStr"><is><t>%s</t></is></c>`, 'A'+j, i+1, esc(c))
		}
		sheet.WriteString(`</row>`)
	}
	return zipOf([]entry{
		{"[Content_Types].xml", xmlHead + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
		{"_rels/.rels", xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", xmlHead + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", xmlHead + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + sheet.String() + `</sheetData></worksheet>`},
	}, false)
}

// PPTX returns a presentation with one slide per text.
func PPTX(slides ...string) []byte {
	entries := []entry{
		{"[Content_Types].xml", xmlHead + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>`},
		{"_rels/.rels", xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="ppt/presentation.xml"/></Relationships>`},
		{"ppt/presentation.xml", xmlHead + `<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>`},
	}
	for i, s := range slides {
		entries = append(entries, entry{fmt.Sprintf("ppt/slides/slide%d.xml", i+1), xmlHead + `<p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>` + esc(s) + `</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>`})
	}
	return zipOf(entries, false)
}

// ZipBomb returns a small archive whose one entry declares an absurd
// uncompressed size (the central directory is all the check reads).
func ZipBomb() []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "word/document.xml", Method: zip.Deflate, CompressedSize64: 4, UncompressedSize64: 40 << 30, CRC32: 0})
	if err != nil {
		panic(err)
	}
	_, _ = w.Write([]byte{3, 0, 0, 0})
	_ = zw.Close()
	return buf.Bytes()
}

// LyingDOCX returns a Word document whose main part inflates to expanded
// bytes while the archive declares 2,000: a zip bomb that a check of the
// central directory alone lets through.
func LyingDOCX(expanded int) []byte {
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestSpeed)
	crc := crc32.NewIEEE()
	head := []byte(xmlHead + `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>`)
	_, _ = fw.Write(head)
	crc.Write(head)
	pad := bytes.Repeat([]byte{' '}, 1<<20)
	for n := len(head); n < expanded; n += len(pad) {
		chunk := pad[:min(len(pad), expanded-n)]
		_, _ = fw.Write(chunk)
		crc.Write(chunk)
	}
	_ = fw.Close()
	real := DOCX("Harmless")
	zr, err := zip.NewReader(bytes.NewReader(real), int64(len(real)))
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if f.Name != "word/document.xml" {
			if err := zw.Copy(f); err != nil {
				panic(err)
			}
			continue
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, CRC32: crc.Sum32(),
			CompressedSize64: uint64(deflated.Len()), UncompressedSize64: 2000})
		if err != nil {
			panic(err)
		}
		_, _ = w.Write(deflated.Bytes())
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// PDFObjStm returns a PDF whose objects after the catalog sit in one
// object stream found through a cross-reference stream, the way Acrobat
// and Word save them. objects[0] is the catalog (object 1), the others are
// objects 2, 3, ... encode turns the object stream's bytes into what is
// stored and gives the stream's /Filter value ("" for none); nil
// compresses them with zlib (/FlateDecode).
func PDFObjStm(encode func([]byte) ([]byte, string), objects ...string) []byte {
	if encode == nil {
		encode = func(b []byte) ([]byte, string) {
			var z bytes.Buffer
			zw := zlib.NewWriter(&z)
			_, _ = zw.Write(b)
			_ = zw.Close()
			return z.Bytes(), "/FlateDecode"
		}
	}
	inner := objects[1:]
	var header, bodies strings.Builder
	for i, o := range inner {
		fmt.Fprintf(&header, "%d %d ", i+2, bodies.Len())
		bodies.WriteString(o + "\n")
	}
	stm := header.String() + bodies.String()
	data, filter := encode([]byte(stm))
	stmNum := len(objects) + 1
	xrefNum := stmNum + 1

	var out bytes.Buffer
	offsets := map[int]int{}
	out.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets[1] = out.Len()
	fmt.Fprintf(&out, "1 0 obj\n%s\nendobj\n", objects[0])
	offsets[stmNum] = out.Len()
	if filter != "" {
		filter = "/Filter " + filter + " "
	}
	fmt.Fprintf(&out, "%d 0 obj\n<< /Type /ObjStm /N %d /First %d %s/Length %d >>\nstream\n", stmNum, len(inner), header.Len(), filter, len(data))
	out.Write(data)
	out.WriteString("\nendstream\nendobj\n")
	offsets[xrefNum] = out.Len()
	var xref bytes.Buffer
	entry := func(typ byte, a uint32, b uint16) {
		xref.WriteByte(typ)
		_ = binary.Write(&xref, binary.BigEndian, a)
		_ = binary.Write(&xref, binary.BigEndian, b)
	}
	entry(0, 0, 65535)
	for n := 1; n <= xrefNum; n++ {
		if off, ok := offsets[n]; ok {
			entry(1, uint32(off), 0)
		} else {
			entry(2, uint32(stmNum), uint16(n-2))
		}
	}
	fmt.Fprintf(&out, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n", xrefNum, xrefNum+1, xref.Len())
	out.Write(xref.Bytes())
	fmt.Fprintf(&out, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", offsets[xrefNum])
	return out.Bytes()
}

// ManyEntries returns an archive with n empty entries.
func ManyEntries(n int) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i < n; i++ {
		_, _ = zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("f%d.xml", i), Method: zip.Store})
	}
	_ = zw.Close()
	return buf.Bytes()
}

// HTML is a web page, as an attacker would rename it to report.pdf.
const HTML = "<!DOCTYPE html>\n<html><head><title>Invoice</title></head><body><script>fetch('/api/v1/me')</script></body></html>\n"

// SVG is an image with a script.
const SVG = `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>`
