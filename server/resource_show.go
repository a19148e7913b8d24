package server

import (
	"context"
	"html/template"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/workshops"
)

type labelled struct{ ID, Label string }

type resourceShowData struct {
	resourceCard
	Owner        string
	Stages       []labelled
	Products     []labelled
	Themes       []labelled
	Frameworks   []labelled
	Licence      string
	Ambition     string
	Award        string
	Versions     []resources.Version
	FileURL      string
	Links        []linkView
	Backlinks    []*resources.Resource
	Marks        []resources.Mark
	Bookmarked   bool
	CanReact     bool
	CanEdit      bool
	CanCurate    bool
	LinkKinds    []option
	CurrentYear  int
	Discussion   string // forum thread link, when the forum exists
	CanDiscuss   bool   // the "Discuss" button opens or creates the thread
	Replies      int    // replies in the resource's thread (read with CanDiscuss, shown beside it)
	VersionLinks map[int]string
	// Document is a workshop outcome's Markdown, rendered and sanitised,
	// so its page is the printable document.
	Document template.HTML
}

type linkView struct {
	Kind  string
	Label string
	Href  string
}

func (s *Server) labels(vocab string, ids []string, lang string) []labelled {
	var out []labelled
	for _, id := range ids {
		out = append(out, labelled{id, s.lib.Tax.Label(vocab, id, lang)})
	}
	return out
}

// showResource renders a resource's page: metadata, preview, versions,
// links, marks and, by right, the forms to react, edit and curate. A
// withdrawn resource keeps its page, which says why.
func (s *Server) showResource(c *fiber.Ctx) error {
	r, v, err := s.visibleResource(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	m := currentMember(c)
	groups, err := s.groupNames(c)
	if err != nil {
		return err
	}
	g, err := s.resourceGroup(ctx, r)
	if err != nil {
		return err
	}
	p := s.newPage(c, r.Title, "library", nil)
	d := resourceShowData{
		resourceCard: s.card(p, r, groups),
		Stages:       s.labels(resources.VocStage, r.Stages, p.Lang),
		Products:     s.labels(resources.VocProduct, r.Products, p.Lang),
		Themes:       s.labels(resources.VocTheme, r.Themes, p.Lang),
		Frameworks:   s.labels(resources.VocFramework, r.Frameworks, p.Lang),
		Licence:      s.lib.Tax.Label(resources.VocLicence, r.Licence, p.Lang),
		FileURL:      fileURL(r.ID, 0),
		CanReact:     auth.CanReactToResource(m),
		CanEdit:      auth.CanEditResource(m, r.OwnerID),
		CanCurate:    auth.CanCurateResource(m, g),
		CanDiscuss:   auth.CanUsePortal(m) && r.Withdrawn == nil,
		VersionLinks: map[int]string{},
	}
	if d.CanDiscuss {
		// Offered only where the discussion lives no wider than the
		// resource, to members who may open or start it there. The
		// check reads the discussion and gives its reply count, which
		// the page shows only beside the offer.
		if d.CanDiscuss, d.Replies, err = s.canDiscuss(c, m, r); err != nil {
			return err
		}
	}
	if r.Ambition != "" {
		d.Ambition = s.lib.Tax.Label(resources.VocAmbition, r.Ambition, p.Lang)
	}
	if r.Award != "" {
		d.Award = s.lib.Tax.Label(resources.VocAward, r.Award, p.Lang)
	}
	for i := len(r.Versions) - 1; i >= 0; i-- {
		d.Versions = append(d.Versions, r.Versions[i])
		d.VersionLinks[r.Versions[i].N] = fileURL(r.ID, r.Versions[i].N)
	}
	if auth.CanListMembers(m) {
		owners, err := s.auth.MembersByID(ctx, []string{r.OwnerID})
		if err != nil {
			return err
		}
		if o := owners[r.OwnerID]; o != nil {
			d.Owner = o.Name
		}
	}
	out, back, err := s.lib.Related(ctx, v, r)
	if err != nil {
		return err
	}
	titles := map[string]string{}
	for _, x := range out {
		titles[x.ID] = x.Title
	}
	for _, l := range r.Links {
		switch l.Kind {
		case resources.LinkProducedBy:
			// Shown to those who may see the workshop; its title is the label.
			if w, err := s.workshops.Workshop(ctx, l.Target); err == nil && s.canSeeWorkshop(ctx, m, w) {
				d.Links = append(d.Links, linkView{Kind: p.T("library.link." + string(l.Kind)), Label: w.Title, Href: "/workshops/" + w.ID})
			}
		case resources.LinkDiscussedIn:
			// The discussion has its own button below.
		default:
			if t, ok := titles[l.Target]; ok {
				d.Links = append(d.Links, linkView{Kind: p.T("library.link." + string(l.Kind)), Label: t, Href: "/library/" + l.Target})
			}
		}
	}
	d.Backlinks = back
	if r.Type == "workshop_outcome" {
		if d.Document, err = s.outcomeDocument(c, r); err != nil {
			return err
		}
	}
	if d.Marks, err = s.lib.Marks(ctx, r.ID); err != nil {
		return err
	}
	if d.CanReact {
		if d.Bookmarked, err = s.lib.Bookmarked(ctx, r.ID, m.ID); err != nil {
			return err
		}
	}
	for _, k := range resources.LinkKinds[:3] {
		d.LinkKinds = append(d.LinkKinds, option{Value: string(k), Label: p.T("library.link." + string(k))})
	}
	d.CurrentYear = s.lib.Year()
	if err := s.lib.CountView(ctx, r.ID); err != nil {
		s.log.Warn("view count failed", "err", err, "request_id", requestID(c))
	}
	p.Data = d
	return s.render(c, fiber.StatusOK, "resource", p)
}

// apiShowResource returns one resource as JSON.
func (s *Server) apiShowResource(c *fiber.Ctx) error {
	r, _, err := s.visibleResource(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(toJSON(r))
}

// outcomeDocument renders a workshop outcome's latest version; Markdown
// goes through the same sanitising renderer as discussions.
func (s *Server) outcomeDocument(c *fiber.Ctx, r *resources.Resource) (template.HTML, error) {
	md, err := s.core.PublishedText(c.UserContext(), r)
	if err != nil || md == "" {
		return "", err
	}
	return template.HTML(s.forum.Renderer().HTML(md)), nil // #nosec G203 -- sanitised by bluemonday
}

// workshopSeer returns the workshop policy for m as a predicate, with one
// query for the groups, for lookups that cross from one workshop to others
// (a series, the suggestions of series names, a calendar feed).
func (s *Server) workshopSeer(ctx context.Context, m *auth.Member) (func(*workshops.Workshop) bool, error) {
	can, err := s.core.WorkshopPolicy(ctx)
	if err != nil {
		return nil, err
	}
	return func(w *workshops.Workshop) bool { return can(m, w) }, nil
}

// canSeeWorkshop applies the workshop policy outside a workshop route.
func (s *Server) canSeeWorkshop(ctx context.Context, m *auth.Member, w *workshops.Workshop) bool {
	acc := auth.WorkshopAccess{Facilitators: w.Facilitators}
	if w.GroupID != "" {
		g, err := s.auth.Group(ctx, w.GroupID)
		if err != nil {
			return false
		}
		acc.Group = g
	}
	return auth.CanSeeWorkshop(m, acc)
}
