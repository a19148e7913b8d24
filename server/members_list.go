package server

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
)

type membersData struct {
	Members   []*auth.Member
	Filter    auth.DirectoryFilter
	Group     string
	Countries []Option
	OrgTypes  []Option
	Languages []Option
	Groups    []Option
	Filtered  bool
	// Total counts every member found; Page of Pages is the one shown,
	// Prev and Next link its neighbours with the same search and filters.
	Total, Page, Pages int
	Prev, Next         string
}

// listMembers is the member directory: search by words, filter by country,
// organisation type, language and group.
func (s *Server) listMembers(c *fiber.Ctx) error {
	ctx := c.UserContext()
	viewer := currentMember(c)
	lang := s.lang(c)
	f := auth.DirectoryFilter{
		Q:        strings.TrimSpace(c.Query("q")),
		Country:  c.Query("country"),
		OrgType:  c.Query("org_type"),
		Language: c.Query("language"),
	}
	// Unknown filter values are dropped, never passed on to the query.
	if !validCountry(f.Country) {
		f.Country = ""
	}
	if !validLanguage(f.Language) {
		f.Language = ""
	}
	known := false
	for _, t := range auth.OrgTypes {
		known = known || string(t) == f.OrgType
	}
	if !known {
		f.OrgType = ""
	}
	if len(f.Q) > 200 {
		f.Q = f.Q[:200]
	}
	groups, err := s.auth.Groups(ctx)
	if err != nil {
		return err
	}
	d := membersData{Group: c.Query("group")}
	var groupMembers []string
	for _, g := range groups {
		if !auth.CanSeeGroup(viewer, g) {
			continue
		}
		d.Groups = append(d.Groups, Option{Value: g.Slug, Label: g.Name, Selected: g.Slug == d.Group})
		if g.Slug == d.Group {
			f.GroupID = g.ID
			groupMembers = append(append([]string{}, g.Members...), g.Coordinators...)
		}
	}
	if f.GroupID == "" {
		d.Group = ""
	}
	d.Filter = f
	d.Filtered = f.Q != "" || f.Country != "" || f.OrgType != "" || f.Language != "" || f.GroupID != ""
	// Pages, not one list of up to 500: each member shown is one lookup.
	page, err := strconv.Atoi(c.Query("page"))
	if err != nil {
		page = 1 // not a number, or out of range (Atoi then gives the bound)
	}
	d.Page = min(max(page, 1), auth.MaxDirectoryPage)
	if d.Members, d.Total, err = s.auth.DirectoryPage(ctx, f, groupMembers, d.Page); err != nil {
		return err
	}
	d.Pages = min(max((d.Total+auth.DirectoryPageSize-1)/auth.DirectoryPageSize, 1), auth.MaxDirectoryPage)
	link := func(n int) string {
		u := url.Values{}
		for k, v := range map[string]string{"q": f.Q, "country": f.Country, "org_type": f.OrgType, "language": f.Language, "group": d.Group} {
			if v != "" {
				u.Set(k, v)
			}
		}
		if n > 1 {
			u.Set("page", strconv.Itoa(n))
		}
		if len(u) == 0 {
			return "/members"
		}
		return "/members?" + u.Encode()
	}
	if d.Page > 1 {
		d.Prev = link(min(d.Page-1, d.Pages))
	}
	if d.Page < d.Pages {
		d.Next = link(d.Page + 1)
	}
	d.Countries = countryOptions(lang, f.Country)
	d.Languages = languageOptions(lang, []string{f.Language})
	for _, t := range auth.OrgTypes {
		d.OrgTypes = append(d.OrgTypes, Option{Value: string(t), Label: s.T(c, "orgtype."+string(t)), Selected: string(t) == f.OrgType})
	}
	return s.render(c, fiber.StatusOK, "members", s.newPage(c, s.T(c, "members.title"), "members", d))
}
