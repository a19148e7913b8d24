package server

import (
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/site"
)

// Activity is one line of the home page's "latest activity". Later features
// (library, discussions, workshops) add their own sources in activity().
type Activity struct {
	When time.Time
	Key  string
	Args []any
	Link string
}

type homeData struct {
	Activity []Activity
	Groups   []*auth.Group
	Featured []*resources.Resource
	Intro    string      // the administrators' introduction, else the built-in one
	Mine     *memberHome // an approved member's own part (home_member.go)
}

func (s *Server) showHome(c *fiber.Ctx) error {
	ctx := c.UserContext()
	viewer := currentMember(c)
	groups, err := s.auth.Groups(ctx)
	if err != nil {
		return err
	}
	var visible []*auth.Group
	for _, g := range groups {
		if auth.CanSeeGroup(viewer, g) && !g.Archived { // archived groups leave lists
			visible = append(visible, g)
		}
	}
	members, err := s.auth.NewestMembers(ctx, 8)
	if err != nil {
		return err
	}
	p := s.newPage(c, "", "home", nil)
	var acts []Activity
	for _, g := range visible {
		acts = append(acts, Activity{When: g.CreatedAt, Key: "activity.group_created", Args: []any{g.Name}})
	}
	for _, m := range members {
		// Names are for members' eyes only; visitors see the country.
		if auth.CanListMembers(viewer) {
			acts = append(acts, Activity{When: m.CreatedAt, Key: "activity.member_joined", Args: []any{m.Name, m.Organisation}})
		} else {
			acts = append(acts, Activity{When: m.CreatedAt, Key: "activity.member_joined_anon", Args: []any{p.Country(m.Country)}})
		}
	}
	// The library: new resources the visitor may see, and the good practice
	// that coordinators featured.
	v, _, err := s.viewer(c)
	if err != nil {
		return err
	}
	recent, err := s.lib.Recent(ctx, v, "", 5)
	if err != nil {
		return err
	}
	for _, r := range recent {
		acts = append(acts, Activity{When: r.CreatedAt, Key: "activity.resource_shared", Args: []any{r.Title}, Link: "/library/" + r.ID})
	}
	featured, err := s.lib.Featured(ctx, v, "", 4)
	if err != nil {
		return err
	}
	sort.SliceStable(acts, func(i, j int) bool { return acts[i].When.After(acts[j].When) })
	if len(acts) > 10 {
		acts = acts[:10]
	}
	d := homeData{Activity: acts, Groups: visible, Featured: featured,
		Intro: site.In(s.siteSettings(c).Intros, s.lang(c), nil)}
	if auth.CanUsePortal(viewer) {
		// Applications are counted for those who may review them (not every
		// member of the admin area: moderators only look after categories).
		coord, err := s.coordinatesAny(c, viewer)
		if err != nil {
			return err
		}
		if d.Mine, err = s.memberHome(c, viewer, groups, auth.CanReviewMembers(viewer, coord)); err != nil {
			return err
		}
	}
	p.Data = d
	return s.render(c, fiber.StatusOK, "home", p)
}
