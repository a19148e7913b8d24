package resources

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"path"
	"strings"
	"unicode/utf8"
)

// Limits of the archive checks. Office files of a few megabytes hold a few
// dozen entries and expand by a factor of ten at most; these leave room
// for large workbooks while refusing zip bombs. They apply twice: to the
// sizes the central directory declares, before anything is inflated, then
// to the bytes each entry really inflates to, counted while reading it.
const (
	maxZipEntries      = 5000
	maxZipExpanded     = 1 << 30   // uncompressed bytes in total
	maxZipEntrySize    = 512 << 20 // uncompressed bytes of one entry
	maxZipRatio        = 200       // uncompressed / compressed, per entry above 1 MiB and in total
	maxEntryExtraction = 32 << 20
)

// Sniff decides the kind of a file from its bytes (r holds size bytes; name
// only tells text, Markdown and CSV apart). Anything outside the allowlist
// is refused with an error that names the reason.
func Sniff(r io.ReaderAt, size int64, name string) (Kind, error) {
	if size == 0 {
		return "", refused("empty")
	}
	head := make([]byte, 4096)
	n, err := r.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return "", err
	}
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("MZ")), bytes.HasPrefix(head, []byte("\x7fELF")),
		bytes.HasPrefix(head, []byte{0xfe, 0xed, 0xfa, 0xce}), bytes.HasPrefix(head, []byte{0xfe, 0xed, 0xfa, 0xcf}),
		bytes.HasPrefix(head, []byte{0xce, 0xfa, 0xed, 0xfe}), bytes.HasPrefix(head, []byte{0xcf, 0xfa, 0xed, 0xfe}),
		bytes.HasPrefix(head, []byte{0xca, 0xfe, 0xba, 0xbe}), bytes.HasPrefix(head, []byte("#!")),
		bytes.HasPrefix(head, []byte("\x00asm")):
		return "", refused("executable")
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return KindPDF, checkPDF(r, size)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return sniffZip(r, size)
	case bytes.HasPrefix(head, []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}):
		return "", refused("legacy_office")
	case bytes.HasPrefix(head, []byte("PK")), bytes.HasPrefix(head, []byte{0x1f, 0x8b}),
		bytes.HasPrefix(head, []byte("Rar!")), bytes.HasPrefix(head, []byte("7z\xbc\xaf")):
		return "", refused("archive")
	}
	if k := markup(head); k != "" {
		return "", refused(k)
	}
	if bytes.Contains(bytes.ToLower(head), []byte("%pdf-")) || bytes.Contains(head, []byte("PK\x03\x04")) {
		return "", refused("polyglot")
	}
	if err := checkText(r, size); err != nil {
		return "", err
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".md", ".markdown":
		return KindMarkdown, nil
	case ".csv":
		return KindCSV, nil
	}
	return KindText, nil
}

// markup recognises HTML, SVG and XML at the start of a text file (after a
// BOM and blanks): browsers would render them, so the library refuses them.
func markup(head []byte) string {
	h := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n\f")
	lower := bytes.ToLower(h)
	if len(lower) > 1024 {
		lower = lower[:1024]
	}
	if !bytes.HasPrefix(lower, []byte("<")) {
		return ""
	}
	switch {
	case bytes.Contains(lower, []byte("<svg")):
		return "svg"
	case bytes.HasPrefix(lower, []byte("<!doctype html")), bytes.Contains(lower, []byte("<html")),
		bytes.Contains(lower, []byte("<script")), bytes.Contains(lower, []byte("<body")),
		bytes.Contains(lower, []byte("<head")), bytes.Contains(lower, []byte("<iframe")),
		bytes.Contains(lower, []byte("<meta")), bytes.Contains(lower, []byte("<!doctype")):
		return "html"
	}
	return "markup"
}

