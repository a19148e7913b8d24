package resources

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/bus"
	"github.com/circularfairict/portal/search"
	"github.com/circularfairict/portal/store"
)

// KindLibrary is the library's kind in the search index.
const KindLibrary = "library"

// Index field names of the library kind. Text fields are suffixed with
// their language (head_fr, body_fr); facet fields prefixed f_.
const (
	fieldVisibility = "vis"
	fieldGroup      = "group"
	fieldOwner      = "owner"
	fieldGood       = "good"
	fieldCreated    = "created"
	fieldDownloads  = "downloads"
	// fieldLinks holds the targets of the resource's links: the resources
	// linking to one are found here, not by a database filter.
	fieldLinks = "links"
	fieldOrg   = "org"
	// fieldWords holds every word folded but not stemmed: the dictionary
	// "did you mean" draws real words from, and the one field a word still
	// being typed is looked up in as a prefix.
	fieldWords = "words"
)

// textLangs are the language suffixes of text fields: the analysed
// languages and "xx" for any other (folded, not stemmed).
var textLangs = append(append([]string(nil), search.Languages...), "xx")

func textField(base, lang string) string { return base + "_" + lang }

func facetField(f string) string { return "f_" + f }

// fieldFacets holds every facet value as facet + facetSep + value, the one
// field with doc values the facet counts read: a field's doc values are
// looked up per hit, so eight facet fields cost eight lookups for each
// resource found (library kind version 4). The f_ fields serve the
// selections, as terms.
const (
	fieldFacets = "facets"
	facetSep    = ":"
)

func facetValue(f, v string) string { return f + facetSep + v }

// libraryKind puts the library in the search index.
type libraryKind struct{ s *Service }

// IndexKind is the library's kind for search.Open.
func (s *Service) IndexKind() search.Kind { return libraryKind{s} }

// SetIndex gives the service the search index: searches go through it and
// every change is sent to it.
func (s *Service) SetIndex(ix *search.Index) { s.index = ix }

// SetChangeLog makes a service without an index number its changes in the
// search change log, for the servers running beside it (`portal import`).
func (s *Service) SetChangeLog(l *search.Log) { s.changeLog = l }

// changed tells the index that resource id changed (or, without one, the
// change log).
func (s *Service) changed(ctx context.Context, id string) {
	switch {
	case s.index != nil:
		s.index.Changed(context.WithoutCancel(ctx), KindLibrary, id)
	case s.changeLog != nil:
		if err := s.changeLog.Changed(context.WithoutCancel(ctx), KindLibrary, id); err != nil {
			slog.Warn("resources: number a change for the running servers: they see it at their next full catch-up", "id", id, "err", err)
		}
	}
}

func (libraryKind) Name() string { return KindLibrary }

// Version 1: title/summary/body per language, visibility and facets.
// Version 2: link targets.
// Version 3: title and summary in one head field per language (fewer
// fields for each query word to be looked up in).
// Version 4: the facet values in one field with doc values (facets).
func (libraryKind) Version() int { return 4 }

// Text fields per language: the head (title and summary, with those of the
// translations in that language) and the body (the files' text). A word is
// looked up in every field of every language, so each field more is one
// more term reader per word and per concept term: title and summary share
// one field, the head, which is short and weighs more.
const (
	baseHead = "head"
	baseBody = "body"
)

func (libraryKind) Mapping() *mapping.DocumentMapping {
	dm := bleve.NewDocumentStaticMapping()
	for _, l := range textLangs {
		lang := l
		if l == "xx" {
			lang = ""
		}
		for _, base := range []string{baseHead, baseBody} {
			dm.AddFieldMappingsAt(textField(base, l), search.TextField(lang))
		}
	}
	dm.AddFieldMappingsAt(fieldOrg, search.TextField(""))
	words := search.TextField("")
	words.Store, words.IncludeTermVectors = false, false
	dm.AddFieldMappingsAt(fieldWords, words)
	for _, f := range []string{fieldVisibility, fieldGroup, fieldOwner, fieldGood, fieldLinks} {
		dm.AddFieldMappingsAt(f, search.KeywordField(false))
	}
	for _, f := range Facets {
		dm.AddFieldMappingsAt(facetField(f), search.KeywordField(false))
	}
	dm.AddFieldMappingsAt(fieldFacets, search.KeywordField(true))
	dm.AddFieldMappingsAt(fieldCreated, search.DateField())
	dm.AddFieldMappingsAt(fieldDownloads, search.NumberField())
	return dm
}

