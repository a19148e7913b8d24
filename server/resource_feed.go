package server

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// showResourceFeed is the Atom feed of new resources, overall or of one
// group (?group=slug). It lists what the requester may see: feed readers
// usually come without a session, so in practice the public resources.
func (s *Server) showResourceFeed(c *fiber.Ctx) error {
	v, _, err := s.viewer(c)
	if err != nil {
		return err
	}
	title := s.T(c, "library.feed.title")
	self := s.cfg.BaseURL + "/library/feed.atom"
	groupID := ""
	if slug := c.Query("group"); slug != "" {
		g, err := s.auth.GroupBySlug(c.UserContext(), slug)
		if errors.Is(err, auth.ErrNotFound) || (err == nil && !auth.CanSeeGroup(currentMember(c), g)) {
			return fault.New(fault.NotFound, "error.404")
		}
		if err != nil {
			return err
		}
		groupID = g.ID
		title = s.T(c, "library.feed.group_title", g.Name)
		self += "?group=" + g.Slug
	}
	rs, err := s.lib.Recent(c.UserContext(), v, groupID, 50)
	if err != nil {
		return err
	}
	f := atomFeed{Title: title, ID: self, Updated: time.Unix(0, 0).UTC().Format(time.RFC3339),
		Links: []atomLink{{Href: self, Rel: "self", Type: "application/atom+xml"}, {Href: s.cfg.BaseURL + "/library", Rel: "alternate", Type: "text/html"}}}
	for i, r := range rs {
		if i == 0 {
			f.Updated = r.CreatedAt.Format(time.RFC3339)
		}
		link := s.cfg.BaseURL + "/library/" + r.ID
		f.Entries = append(f.Entries, atomEntry{Title: r.Title, ID: link, Updated: r.UpdatedAt.Format(time.RFC3339), Link: atomLink{Href: link}, Summary: r.Summary})
	}
	return s.sendAtom(c, f)
}
