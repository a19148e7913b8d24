package server

import "github.com/gofiber/fiber/v2"

type sectionData struct{ Intro, Empty string }

// showSection renders the landing page of an area whose content arrives with
// later features (library, discussions, workshops).
func (s *Server) showSection(name string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := s.newPage(c, s.T(c, name+".title"), name, sectionData{Intro: name + ".intro", Empty: name + ".empty"})
		return s.render(c, fiber.StatusOK, "section", p)
	}
}