// checkText accepts UTF-8 text without NUL or other control bytes. It
// reads through one reused buffer: a 100 MiB CSV is checked without
// allocating per chunk.
func checkText(r io.ReaderAt, size int64) error {
	const chunk = 64 << 10
	buf := make([]byte, chunk+utf8.UTFMax)
	carry := 0 // bytes of an incomplete rune kept at the start of buf
	for off := int64(0); ; {
		n, err := r.ReadAt(buf[carry:carry+chunk], off)
		if err != nil && err != io.EOF {
			return err
		}
		off += int64(n)
		data := buf[:carry+n]
		end := len(data)
		if off < size {
			// Keep an incomplete rune at the end for the next round.
			for i := 1; i <= utf8.UTFMax-1 && i <= len(data); i++ {
				if utf8.RuneStart(data[len(data)-i]) {
					if !utf8.FullRune(data[len(data)-i:]) {
						end = len(data) - i
					}
					break
				}
			}
		}
		if !utf8.Valid(data[:end]) {
			return refused("binary")
		}
		for _, b := range data[:end] {
			if b < 0x20 && b != '\n' && b != '\r' && b != '\t' && b != '\f' {
				return refused("binary")
			}
		}
		carry = copy(buf, data[end:])
		if off >= size || n == 0 {
			if carry > 0 {
				return refused("binary")
			}
			return nil
		}
	}
}

// checkPDF refuses PDFs that carry active content (scripts, launch
// actions, embedded files, rich media, XFA forms), encrypted PDFs, PDFs whose
// object streams cannot be read in full (see pdfScan), and polyglots that
// are also archives or HTML.
func checkPDF(r io.ReaderAt, size int64) error {
	key, err := scanPDF(r, size)
	if err != nil {
		return err
	}
	if key != "" {
		return refused(key)
	}
	var found string
	err = scan(r, size, func(window []byte) bool {
		if bytes.Contains(window, []byte("PK\x03\x04")) || bytes.Contains(window, []byte("PK\x05\x06")) {
			found = "polyglot"
			return true
		}
		return false
	})
	if err != nil {
		return err
	}
	if found != "" {
		return refused(found)
	}
	tail := make([]byte, min(size, 2048))
	if _, err := r.ReadAt(tail, size-int64(len(tail))); err != nil && err != io.EOF {
		return err
	}
	if !bytes.Contains(tail, []byte("%%EOF")) {
		return refused("damaged")
	}
	if markup(bytes.TrimSpace(tail[bytes.LastIndex(tail, []byte("%%EOF"))+5:])) != "" {
		return refused("polyglot")
	}
	return nil
}

func isNameChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// scan calls f on overlapping windows of the file until f returns true.
func scan(r io.ReaderAt, size int64, f func([]byte) bool) error {
	const chunk, overlap = 1 << 20, 32
	buf := make([]byte, chunk+overlap)
	var off int64
	keep := 0
	for off < size {
		n, err := r.ReadAt(buf[keep:], off)
		if err != nil && err != io.EOF {
			return err
		}
		if n == 0 {
			return nil
		}
		w := buf[:keep+n]
		if f(w) {
			return nil
		}
		off += int64(n)
		keep = min(overlap, len(w))
		copy(buf, w[len(w)-keep:])
	}
	return nil
}

// sniffZip tells the OOXML and OpenDocument formats apart and refuses
// macro-enabled documents, other archives and zip bombs. The central
// directory is judged first; an archive that passes and is of an accepted
// kind is then inflated entry by entry, counting the real bytes, since the
// sizes it declares are the attacker's to choose.
func sniffZip(r io.ReaderAt, size int64) (Kind, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return "", refused("damaged")
	}
	if len(zr.File) > maxZipEntries {
		return "", refused("zip_bomb_entries", len(zr.File), maxZipEntries)
	}
	var declared zipTally
	names := map[string]*zip.File{}
	for _, f := range zr.File {
		if err := declared.add(f.UncompressedSize64, f.CompressedSize64); err != nil {
			return "", err
		}
		name := strings.ToLower(f.Name)
		names[name] = f
		if strings.HasSuffix(name, "vbaproject.bin") || strings.HasSuffix(name, "vbadata.xml") ||
			strings.HasPrefix(name, "basic/") || strings.HasPrefix(name, "scripts/") || strings.HasSuffix(name, ".bin") && strings.Contains(name, "activex") {
			return "", refused("macros")
		}
		switch path.Ext(name) {
		case ".exe", ".dll", ".js", ".vbs", ".bat", ".cmd", ".ps1", ".scr", ".jar", ".msi", ".com", ".sh", ".html", ".htm", ".svg":
			return "", refused("archive_content")
		}
	}
	if err := declared.done(); err != nil {
		return "", err
	}
	kind, err := zipKind(names)
	if err != nil {
		return "", err
	}
	if err := inflateAll(zr); err != nil {
		return "", err
	}
	return kind, nil
}

