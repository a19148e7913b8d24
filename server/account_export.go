package server

import (
	"bytes"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

// exportAccount sends a ZIP of everything the portal stores about the
// member, one JSON file per feature's data (see privacy.Registry).
func (s *Server) exportAccount(c *fiber.Ctx) error {
	m := currentMember(c)
	var buf bytes.Buffer
	if err := s.privacy.Export(c.UserContext(), m.ID, &buf); err != nil {
		return err
	}
	s.audit(c, auth.AuditExport, m.ID, nil)
	name := fmt.Sprintf("portal-data-%s.zip", time.Now().UTC().Format("2006-01-02"))
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}
