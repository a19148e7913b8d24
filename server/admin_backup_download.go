package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

// downloadBackup streams the archive of a recorded run to an
// administrator. The file is found from the run's record (its name in the
// backup directory), never from a path in the request; an unknown run, or
// one whose archive retention deleted, is 404.
func (s *Server) downloadBackup(c *fiber.Ctx) error {
	f, r, err := s.backups.Archive(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	s.audit(c, auth.AuditBackupDownload, r.ID, map[string]string{"file": r.File})
	h := &c.Response().Header
	h.Set(fiber.HeaderContentType, "application/zip")
	h.Set(fiber.HeaderContentDisposition, contentDisposition(r.File))
	h.Set(fiber.HeaderContentSecurityPolicy, "sandbox; default-src 'none'")
	h.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	h.Set(fiber.HeaderCacheControl, "private, no-store")
	// fasthttp closes f once the body is sent.
	return c.SendStream(f, int(st.Size()))
}
