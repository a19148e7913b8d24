package server

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/fault"
)

// downloadResource serves the latest version (the stable link) or version
// :n (its permanent link). Visibility is checked on every request, so a
// copied link does not outlive the right to see the resource. The file is
// served defensively: as an attachment with an RFC 6266 file name, its
// sniffed type, nosniff, and a sandbox policy in case a browser renders it
// anyway. ETag and single byte ranges let downloads resume.
func (s *Server) downloadResource(c *fiber.Ctx) error {
	r, _, err := s.visibleResource(c)
	if err != nil {
		return err
	}
	n := r.Latest
	if p := c.Params("n"); p != "" {
		if n, err = strconv.Atoi(p); err != nil || n < 1 {
			return fault.New(fault.NotFound, "error.404")
		}
	}
	v := r.VersionN(n)
	if v.N == 0 {
		return fault.New(fault.NotFound, "error.404")
	}
	etag := `"` + v.SHA256() + `"`
	h := &c.Response().Header
	h.Set(fiber.HeaderContentType, v.Kind.ContentType())
	h.Set(fiber.HeaderContentDisposition, contentDisposition(v.DownloadName()))
	h.Set(fiber.HeaderContentSecurityPolicy, "sandbox; default-src 'none'")
	h.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	h.Set(fiber.HeaderETag, etag)
	h.Set(fiber.HeaderAcceptRanges, "bytes")
	// Revalidate every time: the ETag makes that cheap, and visibility may change.
	h.Set(fiber.HeaderCacheControl, "private, no-cache")
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatch(inm, etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}

	size := v.Size
	start, length := int64(0), size
	status := fiber.StatusOK
	if rng := c.Get(fiber.HeaderRange); rng != "" && (c.Get(fiber.HeaderIfRange) == "" || c.Get(fiber.HeaderIfRange) == etag) {
		a, b, ok, satisfiable := parseRange(rng, size)
		if ok && !satisfiable {
			h.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes */%d", size))
			h.Del(fiber.HeaderContentDisposition)
			h.SetContentType(fiber.MIMETextPlainCharsetUTF8)
			return c.Status(fiber.StatusRequestedRangeNotSatisfiable).SendString(s.T(c, "error.416"))
		}
		if ok {
			start, length = a, b-a+1
			status = fiber.StatusPartialContent
			h.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", a, b, size))
		}
	}
	f, err := s.lib.OpenVersion(c.UserContext(), v)
	if err != nil {
		return err
	}
	if start > 0 {
		if _, err := f.Skip(start); err != nil {
			f.Close()
			return err
		}
	}
	if start == 0 {
		if err := s.lib.CountDownload(c.UserContext(), r.ID); err != nil {
			s.log.Warn("download count failed", "err", err, "request_id", requestID(c))
		}
	}
	c.Status(status)
	// fasthttp closes the stream after writing it.
	c.Context().SetBodyStream(struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, length), f}, int(length))
	return nil
}

// contentDisposition builds an attachment header with an ASCII fallback and
// the UTF-8 name per RFC 6266 / RFC 8187. Callers pass a name cleaned by
// resources.DownloadName (no bidi or other format characters, the
// extension of the sniffed kind); the fallback drops what is left outside
// printable ASCII.
func contentDisposition(name string) string {
	var ascii strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r == 0x7f || r == '"' || r == '\\' || r == ';':
		case r > 0x7e:
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
	}
	fallback := ascii.String()
	if fallback == "" {
		fallback = "file"
	}
	return `attachment; filename="` + fallback + `"; filename*=UTF-8''` + extValue(name)
}

// extValue percent-encodes name as the value-chars of RFC 8187: only
// attr-char stays as it is. url.PathEscape is not enough, since it keeps
// ':', '=' and '@', which a strict parser then refuses in filename*.
func extValue(name string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == etag || t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// parseRange reads a single "bytes=" range. ok is false when the header is
// not one we serve partially (malformed, several ranges): the whole file is
// sent then. satisfiable is false when the range lies outside the file.
func parseRange(h string, size int64) (start, end int64, ok, satisfiable bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, false
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, false
	}
	if a == "" { // suffix: the last b bytes
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, false, false
		}
		if n == 0 || size == 0 {
			return 0, 0, true, false
		}
		return max(size-n, 0), size - 1, true, true
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil || start < 0 {
		return 0, 0, false, false
	}
	end = size - 1
	if b != "" {
		if end, err = strconv.ParseInt(b, 10, 64); err != nil || end < start {
			return 0, 0, false, false
		}
		end = min(end, size-1)
	}
	if start >= size {
		return 0, 0, true, false
	}
	return start, end, true, true
}
