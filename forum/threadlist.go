package forum

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/search"
)

// ThreadListKind is the kind of the thread heads in the search index: one
// document per thread, held ones included, with what lists filter and sort
// on. The discussions index, a category, the member's home and a group page
// list threads by category, visibility and latest activity; on the embedded
// database such a filter reads and decodes every thread, so lists ask the
// index for the page's IDs and read those threads by _id.
const ThreadListKind = "thread"

// Fields of a thread head, named apart from the posts' (one bleve index
// holds both kinds, and a field name is one field across kinds).
const (
	hCategory = "th_category"
	hAuthor   = "th_author"
	hHeld     = "th_held"
	hPinned   = "th_pinned"
	hLast     = "th_last"
	hLastN    = "th_last_n"
)

// ThreadListIndexKind returns the thread heads' kind for search.Open.
func (s *Store) ThreadListIndexKind() search.Kind { return threadKind{s} }

type threadKind struct{ s *Store }

func (threadKind) Name() string { return ThreadListKind }
func (threadKind) Version() int { return 2 }

func (threadKind) Mapping() *mapping.DocumentMapping {
	m := bleve.NewDocumentStaticMapping()
	// Counts per category are a facet of the category (doc values); the
	// unread counts need the category and last number of the threads a
	// reader has marks on back from the index.
	cat := search.KeywordField(true)
	cat.Store = true
	m.AddFieldMappingsAt(hCategory, cat)
	m.AddFieldMappingsAt(hAuthor, search.KeywordField(false))
	m.AddFieldMappingsAt(hHeld, search.KeywordField(false))
	m.AddFieldMappingsAt(hPinned, search.NumberField())
	m.AddFieldMappingsAt(hLast, search.DateField())
	lastN := search.NumberField()
	lastN.Store = true
	m.AddFieldMappingsAt(hLastN, lastN)
	return m
}

// headProjection is what a thread head needs of a thread.
var headProjection = bson.M{"category_id": 1, "author_id": 1, "held": 1, "pinned": 1, "last_post_at": 1, "last_n": 1, "updated_at": 1}

// headStamp is the stamp catch-up compares: a reply moves last_n with $max
// without touching updated_at (see Reply and settle), so the number is
// folded into the stamp's nanoseconds (updated_at has millisecond
// precision) and a head whose last number moved differs too.
func headStamp(t *Thread) time.Time {
	return t.UpdatedAt.Truncate(time.Millisecond).Add(time.Duration(t.LastN % int(time.Millisecond)))
}

func headDoc(t *Thread) *search.Doc {
	held, pinned := "no", 0.0
	if t.Held {
		held = "yes"
	}
	if t.Pinned {
		pinned = 1
	}
	return &search.Doc{ID: t.ID, Stamp: headStamp(t), Fields: map[string]any{hCategory: t.CategoryID, hAuthor: t.AuthorID,
		hHeld: held, hPinned: pinned, hLast: t.LastPostAt, hLastN: float64(t.LastN)}}
}

func (k threadKind) heads(ctx context.Context, fn func(*Thread) error) error {
	cur, err := k.s.col(colThreads).Find(ctx, bson.M{}, options.Find().SetProjection(headProjection))
	if err != nil {
		return fmt.Errorf("forum: thread heads: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var t Thread
		if err := cur.Decode(&t); err != nil {
			return fmt.Errorf("forum: thread heads: %w", err)
		}
		if err := fn(&t); err != nil {
			return err
		}
	}
	return cur.Err()
}

func (k threadKind) Stamps(ctx context.Context) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := k.heads(ctx, func(t *Thread) error {
		out[t.ID] = headStamp(t)
		return nil
	})
	return out, err
}

func (k threadKind) All(ctx context.Context, fn func(*search.Doc) error) error {
	return k.heads(ctx, func(t *Thread) error { return fn(headDoc(t)) })
}

func (k threadKind) Load(ctx context.Context, id string) (*search.Doc, error) {
	var t Thread
	err := k.s.findOne(ctx, colThreads, bson.M{"_id": id}, &t)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return headDoc(&t), nil
}

// listFromIndex reports whether lists ask the index. Until a new (or
// outdated, or broken) index has been filled once its heads are missing,
// so lists read the database as before: complete, at the old cost. An
// index filled before and catching up at start-up answers: a change made
// while the server was down shows once the catch-up reaches it (the rows
// themselves are read from the database), as with the library's lists.
func (s *Store) listFromIndex() bool {
	return s.index.Has(ThreadListKind) && s.index.Filled()
}

// ListsFromIndex reports whether thread lists are answered by the search
// index now (false until it has been filled once).
func (s *Store) ListsFromIndex() bool { return s.listFromIndex() }

