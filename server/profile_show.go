package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

type profileData struct{ Groups []*auth.Group }

func (s *Server) showProfile(c *fiber.Ctx) error {
	gs, err := s.auth.GroupsOf(c.UserContext(), currentMember(c).ID)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "profile", s.newPage(c, s.T(c, "profile.title"), "profile", profileData{Groups: gs}))
}
