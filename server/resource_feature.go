package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/resources"
)

// saveResourceFeature marks or unmarks a resource as good practice
// (moderators and the coordinators of its group).
func (s *Server) saveResourceFeature(c *fiber.Ctx) error {
	r, err := s.curatedResource(c)
	if err != nil {
		return err
	}
	on := formValue(c, "good_practice") == "1"
	if on && r.Withdrawn != nil {
		return fault.New(fault.Conflict, "error.409")
	}
	if err := s.lib.SetGoodPractice(c.UserContext(), r.ID, on); err != nil {
		return err
	}
	flash := "flash.feature_removed"
	if on {
		flash = "flash.feature_added"
	}
	return s.redirectWithFlash(c, "/library/"+r.ID, flash)
}

// curatedResource is the resource of the path when the member may curate
// it (moderators and the coordinators of its group).
func (s *Server) curatedResource(c *fiber.Ctx) (*resources.Resource, error) {
	r, _, err := s.visibleResource(c)
	if err != nil {
		return nil, err
	}
	g, err := s.resourceGroup(c.UserContext(), r)
	if err != nil {
		return nil, err
	}
	if !auth.CanCurateResource(currentMember(c), g) {
		return nil, fault.New(fault.Forbidden, "error.403")
	}
	return r, nil
}
