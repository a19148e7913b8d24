package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
)

// The path a replica takes on MongoDB (MONGODB_URI set), run against the
// embedded database served over its socket, the one database server this
// machine has: connect, durability settings, indexes and their uniqueness,
// and IndexIDLookups' branch for a database that is not embedded here.
func TestURIPath(t *testing.T) {
	ctx := context.Background()
	dir := shortDir(t, "pu")
	owner, err := Open(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(ctx)
	st, err := Open(ctx, Options{URI: owner.URI, Database: "replica"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	if st.Embedded || st.sqliteDir != "" || st.embedded != nil {
		t.Fatalf("a store opened by URI treats the database as embedded: %+v", st)
	}
	wc := st.DB.WriteConcern()
	if wc == nil || wc.W != "majority" || wc.Journal == nil || !*wc.Journal {
		t.Fatalf("write concern %+v, want majority and journaled", wc)
	}
	idx := []Index{{Collection: "things", Name: "slug", Keys: bson.D{{Key: "slug", Value: 1}}, Unique: true}}
	for range 2 { // every start-up ensures them again
		if err := st.EnsureIndexes(ctx, idx); err != nil {
			t.Fatal(err)
		}
	}
	col := st.DB.Collection("things")
	if _, err := col.InsertOne(ctx, bson.M{"_id": "a", "slug": "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := col.InsertOne(ctx, bson.M{"_id": "b", "slug": "x"}); !IsDuplicateKey(err) {
		t.Fatalf("second slug x: %v, want a duplicate key error", err)
	}
	// Not embedded here: IndexIDLookups leaves the server's files alone
	// (on MongoDB there are none), even though this server has them.
	if err := st.IndexIDLookups(ctx); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(owner.sqliteDir, "replica.sqlite")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the replica's database file: %v", err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE '%$id_lookup'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d _id lookup indexes (%v), want none from a store that does not own the files", n, err)
	}
	// The owner's pass adds them (the server's sweep runs it).
	if err := owner.WithDatabase("replica").IndexIDLookups(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE '%$id_lookup'`).Scan(&n); err != nil || n == 0 {
		t.Fatalf("%d _id lookup indexes (%v) after the owner's pass, want some", n, err)
	}
	var got bson.M
	if err := col.FindOne(ctx, bson.M{"_id": "a"}).Decode(&got); err != nil || got["slug"] != "x" {
		t.Fatalf("read back %v, %v", got, err)
	}
}
