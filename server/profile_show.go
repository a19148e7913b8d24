package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

type profileData struct {
	Form      auth.Profile
	Errors    auth.FieldErrors
	Summary   []auth.FieldError
	OrgTypes  []Option
	Countries []Option
	Languages []Option
	Groups    []*auth.Group
	Review    *auth.Review
	// Link lists the enabled providers not yet linked to this account.
	Link []*providerEntry
}

func (s *Server) showProfile(c *fiber.Ctx) error {
	m := currentMember(c)
	return s.renderProfile(c, fiber.StatusOK, auth.ProfileOf(m), nil)
}

// renderProfile shows the profile page with a form, the member's own input
// and field errors when a save failed.
func (s *Server) renderProfile(c *fiber.Ctx, status int, form auth.Profile, errs auth.FieldErrors) error {
	m := currentMember(c)
	gs, err := s.auth.GroupsOf(c.UserContext(), m.ID)
	if err != nil {
		return err
	}
	lang := s.lang(c)
	var link []*providerEntry
	for _, p := range s.providers.buttons() {
		linked := false
		for _, id := range m.Identities {
			linked = linked || id.Provider == p.Key
		}
		if !linked {
			link = append(link, p)
		}
	}
	d := profileData{Form: form, Errors: errs, Summary: errs.InOrder(auth.ProfileFields...), Groups: gs, Review: m.Review, Link: link,
		Countries: countryOptions(lang, form.Country), Languages: languageOptions(lang, form.Languages)}
	for _, t := range auth.OrgTypes {
		d.OrgTypes = append(d.OrgTypes, Option{Value: string(t), Label: s.T(c, "orgtype."+string(t)), Selected: string(t) == form.OrgType})
	}
	return s.render(c, status, "profile", s.newPage(c, s.T(c, "profile.title"), "profile", d))
}
