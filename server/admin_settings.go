package server

import (
	"io"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/frontend"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/site"
)

const (
	localSite          = "site_settings"
	auditSettingsSaved = "site_settings_changed"
	// logoCache: the address changes with the content, so it never goes stale.
	logoCache = "public, max-age=31536000, immutable"
)

// siteSettings returns the portal's own words for this request, read once
// (by _id) and kept in the request's locals. A database error is logged and
// the built-in words are used: a page is better than an error for this.
func (s *Server) siteSettings(c *fiber.Ctx) *site.Settings {
	if st, ok := c.Locals(localSite).(*site.Settings); ok {
		return st
	}
	st, err := s.site.Settings(c.UserContext())
	if err != nil {
		s.log.Error("site settings unavailable; built-in words used", "err", err, "request_id", requestID(c))
		st = &site.Settings{}
	}
	c.Locals(localSite, st)
	return st
}

type siteSettingsData struct {
	Form     *site.Settings
	Langs    []LangChoice
	Licences []option
	Errors   map[string]string
	Problems []formProblem
	Max      map[string]int
	// Built-in texts by field and language, shown as placeholders.
	BuiltIn map[string]map[string]string
}

func (s *Server) renderSettings(c *fiber.Ctx, status int, st *site.Settings, errs map[string]string, problems []formProblem) error {
	lang := s.lang(c)
	d := siteSettingsData{Form: st, Errors: errs, Problems: problems,
		Max: map[string]int{"name": site.MaxName, "tagline": site.MaxTagline, "intro": site.MaxIntro, "conduct": site.MaxConduct,
			"logo_kib": site.MaxLogoBytes >> 10, "logo_side": site.MaxLogoSide},
		BuiltIn: map[string]map[string]string{"name": {}, "tagline": {}, "intro": {}, "conduct": {}}}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	for _, l := range frontend.Languages {
		d.Langs = append(d.Langs, LangChoice{Code: l, Name: frontend.LanguageNames[l], Current: len(st.Languages) == 0 || slices.Contains(st.Languages, l)})
		d.BuiltIn["name"][l], d.BuiltIn["tagline"][l], d.BuiltIn["intro"][l] = s.catalog.T(l, "site.name"), s.catalog.T(l, "site.tagline"), s.catalog.T(l, "home.lead")
		d.BuiltIn["conduct"][l] = s.catalog.T(l, "profile.conduct.hint")
	}
	for _, t := range s.lib.Tax.Terms(resources.VocLicence) {
		d.Licences = append(d.Licences, option{Value: t.ID, Label: t.Label(lang)})
	}
	p, err := s.adminPage(c, s.T(c, "admin.section.settings"), "settings", d)
	if err != nil {
		return err
	}
	return s.render(c, status, "admin_settings", p)
}

// showSettings shows the portal's own words and defaults to administrators.
func (s *Server) showSettings(c *fiber.Ctx) error {
	st, err := s.site.Settings(c.UserContext())
	if err != nil {
		return err
	}
	return s.renderSettings(c, fiber.StatusOK, st, nil, nil)
}

// saveSettings saves them; refused input comes back with the form.
func (s *Server) saveSettings(c *fiber.Ctx) error {
	st := &site.Settings{Names: map[string]string{}, Taglines: map[string]string{}, Intros: map[string]string{},
		Contact: formValue(c, "contact"), DefaultLicence: formValue(c, "licence")}
	st.Conducts = map[string]string{}
	for _, l := range frontend.Languages {
		st.Names[l], st.Taglines[l], st.Intros[l] = formValue(c, "name_"+l), formValue(c, "tagline_"+l), formValue(c, "intro_"+l)
		st.Conducts[l] = formValue(c, "conduct_"+l)
	}
	for _, l := range formValues(c, "languages") {
		if !slices.Contains(st.Languages, l) {
			st.Languages = append(st.Languages, l)
		}
	}
	old, err := s.site.Settings(c.UserContext())
	if err != nil {
		return err
	}
	st.Logo = old.Logo
	logo, err := formLogo(c)
	if err == nil {
		err = st.Validate(frontend.Languages, func(id string) bool { return s.lib.Tax.Has(resources.VocLicence, id) })
	}
	if err != nil {
		errs, problems := map[string]string{}, []formProblem{}
		if s.formFail(c, errs, &problems, err) {
			return s.renderSettings(c, fiber.StatusBadRequest, st, errs, problems)
		}
		return err
	}
	details := map[string]string{}
	if logo != nil {
		if err := s.site.SaveLogo(c.UserContext(), logo); err != nil {
			return err
		}
		st.Logo = &logo.LogoRef
		details["logo"] = logo.Hash
	}
	st.ConductVersion = st.NextConductVersion(old)
	if err := s.site.Save(c.UserContext(), *st); err != nil {
		return err
	}
	c.Locals(localSite, st) // the redirect's page is another request; this one is done
	if st.ConductVersion != old.ConductVersion {
		details["conduct_version"] = itoa(st.ConductVersion)
	}
	s.audit(c, auditSettingsSaved, "", details)
	return s.redirectWithFlash(c, "/admin/settings", "flash.settings.saved")
}

// formLogo returns the logo the settings form carries, checked, or nil when
// none was chosen. The form is multipart for it; its body is bounded by
// PORTAL_BODY_MAX_BYTES like every form (limitBody answers 413 above it).
func formLogo(c *fiber.Ctx) (*site.Logo, error) {
	if !strings.HasPrefix(string(c.Request().Header.ContentType()), fiber.MIMEMultipartForm) {
		return nil, nil
	}
	mf, err := c.MultipartForm()
	if err != nil || mf == nil || len(mf.File["logo"]) == 0 || mf.File["logo"][0].Size == 0 {
		return nil, nil
	}
	// One byte over the limit is enough for NewLogo to refuse the size.
	f, err := mf.File["logo"][0].Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, site.MaxLogoBytes+1))
	if err != nil {
		return nil, err
	}
	return site.NewLogo(data)
}

// removeLogo restores the built-in icon in the header.
func (s *Server) removeLogo(c *fiber.Ctx) error {
	st, err := s.site.Settings(c.UserContext())
	if err != nil {
		return err
	}
	if st.Logo != nil {
		st.Logo = nil
		if err := s.site.Save(c.UserContext(), *st); err != nil {
			return err
		}
		if err := s.site.RemoveLogo(c.UserContext()); err != nil {
			return err
		}
		s.audit(c, auditSettingsSaved, "", map[string]string{"logo": "removed"})
	}
	return s.redirectWithFlash(c, "/admin/settings", "flash.settings.logo_removed")
}

// showLogo serves the logo at its content-hash address: any other hash is
// 404, so the long cache can never keep a replaced image.
func (s *Server) showLogo(c *fiber.Ctx) error {
	hash, ext, ok := strings.Cut(c.Params("file"), ".")
	if !ok || hash == "" {
		return fault.New(fault.NotFound, "error.404")
	}
	l, err := s.site.Logo(c.UserContext())
	if err != nil {
		return err
	}
	if l == nil || l.Hash != hash || l.Ext != ext {
		return fault.New(fault.NotFound, "error.404")
	}
	c.Set(fiber.HeaderContentType, l.ContentType)
	c.Set(fiber.HeaderCacheControl, logoCache)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.Send(l.Data)
}
