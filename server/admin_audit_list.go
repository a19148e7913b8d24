package server

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

const auditPageSize = 50

type auditData struct {
	Entries []*auth.AuditEntry
	Names   map[string]string
	Page    int
	Next    bool
}

// listAudit shows the audit log to administrators, newest first, with the
// names of actors and targets fetched in one batched query.
func (s *Server) listAudit(c *fiber.Ctx) error {
	page, _ := strconv.Atoi(c.Query("page", "1"))
	if page < 1 || page > 100000 {
		page = 1
	}
	es, err := s.auth.AuditLog(c.UserContext(), "", (page-1)*auditPageSize, auditPageSize+1)
	if err != nil {
		return err
	}
	d := auditData{Page: page, Names: map[string]string{}}
	if len(es) > auditPageSize {
		d.Next, es = true, es[:auditPageSize]
	}
	d.Entries = es
	var ids []string
	for _, e := range es {
		ids = append(ids, e.Actor, e.Target)
	}
	ms, err := s.auth.MembersByID(c.UserContext(), ids)
	if err != nil {
		return err
	}
	for id, m := range ms {
		d.Names[id] = m.Name
	}
	p, err := s.adminPage(c, s.T(c, "admin.audit.title"), "audit", d)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "admin_audit", p)
}