// stamp is what catch-up compares: a resource's last indexed change.
type stampOnly struct {
	ID        string    `bson:"_id"`
	UpdatedAt time.Time `bson:"updated_at"`
	ChangedAt time.Time `bson:"changed_at"`
}

func (r stampOnly) stamp() time.Time {
	if r.ChangedAt.After(r.UpdatedAt) {
		return r.ChangedAt
	}
	return r.UpdatedAt
}

// Stamps lists the resources that belong in the index: withdrawn ones are
// never searched, so they are left out (and removed by catch-up).
func (k libraryKind) Stamps(ctx context.Context) (map[string]time.Time, error) {
	// Batches of 500: the embedded database decodes each whole resource to
	// apply the filter and projection, so a batch of 5,000 could outlast
	// the per-operation timeout on a busy machine at 10,000 resources, and
	// the start-up catch-up failed.
	cur, err := k.s.col(colResources).Find(ctx, bson.M{"withdrawn": bson.M{"$exists": false}},
		options.Find().SetProjection(bson.M{"_id": 1, "updated_at": 1, "changed_at": 1}).SetBatchSize(500))
	if err != nil {
		return nil, fmt.Errorf("resources: stamps: %w", err)
	}
	defer cur.Close(ctx)
	out := map[string]time.Time{}
	for cur.Next(ctx) {
		var r stampOnly
		if err := cur.Decode(&r); err != nil {
			return nil, fmt.Errorf("resources: stamps: %w", err)
		}
		out[r.ID] = r.stamp()
	}
	return out, cur.Err()
}

