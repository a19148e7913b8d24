package resources

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/xml"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxText bounds the text kept from one file for search and preview.
const MaxText = 256 << 10

// maxPDFTextInflated bounds the bytes inflated from all the streams of one
// PDF while its text is extracted.
const maxPDFTextInflated = 256 << 20

// Extract returns the readable text of a file of a known kind, at most
// MaxText bytes. Extraction is best effort: a file it cannot read yields
// little or no text, never an error, since the file itself was accepted.
func Extract(kind Kind, r io.ReaderAt, size int64) string {
	var text string
	switch kind {
	case KindText, KindMarkdown, KindCSV:
		b, _ := io.ReadAll(io.NewSectionReader(r, 0, min(size, MaxText)))
		text = string(b)
	case KindPDF:
		text = pdfText(r, size)
	case KindDOCX:
		text = zipXMLText(r, size, func(n string) bool { return n == "word/document.xml" }, paragraphs("p"))
	case KindPPTX:
		text = zipXMLText(r, size, func(n string) bool {
			return strings.HasPrefix(n, "ppt/slides/slide") && strings.HasSuffix(n, ".xml")
		}, paragraphs("p"))
	case KindXLSX:
		text = zipXMLText(r, size, func(n string) bool {
			return n == "xl/sharedStrings.xml" || strings.HasPrefix(n, "xl/worksheets/sheet") && strings.HasSuffix(n, ".xml")
		}, paragraphs("si", "is", "row"))
	case KindODT, KindODS, KindODP:
		text = zipXMLText(r, size, func(n string) bool { return n == "content.xml" }, paragraphs("p", "h", "table-row"))
	}
	return clip(strings.TrimSpace(text), MaxText)
}

// clip cuts s to at most n bytes on a rune boundary, keeping a last rune
// that fits whole.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// paragraphs returns a set of element local names that end a line.
func paragraphs(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// zipXMLText concatenates the character data of the XML entries selected by
// want, in name order (slide2 before slide10), ending a line at each
// element named in breaks.
func zipXMLText(r io.ReaderAt, size int64, want func(string) bool, breaks map[string]bool) string {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return ""
	}
	var files []*zip.File
	for _, f := range zr.File {
		if want(f.Name) {
			files = append(files, f)
		}
	}
	sort.Slice(files, func(i, j int) bool { return naturalLess(files[i].Name, files[j].Name) })
	var out strings.Builder
	for _, f := range files {
		rc, err := f.Open()
		if err != nil {
			continue
		}
		dec := xml.NewDecoder(io.LimitReader(rc, maxEntryExtraction))
		dec.Strict = false
		for out.Len() < MaxText {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			switch t := tok.(type) {
			case xml.CharData:
				out.Write(t)
			case xml.StartElement:
				if t.Name.Local == "tab" || t.Name.Local == "c" || t.Name.Local == "table-cell" {
					out.WriteByte('\t')
				}
			case xml.EndElement:
				if breaks[t.Name.Local] {
					out.WriteByte('\n')
				}
			}
		}
		rc.Close()
	}
	return out.String()
}

var digitsRe = regexp.MustCompile(`\d+`)

func naturalLess(a, b string) bool {
	na, nb := digitsRe.FindString(a), digitsRe.FindString(b)
	if na != "" && nb != "" && digitsRe.ReplaceAllString(a, "#") == digitsRe.ReplaceAllString(b, "#") {
		x, _ := strconv.Atoi(na)
		y, _ := strconv.Atoi(nb)
		return x < y
	}
	return a < b
}

