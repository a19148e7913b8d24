package server

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

type invitationData struct {
	Group      *auth.Group
	Languages  string
	Invitation *auth.Invitation
	// Problem is the message key saying why the link cannot be used.
	Problem  string
	IsMember bool
}

// showGroupInvitation says which group an invitation link leads to and asks
// for confirmation; links that cannot be used get a page saying why.
func (s *Server) showGroupInvitation(c *fiber.Ctx) error {
	inv, g, err := s.invitation(c)
	switch {
	case errors.Is(err, auth.ErrNotFound):
		return s.renderInvitationProblem(c, fiber.StatusNotFound, "invitation.error.unknown")
	case err != nil:
		return err
	}
	m := currentMember(c)
	d := invitationData{Group: g, Invitation: inv, Languages: languageNames(s.lang(c), g.Languages)}
	if !auth.CanUseInvitation(m, g) {
		d.IsMember = g.HasMember(m.ID)
		return s.render(c, fiber.StatusOK, "group_invitation", s.newPage(c, s.T(c, "invitation.title"), "groups", d))
	}
	switch {
	case inv.Expired(time.Now()):
		return s.renderInvitationProblem(c, fiber.StatusGone, "invitation.error.expired")
	case inv.UsedUp():
		return s.renderInvitationProblem(c, fiber.StatusGone, "invitation.error.used_up")
	}
	return s.render(c, fiber.StatusOK, "group_invitation", s.newPage(c, s.T(c, "invitation.title"), "groups", d))
}

// acceptGroupInvitation joins the group; each use is counted atomically.
func (s *Server) acceptGroupInvitation(c *fiber.Ctx) error {
	_, g, err := s.invitation(c)
	switch {
	case errors.Is(err, auth.ErrNotFound):
		return s.renderInvitationProblem(c, fiber.StatusNotFound, "invitation.error.unknown")
	case err != nil:
		return err
	}
	m := currentMember(c)
	if !auth.CanUseInvitation(m, g) {
		return s.redirectWithFlash(c, groupPath(g), "flash.group_already_member")
	}
	inv, g, joined, err := s.auth.UseInvitation(c.UserContext(), c.Params("secret"), m.ID)
	switch {
	case errors.Is(err, auth.ErrNotFound):
		return s.renderInvitationProblem(c, fiber.StatusNotFound, "invitation.error.unknown")
	case errors.Is(err, auth.ErrInvitationExpired):
		return s.renderInvitationProblem(c, fiber.StatusGone, "invitation.error.expired")
	case errors.Is(err, auth.ErrInvitationUsedUp):
		return s.renderInvitationProblem(c, fiber.StatusGone, "invitation.error.used_up")
	case err != nil:
		return err
	}
	if !joined {
		return s.redirectWithFlash(c, groupPath(g), "flash.group_already_member")
	}
	s.audit(c, auth.AuditInviteUse, m.ID, map[string]string{"group": g.Slug, "invitation": inv.ID})
	return s.redirectWithFlash(c, groupPath(g), "flash.group_joined")
}

// invitation loads the invitation named by :secret and its group; unknown
// and malformed links, and links whose group is gone, are ErrNotFound.
func (s *Server) invitation(c *fiber.Ctx) (*auth.Invitation, *auth.Group, error) {
	ctx := c.UserContext()
	inv, err := s.auth.InvitationBySecret(ctx, c.Params("secret"))
	if err != nil {
		return nil, nil, err
	}
	g, err := s.auth.Group(ctx, inv.GroupID)
	if err != nil {
		return nil, nil, err
	}
	return inv, g, nil
}

func (s *Server) renderInvitationProblem(c *fiber.Ctx, status int, key string) error {
	return s.render(c, status, "group_invitation", s.newPage(c, s.T(c, "invitation.invalid.title"), "groups", invitationData{Problem: key}))
}
