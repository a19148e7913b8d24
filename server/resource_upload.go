package server

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/resources"
)

// option is one choice of a select or checkbox list.
type option struct{ Value, Label string }

// fieldError is a translated message for one form field; Label names the
// field in the error summary, away from the field itself.
type fieldError struct{ Field, Label, Message string }

type resourceFormData struct {
	Edit     bool
	Action   string
	ID       string
	Values   fieldValues
	Errors   map[string]string
	Problems []fieldError
	Options  map[string][]option
	Groups   []option
	// Countries are ISO 3166 codes with their names in the page's language,
	// in that language's alphabetical order.
	Countries []option
	MaxSize   string
}

// Error returns the message for a field, for the template.
func (d resourceFormData) Error(field string) string { return d.Errors[field] }

// formOptions translates every vocabulary the form offers.
func (s *Server) formOptions(lang string) map[string][]option {
	out := map[string][]option{}
	for _, v := range []string{resources.VocType, resources.VocStage, resources.VocProduct, resources.VocTheme, resources.VocFramework,
		resources.VocAmbition, resources.VocLicence, resources.VocAward, resources.VocLanguage} {
		for _, t := range s.lib.Tax.Terms(v) {
			out[v] = append(out[v], option{Value: t.ID, Label: t.Label(lang)})
		}
	}
	return out
}

// renderResourceForm shows the upload or edit form, with errors and input.
func (s *Server) renderResourceForm(c *fiber.Ctx, status int, d resourceFormData, err error) error {
	lang := s.lang(c)
	d.Options = s.formOptions(lang)
	d.MaxSize = humanBytes(s.cfg.UploadMaxBytes)
	d.Countries = resourceCountryOptions(lang)
	d.Errors = map[string]string{}
	if err != nil {
		var fes resources.FieldErrors
		if errors.As(err, &fes) {
			for _, fe := range fes {
				d.Errors[fe.Field] = s.T(c, fe.Key, fe.Args...)
				d.Problems = append(d.Problems, fieldError{fe.Field, s.T(c, "library.field."+fe.Field), d.Errors[fe.Field]})
			}
		} else if fe, ok := fault.As(err); ok {
			field := fe.Field
			if field == "" {
				field = "file"
			}
			d.Errors[field] = s.T(c, fe.Key, fe.Args...)
			d.Problems = append(d.Problems, fieldError{field, s.T(c, "library.field."+field), d.Errors[field]})
		}
	}
	if m := currentMember(c); m != nil {
		gs, gerr := s.auth.GroupsOf(c.UserContext(), m.ID)
		if gerr != nil {
			return gerr
		}
		for _, g := range gs {
			if auth.CanPublishToGroup(m, g) {
				d.Groups = append(d.Groups, option{Value: g.ID, Label: g.Name})
			}
		}
	}
	if d.Values == nil {
		d.Values = fieldValues{"visibility": {"members"}, "licence": {firstOf(s.siteSettings(c).DefaultLicence, "cc_by")}, "languages": {lang}}
	}
	title := "library.upload.title"
	if d.Edit {
		title = "library.edit.title"
	}
	return s.render(c, status, "resource_form", s.newPage(c, s.T(c, title), "library", d))
}

func (s *Server) showResourceUpload(c *fiber.Ctx) error {
	if !auth.CanShareResource(currentMember(c)) {
		return fault.New(fault.Forbidden, "error.403")
	}
	return s.renderResourceForm(c, fiber.StatusOK, resourceFormData{Action: "/library/upload"}, nil)
}

// createResource handles the upload page (a form post, or the page script's
// request that asks for JSON) and POST /api/v1/resources. The file streams
// to a checked temporary file, then into GridFS, then the resource is
// written; a retry with the same Idempotency-Key returns the first result.
func (s *Server) createResource(c *fiber.Ctx) error {
	m := currentMember(c)
	if !auth.CanShareResource(m) {
		return fault.New(fault.Forbidden, "error.403")
	}
	form, err := s.readUpload(c)
	defer form.close()
	meta := metaFrom(form.get, form.list)
	if err == nil && form.file == nil {
		// Everything else that is wrong is reported with the missing file,
		// so the member corrects the form once.
		errs := resources.FieldErrors{}
		if _, verr := s.lib.Validate(meta); verr != nil {
			errors.As(verr, &errs)
		}
		if gerr := s.checkGroup(c, meta); gerr != nil {
			var ges resources.FieldErrors
			if !errors.As(gerr, &ges) {
				return gerr
			}
			if errs.Field("group") == nil {
				errs = append(errs, ges...)
			}
		}
		err = append(errs, fault.New(fault.Invalid, "library.error.file_required").OnField("file"))
	}
	if err == nil {
		err = s.checkGroup(c, meta)
	}
	var r *resources.Resource
	created := false
	if err == nil {
		key := c.Get("Idempotency-Key")
		if key == "" {
			key = form.get("idempotency_key")
		}
		if len(key) > 200 {
			key = key[:200]
		}
		r, created, err = s.lib.Create(c.UserContext(), m.ID, meta, form.file, form.get("note"), key)
	}
	if err != nil {
		if fe, ok := fault.As(err); ok && (fe.Kind == fault.Invalid || fe.Kind == fault.TooLarge) && !s.wantsJSON(c) {
			status := fiber.StatusBadRequest
			if fe.Kind == fault.TooLarge {
				status = fiber.StatusRequestEntityTooLarge
			}
			return s.renderResourceForm(c, status, resourceFormData{Action: c.Path(), Values: fieldValues(form.fields)}, err)
		}
		return err
	}
	if s.wantsJSON(c) {
		status := fiber.StatusCreated
		if !created {
			status = fiber.StatusOK
		}
		c.Set(fiber.HeaderLocation, "/api/v1/resources/"+r.ID)
		return c.Status(status).JSON(toJSON(r))
	}
	return s.redirectWithFlash(c, "/library/"+r.ID, "flash.resource_created")
}
