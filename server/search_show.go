package server

import (
	"html"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/glossary"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/textindex"
	"github.com/circularfairict/portal/workshops"
)

// The areas of the combined search, in the order of its tabs.
const (
	areaLibrary     = "library"
	areaDiscussions = "discussions"
	areaPeople      = "people"
	areaWorkshops   = "workshops"
)

// searchLibraryPerPage is how many library results the combined page shows;
// the library itself pages and filters the rest.
const searchLibraryPerPage = 20

type searchTab struct {
	Key     string
	Count   int
	URL     string
	Current bool
}

type searchPageData struct {
	Q        string
	Tab      string
	Searched bool
	Tabs     []searchTab
	Active   *searchTab
	// The active area's results; the other areas are only counted.
	Library     []resourceCard
	Discussions []threadRow
	People      []*auth.Member
	Workshops   []workshopItem
	// More links to the area's own page with the same words, where it
	// offers filters and further pages.
	More     string
	Concepts string
	// libraryItems and libraryVia keep the raw library hits for the API.
	libraryItems []*resources.Resource
	libraryVia   map[string][]string
}

// combinedSearch runs the words through every area the caller may use,
// each with the viewer and rules of the area's own page, and keeps the
// results of the active tab. A tab that is not offered falls back to the
// first area with results, so a link never lands on an empty tab by chance.
func (s *Server) combinedSearch(c *fiber.Ctx) (*searchPageData, error) {
	d := &searchPageData{Q: strings.TrimSpace(c.Query("q")), Tab: c.Query("tab")}
	if len(d.Q) > 200 {
		return nil, fault.New(fault.Invalid, "search.error.query").OnField("q")
	}
	areas := []string{areaLibrary, areaDiscussions}
	m := currentMember(c)
	if auth.CanListMembers(m) {
		areas = append(areas, areaPeople)
	}
	areas = append(areas, areaWorkshops)
	offered := false
	for _, a := range areas {
		offered = offered || a == d.Tab
	}
	if d.Q == "" {
		if !offered {
			d.Tab = areaLibrary
		}
		for _, a := range areas {
			d.Tabs = append(d.Tabs, searchTab{Key: a, URL: "/search?tab=" + a, Current: a == d.Tab})
		}
		return d, nil
	}
	d.Searched = true
	ctx, lang := c.UserContext(), s.lang(c)
	query := glossary.ParseQuery(d.Q, lang)
	counts := map[string]int{}

	v, _, err := s.viewer(c)
	if err != nil {
		return nil, err
	}
	// Another tab than the library's shows its count only, which the index
	// gives without reading the page's twenty resources by _id. A tab not
	// offered may become the library's (the first area with results), so
	// then the rows are read.
	lq := resources.Search{Q: d.Q, Viewer: v, Lang: lang, PerPage: searchLibraryPerPage, Filters: map[string][]string{}, Brief: true}
	lq.CountOnly = offered && d.Tab != areaLibrary
	// The library's search runs beside the other areas' (no area needs
	// another's answer until the tab is chosen): its index queries and
	// reads by _id overlap theirs instead of adding to them. Only the
	// service is called from the goroutine, never the Fiber context.
	var res *resources.Result
	libWait := beside(func() (err error) {
		res, err = s.lib.Search(ctx, lq)
		return err
	})
	defer func() { _ = libWait() }() // an early return leaves no search running

	all, err := s.categories(c)
	if err != nil {
		return nil, err
	}
	cats, ids := visibleCategories(all, m)
	fq := forum.SearchQuery{Query: query, CategoryIDs: ids}
	// Another tab only shows the count, which the index gives without
	// reading the threads and posts (about a hundred reads by _id).
	var threads []threadRow
	discussionsRead := false
	if d.Tab == areaDiscussions {
		if threads, counts[areaDiscussions], err = s.discussionHits(c, fq, cats, 1); err != nil {
			return nil, err
		}
		discussionsRead = true
	} else if counts[areaDiscussions], err = s.forum.Count(ctx, fq); err != nil {
		return nil, err
	}

	// The people tab shows the directory's first page (the directory pages
	// the rest); another tab only the count, which the index gives without
	// reading members by _id. A tab not offered may become the people's.
	var people []*auth.Member
	if auth.CanListMembers(m) {
		pf := auth.DirectoryFilter{Q: d.Q}
		if d.Tab == areaPeople || !offered {
			if people, counts[areaPeople], err = s.auth.DirectoryPage(ctx, pf, nil, 1); err != nil {
				return nil, err
			}
		} else if counts[areaPeople], err = s.auth.DirectoryCount(ctx, pf, nil); err != nil {
			return nil, err
		}
	}

	words := strings.Fields(textindex.Fold(d.Q))
	match := func(text string) bool {
		text = textindex.Fold(text)
		for _, x := range words {
			if !strings.Contains(text, x) {
				return false
			}
		}
		return true
	}
	// Upcoming and past are picked from one read of the schedule and texts.
	c.SetUserContext(workshops.WithListsMemo(c.UserContext()))
	var found []workshopItem
	for _, past := range []bool{false, true} {
		items, err := s.visibleWorkshops(c, workshops.Filter{Past: past, Match: match})
		if err != nil {
			return nil, err
		}
		found = append(found, items...)
	}
	counts[areaWorkshops] = len(found)

	if err := libWait(); err != nil {
		return nil, err
	}
	counts[areaLibrary] = res.Total

	if !offered {
		d.Tab = areaLibrary
		for _, a := range areas {
			if counts[a] > 0 {
				d.Tab = a
				break
			}
		}
	}
	d.libraryItems, d.libraryVia = res.Items, res.Via
	if d.Tab == areaDiscussions && !discussionsRead {
		if threads, counts[areaDiscussions], err = s.discussionHits(c, fq, cats, 1); err != nil {
			return nil, err
		}
	}
	for _, a := range areas {
		u := url.Values{"q": {d.Q}, "tab": {a}}
		d.Tabs = append(d.Tabs, searchTab{Key: a, Count: counts[a], URL: "/search?" + u.Encode(), Current: a == d.Tab})
	}
	for i := range d.Tabs {
		if d.Tabs[i].Current {
			d.Active = &d.Tabs[i]
		}
	}
	q := url.QueryEscape(d.Q)
	switch d.Tab {
	case areaLibrary:
		groups, err := s.groupNames(c)
		if err != nil {
			return nil, err
		}
		p := s.newPage(c, "", "", nil)
		for _, r := range res.Items {
			rc := s.card(p, r, groups)
			rc.Via = conceptNames(res.Via[r.ID], lang)
			rc.Snippet = snippetOf(r.Snippet)
			d.Library = append(d.Library, rc)
		}
		d.More = "/library?q=" + q
		d.Concepts = queryConcepts(res.Query, lang)
	case areaDiscussions:
		d.Discussions, d.More = threads, "/discussions/search?q="+q
		d.Concepts = queryConcepts(query, lang)
	case areaPeople:
		d.People, d.More = people, "/members?q="+q
	case areaWorkshops:
		d.Workshops = found
	}
	return d, nil
}

