package search

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
)

type memKind struct{ docs map[string]string }

func (memKind) Name() string { return "mem" }
func (memKind) Version() int { return 1 }
func (memKind) Mapping() *mapping.DocumentMapping {
	dm := bleve.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt("text", TextField("en"))
	return dm
}
func (k memKind) Stamps(context.Context) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for id := range k.docs {
		out[id] = time.Unix(1, 0)
	}
	return out, nil
}
func (k memKind) All(ctx context.Context, fn func(*Doc) error) error {
	for id := range k.docs {
		d, _ := k.Load(ctx, id)
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}
func (k memKind) Load(_ context.Context, id string) (*Doc, error) {
	t, ok := k.docs[id]
	if !ok {
		return nil, nil
	}
	return &Doc{ID: id, Stamp: time.Unix(1, 0), Fields: map[string]any{"text": t}}, nil
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
