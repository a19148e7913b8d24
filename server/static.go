package server

import (
	"mime"
	"path"

	"github.com/gofiber/fiber/v2"
)

// serveStatic serves fingerprinted assets with a year of caching; the URL
// changes whenever the content does.
func (s *Server) serveStatic(c *fiber.Ctx) error {
	b, name, ok := s.assets.Open(c.Path())
	if !ok {
		return fiber.ErrNotFound
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = fiber.MIMEOctetStream
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	return c.Send(b)
}
