package workshops

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/store"
)

// textsID is the document of colLists that holds every workshop's title
// and description, so that a search over the listed workshops (the site
// search's workshops tab and count) tests the words against it and reads
// only the matching workshops by _id: reading the listed ones to test
// them cost about 300 lookups per search at full scale (500 workshops).
// It is read only by searches (the schedule, read by every list, stays
// smaller), and each entry holds each word of the text once (searchText). Titles and descriptions are not edited after creation (Create,
// Put), so an entry is written once; List tests each workshop it reads
// again, and a workshop without an entry is read and tested itself, so a
// missing or stale entry never shows a workshop the words refuse. The
// layout is store's too (the schema 9 backfill).
const textsID = "texts"

type textEntry struct {
	ID   string `bson:"id"`
	Text string `bson:"text"`
}

type textsDoc struct {
	ID      string      `bson:"_id"`
	Entries []textEntry `bson:"entries"`
}

// Text is what a search tests of a workshop: its title and description.
func (w *Workshop) Text() string { return w.Title + " " + w.Description }

// searchText is the entry of w's Text: each of its words (runs without
// white space) once, joined by spaces. A search tests whether its folded
// words, which hold no white space, are inside the folded text; such a
// word can only lie inside one run, and folding keeps runs apart, so the
// entry answers as the text does, smaller (316 KB instead of 401 KB for
// the 504 workshops of the full-scale benchmark).
func searchText(w *Workshop) string {
	seen := map[string]bool{}
	var out []string
	for _, f := range strings.Fields(w.Text()) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return strings.Join(out, " ")
}

type memoKey struct{}

// listsMemo keeps the schedule and the texts one request read: the
// combined search lists upcoming and past workshops, and each document is
// some hundreds of kilobytes at full scale.
type listsMemo struct {
	mu       sync.Mutex
	schedule []scheduleEntry
	texts    map[string]string
}

// WithListsMemo returns ctx under which List reads the schedule and the
// texts once: for a request that only reads, never around a write.
func WithListsMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKey{}, &listsMemo{})
}

func (s *Store) listedSchedule(ctx context.Context) ([]scheduleEntry, error) {
	m, _ := ctx.Value(memoKey{}).(*listsMemo)
	if m == nil {
		return s.sched.Get(ctx)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.schedule == nil {
		es, err := s.sched.Get(ctx)
		if err != nil {
			return nil, err
		}
		m.schedule = append([]scheduleEntry{}, es...)
	}
	return m.schedule, nil
}

func (s *Store) listedTexts(ctx context.Context) (map[string]string, error) {
	m, _ := ctx.Value(memoKey{}).(*listsMemo)
	if m == nil {
		return s.texts.Get(ctx)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.texts == nil {
		ts, err := s.texts.Get(ctx)
		if err != nil {
			return nil, err
		}
		m.texts = ts
	}
	return m.texts, nil
}

// readTexts reads the texts document (the copy's reader, and the repair's).
func (s *Store) readTexts(ctx context.Context) (map[string]string, error) {
	var d textsDoc
	if err := s.col(colLists).FindOne(ctx, bson.M{"_id": textsID}).Decode(&d); err != nil {
		if store.IsNoDocuments(err) {
			return map[string]string{}, nil
		}
		return nil, fmt.Errorf("workshops: texts: %w", err)
	}
	out := make(map[string]string, len(d.Entries))
	for _, e := range d.Entries {
		out[e.ID] = e.Text
	}
	return out, nil
}

// enterText records w's text under the document's lock (FerretDB writes
// it whole from its read).
func (s *Store) enterText(ctx context.Context, w *Workshop) error {
	lctx, unlock, err := store.Lock(ctx, s.db, colLists+"/"+textsID)
	if err != nil {
		return err
	}
	defer unlock()
	var d textsDoc
	if err := s.col(colLists).FindOne(lctx, bson.M{"_id": textsID}).Decode(&d); err != nil && !store.IsNoDocuments(err) {
		return fmt.Errorf("workshops: texts: %w", err)
	}
	e := textEntry{ID: w.ID, Text: searchText(w)}
	switch i := slices.IndexFunc(d.Entries, func(o textEntry) bool { return o.ID == w.ID }); {
	case i < 0:
		d.Entries = append(d.Entries, e)
	case d.Entries[i].Text == e.Text:
		return nil
	default:
		d.Entries[i] = e
	}
	if _, err := s.col(colLists).ReplaceOne(lctx, bson.M{"_id": textsID}, textsDoc{ID: textsID, Entries: d.Entries},
		options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("workshops: texts: %w", err)
	}
	return s.texts.Touch(ctx)
}
