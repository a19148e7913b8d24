package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

// saveProfile stores the member's profile. A pending member's first complete
// profile sends them to the review queue.
func (s *Server) saveProfile(c *fiber.Ctx) error {
	m := currentMember(c)
	form := auth.Profile{
		Name: formValue(c, "name"), Organisation: formValue(c, "organisation"), OrgType: formValue(c, "org_type"),
		Country: formValue(c, "country"), Languages: formValues(c, "languages"), JobTitle: formValue(c, "job_title"),
		Buyer: formValue(c, "buyer"), Conduct: formValue(c, "conduct") == "yes", TimeZone: formValue(c, "time_zone"),
	}
	errs := form.Validate()
	if _, ok := errs["country"]; !ok && !validCountry(form.Country) {
		errs["country"] = "profile.error.country"
	}
	for _, l := range form.Languages {
		if !validLanguage(l) {
			errs["languages"] = "profile.error.languages"
		}
	}
	if len(errs) > 0 {
		return s.renderProfile(c, fiber.StatusBadRequest, form, errs)
	}
	first := m.ProfileCompletedAt.IsZero()
	if err := s.auth.SaveProfile(c.UserContext(), m.ID, form); err != nil {
		return err
	}
	if v := s.siteSettings(c).ConductVersion; m.ConductAcceptedAt.IsZero() && v > 0 {
		// Accepted with the profile: the version shown is the current one.
		if err := s.auth.AcceptConduct(c.UserContext(), m.ID, v); err != nil {
			return err
		}
	}
	if first {
		s.audit(c, auth.AuditProfile, m.ID, nil)
	}
	flash := "flash.profile_saved"
	if first && m.Status == auth.StatusPending {
		flash = "flash.profile_submitted"
	}
	return s.redirectWithFlash(c, "/profile", flash)
}
