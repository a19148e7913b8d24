package server

import (
	"encoding/xml"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

type libraryFeed struct {
	XMLName xml.Name           `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string             `xml:"title"`
	ID      string             `xml:"id"`
	Updated string             `xml:"updated"`
	Links   []libraryFeedLink  `xml:"link"`
	Entries []libraryFeedEntry `xml:"entry"`
}

type libraryFeedLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

type libraryFeedEntry struct {
	Title   string          `xml:"title"`
	ID      string          `xml:"id"`
	Updated string          `xml:"updated"`
	Link    libraryFeedLink `xml:"link"`
	Summary string          `xml:"summary"`
}

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
	f := libraryFeed{Title: title, ID: self, Updated: time.Unix(0, 0).UTC().Format(time.RFC3339),
		Links: []libraryFeedLink{{Href: self, Rel: "self", Type: "application/atom+xml"}, {Href: s.cfg.BaseURL + "/library", Rel: "alternate", Type: "text/html"}}}
	for i, r := range rs {
		if i == 0 {
			f.Updated = r.CreatedAt.Format(time.RFC3339)
		}
		link := s.cfg.BaseURL + "/library/" + r.ID
		f.Entries = append(f.Entries, libraryFeedEntry{Title: r.Title, ID: link, Updated: r.UpdatedAt.Format(time.RFC3339), Link: libraryFeedLink{Href: link}, Summary: r.Summary})
	}
	b, err := xml.MarshalIndent(f, "", " ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/atom+xml; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(append([]byte(xml.Header), b...))
}
