package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

// TestIDLookupsUseAnIndex: after EnsureIndexes, the statements FerretDB
// runs for a lookup, an update and a delete by _id search an index
// instead of scanning the collection, and documents are still found,
// changed, deleted and kept unique by _id.
func TestIDLookupsUseAnIndex(t *testing.T) {
	st := storetest.New(t)
	if !st.Embedded {
		t.Skip("the embedded database only")
	}
	// The expression below is FerretDB's (internal/backends/sqlite/metadata
	// IDColumn); another FerretDB version may query differently.
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/FerretDB/FerretDB" && !strings.HasPrefix(d.Version, "v1.24.") {
				t.Fatalf("FerretDB %s: check that its SQLite backend still looks _id up by %s, then update this test", d.Version, store.IDLookupExprForTest)
			}
		}
	}
	ctx := context.Background()
	col := st.DB.Collection("things")
	var docs []any
	for i := 0; i < 50; i++ {
		docs = append(docs, bson.M{"_id": fmt.Sprintf("thing-%02d", i), "x": i})
	}
	if _, err := col.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureIndexes(ctx, []store.Index{{Collection: "things", Name: "x", Keys: bson.D{{Key: "x", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(store.SQLiteDirForTest(st), st.DB.Name()+".sqlite")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var table string
	if err := db.QueryRow(`SELECT table_name FROM _ferretdb_collections WHERE name = 'things'`).Scan(&table); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		fmt.Sprintf(`SELECT _ferretdb_sjson FROM %q WHERE %s = ?`, table, store.IDLookupExprForTest),
		fmt.Sprintf(`UPDATE %q SET _ferretdb_sjson = ? WHERE %s = ?`, table, store.IDLookupExprForTest),
		fmt.Sprintf(`DELETE FROM %q WHERE %s IN (?)`, table, store.IDLookupExprForTest),
	} {
		var plan []string
		rows, err := db.Query("EXPLAIN QUERY PLAN "+q, `"a"`, `"b"`)
		if err != nil {
			// DELETE takes one argument.
			rows, err = db.Query("EXPLAIN QUERY PLAN "+q, `"a"`)
		}
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "; "); !strings.Contains(p, "USING INDEX") {
			t.Errorf("%s\n  plan: %s", q, p)
		}
	}

	// Behaviour through the driver is unchanged.
	var got bson.M
	if err := col.FindOne(ctx, bson.M{"_id": "thing-07"}).Decode(&got); err != nil || got["x"] != int32(7) {
		t.Fatalf("find by _id: %v %v", got, err)
	}
	if res, err := col.UpdateOne(ctx, bson.M{"_id": "thing-07"}, bson.M{"$set": bson.M{"x": 70}}); err != nil || res.ModifiedCount != 1 {
		t.Fatalf("update by _id: %+v %v", res, err)
	}
	if err := col.FindOne(ctx, bson.M{"_id": "thing-07"}).Decode(&got); err != nil || got["x"] != int32(70) {
		t.Fatalf("after update: %v %v", got, err)
	}
	if _, err := col.InsertOne(ctx, bson.M{"_id": "thing-08"}); !store.IsDuplicateKey(err) {
		t.Fatalf("a second thing-08: %v, want a duplicate key error", err)
	}
	if res, err := col.DeleteOne(ctx, bson.M{"_id": "thing-08"}); err != nil || res.DeletedCount != 1 {
		t.Fatalf("delete by _id: %+v %v", res, err)
	}
	if n, err := col.CountDocuments(ctx, bson.M{}); err != nil || n != 49 {
		t.Fatalf("%d things left (%v), want 49", n, err)
	}
	// Running again (every start-up does) changes nothing.
	if err := st.EnsureIndexes(ctx, nil); err != nil {
		t.Fatal(err)
	}

	// A collection created at its first use gets the index at the next
	// pass (the server's sweep runs one).
	if _, err := st.DB.Collection("later").InsertOne(ctx, bson.M{"_id": "l1"}); err != nil {
		t.Fatal(err)
	}
	if err := st.IndexIDLookups(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE '%$id_lookup'
		AND tbl_name = (SELECT table_name FROM _ferretdb_collections WHERE name = 'later')`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("indexes on the later collection: %d (%v), want 1", n, err)
	}

	// A database dropped meanwhile is not brought back as an empty file.
	gone := st.WithDatabase(st.DB.Name() + "_gone")
	if _, err := gone.DB.Collection("x").InsertOne(ctx, bson.M{"_id": 1}); err != nil {
		t.Fatal(err)
	}
	if err := gone.DB.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := gone.IndexIDLookups(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(store.SQLiteDirForTest(gone), gone.DB.Name()+".sqlite")); !os.IsNotExist(err) {
		t.Fatalf("the dropped database's file: %v, want it absent", err)
	}
}
