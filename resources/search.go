package resources

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/glossary"
)

// Viewer is who searches, as far as visibility goes. The server fills it
// from the member and the auth policy functions.
type Viewer struct {
	ID       string
	Approved bool     // sees resources for portal members
	All      bool     // sees every resource (administrators)
	Groups   []string // sees resources of these groups
}

// CanSee reports whether the viewer may see r; it is the same rule as the
// database filter of Search, for single resources.
func (v Viewer) CanSee(r *Resource) bool {
	if v.All || (v.ID != "" && r.OwnerID == v.ID) {
		return true
	}
	switch r.Visibility {
	case VisibilityPublic:
		return true
	case VisibilityMembers:
		return v.Approved
	case VisibilityGroup:
		if !v.Approved {
			return false
		}
		for _, g := range v.Groups {
			if g == r.GroupID {
				return true
			}
		}
	}
	return false
}

func (v Viewer) filter() bson.M {
	if v.All {
		return bson.M{}
	}
	or := bson.A{bson.M{"visibility": VisibilityPublic}}
	if v.Approved {
		or = append(or, bson.M{"visibility": VisibilityMembers})
		if len(v.Groups) > 0 {
			or = append(or, bson.M{"visibility": VisibilityGroup, "group_id": bson.M{"$in": v.Groups}})
		}
	}
	if v.ID != "" {
		or = append(or, bson.M{"owner_id": v.ID})
	}
	return bson.M{"$or": or}
}

// Facets in display order, with the resource field each counts.
var Facets = []string{"type", "stage", "product", "theme", "language", "country", "licence", "group"}

func facetValues(r *Resource, facet string) []string {
	switch facet {
	case "type":
		return []string{r.Type}
	case "stage":
		return r.Stages
	case "product":
		return r.Products
	case "theme":
		return r.Themes
	case "language":
		return r.Languages
	case "country":
		if r.Country != "" {
			return []string{r.Country}
		}
	case "licence":
		return []string{r.Licence}
	case "group":
		if r.GroupID != "" {
			return []string{r.GroupID}
		}
	}
	return nil
}

// Sort orders.
const (
	SortRelevance = "relevance"
	SortNewest    = "newest"
	SortDownloads = "downloads"
)

// Search asks for a page of resources.
type Search struct {
	Q       string
	Filters map[string][]string // facet -> selected values (OR within, AND across facets)
	Sort    string
	Page    int // from 1
	PerPage int
	Viewer  Viewer
	// GoodPractice keeps only curated resources.
	GoodPractice bool
	// Lang is the reader's language: it names the glossary concepts the
	// query mentions. Literal searches the typed words only, without the
	// concepts' terms in other languages.
	Lang    string
	Literal bool
	// Brief leaves out the facet counts and the spelling suggestion, for
	// pages that show neither (the combined search, the discussions'
	// library cards): counting facets walks every match, not one page.
	Brief bool
	// Titles leaves out the snippets and the matched concepts too, for
	// cards that show a title and a summary only (the discussions'
	// library cards): finding them is a second index query over the page
	// and, for a query with concepts, a third.
	Titles bool
	// CountOnly fills Total (and Query) alone, from the index: no rows are
	// read, no snippets cut, for pages that show the number only (the
	// combined search's other tabs), as a page's rows are read by _id one
	// by one and cost more than the query.
	CountOnly bool
}

// FacetCount is one value of a facet with the number of resources it would
// give, combined with the other facets' selections.
type FacetCount struct {
	Value    string
	Count    int
	Selected bool
}

// Result is a page of a search with the facet counts.
type Result struct {
	Items   []*Resource
	Total   int
	Page    int
	Pages   int
	PerPage int
	Facets  map[string][]FacetCount
	Query   glossary.Query
	Sort    string
	// Via lists, per resource ID, the glossary concepts it matched through
	// another term than the one typed (a cross-language match).
	Via map[string][]string
	// Building says the index is being built or caught up: results may
	// be incomplete.
	Building bool
	// Suggestion is a spelling that finds something, when the query as
	// typed found nothing ("did you mean").
	Suggestion string
}

// listProjection leaves out what lists never show.
var listProjection = bson.M{"preview": 0}

var filterValueRe = regexp.MustCompile(`^[A-Za-z0-9_]{1,40}$`)

