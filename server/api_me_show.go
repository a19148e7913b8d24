package server

import (
	"github.com/gofiber/fiber/v2"
)

type groupRef struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// showMe returns the caller's identity and groups as JSON.
func (s *Server) showMe(c *fiber.Ctx) error {
	m := currentMember(c)
	gs, err := s.auth.GroupsOf(c.UserContext(), m.ID)
	if err != nil {
		return err
	}
	refs := make([]groupRef, 0, len(gs))
	for _, g := range gs {
		refs = append(refs, groupRef{ID: g.ID, Slug: g.Slug, Name: g.Name})
	}
	return c.JSON(fiber.Map{"id": m.ID, "name": m.Name, "role": m.Role, "status": m.Status, "groups": refs})
}