// headsQuery is the visibility of a list: the categories the viewer may
// see, and held threads only to their author and to moderators.
func headsQuery(categoryIDs []string, viewerID string, moderator bool) []query.Query {
	cats := make([]query.Query, len(categoryIDs))
	for i, id := range categoryIDs {
		cats[i] = term(hCategory, id)
	}
	must := []query.Query{search.KindQuery(ThreadListKind), bleve.NewDisjunctionQuery(cats...)}
	if !moderator {
		visible := []query.Query{term(hHeld, "no")}
		if viewerID != "" {
			visible = append(visible, term(hAuthor, viewerID))
		}
		must = append(must, bleve.NewDisjunctionQuery(visible...))
	}
	return must
}

// threadsFromIndex is Threads through the index: one query for the page's
// IDs in list order, then the threads by _id. The database decides what
// is shown: a thread the index has not yet heard was held or moved away
// (a replica behind its bus) is left out.
func (s *Store) threadsFromIndex(ctx context.Context, q ThreadQuery) ([]*Thread, error) {
	must := headsQuery(q.CategoryIDs, q.ViewerID, q.Moderator)
	sortBy := []string{"-" + hPinned, "-" + hLast, "-_id"}
	if !q.Since.IsZero() {
		exclusive := false
		r := bleve.NewDateRangeInclusiveQuery(q.Since, time.Time{}, &exclusive, nil)
		r.SetField(hLast)
		must = append(must, r)
		sortBy = []string{"-" + hLast, "-_id"}
	}
	req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(must...), q.Limit, q.Skip, false)
	req.SortBy(sortBy)
	req.Score = "none"
	if q.Keep != nil {
		req.Fields = []string{hCategory, hLastN}
	}
	res, err := s.index.Search(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("forum: thread list: %w", err)
	}
	ids := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		_, id := search.SplitDocID(h.ID)
		if q.Keep != nil && !q.Keep(headOf(id, h.Fields)) {
			continue
		}
		ids = append(ids, id)
	}
	byID, err := s.ThreadsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	allowed := make(map[string]bool, len(q.CategoryIDs))
	for _, id := range q.CategoryIDs {
		allowed[id] = true
	}
	out := make([]*Thread, 0, len(ids))
	for _, id := range ids {
		t := byID[id]
		if t == nil || !allowed[t.CategoryID] || t.Held && !q.Moderator && (q.ViewerID == "" || t.AuthorID != q.ViewerID) {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// countsFromIndex is CategoryCounts through the index: the threads of
// each category from one facet, and the heads of the threads the reader
// has marks or levels on by their IDs, so a page loads the stored fields
// of those only, not of every thread (about 60 µs each at full scale).
// Every other thread counts as unread unless its category is muted: it
// has its opening post (LastN is 1 or more) and no mark.
func (s *Store) countsFromIndex(ctx context.Context, categoryIDs []string, reads map[string]int, levels map[string]string) (map[string]int, map[string]int, error) {
	req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(headsQuery(categoryIDs, "", false)...), 0, 0, false)
	req.Score = "none"
	req.AddFacet(hCategory, bleve.NewFacetRequest(hCategory, len(categoryIDs)+1))
	res, err := s.index.Search(ctx, req)
	if err != nil {
		return nil, nil, fmt.Errorf("forum: thread counts: %w", err)
	}
	count := map[string]int{}
	if f := res.Facets[hCategory]; f != nil && f.Terms != nil {
		for _, t := range f.Terms.Terms() {
			count[t.Term] = t.Count
		}
	}
	unread := map[string]int{}
	if reads == nil {
		return count, unread, nil
	}
	for id, n := range count {
		if Effective("", levels[id]) != Mute {
			unread[id] = n
		}
	}
	var known []string
	for id := range reads {
		known = append(known, search.DocID(ThreadListKind, id))
	}
	for id := range levels {
		if _, ok := reads[id]; !ok {
			known = append(known, search.DocID(ThreadListKind, id)) // a category's ID matches no head
		}
	}
	if len(known) == 0 {
		return count, unread, nil
	}
	must := append(headsQuery(categoryIDs, "", false), bleve.NewDocIDQuery(known))
	hr := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(must...), len(known), 0, false)
	hr.Fields = []string{hCategory, hLastN}
	hr.Score = "none"
	// Sorted, so the index answers every match: unscored and unsorted, it
	// may stop at the first Size matches and give Size as the total.
	hr.SortBy([]string{"_id"})
	hs, err := s.index.Search(ctx, hr)
	if err != nil {
		return nil, nil, fmt.Errorf("forum: thread counts: %w", err)
	}
	for _, h := range hs.Hits {
		_, id := search.SplitDocID(h.ID)
		head := headOf(id, h.Fields)
		if Effective("", levels[head.CategoryID]) != Mute {
			unread[head.CategoryID]-- // counted above as a thread without marks
		}
		if head.unread(reads, levels) {
			unread[head.CategoryID]++
		}
	}
	return count, unread, nil
}

// headOf reads a head from a hit's stored fields.
func headOf(id string, fields map[string]any) ThreadHead {
	cat, _ := fields[hCategory].(string)
	n, _ := fields[hLastN].(float64)
	return ThreadHead{ID: id, CategoryID: cat, LastN: int(n)}
}
