package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/resources"
)

// reportedResources is the library part of the review queue: reported
// resources whose curator the member is (moderators: all; coordinators:
// their groups' resources).
func (s *Server) reportedResources(c *fiber.Ctx) ([]resources.Reported, error) {
	all, err := s.lib.OpenReports(c.UserContext())
	if err != nil {
		return nil, err
	}
	m := currentMember(c)
	out := all[:0]
	for _, r := range all {
		g, err := s.resourceGroup(c.UserContext(), r.Resource)
		if err != nil {
			return nil, err
		}
		if auth.CanCurateResource(m, g) {
			out = append(out, r)
		}
	}
	return out, nil
}

// dismissResourceReports closes a resource's open reports without acting
// on the resource (withdrawing it closes them too).
func (s *Server) dismissResourceReports(c *fiber.Ctx) error {
	r, err := s.curatedResource(c)
	if err != nil {
		return err
	}
	if err := s.lib.ResolveReports(c.UserContext(), r.ID, currentMember(c).ID); err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/discussions/review", "flash.reports_dismissed")
}
