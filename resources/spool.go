package resources

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/circularfairict/portal/fault"
)

// Spooled is an upload written to a private temporary file while it was
// read: the bytes never sit in memory as a whole, and the checks that need
// random access (the archive's central directory, a PDF's trailer) and the
// virus scan run before anything reaches the database.
type Spooled struct {
	f      *os.File
	Size   int64
	SHA256 string
	// Name is the member's file name, cleaned, and once the file is
	// checked, with its kind's extension (DownloadName); it is only ever
	// shown and sent back in Content-Disposition, never a storage key.
	Name string
	Kind Kind
	Text string
}

// ErrTooLarge is wrapped by the fault returned when an upload exceeds the limit.
var ErrTooLarge = errors.New("resources: upload too large")

// Spool copies r into a temporary file under dir, at most max bytes, hashing
// as it goes. A longer body fails with a TooLarge fault as soon as the limit
// is passed, without reading the rest.
func Spool(ctx context.Context, dir string, r io.Reader, name string, max int64) (*Spooled, error) {
	f, err := os.CreateTemp(dir, "upload-*")
	if err != nil {
		return nil, fault.Wrap(fault.Internal, err, "error.500")
	}
	sp := &Spooled{f: f, Name: CleanFilename(name)}
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(f, h), &ctxReader{ctx: ctx, r: io.LimitReader(r, max+1)}, make([]byte, 256<<10))
	if err != nil {
		sp.Close()
		if fe, ok := fault.As(err); ok {
			return nil, fe
		}
		return nil, fault.Wrap(fault.Invalid, err, "library.error.upload_interrupted").OnField("file")
	}
	if n > max {
		sp.Close()
		return nil, fault.Wrap(fault.TooLarge, ErrTooLarge, "error.413", humanSize(max)).OnField("file")
	}
	sp.Size = n
	sp.SHA256 = hex.EncodeToString(h.Sum(nil))
	return sp, nil
}

// ReadAt reads the spooled bytes.
func (sp *Spooled) ReadAt(p []byte, off int64) (int, error) { return sp.f.ReadAt(p, off) }

// Reader returns a reader over the whole file.
func (sp *Spooled) Reader() io.Reader { return io.NewSectionReader(sp.f, 0, sp.Size) }

// Close removes the temporary file.
func (sp *Spooled) Close() {
	if sp.f != nil {
		name := sp.f.Name()
		_ = sp.f.Close()
		_ = os.Remove(name)
		sp.f = nil
	}
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// CleanFilename keeps the base name of what the browser sent, without
// path separators, double quotes, control characters (Cc), format
// characters (Cf: the bidi overrides and isolates that make
// "a\u202etxt.exe" display as "aexe.txt", zero-width joiners and spaces,
// the BOM) or line and paragraph separators, at most 200 bytes. Invalid
// UTF-8 becomes U+FFFD. Cleaning a clean name changes nothing.
func CleanFilename(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = filepath.Base("/" + name)
	name = strings.Map(func(r rune) rune {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) || r == '/' || r == '"' {
			return -1
		}
		return r
	}, name)
	// Clipped before trimming, so a cut that ends in a dot or a space is
	// trimmed too. Dots and spaces in any mix at either end (" . " left
	// "." before).
	name = strings.TrimFunc(clip(name, 200), func(r rune) bool { return r == '.' || unicode.IsSpace(r) })
	if name == "" {
		name = "file"
	}
	return name
}

// DownloadName is the name a file of kind is stored and served under: the
// member's name, cleaned, with the extension of the kind sniffed from its
// bytes. A name that already ends in it keeps it; otherwise an extension
// (a dot and one to ten letters or digits, at least one a letter) is
// replaced, and anything else is kept and the extension appended: "x.html"
// sent as text is "x.txt", "Criteria v2.1" as PDF is "Criteria v2.1.pdf".
// Names stored before this rule get it when they are served.
func DownloadName(name string, kind Kind) string {
	name = CleanFilename(name)
	exts := kind.extensions()
	if len(exts) == 0 {
		return name
	}
	lower := strings.ToLower(name)
	for _, e := range exts {
		if strings.HasSuffix(lower, e) && len(name) > len(e) {
			return name
		}
	}
	base := name
	if i := strings.LastIndexByte(name, '.'); i > 0 && isExtension(name[i+1:]) {
		base = name[:i]
	}
	return CleanFilename(clip(base, 200-len(exts[0])) + exts[0])
}

// isExtension reports whether s looks like a file extension rather than
// part of a name ("1 final" in "Criteria 2.1 final" does not).
func isExtension(s string) bool {
	if len(s) == 0 || len(s) > 10 {
		return false
	}
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return letter
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return itoa(n>>10) + " KiB"
	}
	return itoa(n) + " bytes"
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
