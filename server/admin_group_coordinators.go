package server

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// addGroupCoordinator names an approved member, by e-mail address, as a
// coordinator of the group.
func (s *Server) addGroupCoordinator(c *fiber.Ctx) error {
	g, err := s.manageableGroup(c)
	if err != nil {
		return err
	}
	cf := coordinatorForm{Email: strings.TrimSpace(formValue(c, "email"))}
	m, err := s.coordinatorByEmail(c, "email", cf.Email)
	if err == nil && g.IsCoordinator(m.ID) {
		return s.redirectWithFlash(c, "/admin/groups/"+g.Slug, "flash.group.coordinator_added")
	}
	if err == nil {
		err = s.auth.AddCoordinator(c.UserContext(), g.ID, m.ID)
	}
	if err != nil {
		var problems []formProblem
		errs := map[string]string{}
		if s.formFail(c, errs, &problems, err) {
			cf.Error = errs["email"]
			return s.renderGroupForm(c, fiber.StatusBadRequest, g, groupFormOf(g), cf)
		}
		return err
	}
	s.audit(c, auth.AuditCoordAdd, m.ID, map[string]string{"group": g.Slug})
	return s.redirectWithFlash(c, "/admin/groups/"+g.Slug, "flash.group.coordinator_added")
}

// removeGroupCoordinator makes a coordinator an ordinary member of the
// group; the last coordinator is kept.
func (s *Server) removeGroupCoordinator(c *fiber.Ctx) error {
	g, err := s.manageableGroup(c)
	if err != nil {
		return err
	}
	id := c.Params("id")
	if !g.IsCoordinator(id) {
		return fault.New(fault.NotFound, "error.404")
	}
	if err := s.auth.RemoveCoordinator(c.UserContext(), g.ID, id); err != nil {
		if errors.Is(err, auth.ErrLastCoordinator) {
			return s.renderGroupForm(c, fiber.StatusBadRequest, g, groupFormOf(g), coordinatorForm{Error: s.T(c, "group.error.last_coordinator")})
		}
		return authNotFound(err)
	}
	s.conns.recheckGroupMember(g.ID, id) // as for a removal from the group
	s.audit(c, auth.AuditCoordRemove, id, map[string]string{"group": g.Slug})
	return s.redirectWithFlash(c, "/admin/groups/"+g.Slug, "flash.group.coordinator_removed")
}

// archiveGroup archives (archive=1) or restores a group. Its content stays
// readable; nothing new can be added while it is archived.
func (s *Server) archiveGroup(c *fiber.Ctx) error {
	g, err := s.manageableGroup(c)
	if err != nil {
		return err
	}
	archive := formValue(c, "archive") == "1"
	if err := s.auth.SetGroupArchived(c.UserContext(), g.ID, archive); err != nil {
		return authNotFound(err)
	}
	s.conns.recheckGroup(g.ID)
	action, flash := auth.AuditGroupRestore, "flash.group.restored"
	if archive {
		action, flash = auth.AuditGroupArchive, "flash.group.archived"
	}
	s.audit(c, action, "", map[string]string{"group": g.Slug})
	return s.redirectWithFlash(c, "/admin/groups/"+g.Slug, flash)
}