// CleanFilters keeps known facets, at most 20 values each. Values are only
// compared as exact terms of the index, never placed in a database filter
// nor parsed as a query, so "$ne" is a value like any other: one that no
// resource has. A value that is not letters, digits or underscores becomes
// "-", which matches nothing.
func CleanFilters(in map[string][]string) map[string][]string {
	out := map[string][]string{}
	for _, f := range Facets {
		for _, v := range in[f] {
			if len(out[f]) == 20 {
				break
			}
			if !filterValueRe.MatchString(v) {
				v = "-"
			}
			if !contains(out[f], v) {
				out[f] = append(out[f], v)
			}
		}
	}
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Featured returns up to limit good-practice resources the viewer may see,
// newest first (the home page and group pages show them).
func (s *Service) Featured(ctx context.Context, v Viewer, groupID string, limit int) ([]*Resource, error) {
	if s.index != nil {
		and := []query.Query{termQ(fieldGood, "true")}
		if groupID != "" {
			and = append(and, termQ(fieldGroup, groupID))
		}
		return s.newest(ctx, v, limit, and...)
	}
	f := bson.M{"$and": bson.A{v.filter(), bson.M{"good_practice": true}, bson.M{"withdrawn": bson.M{"$exists": false}}}}
	if groupID != "" {
		f["group_id"] = groupID
	}
	return s.find(ctx, f, limit)
}

// Recent returns the newest resources the viewer may see, optionally of one
// group (feeds and the home page's activity).
func (s *Service) Recent(ctx context.Context, v Viewer, groupID string, limit int) ([]*Resource, error) {
	if groupID == "" {
		return s.RecentOfGroups(ctx, v, nil, limit)
	}
	return s.RecentOfGroups(ctx, v, []string{groupID}, limit)
}

// RecentOfGroups returns the newest resources the viewer may see of any of
// groupIDs (all resources when none is named): one question for a
// member's groups rather than a list per group.
func (s *Service) RecentOfGroups(ctx context.Context, v Viewer, groupIDs []string, limit int) ([]*Resource, error) {
	if s.index != nil {
		var and []query.Query
		if len(groupIDs) > 0 {
			var or []query.Query
			for _, g := range groupIDs {
				or = append(or, termQ(fieldGroup, g))
			}
			and = append(and, bleve.NewDisjunctionQuery(or...))
		}
		return s.newest(ctx, v, limit, and...)
	}
	f := bson.M{"$and": bson.A{v.filter(), bson.M{"withdrawn": bson.M{"$exists": false}}}}
	if len(groupIDs) > 0 {
		f["group_id"] = bson.M{"$in": groupIDs}
	}
	return s.find(ctx, f, limit)
}

// find answers a list from a database filter: only for a service without
// a search index (tools), since the embedded database reads the whole
// collection for any filter but {_id: value}.
func (s *Service) find(ctx context.Context, f bson.M, limit int) ([]*Resource, error) {
	cur, err := s.col(colResources).Find(ctx, f, options.Find().SetProjection(listProjection).
		SetSort(bson.D{{Key: "created_at", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("resources: list: %w", err)
	}
	var rs []*Resource
	if err := cur.All(ctx, &rs); err != nil {
		return nil, fmt.Errorf("resources: list: %w", err)
	}
	return rs, nil
}

// Related returns the resources that r links to or that link to r that the
// viewer may see: both are read by _id, the resources linking to r found
// in the search index.
func (s *Service) Related(ctx context.Context, v Viewer, r *Resource) (out []*Resource, back []*Resource, err error) {
	var ids []string
	for _, l := range r.Links {
		if l.Kind != LinkDiscussedIn && l.Kind != LinkProducedBy {
			ids = append(ids, l.Target)
		}
	}
	if len(ids) > 0 {
		byID, err := s.ResourcesByID(ctx, ids)
		if err != nil {
			return nil, nil, err
		}
		for _, id := range ids {
			if x := byID[id]; x != nil && v.CanSee(x) {
				out = append(out, x)
			}
		}
	}
	if s.index != nil {
		back, err = s.newest(ctx, v, 50, termQ(fieldLinks, r.ID))
		return out, back, err
	}
	back, err = s.find(ctx, bson.M{"$and": bson.A{v.filter(), bson.M{"links.target": r.ID}}}, 50)
	return out, back, err
}

// SearchableText joins what a result shows, for highlighting in lists.
func SearchableText(r *Resource) string { return strings.Join([]string{r.Title, r.Summary}, " ") }
