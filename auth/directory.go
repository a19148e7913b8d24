package auth

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/search"
	"github.com/circularfairict/portal/textindex"
)

// DirectoryFilter narrows the member directory. Every field is matched
// literally: values never become query operators.
type DirectoryFilter struct {
	Q        string // words in name, organisation or job title
	Country  string
	OrgType  string
	Language string
	GroupID  string
}

// DirectoryLimit bounds the members Directory returns. No page lists that
// many any more: the site search counts people with DirectoryCount and
// shows DirectoryPage's first page.
const DirectoryLimit = 500

// DirectoryPageSize is the members of one page of the member directory
// (DirectoryPage): each is read by _id, so a page of all 500 cost 500
// lookups at full scale.
const DirectoryPageSize = 50

// MaxDirectoryPage bounds the page number asked for: deep pages cost the
// index more, and the filters narrow a directory better than paging.
const MaxDirectoryPage = 1000

// maxDirectoryWords bounds the words of a directory search.
const maxDirectoryWords = 5

// ErrNoIndex is returned by Directory before the server gave the store its
// search index.
var ErrNoIndex = errors.New("auth: no search index")

// SearchKind is the member directory's kind in the search index: one
// document per approved member, the only members the directory lists.
const SearchKind = "member"

// Fields of a member's document: the words are folded (case and accents),
// never stemmed (names), and matched as prefixes while typing.
const (
	fName     = "name"
	fOrg      = "organisation"
	fJob      = "job_title"
	fSort     = "name_sort"
	fCountry  = "country"
	fOrgType  = "org_type"
	fLanguage = "languages"
)

// Directory returns approved members matching f, sorted by name, from the
// search index, at most DirectoryLimit; the members themselves are read
// from the database by _id, and one who is no longer approved there is
// left out even if the index has not heard yet. With a group filter the
// group's member list (already loaded) narrows by ID.
func (s *Store) Directory(ctx context.Context, f DirectoryFilter, groupMembers []string) ([]*Member, error) {
	ms, _, err := s.directory(ctx, f, groupMembers, DirectoryLimit, 0)
	return ms, err
}

// DirectoryPage is Directory by pages of DirectoryPageSize, page counted
// from 1 (below 1 is the first, above MaxDirectoryPage the last allowed);
// it also returns how many members the index matches in all.
func (s *Store) DirectoryPage(ctx context.Context, f DirectoryFilter, groupMembers []string, page int) ([]*Member, int, error) {
	page = min(max(page, 1), MaxDirectoryPage)
	return s.directory(ctx, f, groupMembers, DirectoryPageSize, (page-1)*DirectoryPageSize)
}

// DirectoryCount is how many members DirectoryPage finds in all, from the
// index alone: no member is read (the site search's count of people on
// its other tabs).
func (s *Store) DirectoryCount(ctx context.Context, f DirectoryFilter, groupMembers []string) (int, error) {
	_, n, err := s.directory(ctx, f, groupMembers, 0, 0)
	return n, err
}

func (s *Store) directory(ctx context.Context, f DirectoryFilter, groupMembers []string, size, from int) ([]*Member, int, error) {
	if s.index == nil {
		return nil, 0, ErrNoIndex
	}
	if f.GroupID != "" && len(groupMembers) == 0 {
		return nil, 0, nil
	}
	// Typed punctuation only (".*") has no word to find: nothing matches,
	// rather than everyone.
	if strings.TrimSpace(f.Q) != "" && len(textindex.Tokens(strings.ToValidUTF8(f.Q, ""))) == 0 {
		return nil, 0, nil
	}
	req := bleve.NewSearchRequestOptions(directoryQuery(f, groupMembers), size, from, false)
	req.SortBy([]string{fSort, "_id"})
	res, err := s.index.Search(ctx, req)
	if err != nil {
		return nil, 0, fmt.Errorf("auth: directory: %w", err)
	}
	ms, err := s.approvedHits(ctx, res)
	return ms, int(res.Total), err
}

// directoryQuery builds the index query. Filter values are only compared
// as whole terms; the words typed are folded as the index folds them and
// only ever become prefix queries, never query syntax.
func directoryQuery(f DirectoryFilter, groupMembers []string) query.Query {
	must := []query.Query{search.KindQuery(SearchKind)}
	for field, v := range map[string]string{fCountry: f.Country, fOrgType: f.OrgType, fLanguage: f.Language} {
		if v != "" {
			must = append(must, termQuery(field, v))
		}
	}
	if f.GroupID != "" {
		ids := make([]string, len(groupMembers))
		for i, id := range groupMembers {
			ids[i] = search.DocID(SearchKind, id)
		}
		must = append(must, bleve.NewDocIDQuery(ids))
	}
	// Invalid UTF-8 is dropped.
	words := textindex.Tokens(strings.ToValidUTF8(f.Q, ""))
	if len(words) > maxDirectoryWords {
		words = words[:maxDirectoryWords]
	}
	for _, w := range words {
		var alts []query.Query
		for _, field := range []string{fName, fOrg, fJob} {
			p := bleve.NewPrefixQuery(w)
			p.SetField(field)
			alts = append(alts, p)
		}
		must = append(must, bleve.NewDisjunctionQuery(alts...))
	}
	return bleve.NewConjunctionQuery(must...)
}

