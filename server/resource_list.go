package server

import (
	"html/template"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/resources"
)

// facetView is a facet with translated value labels.
type facetView struct {
	Name   string
	Values []facetValueView
}

type facetValueView struct {
	Value, Label string
	Count        int
	Selected     bool
}

type resourceListData struct {
	Q        string
	Sort     string
	Result   *resources.Result
	Facets   []facetView
	Items    []resourceCard
	Prev     string
	Next     string
	CanShare bool
	Feed     string
	// Concepts names the glossary concepts the query also searched for in
	// the other languages; Literal links to the same search without them.
	Concepts string
	Literal  string
	// AutoSort is the order the library chose itself (relevance with
	// words, newest without); the form sends it back so that a sort the
	// member never touched follows the next words instead of sticking.
	AutoSort string
	// Active counts the filters in force, shown on the phone's Filter button.
	Active int
	// Suggest links to the search with the suggested spelling.
	Suggest string
}

// resourceCard is a result line with translated labels.
type resourceCard struct {
	*resources.Resource
	TypeLabel string
	KindLabel string
	Languages []string
	GroupName string
	Via       string        // the concepts a search matched it through
	Snippet   template.HTML // the passage a search matched, when it gives one (snippetOf)
}

// searchFromQuery reads ?q=&sort=&page= and the facet parameters; values
// are matched against known facets in Go, never passed to the database.
func (s *Server) searchFromQuery(c *fiber.Ctx, v resources.Viewer) resources.Search {
	q := resources.Search{Q: c.Query("q"), Sort: c.Query("sort"), Viewer: v, Filters: map[string][]string{}}
	if q.Sort == c.Query("auto_sort") {
		q.Sort = "" // shown by default, not chosen: the library picks again
	}
	if len(q.Q) > 200 {
		q.Q = q.Q[:200]
	}
	q.Page, _ = strconv.Atoi(c.Query("page"))
	q.PerPage, _ = strconv.Atoi(c.Query("per_page"))
	args := c.Context().QueryArgs()
	for _, f := range resources.Facets {
		for _, b := range args.PeekMulti(f) {
			q.Filters[f] = append(q.Filters[f], string(b))
		}
	}
	q.GoodPractice = c.Query("good_practice") == "1"
	q.Lang, q.Literal = s.lang(c), c.Query("literal") == "1"
	return q
}

// facetLabel translates a facet value.
func (s *Server) facetLabel(p *Page, facet, value string, groups map[string]string) string {
	switch facet {
	case "country":
		return p.Country(value)
	case "group":
		if n, ok := groups[value]; ok {
			return n
		}
		return value
	}
	vocab := map[string]string{"type": resources.VocType, "stage": resources.VocStage, "product": resources.VocProduct,
		"theme": resources.VocTheme, "language": resources.VocLanguage, "licence": resources.VocLicence}[facet]
	return s.lib.Tax.Label(vocab, value, p.Lang)
}

func (s *Server) groupNames(c *fiber.Ctx) (map[string]string, error) {
	gs, err := s.auth.Groups(c.UserContext())
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, g := range gs {
		if auth.CanSeeGroup(currentMember(c), g) {
			out[g.ID] = g.Name
		}
	}
	return out, nil
}

