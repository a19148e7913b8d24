package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

type membersData struct{ Members []*auth.Member }

func (s *Server) listMembers(c *fiber.Ctx) error {
	ms, err := s.auth.ApprovedMembers(c.UserContext())
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "members", s.newPage(c, s.T(c, "members.title"), "members", membersData{Members: ms}))
}
