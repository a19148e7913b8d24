package forum

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/circularfairict/portal/search"
)

// SearchKind is the kind of the discussions' documents in the search
// index: one document per searchable post.
const SearchKind = "post"

// Fields of a post's document. Title and text are indexed once folded
// (accents and case, no stemming: names, other languages, prefixes) and
// once per stemming language, since a post's language is not known; the
// folded text alone is stored, for snippets, and its offsets are those of
// every copy.
const (
	fTitle    = "title"
	fText     = "text"
	fThread   = "thread_id"
	fN        = "n"
	fOpening  = "opening"
	fCategory = "category_id"
	fGroup    = "group_id"
	fAuthor   = "author_id"
	fTags     = "tags"
	fSolved   = "solved"
	fLast     = "last_post_at"
)

func langField(f, lang string) string { return f + "_" + lang }

// SetIndex makes the store search and list threads through ix and tell it
// about every write; the server calls it once, after opening the index
// with SearchIndexKind and ThreadListIndexKind among its kinds.
func (s *Store) SetIndex(ix *search.Index) {
	s.index = ix
	s.onChange = func(ctx context.Context, ids []string) {
		for _, id := range ids {
			// The write is done: the index follows even if the request ends.
			ix.Changed(context.WithoutCancel(ctx), SearchKind, id)
		}
	}
	if ix.Has(ThreadListKind) {
		s.onHead = func(ctx context.Context, threadID string) {
			ix.Changed(context.WithoutCancel(ctx), ThreadListKind, threadID)
		}
	}
}

// SearchIndexKind returns the discussions' kind for search.Open.
func (s *Store) SearchIndexKind() search.Kind { return postKind{s} }

type postKind struct{ s *Store }

func (postKind) Name() string { return SearchKind }
func (postKind) Version() int { return 1 }

func (postKind) Mapping() *mapping.DocumentMapping {
	m := bleve.NewDocumentStaticMapping()
	title := search.TextField("")
	title.Store = false
	m.AddFieldMappingsAt(fTitle, title)
	m.AddFieldMappingsAt(fText, search.TextField(""))
	for _, l := range search.Languages {
		t := search.TextField(l)
		t.Store = false
		m.AddFieldMappingsAt(langField(fTitle, l), t)
		x := search.TextField(l)
		x.Store = false
		m.AddFieldMappingsAt(langField(fText, l), x)
	}
	for _, f := range []string{fOpening, fCategory, fGroup, fAuthor, fTags, fSolved} {
		m.AddFieldMappingsAt(f, search.KeywordField(false))
	}
	// The thread and number come back with each hit.
	thread := search.KeywordField(false)
	thread.Store = true
	m.AddFieldMappingsAt(fThread, thread)
	n := search.NumberField()
	n.Store = true
	m.AddFieldMappingsAt(fN, n)
	m.AddFieldMappingsAt(fLast, search.DateField())
	return m
}

func (k postKind) Stamps(ctx context.Context) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := k.s.searchDocs(ctx, stampProjection, func(d *SearchDoc) error {
		out[d.ID] = d.Stamp
		return nil
	})
	return out, err
}

func (k postKind) All(ctx context.Context, fn func(*search.Doc) error) error {
	return k.s.SearchDocs(ctx, func(d *SearchDoc) error { return fn(d.indexDoc()) })
}

func (k postKind) Load(ctx context.Context, id string) (*search.Doc, error) {
	d, err := k.s.SearchDoc(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return d.indexDoc(), nil
}

func (d *SearchDoc) indexDoc() *search.Doc {
	f := map[string]any{fThread: d.ThreadID, fN: float64(d.N), fCategory: d.CategoryID, fAuthor: d.AuthorID,
		fText: d.Text, fLast: d.LastPostAt}
	if d.GroupID != "" {
		f[fGroup] = d.GroupID
	}
	if len(d.Tags) > 0 {
		f[fTags] = d.Tags
	}
	if d.Question {
		f[fSolved] = map[bool]string{true: "yes", false: "no"}[d.Solved]
	}
	if d.N == 1 {
		f[fOpening] = "yes"
		// Tags are words of the thread as much as its title.
		f[fTitle] = strings.TrimSpace(d.Title + " " + strings.Join(d.Tags, " "))
	}
	for _, l := range search.Languages {
		f[langField(fText, l)] = d.Text
		if d.N == 1 {
			f[langField(fTitle, l)] = f[fTitle]
		}
	}
	return &search.Doc{ID: d.ID, Stamp: d.Stamp, Fields: f}
}