func (s *Server) listResources(c *fiber.Ctx) error {
	v, _, err := s.viewer(c)
	if err != nil {
		return err
	}
	q := s.searchFromQuery(c, v)
	res, err := s.lib.Search(c.UserContext(), q)
	if err != nil {
		return err
	}
	groups, err := s.groupNames(c)
	if err != nil {
		return err
	}
	p := s.newPage(c, s.T(c, "library.title"), "library", nil)
	d := resourceListData{Q: q.Q, Sort: res.Sort, Result: res, CanShare: auth.CanShareResource(currentMember(c)), Feed: "/library/feed.atom"}
	if q.Sort != resources.SortRelevance && q.Sort != resources.SortNewest && q.Sort != resources.SortDownloads {
		d.AutoSort = res.Sort
	}
	if q.GoodPractice {
		d.Active++
	}
	for _, f := range resources.Facets {
		fv := facetView{Name: f}
		for _, x := range res.Facets[f] {
			if x.Selected {
				d.Active++
			}
			fv.Values = append(fv.Values, facetValueView{Value: x.Value, Label: s.facetLabel(p, f, x.Value, groups), Count: x.Count, Selected: x.Selected})
		}
		if len(fv.Values) > 0 {
			d.Facets = append(d.Facets, fv)
		}
	}
	for _, r := range res.Items {
		rc := s.card(p, r, groups)
		rc.Via = conceptNames(res.Via[r.ID], p.Lang)
		rc.Snippet = snippetOf(r.Snippet)
		d.Items = append(d.Items, rc)
	}
	link := func(key, value string) string {
		u := url.Values{}
		c.Context().QueryArgs().VisitAll(func(k, val []byte) { u.Add(string(k), string(val)) })
		u.Set(key, value)
		if key != "page" {
			u.Del("page")
		}
		return "/library?" + u.Encode()
	}
	page := func(n int) string { return link("page", strconv.Itoa(n)) }
	if res.Suggestion != "" {
		d.Suggest = link("q", res.Suggestion)
	}
	if d.Concepts = queryConcepts(res.Query, p.Lang); d.Concepts != "" {
		d.Literal = link("literal", "1")
	}
	if res.Page > 1 {
		d.Prev = page(res.Page - 1)
	}
	if res.Page < res.Pages {
		d.Next = page(res.Page + 1)
	}
	p.Data = d
	return s.render(c, fiber.StatusOK, "library", p)
}

func (s *Server) card(p *Page, r *resources.Resource, groups map[string]string) resourceCard {
	rc := resourceCard{Resource: r, TypeLabel: s.lib.Tax.Label(resources.VocType, r.Type, p.Lang),
		KindLabel: s.lib.Tax.Label(resources.VocKind, string(r.Current().Kind), p.Lang), GroupName: groups[r.GroupID]}
	for _, l := range r.Languages {
		rc.Languages = append(rc.Languages, s.lib.Tax.Label(resources.VocLanguage, l, p.Lang))
	}
	return rc
}

// apiListResources answers GET /api/v1/resources with the same search as
// the library page: {items, total, page, pages, facets}.
func (s *Server) apiListResources(c *fiber.Ctx) error {
	v, _, err := s.viewer(c)
	if err != nil {
		return err
	}
	// ?lang= filters by resource language in the API; the page's UI language is not involved.
	q := s.searchFromQuery(c, v)
	for _, b := range c.Context().QueryArgs().PeekMulti("lang") {
		q.Filters["language"] = append(q.Filters["language"], string(b))
	}
	res, err := s.lib.Search(c.UserContext(), q)
	if err != nil {
		return err
	}
	groups, err := s.groupNames(c)
	if err != nil {
		return err
	}
	p := s.newPage(c, "", "", nil)
	items := make([]resourceJSON, 0, len(res.Items))
	for _, r := range res.Items {
		it := toJSON(r)
		it.Via = res.Via[r.ID]
		it.Score, it.Snippet = r.Score, string(r.Snippet)
		items = append(items, it)
	}
	type conceptJSON struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	concepts := []conceptJSON{}
	for _, e := range res.Query.Concepts {
		if len(e.Terms) > 0 {
			concepts = append(concepts, conceptJSON{e.Concept.ID, e.Concept.Name(p.Lang)})
		}
	}
	type fvJSON struct {
		Value    string `json:"value"`
		Label    string `json:"label"`
		Count    int    `json:"count"`
		Selected bool   `json:"selected,omitempty"`
	}
	facets := map[string][]fvJSON{}
	for _, f := range resources.Facets {
		facets[f] = []fvJSON{}
		for _, x := range res.Facets[f] {
			facets[f] = append(facets[f], fvJSON{x.Value, s.facetLabel(p, f, x.Value, groups), x.Count, x.Selected})
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"items": items, "total": res.Total, "page": res.Page, "pages": res.Pages, "per_page": res.PerPage, "sort": res.Sort, "facets": facets, "concepts": concepts,
		"index_building": res.Building, "suggestion": res.Suggestion})
}
