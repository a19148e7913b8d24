package server

import (
	"errors"
	"io"
	"mime/multipart"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/resources"
)

const (
	maxUploadFields    = 200
	maxUploadFieldSize = 64 << 10
	// uploadReadTimeout replaces the server's read timeout for an upload,
	// so a 100 MiB file on a slow office line is not cut off.
	uploadReadTimeout = 30 * time.Minute
)

// uploadForm is a streamed multipart upload: the file spooled and checked,
// the other fields in memory (each small).
type uploadForm struct {
	fields map[string][]string
	file   *resources.Spooled
}

func (f *uploadForm) get(name string) string {
	if v := f.fields[name]; len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

// list returns a multi-valued field; a single value may also be a
// comma-separated list (API clients).
func (f *uploadForm) list(name string) []string {
	var out []string
	for _, v := range f.fields[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func (f *uploadForm) close() {
	if f.file != nil {
		f.file.Close()
	}
}

// readUpload reads a multipart body part by part from the request stream:
// fields into memory (bounded), the "file" part through the library's spool
// and checks, never the whole body into memory. A browser form sends its
// _csrf field first; a file part that comes before a valid token is refused
// unread. The caller closes the result.
func (s *Server) readUpload(c *fiber.Ctx) (*uploadForm, error) {
	form := &uploadForm{fields: map[string][]string{}}
	err := s.readParts(c, form)
	return form, err
}

func (s *Server) readParts(c *fiber.Ctx, form *uploadForm) error {
	if conn := c.Context().Conn(); conn != nil {
		_ = conn.SetReadDeadline(time.Now().Add(uploadReadTimeout))
	}
	// Fields and boundaries come on top of the file: allow 1 MiB for them.
	if cl := c.Request().Header.ContentLength(); cl > s.cfg.UploadMaxBytes+s.cfg.BodyMaxBytes {
		c.Context().SetConnectionClose()
		return fault.New(fault.TooLarge, "error.413", humanBytes(s.cfg.UploadMaxBytes)).OnField("file")
	}
	boundary := string(c.Request().Header.MultipartFormBoundary())
	if boundary == "" {
		return fault.New(fault.Invalid, "library.error.multipart")
	}
	pending, _ := c.Locals(localCSRFPending).(bool)
	body := c.Context().RequestBodyStream()
	mr := multipart.NewReader(body, boundary)
	n := 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			c.Context().SetConnectionClose()
			return fault.Wrap(fault.Invalid, err, "library.error.upload_interrupted").OnField("file")
		}
		name := part.FormName()
		if n++; n > maxUploadFields {
			return fault.New(fault.Invalid, "library.error.multipart")
		}
		if name == "file" && part.FileName() != "" {
			if pending {
				c.Context().SetConnectionClose()
				return fault.New(fault.Forbidden, "error.csrf")
			}
			if form.file != nil {
				return fault.New(fault.Invalid, "library.error.one_file").OnField("file")
			}
			sp, err := s.lib.Receive(c.UserContext(), part, part.FileName())
			if err != nil {
				if fe, ok := fault.As(err); ok && fe.Kind == fault.TooLarge {
					c.Context().SetConnectionClose()
					fe.Args = []any{humanBytes(s.cfg.UploadMaxBytes)}
				}
				return err
			}
			form.file = sp
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, maxUploadFieldSize+1))
		if err != nil || len(b) > maxUploadFieldSize {
			return fault.New(fault.Invalid, "library.error.multipart")
		}
		if name == "_csrf" && pending {
			if !s.validCSRF(c, string(b)) {
				c.Context().SetConnectionClose()
				return fault.New(fault.Forbidden, "error.csrf")
			}
			pending = false
			continue
		}
		form.fields[name] = append(form.fields[name], string(b))
	}
	if pending {
		c.Context().SetConnectionClose()
		return fault.New(fault.Forbidden, "error.csrf")
	}
	// Whatever follows the closing boundary (a CRLF, an epilogue) is read
	// too, or the server would take it for the next request.
	if n, _ := io.Copy(io.Discard, io.LimitReader(body, 64<<10)); n == 64<<10 {
		c.Context().SetConnectionClose()
	}
	return nil
}
