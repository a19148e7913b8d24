package server

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

type invitationCreatedData struct {
	Group      *auth.Group
	Invitation *auth.Invitation
	Link       string
}

// createGroupInvitation makes an invitation link and shows it once, on the
// response itself: only its hash is stored, so it cannot be shown again
// after a redirect (like a new API token).
func (s *Server) createGroupInvitation(c *fiber.Ctx) error {
	g, err := s.findGroup(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if !auth.CanManageGroup(m, g) {
		return fault.New(fault.Forbidden, "error.403")
	}
	f := newGroupForm()
	f.Days, f.MaxUses = strings.TrimSpace(formValue(c, "days")), strings.TrimSpace(formValue(c, "max_uses"))
	days, err := strconv.Atoi(f.Days)
	if err != nil || days < 1 || days > auth.MaxInvitationDays {
		f.Errors["days"] = s.T(c, "invitation.error.days", auth.MaxInvitationDays)
	}
	uses, err := strconv.Atoi(f.MaxUses)
	if err != nil || uses < 1 || uses > auth.MaxInvitationUses {
		f.Errors["max_uses"] = s.T(c, "invitation.error.uses", auth.MaxInvitationUses)
	}
	if len(f.Errors) > 0 {
		return s.renderGroup(c, g, fiber.StatusBadRequest, f)
	}
	secret, inv, err := s.auth.CreateInvitation(c.UserContext(), g.ID, m.ID, days, uses)
	if err != nil {
		if s.groupFieldError(c, &f, err) {
			return s.renderGroup(c, g, fiber.StatusBadRequest, f)
		}
		return err
	}
	s.audit(c, auth.AuditInvite, "", map[string]string{"group": g.Slug, "invitation": inv.ID,
		"max_uses": strconv.Itoa(inv.MaxUses), "expires_at": inv.ExpiresAt.Format(time.RFC3339)})
	d := invitationCreatedData{Group: g, Invitation: inv, Link: strings.TrimSuffix(s.cfg.BaseURL, "/") + auth.InvitationPath(secret)}
	return s.render(c, fiber.StatusCreated, "group_invitation_created", s.newPage(c, s.T(c, "invitation.created.title"), "groups", d))
}