// All reads every resource that belongs in the index, with the text of
// its versions' files (looked up by _id, which every backend indexes).
func (k libraryKind) All(ctx context.Context, fn func(*search.Doc) error) error {
	cur, err := k.s.col(colResources).Find(ctx, bson.M{"withdrawn": bson.M{"$exists": false}},
		options.Find().SetProjection(listProjection).SetBatchSize(500))
	if err != nil {
		return fmt.Errorf("resources: index all: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var r Resource
		if err := cur.Decode(&r); err != nil {
			return fmt.Errorf("resources: index all: %w", err)
		}
		d, err := k.doc(ctx, &r)
		if err != nil {
			return err
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return cur.Err()
}

// Load reads one resource; nil when it is gone or withdrawn.
func (k libraryKind) Load(ctx context.Context, id string) (*search.Doc, error) {
	var r Resource
	err := k.s.col(colResources).FindOne(ctx, bson.M{"_id": id}, options.FindOne().SetProjection(listProjection)).Decode(&r)
	if store.IsNoDocuments(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resources: index load: %w", err)
	}
	if r.Withdrawn != nil {
		return nil, nil
	}
	return k.doc(ctx, &r)
}

// maxIndexedText bounds the text of one version's file in the index;
// maxDictionaryText what of it feeds "did you mean".
const (
	maxIndexedText    = 1 << 20
	maxDictionaryText = 64 << 10
)

func (k libraryKind) doc(ctx context.Context, r *Resource) (*search.Doc, error) {
	f := map[string]any{}
	add := func(field string, v string) {
		if v == "" {
			return
		}
		prev, _ := f[field].([]string)
		f[field] = append(prev, v)
	}
	// The head holds titles at even and summaries at odd positions, empty
	// ones included, so a snippet can be cut from a summary, never from a
	// title (which the result shows anyway).
	head := func(l, title, summary string) {
		prev, _ := f[textField(baseHead, l)].([]string)
		f[textField(baseHead, l)] = append(prev, title, summary)
	}
	langs := indexLangs(r.Languages)
	for _, l := range langs {
		head(l, r.Title, r.Summary)
	}
	for _, t := range r.Translations {
		for _, l := range indexLangs([]string{t.Lang}) {
			head(l, t.Title, t.Summary)
		}
	}
	// Every version's text: an older version's wording still finds the
	// resource. Versions sharing a file are read once.
	seen := map[string]bool{}
	for i := len(r.Versions) - 1; i >= 0; i-- {
		v := r.Versions[i]
		if seen[v.BlobID] || v.BlobID == "" {
			continue
		}
		seen[v.BlobID] = true
		var b blob
		if t, ok := k.s.inHand.Load(v.BlobID); ok {
			b.Text = t.(string)
		} else {
			err := k.s.col(colBlobs).FindOne(ctx, bson.M{"_id": v.BlobID}, options.FindOne().SetProjection(bson.M{"text": 1})).Decode(&b)
			if err != nil && !store.IsNoDocuments(err) {
				return nil, fmt.Errorf("resources: index text: %w", err)
			}
		}
		text := clip(b.Text, maxIndexedText)
		for _, l := range langs {
			add(textField(baseBody, l), text)
		}
	}
	add(fieldOrg, r.Organisation)
	// The dictionary needs each word once, not every occurrence: titles,
	// summaries and the start of each text are plenty for suggestions,
	// and a second analysis of whole files would double indexing work.
	for _, k := range []string{baseHead, baseBody} {
		for _, v := range asStrings(f[textField(k, langs[0])]) {
			f[fieldWords] = append(asStrings(f[fieldWords]), clip(v, maxDictionaryText))
		}
	}
	for _, t := range r.Translations {
		f[fieldWords] = append(asStrings(f[fieldWords]), t.Title, t.Summary)
	}
	f[fieldVisibility] = string(r.Visibility)
	f[fieldGroup] = r.GroupID
	f[fieldOwner] = r.OwnerID
	f[fieldGood] = fmt.Sprint(r.GoodPractice)
	var targets []string
	for _, l := range r.Links {
		targets = append(targets, l.Target)
	}
	if len(targets) > 0 {
		f[fieldLinks] = targets
	}
	f[fieldCreated] = r.CreatedAt
	f[fieldDownloads] = float64(r.Downloads)
	var all []string
	for _, name := range Facets {
		if vs := facetValues(r, name); len(vs) > 0 {
			f[facetField(name)] = vs
			for _, v := range vs {
				all = append(all, facetValue(name, v))
			}
		}
	}
	if len(all) > 0 {
		f[fieldFacets] = all
	}
	return &search.Doc{ID: r.ID, Stamp: stampOnly{UpdatedAt: r.UpdatedAt, ChangedAt: r.ChangedAt}.stamp(), Fields: f}, nil
}

// indexLangs maps a resource's languages to text field suffixes.
func indexLangs(langs []string) []string {
	var out []string
	for _, l := range langs {
		s := "xx"
		for _, a := range search.Languages {
			if a == l {
				s = l
			}
		}
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = []string{"xx"}
	}
	return out
}

func asStrings(v any) []string { s, _ := v.([]string); return s }

// OpenIndex opens a search index in dir holding the library alone, gives
// it to s and brings it level with the database before returning: for
// tools (the benchmark) and tests that need no other kind.
func (s *Service) OpenIndex(ctx context.Context, dir string, b bus.Bus) (*search.Index, error) {
	ix, err := search.Open(search.Options{Dir: dir, Bus: b}, s.IndexKind())
	if err != nil {
		return nil, err
	}
	if err := ix.Start(ctx); err != nil {
		_ = ix.Close()
		return nil, err
	}
	ix.Wait()
	s.SetIndex(ix)
	return ix, nil
}