// showSearch is GET /search: one search over the library, discussions,
// people and workshops, a tab per area with its count.
func (s *Server) showSearch(c *fiber.Ctx) error {
	d, err := s.combinedSearch(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "search", s.newPage(c, s.T(c, "search.title"), "search", d))
}

// apiSearch is GET /api/v1/search: the counts of every area the caller may
// search and the active area's items, as the page shows them.
func (s *Server) apiSearch(c *fiber.Ctx) error {
	d, err := s.combinedSearch(c)
	if err != nil {
		return err
	}
	type threadJSON struct {
		ID         string        `json:"id"`
		Title      string        `json:"title"`
		Category   string        `json:"category"`
		Replies    int           `json:"replies"`
		LastPostAt time.Time     `json:"last_post_at"`
		URL        string        `json:"url"`
		Via        string        `json:"via,omitempty"`
		Snippet    template.HTML `json:"snippet,omitempty"`
	}
	type personJSON struct {
		ID           string `json:"id"`
		Name         string `json:"name"`
		Organisation string `json:"organisation,omitempty"`
		Country      string `json:"country,omitempty"`
		URL          string `json:"url"`
	}
	type workshopJSON struct {
		ID       string    `json:"id"`
		Title    string    `json:"title"`
		StartsAt time.Time `json:"starts_at"`
		EndsAt   time.Time `json:"ends_at"`
		Group    string    `json:"group,omitempty"`
		URL      string    `json:"url"`
	}
	counts := map[string]int{}
	for _, t := range d.Tabs {
		counts[t.Key] = t.Count
	}
	items := []any{}
	switch d.Tab {
	case areaLibrary:
		for _, r := range d.libraryItems {
			it := toJSON(r)
			it.Via = d.libraryVia[r.ID]
			items = append(items, it)
		}
	case areaDiscussions:
		for _, h := range d.Discussions {
			items = append(items, threadJSON{h.T.ID, h.T.Title, h.Cat.Name, h.T.Replies, h.T.LastPostAt.UTC(), "/threads/" + h.T.ID + "/posts/" + strconv.Itoa(h.FirstUnread), h.Via, h.Snippet})
		}
	case areaPeople:
		for _, p := range d.People {
			items = append(items, personJSON{p.ID, p.Name, p.Organisation, p.Country, "/members/" + p.ID})
		}
	case areaWorkshops:
		for _, w := range d.Workshops {
			it := workshopJSON{ID: w.W.ID, Title: w.W.Title, StartsAt: w.W.StartsAt.UTC(), EndsAt: w.W.EndsAt.UTC(), URL: "/workshops/" + w.W.ID}
			if w.Group != nil {
				it.Group = w.Group.Slug
			}
			items = append(items, it)
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"q": d.Q, "tab": d.Tab, "counts": counts, "items": items})
}

// snippetOf makes the passage a search gives for a hit safe to show: only
// <mark> survives, everything else is escaped again, whatever the search
// did (search.Snippet already escapes; this keeps the page safe if a kind's
// snippet ever comes from elsewhere).
func snippetOf[T ~string](snippet T) template.HTML {
	text := string(snippet)
	if text == "" {
		return ""
	}
	out := html.EscapeString(html.UnescapeString(text))
	if strings.Count(out, "&lt;mark&gt;") != strings.Count(out, "&lt;/mark&gt;") {
		return template.HTML(strings.NewReplacer("&lt;mark&gt;", "", "&lt;/mark&gt;", "").Replace(out))
	}
	return template.HTML(strings.NewReplacer("&lt;mark&gt;", "<mark>", "&lt;/mark&gt;", "</mark>").Replace(out)) // #nosec G203 -- escaped above, only <mark> restored
}

// beside runs fn in a goroutine and returns a wait that blocks until fn
// has returned and gives its error: a page's independent searches overlap
// (each an index query and reads by _id, one core each). The caller
// defers a wait, so that no search outlives the request, and fn gets the
// request's context only, never the Fiber context, which the server
// reuses once the handler returns.
func beside(fn func() error) (wait func() error) {
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		err = fn()
	}()
	return func() error {
		<-done
		return err
	}
}
