package resources

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"io"
)

// Limits of the PDF check. Object streams of real documents hold a few
// hundred kilobytes of dictionaries; these leave ample room while keeping a
// deflate bomb (1,000:1 and more) from costing more than a moment.
const (
	maxPDFObjStmRaw  = 16 << 20 // compressed bytes of one object stream kept to inflate
	maxPDFInflated   = 64 << 20 // bytes inflated from object streams, per file
	maxPDFNameLength = 127      // PDF names are at most 127 bytes (ISO 32000-1, C.2)
)

// pdfActive are the names that make a PDF active content: scripts
// (/JavaScript, /JS), launch actions, embedded files (the stream's optional
// /Type /EmbeddedFile, or the /EF entry of the file specification that
// points to it), Flash-era rich media, scripts of 3D artwork, and XFA
// forms, whose XML carries scripts of its own that no name reveals. The
// triggers (/OpenAction, /AA) are not listed: they are harmless unless the
// action they start is one of these, which is refused wherever it is.
// /EmbeddedFiles alone is not: many writers (fpdf among them) put an empty
// name tree of that name in every catalog.
var pdfActive = map[string]bool{
	"JavaScript": true, "JS": true, "Launch": true, "EmbeddedFile": true, "EF": true,
	"RichMedia": true, "XFA": true,
	"OnInstantiate": true, // the script of 3D artwork
}

// pdfOtherFilters are the decoders, in full and abbreviated, that the check
// does not implement; an object stream that needs one cannot be read.
var pdfOtherFilters = map[string]bool{
	"LZWDecode": true, "LZW": true, "ASCII85Decode": true, "A85": true, "ASCIIHexDecode": true, "AHx": true,
	"RunLengthDecode": true, "RL": true, "CCITTFaxDecode": true, "CCF": true, "DCTDecode": true, "DCT": true,
	"JBIG2Decode": true, "JPXDecode": true, "Crypt": true, "BrotliDecode": true,
}

// What a name tells the scan.
const (
	pdfNameOther = iota
	pdfNameActive
	pdfNameEncrypt
	pdfNameObjStm // a key only object streams need
	pdfNameFlate
	pdfNameOtherFilter
	pdfNameFilterKey
	pdfNamePredictor
)

var pdfNames = func() map[string]int {
	m := map[string]int{
		"Encrypt": pdfNameEncrypt, "ObjStm": pdfNameObjStm, "N": pdfNameObjStm, "First": pdfNameObjStm,
		"FlateDecode": pdfNameFlate, "Fl": pdfNameFlate, "Filter": pdfNameFilterKey, "F": pdfNameFilterKey,
		"DecodeParms": pdfNamePredictor, "DP": pdfNamePredictor, "Predictor": pdfNamePredictor,
	}
	for n := range pdfOtherFilters {
		m[n] = pdfNameOtherFilter
	}
	for n := range pdfActive {
		m[n] = pdfNameActive
	}
	return m
}()

// Character classes of ISO 32000-1, 7.2.2.
const (
	pdfRegularChar = iota
	pdfWhiteChar
	pdfDelimiterChar
)

var pdfClass = func() (t [256]uint8) {
	for _, c := range []byte("\x00\t\n\f\r ") {
		t[c] = pdfWhiteChar
	}
	for _, c := range []byte("()<>[]{}/%") {
		t[c] = pdfDelimiterChar
	}
	return t
}()

// pdfScan reads a PDF's bytes in order and decides whether it carries
// active content. It never skips bytes: names inside strings and inside
// compressed stream data are checked too, as the raw search did before, so
// nothing a reader might parse as a name escapes it. On top of that it
// decodes each name's #xx escapes (/J#61vaScript is /JavaScript to every
// reader) and inflates the streams a reader could load objects from, those
// whose dictionary has any of /Type /ObjStm, /N or /First (pdf.js loads
// objects from a stream with /N and /First whatever its /Type; readers
// differ in which keys they require, so one is enough here), scanning the
// inflated objects the same way.
//
// Readers reach objects through the cross-reference table, by offset, not
// by reading the file in order; so the scan keeps no context that an
// attacker could use to hide an object: every "stream" keyword preceded by
// an object-stream dictionary starts a capture, wherever it is (inside
// another stream, after a stray parenthesis), and a capture that does not
// inflate to a complete zlib stream makes the file uncheckable.
//
// Stream data (from a "stream" keyword to the next "endstream") is mostly
// compressed or image bytes, in which a two-letter name (/JS, /EF) and a
// delimiter turn up by chance about once in 135 MB (the substring search
// before, which ended a name at any byte but a letter or digit, found /JS
// once in 22 MB): a 20 MB scanned document would be refused one time in
// seven. A reader takes names from stream data only in an object it loads
// by offset, which starts with "N G obj", or in a trailer (whose /Root may
// be a direct dictionary); so in stream data, names count from the first
// "obj" or "trailer" keyword on, and everywhere else always. Object streams
// hold objects without "obj": their content, inflated or stored, is
// scanned on its own, every name counting.
type pdfScan struct {
	nested bool // scanning an object stream's content: no streams in it

	inData  bool // between "stream" and "endstream"
	dataObj bool // an "obj" or "trailer" keyword was seen in this stream data

	active      bool  // an active-content name was found
	encrypted   bool  // an /Encrypt dictionary is present
	uncheckable bool  // an object stream could not be read in full
	inflated    int64 // bytes inflated so far, for the whole file

	inName   bool
	name     []byte
	nameLong bool
	kw       []byte
	kwLong   bool

	// What the names since the last obj, endobj, trailer, stream or
	// endstream keyword say: the dictionary of a stream that follows.
	dict pdfDict

	captures []*pdfCapture
}

