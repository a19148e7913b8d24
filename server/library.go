package server

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/resources"
)

// viewer describes the current member for the library's visibility rules,
// from the auth policy functions: one query for the member's groups.
func (s *Server) viewer(c *fiber.Ctx) (resources.Viewer, []*auth.Group, error) {
	return s.core.ViewerOf(c.UserContext(), currentMember(c))
}

// visibleResource loads a resource the viewer may see. Unknown IDs and
// resources the viewer may not see are both "not found", so IDs of hidden
// resources cannot be probed.
func (s *Server) visibleResource(c *fiber.Ctx) (*resources.Resource, resources.Viewer, error) {
	v, _, err := s.viewer(c)
	if err != nil {
		return nil, v, err
	}
	r, err := s.lib.Resource(c.UserContext(), c.Params("id"))
	if err != nil {
		if errors.Is(err, resources.ErrNotFound) {
			return nil, v, fault.Wrap(fault.NotFound, err, "error.404")
		}
		return nil, v, err
	}
	if !v.CanSee(r) {
		return nil, v, fault.New(fault.NotFound, "error.404")
	}
	return r, v, nil
}

// canSeeResource applies the library's visibility rule to a resource named
// from elsewhere; a resource that is gone is not seen.
func (s *Server) canSeeResource(ctx context.Context, m *auth.Member, id string) (bool, error) {
	r, err := s.lib.Resource(ctx, id)
	if errors.Is(err, resources.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	v, _, err := s.core.ViewerOf(ctx, m)
	return err == nil && v.CanSee(r), err
}

// resourceGroup returns the group a resource is limited to, or nil.
func (s *Server) resourceGroup(ctx context.Context, r *resources.Resource) (*auth.Group, error) {
	if r.GroupID == "" {
		return nil, nil
	}
	g, err := s.auth.Group(ctx, r.GroupID)
	if errors.Is(err, auth.ErrNotFound) {
		return nil, nil
	}
	return g, err
}

// editableResource loads a resource the member may edit (owner, moderator).
func (s *Server) editableResource(c *fiber.Ctx) (*resources.Resource, error) {
	r, _, err := s.visibleResource(c)
	if err != nil {
		return nil, err
	}
	if !auth.CanEditResource(currentMember(c), r.OwnerID) {
		return nil, fault.New(fault.Forbidden, "error.403")
	}
	return r, nil
}

// metaFrom reads the metadata fields of the upload and edit forms.
func metaFrom(get func(string) string, list func(string) []string) resources.Meta {
	m := resources.Meta{
		Title: get("title"), Summary: get("summary"), Type: get("type"),
		Stages: list("stages"), Products: list("products"), Themes: list("themes"), Frameworks: list("frameworks"),
		Ambition: get("ambition"), Languages: list("languages"), Country: get("country"), Organisation: get("organisation"),
		Licence: get("licence"), Award: get("award"), Visibility: resources.Visibility(get("visibility")), GroupID: get("group"),
	}
	if y := get("year"); y != "" {
		m.Year, _ = strconv.Atoi(y)
		if m.Year == 0 {
			m.Year = -1 // not a number: reported as an invalid year
		}
	}
	for _, l := range []string{"en", "fr", "nl", "de"} {
		if t, sum := get("title_"+l), get("summary_"+l); t != "" || sum != "" {
			m.Translations = append(m.Translations, resources.Translation{Lang: l, Title: t, Summary: sum})
		}
	}
	return m
}

// checkGroup refuses a group the member cannot publish to.
func (s *Server) checkGroup(c *fiber.Ctx, m resources.Meta) error {
	if m.Visibility != resources.VisibilityGroup || !resources.ValidID(m.GroupID) {
		return nil
	}
	g, err := s.auth.Group(c.UserContext(), m.GroupID)
	if err != nil && !errors.Is(err, auth.ErrNotFound) {
		return err
	}
	if g == nil || !auth.CanPublishToGroup(currentMember(c), g) {
		return resources.FieldErrors{fault.New(fault.Invalid, "library.error.group_required").OnField("group")}
	}
	return nil
}

// resourceCountryOptions names every country a resource may have in lang, sorted as
// that language sorts (so "Österreich" sits with the O's in German).
func resourceCountryOptions(lang string) []option {
	tag := language.Make(lang)
	names := display.Regions(tag)
	var out []option
	for _, code := range resources.Countries() {
		label := code
		if r, err := language.ParseRegion(code); err == nil {
			if n := names.Name(r); n != "" {
				label = n
			}
		}
		out = append(out, option{Value: code, Label: label})
	}
	col := collate.New(tag, collate.Loose)
	slices.SortFunc(out, func(a, b option) int { return col.CompareString(a.Label, b.Label) })
	return out
}

// fieldValues keeps what the member typed, to show it again with the errors.
type fieldValues map[string][]string

func (f fieldValues) Get(name string) string {
	if v := f[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Has reports whether value was chosen for a multi-valued field.
func (f fieldValues) Has(name, value string) bool {
	for _, v := range f[name] {
		for _, p := range strings.Split(v, ",") {
			if strings.TrimSpace(p) == value {
				return true
			}
		}
	}
	return false
}

// resourceJSON is the API's view of a resource.
type resourceJSON struct {
	ID           string                  `json:"id"`
	Title        string                  `json:"title"`
	Summary      string                  `json:"summary"`
	Translations []resources.Translation `json:"translations,omitempty"`
	Type         string                  `json:"type"`
	Stages       []string                `json:"stages,omitempty"`
	Products     []string                `json:"products,omitempty"`
	Themes       []string                `json:"themes,omitempty"`
	Frameworks   []string                `json:"frameworks,omitempty"`
	Languages    []string                `json:"languages"`
	Country      string                  `json:"country,omitempty"`
	Organisation string                  `json:"organisation,omitempty"`
	Year         int                     `json:"year,omitempty"`
	Licence      string                  `json:"licence"`
	Visibility   string                  `json:"visibility"`
	GroupID      string                  `json:"group_id,omitempty"`
	GoodPractice bool                    `json:"good_practice"`
	Withdrawn    *resources.Withdrawal   `json:"withdrawn,omitempty"`
	Downloads    int                     `json:"downloads"`
	Views        int                     `json:"views"`
	UsedCount    int                     `json:"used_count"`
	Latest       int                     `json:"latest"`
	Versions     []versionJSON           `json:"versions"`
	URL          string                  `json:"url"`
	FileURL      string                  `json:"file_url"`
	Via          []string                `json:"via,omitempty"` // search: glossary concepts it matched through
	// Score and Snippet come with search results that have words: the
	// relevance score and a passage, HTML with <mark> around the matched
	// words and everything else escaped.
	Score     float64 `json:"score,omitempty"`
	Snippet   string  `json:"snippet,omitempty"`
	CreatedAt string  `json:"created_at"`
	UpdatedAt string  `json:"updated_at"`
}

type versionJSON struct {
	N         int    `json:"n"`
	Filename  string `json:"filename"`
	Kind      string `json:"kind"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	Note      string `json:"note,omitempty"`
	URL       string `json:"file_url"`
	CreatedAt string `json:"created_at"`
}

func toJSON(r *resources.Resource) resourceJSON {
	out := resourceJSON{
		ID: r.ID, Title: r.Title, Summary: r.Summary, Translations: r.Translations, Type: r.Type, Stages: r.Stages,
		Products: r.Products, Themes: r.Themes, Frameworks: r.Frameworks, Languages: r.Languages, Country: r.Country,
		Organisation: r.Organisation, Year: r.Year, Licence: r.Licence, Visibility: string(r.Visibility), GroupID: r.GroupID,
		GoodPractice: r.GoodPractice, Withdrawn: r.Withdrawn, Downloads: r.Downloads, Views: r.Views, UsedCount: r.UsedCount,
		Latest: r.Latest, URL: "/library/" + r.ID, FileURL: fileURL(r.ID, 0),
		CreatedAt: r.CreatedAt.Format("2006-01-02T15:04:05Z"), UpdatedAt: r.UpdatedAt.Format("2006-01-02T15:04:05Z"),
	}
	for _, v := range r.Versions {
		out.Versions = append(out.Versions, versionJSON{N: v.N, Filename: v.DownloadName(), Kind: string(v.Kind), Size: v.Size, SHA256: v.SHA256(),
			Note: v.Note, URL: fileURL(r.ID, v.N), CreatedAt: v.CreatedAt.Format("2006-01-02T15:04:05Z")})
	}
	return out
}

// fileURL is the stable link (n == 0: always the latest version) or the
// permanent link of version n.
func fileURL(id string, n int) string {
	if n == 0 {
		return "/api/v1/resources/" + id + "/file"
	}
	return "/api/v1/resources/" + id + "/versions/" + strconv.Itoa(n) + "/file"
}
