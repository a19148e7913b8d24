package resources

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/resources/samples"
)

// zlibBytes compresses b the way PDF writers do (/FlateDecode).
func zlibBytes(b []byte) []byte {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, flate.BestSpeed)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return z.Bytes()
}

// Objects of a one-page document whose opening runs a script, for the
// object-stream cases: the catalog stays outside, the rest goes inside.
var (
	pdfCatalog = "<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"
	pdfPages   = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
	pdfPage    = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"
)

func rawPDF(body string) []byte {
	return []byte("%PDF-1.7\n" + body + "\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
}

// The PDF check reads names as readers do (#xx escapes decoded) and reads
// the objects inside Flate-compressed object streams; what it cannot read
// (other filters, predictors, encryption, a bomb, a stream cut short) is
// refused rather than waved through. Each hostile case here was accepted
// before.
func TestSniffPDFActiveContent(t *testing.T) {
	script := "<< /S /JavaScript /JS (app.alert(1)) >>"
	flateWith := func(pad int) func([]byte) ([]byte, string) {
		return func(b []byte) ([]byte, string) {
			return zlibBytes(append(b, bytes.Repeat([]byte(" "), pad)...)), "/FlateDecode"
		}
	}
	planted := func(b []byte) ([]byte, string) {
		z := zlibBytes(append(b, bytes.Repeat([]byte("% filler "), 2000)...))
		cut := len(z) / 2
		return append(append(append([]byte(nil), z[:cut]...), "\nendstream\n"...), z[cut:]...), "/FlateDecode"
	}
	// Filler makes deflate compress rather than store the object, so no
	// name shows in the raw bytes.
	hidden := zlibBytes([]byte("4 0 << /S /JavaScript /JS (app.alert(1)) >>\n" + strings.Repeat("% filler\n", 200)))
	tests := []struct {
		name string
		data []byte
		want string // refusal key, "" for accepted
	}{
		{"escaped JavaScript", rawPDF("1 0 obj << /Type /Catalog /OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >> >> endobj"), "pdf_active"},
		{"escaped Launch", rawPDF("1 0 obj << /Type /Catalog /OpenAction << /S /L#61unch /F (calc.exe) >> >> endobj"), "pdf_active"},
		{"every letter escaped", rawPDF("1 0 obj << /OpenAction << /S /#4A#61#76#61#53#63#72#69#70#74 >> >> endobj"), "pdf_active"},
		{"name cut by #00 (refused before too: kept as a guard)", rawPDF("1 0 obj << /OpenAction << /S /JavaScript#00x /JS#00 (x) >> >> endobj"), "pdf_active"},
		{"escaped EmbeddedFile", rawPDF("1 0 obj << /Type /Emb#65ddedFile /Length 0 >> stream\n\nendstream endobj"), "pdf_active"},
		{"XFA form", rawPDF("1 0 obj << /AcroForm << /XFA 5 0 R >> >> endobj"), "pdf_active"},
		{"script in an object stream", samples.PDFObjStm(nil, pdfCatalog, pdfPages, pdfPage, script), "pdf_active"},
		{"escaped names in an object stream", samples.PDFObjStm(nil, pdfCatalog, pdfPages, pdfPage, "<< /S /L#61unch /F (cmd.exe) >>"), "pdf_active"},
		{"object stream hidden in an image", rawPDF("1 0 obj << /Subtype /Image /Width 1 /Height 1 /Length 999 >> stream\nJUNK\n" +
			"4 0 obj << /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >> stream\n" + string(hidden) + "\nendstream endobj"), "pdf_active"},
		{"object stream cut short by a planted endstream", samples.PDFObjStm(planted, pdfCatalog, pdfPages, pdfPage, script), "pdf_uncheckable"},
		{"object stream with LZW", samples.PDFObjStm(func(b []byte) ([]byte, string) { return b, "/LZWDecode" }, pdfCatalog, pdfPages), "pdf_uncheckable"},
		{"object stream with a filter chain", samples.PDFObjStm(func(b []byte) ([]byte, string) {
			return []byte(hex.EncodeToString(zlibBytes(b)) + ">"), "[/ASCIIHexDecode /FlateDecode]"
		}, pdfCatalog, pdfPages, pdfPage, script), "pdf_uncheckable"},
		{"object stream with a predictor", samples.PDFObjStm(func(b []byte) ([]byte, string) {
			return zlibBytes(b), "/FlateDecode /DecodeParms << /Predictor 12 /Columns 4 >>"
		}, pdfCatalog, pdfPages), "pdf_uncheckable"},
		{"object stream with an indirect filter", samples.PDFObjStm(func(b []byte) ([]byte, string) { return zlibBytes(b), "9 0 R" }, pdfCatalog, pdfPages), "pdf_uncheckable"},
		{"object stream that inflates past the limit", samples.PDFObjStm(flateWith(maxPDFInflated+1), pdfCatalog, pdfPages), "pdf_uncheckable"},
		{"object stream over the capture limit", samples.PDFObjStm(func(b []byte) ([]byte, string) {
			return append(b, bytes.Repeat([]byte(" "), maxPDFObjStmRaw)...), ""
		}, pdfCatalog, pdfPages), "pdf_uncheckable"},
		{"encrypted", []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n<< /Root 1 0 R /Encrypt << /Filter /Standard /V 2 /R 3 >> >>\n%%EOF\n"), "pdf_encrypted"},
		{"script object hidden in image bytes", rawPDF("1 0 obj << /Subtype /Image /Width 1 /Height 1 /Length 999 >> stream\n\x89\xffJUNK\n" +
			"7 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\nendstream endobj"), "pdf_active"},
		{"trailer with a direct catalog hidden in image bytes", rawPDF("1 0 obj << /Subtype /Image /Width 1 /Height 1 /Length 999 >> stream\n\x89\xffJUNK\n" +
			"trailer << /Root << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> >>\nendstream endobj"), "pdf_active"},
		{"script in a stored object stream", samples.PDFObjStm(func(b []byte) ([]byte, string) { return b, "" }, pdfCatalog, pdfPages, pdfPage, script), "pdf_active"},
		{"object stream starting with a comment", samples.PDFObjStm(func(b []byte) ([]byte, string) {
			return zlibBytes(append([]byte(" % made by hand\n"), b...)), "/FlateDecode"
		}, pdfCatalog, pdfPages, pdfPage, script), "pdf_active"},
		// Accepted: what real documents look like.
		{"colour profile whose binary holds /JS", rawPDF("1 0 obj << /N 3 /Alternate /DeviceRGB /Filter /FlateDecode >> stream\n" +
			string(zlibBytes([]byte("\x00\x00\x0cHLino\x02\x10\x00\x00mntrRGB XYZ /JS \x07\xce/EF\x00"))) + "\nendstream endobj"), ""},
		{"active-looking bytes in image data, outside any object", rawPDF("1 0 obj << /Subtype /Image /Width 4 /Height 4 /Length 24 >> stream\n\x89\xff/JS \x01\x02/EF\x00\xfe/Launch<\x13\nendstream endobj"), ""},
		{"stored object stream", samples.PDFObjStm(func(b []byte) ([]byte, string) { return b, "" }, "<< /Type /Catalog /Pages 2 0 R >>", pdfPages, pdfPage), ""},
		{"object streams without active content", samples.PDFObjStm(nil, "<< /Type /Catalog /Pages 2 0 R >>", pdfPages, pdfPage), ""},
		{"object stream under the limit", samples.PDFObjStm(flateWith(1<<20), "<< /Type /Catalog /Pages 2 0 R >>", pdfPages), ""},
		{"names that only start like active ones", rawPDF("1 0 obj << /JSON (x) /Launcher 1 /EmbeddedFiles << /Names [] >> /XFAx 2 >> endobj"), ""},
		{"fpdf document", samples.PDF("Criteria", "Text."), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, err := Sniff(bytes.NewReader(tt.data), int64(len(tt.data)), "a.pdf")
			if tt.want == "" {
				if err != nil || kind != KindPDF {
					t.Fatalf("Sniff = %q, %v; want a PDF", kind, err)
				}
				return
			}
			fe, ok := fault.As(err)
			if !ok || fe.Key != "library.refused."+tt.want || fe.Field != "file" || fe.Kind != fault.Invalid {
				t.Fatalf("Sniff = %q, %v; want refusal %s", kind, err, tt.want)
			}
		})
	}
}

// The archive check counts the bytes each entry really inflates to: a
// document whose main part declares 2,000 bytes and inflates to 400 MB is
// refused, and so is one that declares more than it holds.
func TestSniffZipRealSizes(t *testing.T) {
	short := samples.DOCX("Clause", "Text")
	// Declares 5,000 bytes more than word/document.xml holds.
	i := bytes.Index(short, []byte("PK\x01\x02"))
	for ; i >= 0; i = bytes.Index(short[i+4:], []byte("PK\x01\x02")) + i + 4 {
		if bytes.HasPrefix(short[i+46:], []byte("word/document.xml")) {
			n := int(short[i+24]) | int(short[i+25])<<8
			n += 5000
			short[i+24], short[i+25] = byte(n), byte(n>>8)
			break
		}
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"entry inflating to 400 MB, declaring 2,000 bytes", samples.LyingDOCX(400 << 20), "zip_size_mismatch"},
		{"entry inflating to a little more than declared", samples.LyingDOCX(2100), "zip_size_mismatch"},
		{"entry declaring more than it holds", short, "damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, err := Sniff(bytes.NewReader(tt.data), int64(len(tt.data)), "a.docx")
			fe, ok := fault.As(err)
			if !ok || fe.Key != "library.refused."+tt.want {
				t.Fatalf("Sniff = %q, %v; want refusal %s", kind, err, tt.want)
			}
		})
	}
	// The limits hold for real counts as for declared sizes.
	var tally zipTally
	if err := tally.add(maxZipEntrySize+1, maxZipEntrySize); err == nil || !strings.HasSuffix(err.(*fault.Error).Key, "zip_bomb_size") {
		t.Fatalf("entry over the limit: %v", err)
	}
	tally = zipTally{}
	if err := tally.add(300<<20, 1<<20); err == nil || !strings.HasSuffix(err.(*fault.Error).Key, "zip_bomb_ratio") {
		t.Fatalf("entry over the ratio: %v", err)
	}
}