type pdfDict struct{ objStm, flate, otherFilter, filterKey, predictor bool }

type pdfCapture struct {
	dict   pdfDict
	body   []byte
	tooBig bool
}

// maxPDFCaptures bounds the object streams captured at once (nested in
// each other's bytes); real files never nest them.
const maxPDFCaptures = 4

// feed lexes the next bytes of the file.
func (s *pdfScan) feed(p []byte) {
	for i := 0; i < len(p); i++ {
		if s.active {
			return
		}
		c := p[i]
		for _, cp := range s.captures {
			if len(cp.body) < maxPDFObjStmRaw {
				cp.body = append(cp.body, c)
			} else {
				cp.tooBig = true
			}
		}
		if s.inName {
			if pdfClass[c] == pdfRegularChar {
				if len(s.name) < 3*maxPDFNameLength {
					s.name = append(s.name, c)
				} else {
					s.nameLong = true
				}
				continue
			}
			s.endName()
		}
		if pdfClass[c] == pdfRegularChar {
			// Only obj, endobj, stream and endstream matter: nine bytes.
			if len(s.kw) < len("endstream") {
				s.kw = append(s.kw, c)
			} else {
				s.kwLong = true
			}
			continue
		}
		if len(s.kw) > 0 || s.kwLong {
			s.endKeyword(c)
		}
		if c == '/' {
			s.inName, s.name, s.nameLong = true, s.name[:0], false
		}
	}
}

// finish ends the lexing at the end of the data; a capture still open (a
// stream without endstream) is inflated as it is.
func (s *pdfScan) finish() {
	if s.inName {
		s.endName()
	}
	s.endKeyword(0)
	s.endStreams(0)
}

func (s *pdfScan) endName() {
	s.inName = false
	if s.nameLong {
		// Escapes shrink a name to a third at most: this one decodes to
		// more than 127 bytes, longer than any name below.
		return
	}
	n := pdfDecodeName(s.name)
	if i := bytes.IndexByte(n, 0); i >= 0 {
		n = n[:i] // readers written in C end a name at #00
	}
	role := pdfNames[string(n)]
	if s.inData && !s.dataObj && (role == pdfNameActive || role == pdfNameEncrypt) {
		return // bytes of an image or a compressed stream, outside any object
	}
	switch role {
	case pdfNameActive:
		s.active = true
	case pdfNameEncrypt:
		s.encrypted = true
	case pdfNameObjStm:
		s.dict.objStm = true
	case pdfNameFlate:
		s.dict.flate = true
	case pdfNameOtherFilter:
		s.dict.otherFilter = true
	case pdfNameFilterKey:
		s.dict.filterKey = true
	case pdfNamePredictor:
		s.dict.predictor = true
	}
}

// endKeyword acts on the keyword that ends before delimiter c (0 at the end
// of the data).
func (s *pdfScan) endKeyword(c byte) {
	kw, long := s.kw, s.kwLong
	s.kw, s.kwLong = s.kw[:0], false
	if long || len(kw) == 0 || s.nested {
		return
	}
	switch string(kw) {
	case "obj", "trailer":
		s.dataObj = true
		s.dict = pdfDict{}
	case "endobj":
		s.dict = pdfDict{}
	case "stream":
		if !s.inData {
			s.inData, s.dataObj = true, false
		}
		if s.dict.objStm && c != 0 {
			if len(s.captures) == maxPDFCaptures {
				s.uncheckable = true
			} else {
				// The capture starts after the delimiter c, seen already.
				s.captures = append(s.captures, &pdfCapture{dict: s.dict})
			}
		}
		s.dict = pdfDict{}
	case "endstream":
		s.inData = false
		s.endStreams(c)
		s.dict = pdfDict{}
	}
}