// pdfText is a small extractor for the common case: content streams that are
// plain or FlateDecode-compressed, with text shown by Tj, TJ, ' and ". It
// does not map custom font encodings; text drawn with them is skipped.
func pdfText(r io.ReaderAt, size int64) string {
	if size > 64<<20 {
		size = 64 << 20 // text of huge PDFs is searched in their first 64 MiB
	}
	data, err := io.ReadAll(io.NewSectionReader(r, 0, size))
	if err != nil {
		return ""
	}
	var out strings.Builder
	pos := 0
	// Each stream may inflate to maxEntryExtraction; the budget bounds the
	// sum, so a file of many small deflate bombs costs no more than one.
	budget := int64(maxPDFTextInflated)
	for out.Len() < MaxText && budget > 0 {
		i := bytes.Index(data[pos:], []byte("stream"))
		if i < 0 {
			break
		}
		start := pos + i + len("stream")
		dict := data[max(pos, pos+i-512) : pos+i]
		if bytes.HasSuffix(bytes.TrimRight(data[pos:pos+i], " \r\n"), []byte("end")) { // "endstream"
			pos = start
			continue
		}
		if start < len(data) && data[start] == '\r' {
			start++
		}
		if start < len(data) && data[start] == '\n' {
			start++
		}
		end := bytes.Index(data[start:], []byte("endstream"))
		if end < 0 {
			break
		}
		body := data[start : start+end]
		pos = start + end + len("endstream")
		if d := bytes.LastIndex(dict, []byte("<<")); d >= 0 {
			dict = dict[d:]
		}
		if bytes.Contains(dict, []byte("/Image")) || bytes.Contains(dict, []byte("/FontFile")) || bytes.Contains(dict, []byte("/XRef")) {
			continue
		}
		if bytes.Contains(dict, []byte("/FlateDecode")) {
			zr, err := zlib.NewReader(bytes.NewReader(body))
			if err != nil {
				continue
			}
			body, _ = io.ReadAll(io.LimitReader(zr, min(maxEntryExtraction, budget)))
			budget -= int64(len(body))
			zr.Close()
		} else if bytes.Contains(dict, []byte("/Filter")) {
			continue // other filters are not supported
		}
		showText(body, &out)
	}
	return out.String()
}

// showText appends the strings of the text operators of a content stream.
func showText(cs []byte, out *strings.Builder) {
	var operands [][]byte
	for i := 0; i < len(cs); {
		c := cs[i]
		switch {
		case c == '(':
			s, n := pdfString(cs[i:])
			operands = append(operands, s)
			i += n
		case c == '[':
			operands = append(operands, []byte{'['})
			i++
		case c == ']':
			i++
		case c == '<' && i+1 < len(cs) && cs[i+1] != '<':
			j := bytes.IndexByte(cs[i:], '>')
			if j < 0 {
				return
			}
			i += j + 1 // hex strings are font-encoded glyph IDs in most files: skipped
		case c == '%':
			j := bytes.IndexAny(cs[i:], "\r\n")
			if j < 0 {
				return
			}
			i += j
		case isNameChar(c) || c == '\'' || c == '"' || c == '*':
			j := i
			for j < len(cs) && (isNameChar(cs[j]) || cs[j] == '\'' || cs[j] == '"' || cs[j] == '*' || cs[j] == '.' || cs[j] == '-') {
				j++
			}
			op := string(cs[i:j])
			switch op {
			case "Tj", "'", "\"", "TJ":
				for _, o := range operands {
					if len(o) != 1 || o[0] != '[' {
						out.Write(o)
					}
				}
				if op != "TJ" {
					out.WriteByte(' ')
				}
			case "Td", "TD", "T*", "ET":
				out.WriteByte('\n')
			}
			if _, err := strconv.ParseFloat(op, 64); err != nil {
				operands = operands[:0]
			}
			i = j
		default:
			i++
		}
	}
}

// pdfString decodes a literal string starting at b[0] == '(' and returns it
// with the number of bytes consumed.
func pdfString(b []byte) ([]byte, int) {
	var out []byte
	depth := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case '(':
			if depth > 0 {
				out = append(out, c)
			}
			depth++
		case ')':
			depth--
			if depth == 0 {
				return latin1(out), i + 1
			}
			out = append(out, c)
		case '\\':
			if i+1 >= len(b) {
				return latin1(out), len(b)
			}
			i++
			switch e := b[i]; e {
			case 'n':
				out = append(out, '\n')
			case 'r', 't', 'b', 'f':
				out = append(out, ' ')
			case '\r', '\n':
			default:
				if e >= '0' && e <= '7' {
					v, k := 0, 0
					for k < 3 && i+k < len(b) && b[i+k] >= '0' && b[i+k] <= '7' {
						v = v*8 + int(b[i+k]-'0')
						k++
					}
					out = append(out, byte(v))
					i += k - 1
				} else {
					out = append(out, e)
				}
			}
		default:
			out = append(out, c)
		}
	}
	return latin1(out), len(b)
}

// latin1 reads PDFDocEncoding/WinAnsi bytes as Latin-1, which covers the
// accented letters of the four languages.
func latin1(b []byte) []byte {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return b
	}
	var s strings.Builder
	for _, c := range b {
		s.WriteRune(rune(c))
	}
	return []byte(s.String())
}