// Every active name stays refused however many of its bytes are written as
// #xx escapes, in upper- or lower-case hex, in an object or inside a Flate
// object stream.
func TestSniffPDFNameEscapesAnyMix(t *testing.T) {
	for name := range pdfActive {
		n := 0
		for mask := 0; mask < 1<<len(name); mask += 1 + mask/64 { // every mask for short names, a spread for long ones
			var b strings.Builder
			b.WriteByte('/')
			for i := 0; i < len(name); i++ {
				switch {
				case mask&(1<<i) == 0:
					b.WriteByte(name[i])
				case i%2 == 0:
					fmt.Fprintf(&b, "#%02X", name[i])
				default:
					fmt.Fprintf(&b, "#%02x", name[i])
				}
			}
			escaped := b.String()
			for _, data := range [][]byte{
				rawPDF("1 0 obj << /OpenAction << /S " + escaped + " >> >> endobj"),
				samples.PDFObjStm(nil, pdfCatalog, pdfPages, pdfPage, "<< /S "+escaped+" >>"),
			} {
				_, err := Sniff(bytes.NewReader(data), int64(len(data)), "a.pdf")
				if fe, ok := fault.As(err); !ok || fe.Key != "library.refused.pdf_active" {
					t.Fatalf("%s: %v", escaped, err)
				}
				n++
			}
		}
		t.Logf("%s: %d escaped forms refused", name, n)
	}
}