// endStreams decides what the open captures hold; c is the delimiter after
// "endstream" (0 at the end of the data), kept in the bodies like the
// keyword itself.
func (s *pdfScan) endStreams(c byte) {
	caps := s.captures
	s.captures = nil
	for _, cp := range caps {
		body := cp.body
		if c != 0 || bytes.HasSuffix(body, []byte("endstream")) {
			end := len(body) - len("endstream")
			if c != 0 {
				end--
			}
			body = body[:max(end, 0)]
		}
		d := cp.dict
		switch {
		case cp.tooBig:
			s.uncheckable = true // its end was not kept: neither inflated nor scanned whole
			continue
		case !d.flate && !d.filterKey && !d.otherFilter:
			// Stored as it is: its objects have no "obj" keyword, so the
			// data rule above let their names by.
			s.scanObjects(bytes.NewReader(body))
			if s.active {
				return
			}
			continue
		case !d.flate || d.otherFilter || d.predictor:
			// A filter chain, a decoder not implemented here, an indirect
			// /Filter, a predictor after inflating: what a reader would see
			// is unknown.
			s.uncheckable = true
			continue
		}
		// Leading blanks are the end of line after "stream"; trailing bytes
		// after the zlib checksum are ignored, as readers ignore them.
		s.inflate(bytes.TrimLeft(body, "\x00\t\n\f\r "))
		if s.active {
			return
		}
	}
}

// inflate scans the decompressed content of an object stream. Anything
// short of a complete, well-formed zlib stream within the budget is
// uncheckable: an "endstream" planted inside the compressed data would
// otherwise cut the inspection short.
func (s *pdfScan) inflate(body []byte) {
	zr, err := zlib.NewReader(bytes.NewReader(body))
	if err != nil {
		s.uncheckable = true
		return
	}
	defer zr.Close()
	s.scanObjects(zr)
}

// scanObjects lexes an object stream's content, every name counting, within
// what is left of the file's budget. Readers parse an object stream from
// its first token, which must be an object number; content that starts
// otherwise (past blanks and comments) serves no objects, so its names are
// bytes like those of any stream data: the colour profiles that /N also
// marks are binary, and a two-letter name in them would refuse one large
// print profile in a few hundred.
func (s *pdfScan) scanObjects(r io.Reader) {
	inner := &pdfScan{nested: true}
	budget := maxPDFInflated - s.inflated
	buf := make([]byte, 32<<10)
	lr := bufio.NewReaderSize(io.LimitReader(r, budget+1), 4096)
	if head, _ := lr.Peek(4096); !pdfObjectsFirst(head) {
		inner.inData = true
	}
	var n int64
	for {
		k, err := lr.Read(buf)
		n += int64(k)
		inner.feed(buf[:k])
		if inner.active {
			s.active = true
			return
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			s.uncheckable = true
			return
		}
	}
	s.inflated += n
	inner.finish()
	s.active = s.active || inner.active
	s.encrypted = s.encrypted || inner.encrypted
	if n > budget {
		s.uncheckable = true // a deflate bomb, or more objects than any document needs
	}
}

// pdfObjectsFirst reports whether b, past white space and comments, starts
// with a number, as an object stream does; b that is all blanks and
// comments counts as a start, since what follows is unknown.
func pdfObjectsFirst(b []byte) bool {
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case pdfClass[c] == pdfWhiteChar:
		case c == '%':
			for i < len(b) && b[i] != '\r' && b[i] != '\n' {
				i++
			}
		default:
			return c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
		}
	}
	return true
}

// pdfDecodeName decodes the #xx escapes of a name (ISO 32000-1, 7.3.5). A
// '#' not followed by two hex digits stays as it is, as lenient readers
// keep it.
func pdfDecodeName(raw []byte) []byte {
	if bytes.IndexByte(raw, '#') < 0 {
		return raw
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] == '#' && i+2 < len(raw) && isHex(raw[i+1]) && isHex(raw[i+2]) {
			out = append(out, unhex(raw[i+1])<<4|unhex(raw[i+2]))
			i += 2
			continue
		}
		out = append(out, raw[i])
	}
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// scanPDF runs the scan over the whole file and returns the refusal key, or "".
func scanPDF(r io.ReaderAt, size int64) (string, error) {
	s := &pdfScan{}
	buf := make([]byte, 1<<20)
	for off := int64(0); off < size && !s.active; {
		n, err := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		s.feed(buf[:n])
		off += int64(n)
		if err != nil && err != io.EOF {
			return "", err
		}
		if n == 0 {
			break
		}
	}
	if !s.active {
		s.finish()
	}
	switch {
	case s.active:
		return "pdf_active", nil
	case s.encrypted:
		return "pdf_encrypted", nil
	case s.uncheckable:
		return "pdf_uncheckable", nil
	}
	return "", nil
}
