package server

import (
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/fault"
)

// routePattern turns a route path with :params into an anchored regexp.
func routePattern(path string) *regexp.Regexp {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") {
			parts[i] = "[^/]+"
		} else {
			parts[i] = regexp.QuoteMeta(p)
		}
	}
	return regexp.MustCompile("^" + strings.Join(parts, "/") + "/?$")
}

// isUpload reports whether the request goes to a streaming upload route.
func (s *Server) isUpload(c *fiber.Ctx) bool {
	if c.Method() != fiber.MethodPost {
		return false
	}
	for _, re := range s.uploads {
		if re.MatchString(c.Path()) {
			return true
		}
	}
	return false
}

// streamsUpload reports a multipart body to an upload route: the only
// request whose body is not read into memory before the handler.
func (s *Server) streamsUpload(c *fiber.Ctx) bool {
	return s.isUpload(c) && strings.HasPrefix(string(c.Request().Header.ContentType()), fiber.MIMEMultipartForm)
}

// limitBody enforces PORTAL_BODY_MAX_BYTES on every route except the
// uploads. The server streams request bodies (see New), so this is where
// ordinary bodies are read into memory, never more than the limit: a
// declared length above it is refused before reading, a chunked body as
// soon as it passes it. The connection is closed after a 413, since the
// rest of the body was not read.
func (s *Server) limitBody(c *fiber.Ctx) error {
	if s.streamsUpload(c) {
		return c.Next()
	}
	req := c.Request()
	max := s.cfg.BodyMaxBytes
	if req.Header.ContentLength() > max {
		return refuseBody(c, max)
	}
	if stream := req.BodyStream(); stream != nil {
		b, err := io.ReadAll(io.LimitReader(stream, int64(max)+1))
		if err != nil {
			c.Context().SetConnectionClose()
			return fault.Wrap(fault.Invalid, err, "error.400")
		}
		if len(b) > max {
			return refuseBody(c, max)
		}
		req.SetBody(b)
	}
	return c.Next()
}

// lingerBytes bounds what is read and thrown away of a refused body.
const lingerBytes = 8 << 20

// refuseBody answers 413 and closes the connection, after reading what the
// client still sends (up to lingerBytes, for a few seconds): a socket
// closed with unread input makes the kernel answer with a reset, and a
// client still sending then reports a broken connection instead of the
// message that says what to fix.
func refuseBody(c *fiber.Ctx, max int) error {
	c.Context().SetConnectionClose()
	if stream := c.Request().BodyStream(); stream != nil {
		_ = c.Context().Conn().SetReadDeadline(time.Now().Add(3 * time.Second))
		_, _ = io.Copy(io.Discard, io.LimitReader(stream, lingerBytes))
	}
	return fault.New(fault.TooLarge, "error.413", humanBytes(max))
}