func zipKind(names map[string]*zip.File) (Kind, error) {
	if ct, ok := names["[content_types].xml"]; ok {
		b, err := readEntry(ct, 1<<20)
		if err != nil {
			return "", refused("damaged")
		}
		lower := bytes.ToLower(b)
		if bytes.Contains(lower, []byte("macroenabled")) || bytes.Contains(lower, []byte("vbaproject")) {
			return "", refused("macros")
		}
		switch {
		case names["word/document.xml"] != nil:
			return KindDOCX, nil
		case names["xl/workbook.xml"] != nil:
			return KindXLSX, nil
		case names["ppt/presentation.xml"] != nil:
			return KindPPTX, nil
		}
		return "", refused("archive")
	}
	if mt, ok := names["mimetype"]; ok {
		b, err := readEntry(mt, 256)
		if err != nil {
			return "", refused("damaged")
		}
		switch strings.TrimSpace(string(b)) {
		case "application/vnd.oasis.opendocument.text":
			return KindODT, nil
		case "application/vnd.oasis.opendocument.spreadsheet":
			return KindODS, nil
		case "application/vnd.oasis.opendocument.presentation":
			return KindODP, nil
		}
	}
	return "", refused("archive")
}

// zipTally applies the archive limits to entry sizes, declared or real.
type zipTally struct{ total, compressed uint64 }

func (t *zipTally) add(expanded, compressed uint64) error {
	t.total += expanded
	t.compressed += compressed
	if expanded > maxZipEntrySize || t.total > maxZipExpanded {
		return refused("zip_bomb_size")
	}
	if expanded > 1<<20 && expanded/max(compressed, 1) > maxZipRatio {
		return refused("zip_bomb_ratio")
	}
	return nil
}

func (t *zipTally) done() error {
	if t.total > 1<<20 && t.total/max(t.compressed, 1) > maxZipRatio {
		return refused("zip_bomb_ratio")
	}
	return nil
}

// inflateAll reads every entry to its end through a limited reader, so no
// entry inflates past the limits whatever it declares. An entry that
// inflates to more than it declares is refused as the zip bomb it is (Go's
// reader stops it at the declared size; Office and other readers may not);
// one that fails its checksum or ends early is damaged.
func inflateAll(zr *zip.Reader) error {
	var real zipTally
	buf := make([]byte, 64<<10)
	for _, f := range zr.File {
		limit := min(uint64(maxZipEntrySize), maxZipExpanded-min(real.total, maxZipExpanded))
		rc, err := f.Open()
		if err != nil {
			return refused("damaged")
		}
		n, err := io.CopyBuffer(io.Discard, io.LimitReader(rc, int64(limit)+1), buf)
		rc.Close()
		switch {
		// Go's reader answers ErrFormat while reading only when the
		// entry passes its declared size.
		case uint64(n) > f.UncompressedSize64, errors.Is(err, zip.ErrFormat):
			return refused("zip_size_mismatch")
		case err != nil:
			return refused("damaged")
		}
		if err := real.add(uint64(n), f.CompressedSize64); err != nil {
			return err
		}
	}
	return real.done()
}

// readEntry inflates at most limit bytes of an archive entry.
func readEntry(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, limit))
}