func termQuery(field, v string) query.Query {
	q := bleve.NewTermQuery(v)
	q.SetField(field)
	return q
}

// SetIndex makes the directory search through ix and tells it about every
// change of a member; the server calls it once, after opening the index
// with SearchIndexKind among its kinds.
func (s *Store) SetIndex(ix *search.Index) {
	s.index = ix
	s.onChange = func(ctx context.Context, ids []string) {
		for _, id := range ids {
			// The write is done: the index follows even if the request ends.
			ix.Changed(context.WithoutCancel(ctx), SearchKind, id)
		}
	}
}

// SearchIndexKind returns the directory's kind for search.Open.
func (s *Store) SearchIndexKind() search.Kind { return memberKind{s} }

type memberKind struct{ s *Store }

func (memberKind) Name() string { return SearchKind }
func (memberKind) Version() int { return 1 }

func (memberKind) Mapping() *mapping.DocumentMapping {
	m := bleve.NewDocumentStaticMapping()
	for _, f := range []string{fName, fOrg, fJob} {
		t := search.TextField("")
		t.Store, t.IncludeTermVectors = false, false
		m.AddFieldMappingsAt(f, t)
	}
	m.AddFieldMappingsAt(fSort, search.KeywordField(true))
	for _, f := range []string{fCountry, fOrgType, fLanguage} {
		m.AddFieldMappingsAt(f, search.KeywordField(false))
	}
	return m
}

// directoryProjection is what the index needs of a member.
var directoryProjection = bson.M{"name": 1, "organisation": 1, "job_title": 1, "country": 1, "org_type": 1, "languages": 1, "status": 1, "updated_at": 1}

func (k memberKind) Stamps(ctx context.Context) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := k.All(ctx, func(d *search.Doc) error {
		out[d.ID] = d.Stamp
		return nil
	})
	return out, err
}

func (k memberKind) All(ctx context.Context, fn func(*search.Doc) error) error {
	ms, err := k.s.findMembers(ctx, bson.M{"status": StatusApproved}, options.Find().SetProjection(directoryProjection))
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := fn(memberDoc(m)); err != nil {
			return err
		}
	}
	return nil
}

func (k memberKind) Load(ctx context.Context, id string) (*search.Doc, error) {
	m, err := k.s.Member(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if m.Status != StatusApproved {
		return nil, nil // pending, rejected, deactivated, deleted: not listed
	}
	return memberDoc(m), nil
}

func memberDoc(m *Member) *search.Doc {
	// The words are split as a typed query is (textindex.Tokens), so
	// "l'Économie" is found by "economie".
	words := func(s string) string { return strings.Join(textindex.Tokens(s), " ") }
	f := map[string]any{fName: words(m.Name), fSort: textindex.Fold(m.Name)}
	for field, v := range map[string]string{fOrg: words(m.Organisation), fJob: words(m.JobTitle), fCountry: m.Country, fOrgType: string(m.OrgType)} {
		if v != "" {
			f[field] = v
		}
	}
	if len(m.Languages) > 0 {
		f[fLanguage] = m.Languages
	}
	return &search.Doc{ID: m.ID, Stamp: m.UpdatedAt, Fields: f}
}

// NewestMembers returns up to limit approved members, newest first, for the
// home page's activity. The index answers which: member IDs are ObjectIDs,
// which begin with their creation time, so the highest IDs of the
// directory are its newest members; a filter on status with a sort on
// created_at reads every member on the embedded database. Members are
// then read by _id and ordered by their recorded creation time (an import
// may have recorded an earlier one than its ID says). Without an index it
// asks the database.
func (s *Store) NewestMembers(ctx context.Context, limit int) ([]*Member, error) {
	if s.index == nil {
		return s.RecentMembers(ctx, limit)
	}
	req := bleve.NewSearchRequestOptions(search.KindQuery(SearchKind), limit, 0, false)
	req.SortBy([]string{"-_id"})
	res, err := s.index.Search(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("auth: newest members: %w", err)
	}
	out, err := s.approvedHits(ctx, res)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

// approvedHits reads the members an index search found, by _id, in the
// search's order, keeping the approved ones: the database decides what is
// shown, the index only which rows to read.
func (s *Store) approvedHits(ctx context.Context, res *bleve.SearchResult) ([]*Member, error) {
	ids := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		_, id := search.SplitDocID(h.ID)
		ids = append(ids, id)
	}
	byID, err := s.MembersByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*Member, 0, len(ids))
	for _, id := range ids {
		if m := byID[id]; m != nil && m.Status == StatusApproved {
			out = append(out, m)
		}
	}
	return out, nil
}
