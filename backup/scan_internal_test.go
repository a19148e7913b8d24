package backup

import (
	"context"
	"os"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// TestScanReadsOneSnapshot: on the embedded database a scan reads the
// collection as it was when the scan started, whatever is written during
// it (what docs/operations.md promises for a backup). Writes land after
// the first batch, so they reach FerretDB while its cursor is open.
func TestScanReadsOneSnapshot(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	if ferret, err := isFerret(ctx, st.DB); err != nil || !ferret {
		t.Skip("the snapshot is a property of the embedded database's storage")
	}
	c := st.DB.Collection("notes")
	const n = 1200 // several batches of 256
	docs := make([]any, n)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: i}, {Key: "v", Value: "before"}}
	}
	if _, err := c.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	seen, changed := 0, 0
	err := scan(ctx, st.DB, "notes", func(doc bson.Raw) error {
		if seen == 1 {
			if _, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: n - 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: "after"}}}}); err != nil {
				return err
			}
			if _, err := c.DeleteOne(ctx, bson.D{{Key: "_id", Value: n - 2}}); err != nil {
				return err
			}
			if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: n}, {Key: "v", Value: "new"}}); err != nil {
				return err
			}
		}
		seen++
		if v, _ := doc.Lookup("v").StringValueOK(); v != "before" {
			changed++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != n || changed != 0 {
		t.Fatalf("the scan saw %d documents, %d of them written during it; want %d, none", seen, changed, n)
	}
	// The writes did happen, during the scan.
	if k, err := c.CountDocuments(ctx, bson.D{{Key: "v", Value: bson.D{{Key: "$ne", Value: "before"}}}}); err != nil || k != 2 {
		t.Fatalf("%d documents written during the scan, want 2: %v", k, err)
	}
}
