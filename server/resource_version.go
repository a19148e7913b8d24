package server

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/resources"
)

// createResourceVersion adds a file as the next version of a resource
// (owner or moderator), with a change note.
func (s *Server) createResourceVersion(c *fiber.Ctx) error {
	r, err := s.editableResource(c)
	if err != nil {
		return err
	}
	form, err := s.readUpload(c)
	defer form.close()
	if err == nil && form.file == nil {
		err = resources.FieldErrors{fault.New(fault.Invalid, "library.error.file_required").OnField("file")}
	}
	if err == nil {
		r, err = s.lib.AddVersion(c.UserContext(), r.ID, currentMember(c).ID, form.file, form.get("note"))
	}
	if err != nil {
		var fes resources.FieldErrors
		if fe, ok := fault.As(err); ok && !s.wantsJSON(c) && (fe.Kind == fault.Invalid || fe.Kind == fault.TooLarge || errors.As(err, &fes)) {
			return s.redirectWithFlash(c, "/library/"+r.ID+"#versions", "flash.version_refused")
		}
		return err
	}
	if s.wantsJSON(c) {
		return c.Status(fiber.StatusCreated).JSON(toJSON(r))
	}
	return s.redirectWithFlash(c, "/library/"+r.ID+"#versions", "flash.version_added")
}
