package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// toggleResourceBookmark adds or removes the member's bookmark.
func (s *Server) toggleResourceBookmark(c *fiber.Ctx) error {
	r, _, err := s.visibleResource(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if !auth.CanReactToResource(m) {
		return fault.New(fault.Forbidden, "error.403")
	}
	on, err := s.lib.ToggleBookmark(c.UserContext(), r.ID, m.ID)
	if err != nil {
		return err
	}
	flash := "flash.bookmark_removed"
	if on {
		flash = "flash.bookmark_added"
	}
	return s.redirectWithFlash(c, "/library/"+r.ID, flash)
}
