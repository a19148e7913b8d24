package search

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
)

// memKind is a kind whose documents live in a map; replicas sharing one
// memKind share its "database". mu, when set, guards docs (tests that
// change documents while indexes read them) and stamps counts the full
// catch-ups' reads of every stamp.
type memKind struct {
	docs   map[string]string
	mu     *sync.Mutex
	stamps *atomic.Int32
}

func newMemKind(docs map[string]string) memKind {
	return memKind{docs: docs, mu: &sync.Mutex{}, stamps: &atomic.Int32{}}
}

func (k memKind) lock() func() {
	if k.mu == nil {
		return func() {}
	}
	k.mu.Lock()
	return k.mu.Unlock
}

func (k memKind) set(id, text string) {
	defer k.lock()()
	if text == "" {
		delete(k.docs, id)
		return
	}
	k.docs[id] = text
}

func (memKind) Name() string { return "mem" }
func (memKind) Version() int { return 1 }
func (memKind) Mapping() *mapping.DocumentMapping {
	dm := bleve.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt("text", TextField("en"))
	return dm
}
func (k memKind) Stamps(context.Context) (map[string]time.Time, error) {
	if k.stamps != nil {
		k.stamps.Add(1)
	}
	defer k.lock()()
	out := map[string]time.Time{}
	for id, text := range k.docs {
		out[id] = time.Unix(int64(len(text)), 0)
	}
	return out, nil
}
func (k memKind) All(ctx context.Context, fn func(*Doc) error) error {
	unlock := k.lock()
	var ids []string
	for id := range k.docs {
		ids = append(ids, id)
	}
	unlock()
	for _, id := range ids {
		d, _ := k.Load(ctx, id)
		if d == nil {
			continue
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}
func (k memKind) Load(_ context.Context, id string) (*Doc, error) {
	defer k.lock()()
	t, ok := k.docs[id]
	if !ok {
		return nil, nil
	}
	return &Doc{ID: id, Stamp: time.Unix(int64(len(t)), 0), Fields: map[string]any{"text": t}}, nil
}

// What a closed index held is there when it opens again: the mapping
// version (no rebuild) and the documents (nothing to catch up).
func TestIndexSurvivesClose(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "ix")
	k := memKind{docs: map[string]string{"a": "spare parts", "b": "battery"}}
	for round := 0; round < 2; round++ {
		ix, err := Open(Options{Dir: dir}, k)
		if err != nil {
			t.Fatal(err)
		}
		st, err := ix.CatchUp(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if round == 1 && (st.Added != 0 || st.Unchanged != 2) {
			t.Fatalf("reopened: %+v, want everything unchanged", st)
		}
		if ix.Watermark().IsZero() {
			t.Fatal("no watermark after a catch-up")
		}
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
