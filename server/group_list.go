package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

type groupListItem struct {
	*auth.Group
	Size          int
	IsMember      bool
	IsCoordinator bool
}

type groupListData struct {
	Groups []groupListItem
	// SignIn invites visitors and pending members to sign in (or wait)
	// for the groups that are listed to approved members only.
	SignIn bool
}

// listGroups lists the groups the viewer may know about.
func (s *Server) listGroups(c *fiber.Ctx) error {
	gs, err := s.auth.Groups(c.UserContext())
	if err != nil {
		return err
	}
	viewer := currentMember(c)
	d := groupListData{SignIn: viewer == nil}
	for _, g := range gs {
		if !auth.CanListGroup(viewer, g) {
			continue
		}
		it := groupListItem{Group: g, Size: g.Size()}
		if viewer != nil {
			it.IsMember, it.IsCoordinator = g.HasMember(viewer.ID), g.IsCoordinator(viewer.ID)
		}
		d.Groups = append(d.Groups, it)
	}
	return s.render(c, fiber.StatusOK, "group_list", s.newPage(c, s.T(c, "groups.title"), "groups", d))
}
