package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/event"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/gridfs"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

// Two replicas starting together on an old database run each migration
// once, and both end on the new version.
func TestUpgradeRunsEachMigrationOnceAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	client, err := store.Connect(ctx, st.URI, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	other := st.WithClient(client, st.DB.Name())
	var runs [3]atomic.Int32
	ms := []store.Migration{
		{Version: 1, Name: "baseline", Run: func(context.Context, *mongo.Database) error { runs[1].Add(1); return nil }},
		{Version: 2, Name: "add a field", Run: func(ctx context.Context, db *mongo.Database) error {
			runs[2].Add(1)
			time.Sleep(50 * time.Millisecond) // long enough for the other replica to wait for it
			_, err := db.Collection("things").UpdateMany(ctx, bson.M{"flag": bson.M{"$exists": false}}, bson.M{"$set": bson.M{"flag": true}})
			return err
		}},
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, s := range []*store.Store{st, other} {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = store.UpgradeForTest(s, ctx, ms, 2) }()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if runs[1].Load() != 1 || runs[2].Load() != 1 {
		t.Errorf("migrations ran %d and %d times, want once each", runs[1].Load(), runs[2].Load())
	}
	if v, err := st.SchemaVersion(ctx); err != nil || v != 2 {
		t.Errorf("schema version %d (%v), want 2", v, err)
	}
	// A restart finds nothing to do.
	if err := store.UpgradeForTest(st, ctx, ms, 2); err != nil || runs[2].Load() != 1 {
		t.Errorf("restart: %v, migration 2 ran %d times", err, runs[2].Load())
	}
}

// A database that a later release upgraded is refused, by version.
func TestUpgradeRefusesANewerDatabase(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	if err := st.Upgrade(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if v, err := st.SchemaVersion(ctx); err != nil || v != store.CurrentSchema {
		t.Fatalf("schema version %d (%v), want %d", v, err, store.CurrentSchema)
	}
	if _, err := st.DB.Collection("portal_meta").UpdateOne(ctx, bson.M{"_id": "schema"}, bson.M{"$set": bson.M{"version": store.CurrentSchema + 1}}); err != nil {
		t.Fatal(err)
	}
	err := st.Upgrade(ctx, nil)
	var newer *store.ErrNewerSchema
	if !errors.As(err, &newer) || newer.Database != store.CurrentSchema+1 || !strings.Contains(err.Error(), "newer release") {
		t.Fatalf("upgrade of a newer database: %v", err)
	}
}

// Migration 2 unsets the library's term arrays and drops their index, and
// finds nothing to do when run again.
func TestUpgradeDropsResourceTerms(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	col := st.DB.Collection("resources")
	if _, err := col.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "terms", Value: 1}}, Options: options.Index().SetName("terms")}); err != nil {
		t.Fatal(err)
	}
	if _, err := col.InsertMany(ctx, []any{
		bson.M{"_id": "a", "title": "A", "terms": bson.A{"a"}, "title_terms": bson.A{"a"}},
		bson.M{"_id": "b", "title": "B"},
	}); err != nil {
		t.Fatal(err)
	}
	for run := 0; run < 2; run++ {
		if err := st.Upgrade(ctx, nil); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if _, err := st.DB.Collection("portal_meta").UpdateOne(ctx, bson.M{"_id": "schema"}, bson.M{"$set": bson.M{"version": 1}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.Collection("schema_migrations").DeleteMany(ctx, bson.M{}); err != nil {
			t.Fatal(err)
		}
	}
	var a bson.M
	if err := col.FindOne(ctx, bson.M{"_id": "a"}).Decode(&a); err != nil {
		t.Fatal(err)
	}
	if _, ok := a["terms"]; ok || a["title_terms"] != nil || a["title"] != "A" {
		t.Fatalf("after the migration: %v", a)
	}
	specs, err := col.Indexes().ListSpecifications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range specs {
		if sp.Name == "terms" {
			t.Fatal("the terms index is still there")
		}
	}
}

// Schema 3 takes the term arrays and their indexes out of threads and
// posts, and a second run finds nothing to do.
func TestUpgradeDropsForumTerms(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	for _, name := range []string{"forum_threads", "forum_posts"} {
		col := st.DB.Collection(name)
		if _, err := col.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "terms", Value: 1}}, Options: options.Index().SetName("terms")}); err != nil {
			t.Fatal(err)
		}
		if _, err := col.InsertMany(ctx, []any{bson.M{"_id": "a", "title": "A", "terms": bson.A{"a"}}, bson.M{"_id": "b", "title": "B"}}); err != nil {
			t.Fatal(err)
		}
	}
	for run := 0; run < 2; run++ {
		if err := st.Upgrade(ctx, nil); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if _, err := st.DB.Collection("portal_meta").UpdateOne(ctx, bson.M{"_id": "schema"}, bson.M{"$set": bson.M{"version": 2}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.Collection("schema_migrations").DeleteMany(ctx, bson.M{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"forum_threads", "forum_posts"} {
		col := st.DB.Collection(name)
		var a bson.M
		if err := col.FindOne(ctx, bson.M{"_id": "a"}).Decode(&a); err != nil {
			t.Fatal(err)
		}
		if _, ok := a["terms"]; ok || a["title"] != "A" {
			t.Fatalf("%s after the migration: %v", name, a)
		}
		specs, err := col.Indexes().ListSpecifications(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range specs {
			if sp.Name == "terms" {
				t.Fatalf("the %s terms index is still there", name)
			}
		}
	}
}

// Schema 4 gives each member's identities their claim documents (not the
// "deleted" key of an erased member), keeps claims made meanwhile, and a
// second run changes nothing.
func TestUpgradeBackfillsIdentities(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	if _, err := st.DB.Collection("members").InsertMany(ctx, []any{
		bson.M{"_id": "m1", "identity_keys": bson.A{"oidc\x00a", "github\x00b"}},
		bson.M{"_id": "m2", "identity_keys": bson.A{"oidc\x00c"}},
		bson.M{"_id": "m3", "identity_keys": bson.A{"deleted\x00m3"}},
	}); err != nil {
		t.Fatal(err)
	}
	// A replica of this release already claimed one.
	if _, err := st.DB.Collection(store.ColIdentities).InsertOne(ctx, bson.M{"_id": "oidc\x00c", "member_id": "m2"}); err != nil {
		t.Fatal(err)
	}
	for run := 0; run < 2; run++ {
		if err := st.Upgrade(ctx, nil); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if _, err := st.DB.Collection("portal_meta").UpdateOne(ctx, bson.M{"_id": "schema"}, bson.M{"$set": bson.M{"version": 3}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.Collection("schema_migrations").DeleteMany(ctx, bson.M{}); err != nil {
			t.Fatal(err)
		}
	}
	empty := storetest.New(t) // a new database gets the collection, for its _id index
	if err := empty.Upgrade(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if names, err := empty.DB.ListCollectionNames(ctx, bson.M{"name": store.ColIdentities}); err != nil || len(names) != 1 {
		t.Fatalf("a new database's identity claims collection: %v %v", names, err)
	}
	want := map[string]string{"oidc\x00a": "m1", "github\x00b": "m1", "oidc\x00c": "m2"}
	n, err := st.DB.Collection(store.ColIdentities).CountDocuments(ctx, bson.M{})
	if err != nil || n != int64(len(want)) {
		t.Fatalf("%d identity claims (%v), want %d", n, err, len(want))
	}
	for key, member := range want {
		var d struct {
			Member string `bson:"member_id"`
		}
		if err := st.DB.Collection(store.ColIdentities).FindOne(ctx, bson.M{"_id": key}).Decode(&d); err != nil || d.Member != member {
			t.Fatalf("claim %q: %+v %v, want member %s", key, d, err, member)
		}
	}
}

// Schema 5 lists each member's groups (coordinators too, each group once),
// keeps what a replica of this release listed meanwhile, and a second run
// changes nothing.
func TestUpgradeBackfillsMemberGroups(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	if _, err := st.DB.Collection("groups").InsertMany(ctx, []any{
		bson.M{"_id": "g1", "members": bson.A{"m1", "m2"}, "coordinators": bson.A{"c1"}},
		bson.M{"_id": "g2", "members": bson.A{"m1"}, "coordinators": bson.A{"m1"}},
		bson.M{"_id": "g3", "members": nil, "coordinators": bson.A{"c1"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Collection(store.ColMemberGroups).InsertOne(ctx, bson.M{"_id": "m3", "ids": bson.A{"g4"}}); err != nil {
		t.Fatal(err)
	}
	for run := 0; run < 2; run++ {
		if err := st.Upgrade(ctx, nil); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if _, err := st.DB.Collection("portal_meta").UpdateOne(ctx, bson.M{"_id": "schema"}, bson.M{"$set": bson.M{"version": 4}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.Collection("schema_migrations").DeleteMany(ctx, bson.M{}); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string][]string{"m1": {"g1", "g2"}, "m2": {"g1"}, "c1": {"g1", "g3"}, "m3": {"g4"}}
	n, err := st.DB.Collection(store.ColMemberGroups).CountDocuments(ctx, bson.M{})
	if err != nil || n != int64(len(want)) {
		t.Fatalf("%d member lists (%v), want %d", n, err, len(want))
	}
	for member, groups := range want {
		var d struct {
			Groups []string `bson:"ids"`
		}
		if err := st.DB.Collection(store.ColMemberGroups).FindOne(ctx, bson.M{"_id": member}).Decode(&d); err != nil {
			t.Fatal(err)
		}
		slices.Sort(d.Groups)
		if !slices.Equal(d.Groups, groups) {
			t.Fatalf("%s's groups %v, want %v", member, d.Groups, groups)
		}
	}
}

// Schema 6 lists each registration on its workshop's and its member's
// list, adding to what a replica of this release listed meanwhile.
func TestUpgradeBackfillsRegistrationLists(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	if _, err := st.DB.Collection("workshop_registrations").InsertMany(ctx, []any{
		bson.M{"_id": "w1/m1", "workshop_id": "w1", "member_id": "m1", "status": "registered"},
		bson.M{"_id": "w1/m2", "workshop_id": "w1", "member_id": "m2", "status": "cancelled"},
		bson.M{"_id": "w2/m1", "workshop_id": "w2", "member_id": "m1", "status": "waitlisted"},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Collection(store.ColWorkshopLists).InsertOne(ctx, bson.M{"_id": "w1:", "ids": bson.A{"x"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Collection(store.ColWorkshopLists).InsertOne(ctx, bson.M{"_id": "w:w2", "ids": bson.A{"m3"}}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	if _, err := st.DB.Collection("workshops").InsertMany(ctx, []any{
		bson.M{"_id": "w1", "group_id": "g", "starts_at": t0, "ends_at": t0.Add(time.Hour), "title": "One"},
		bson.M{"_id": "w2", "starts_at": t0, "ends_at": t0.Add(time.Hour), "title": "Two", "description": "Two  words\ntwo"},
	}); err != nil {
		t.Fatal(err)
	}
	// A replica of this release entered w2 with newer times.
	if _, err := st.DB.Collection(store.ColWorkshopLists).InsertOne(ctx, bson.M{"_id": "schedule", "entries": bson.A{
		bson.M{"id": "w2", "starts": t0.Add(24 * time.Hour), "ends": t0.Add(25 * time.Hour)}}}); err != nil {
		t.Fatal(err)
	}
	for run := 0; run < 2; run++ {
		if err := st.Upgrade(ctx, nil); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if _, err := st.DB.Collection("portal_meta").UpdateOne(ctx, bson.M{"_id": "schema"}, bson.M{"$set": bson.M{"version": 5}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.Collection("schema_migrations").DeleteMany(ctx, bson.M{}); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string][]string{"w:w1": {"m1", "m2"}, "w:w2": {"m1", "m3"}, "m:m1": {"w1", "w2"}, "m:m2": {"w1"}}
	for id, ids := range want {
		var d struct {
			IDs []string `bson:"ids"`
		}
		if err := st.DB.Collection(store.ColWorkshopLists).FindOne(ctx, bson.M{"_id": id}).Decode(&d); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		slices.Sort(d.IDs)
		if !slices.Equal(d.IDs, ids) {
			t.Fatalf("list %s: %v, want %v", id, d.IDs, ids)
		}
	}
	var sched struct {
		Entries []struct {
			ID     string    `bson:"id"`
			Group  string    `bson:"group"`
			Starts time.Time `bson:"starts"`
		} `bson:"entries"`
	}
	if err := st.DB.Collection(store.ColWorkshopLists).FindOne(ctx, bson.M{"_id": "schedule"}).Decode(&sched); err != nil {
		t.Fatal(err)
	}
	if len(sched.Entries) != 2 || sched.Entries[0].ID != "w2" || !sched.Entries[0].Starts.Equal(t0.Add(24*time.Hour)) ||
		sched.Entries[1].ID != "w1" || sched.Entries[1].Group != "g" || !sched.Entries[1].Starts.Equal(t0) {
		t.Fatalf("schedule %+v", sched.Entries)
	}
	// Schema 9 (run twice above) writes each workshop's title and
	// description once, each word once.
	var texts struct {
		Entries []struct {
			ID   string `bson:"id"`
			Text string `bson:"text"`
		} `bson:"entries"`
	}
	if err := st.DB.Collection(store.ColWorkshopLists).FindOne(ctx, bson.M{"_id": "texts"}).Decode(&texts); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range texts.Entries {
		got[e.ID] = e.Text
	}
	if len(texts.Entries) != 2 || got["w1"] != "One" || got["w2"] != "Two words two" {
		t.Fatalf("texts %+v", texts.Entries)
	}
}

// Schema 7 records, for each resource whose discussion has an _id of its
// own, the oldest such thread; none where a thread has the resource's ID;
// a second run writes the same.
func TestUpgradeBackfillsResourceThreads(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	if _, err := st.DB.Collection("forum_threads").InsertMany(ctx, []any{
		bson.M{"_id": "t2", "resource_id": "r1", "created_at": t0.Add(time.Hour)},
		bson.M{"_id": "t1", "resource_id": "r1", "created_at": t0},
		bson.M{"_id": "t3", "resource_id": "r2", "created_at": t0},
		bson.M{"_id": "r2", "resource_id": "r2", "created_at": t0.Add(time.Hour)},
		bson.M{"_id": "r3", "resource_id": "r3", "created_at": t0},
		bson.M{"_id": "t5", "resource_id": "r4", "created_at": t0},
		bson.M{"_id": "t4", "resource_id": "r4", "created_at": t0},
		bson.M{"_id": "t6", "created_at": t0},
		bson.M{"_id": "t7", "resource_id": "", "created_at": t0},
	}); err != nil {
		t.Fatal(err)
	}
	for run := 0; run < 2; run++ {
		if err := st.Upgrade(ctx, nil); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if _, err := st.DB.Collection("portal_meta").UpdateOne(ctx, bson.M{"_id": "schema"}, bson.M{"$set": bson.M{"version": 6}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.Collection("schema_migrations").DeleteMany(ctx, bson.M{}); err != nil {
			t.Fatal(err)
		}
	}
	cur, err := st.DB.Collection(store.ColResourceThreads).Find(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var got []struct {
		ID       string `bson:"_id"`
		ThreadID string `bson:"thread_id"`
	}
	if err := cur.All(ctx, &got); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, d := range got {
		m[d.ID] = d.ThreadID
	}
	if len(m) != 2 || m["r1"] != "t1" || m["r4"] != "t4" {
		t.Fatalf("resource threads %v; want r1: t1 and r4: t4 only", m)
	}
}

// Schema 8 lists each mark's member on its resource's list, adding to
// what a replica of this release listed meanwhile.
func TestUpgradeBackfillsMarkLists(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	if _, err := st.DB.Collection("resource_marks").InsertMany(ctx, []any{
		bson.M{"_id": "r1:m1", "resource_id": "r1", "member_id": "m1"},
		bson.M{"_id": "r1:m2", "resource_id": "r1", "member_id": "m2"},
		bson.M{"_id": "r2:m1", "resource_id": "r2", "member_id": "m1"},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Collection(store.ColMarkLists).InsertOne(ctx, bson.M{"_id": "r2", "ids": bson.A{"m3"}}); err != nil {
		t.Fatal(err)
	}
	for run := 0; run < 2; run++ {
		if err := st.Upgrade(ctx, nil); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if _, err := st.DB.Collection("portal_meta").UpdateOne(ctx, bson.M{"_id": "schema"}, bson.M{"$set": bson.M{"version": 7}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.Collection("schema_migrations").DeleteMany(ctx, bson.M{}); err != nil {
			t.Fatal(err)
		}
	}
	for id, want := range map[string][]string{"r1": {"m1", "m2"}, "r2": {"m1", "m3"}} {
		got, err := store.ListedIDs(ctx, st.DB.Collection(store.ColMarkLists), id)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("marks of %s: %v, want %v", id, got, want)
		}
	}
}

// Schema 10 stores again, under chunk _ids derived from the file, every
// file a blob references whose chunks have ObjectID _ids: a stop between
// copy and switch, or between switch and deletion, leaves each blob on a
// whole file, and the next run completes the work; a third changes
// nothing. Files no blob references, and files already in the new layout,
// are left alone; a blob whose old file lacks a chunk stays on it.
func TestUpgradeRestoresLegacyChunks(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	bucket, err := gridfs.NewBucket(st.DB, options.GridFSBucket().SetName("library"))
	if err != nil {
		t.Fatal(err)
	}
	const chunk = 255 << 10
	data := map[string][]byte{}
	legacy := func(key string, size int, blob string) {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(i*7 + len(key))
		}
		data[key] = b
		if err := bucket.UploadFromStreamWithID(key, key, bytes.NewReader(b), options.GridFSUpload().SetChunkSizeBytes(chunk)); err != nil {
			t.Fatal(err)
		}
		if blob != "" {
			if _, err := st.DB.Collection("resource_blobs").InsertOne(ctx, bson.M{"_id": blob, "file_id": key, "size": size}); err != nil {
				t.Fatal(err)
			}
		}
	}
	legacy("aaaa", 2*chunk+5, "blob-a") // converted in one go after the stop
	legacy("bbbb", chunk, "blob-b")     // switched by hand during the stop
	legacy("cccc", 10, "blob-c")        // one short chunk
	legacy("empty", 0, "blob-e")        // no chunks at all
	legacy("orphan", chunk+1, "")       // no blob: an upload still under way
	legacy("dddd", 2*chunk, "blob-d")   // damaged: chunk 1 lost
	if _, err := st.DB.Collection("library.chunks").DeleteOne(ctx, bson.M{"files_id": "dddd", "n": 1}); err != nil {
		t.Fatal(err)
	}
	newLayout := []byte("stored by this release")
	if _, err := st.DB.Collection("library.chunks").InsertOne(ctx, bson.M{"_id": store.ChunkID("nnnn", 0), "files_id": "nnnn", "n": 0, "data": newLayout}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Collection("library.files").InsertOne(ctx, bson.M{"_id": "nnnn", "length": int64(len(newLayout)), "chunkSize": int32(chunk), "filename": "nnnn"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Collection("resource_blobs").InsertOne(ctx, bson.M{"_id": "blob-n", "file_id": "nnnn"}); err != nil {
		t.Fatal(err)
	}
	data["nnnn"] = newLayout

	fileOf := func(blob string) string {
		var b struct {
			FileID string `bson:"file_id"`
		}
		if err := st.DB.Collection("resource_blobs").FindOne(ctx, bson.M{"_id": blob}).Decode(&b); err != nil {
			t.Fatal(err)
		}
		return b.FileID
	}
	// readNew reads a file chunk by chunk by _id, as downloads do.
	readNew := func(key string) []byte {
		var f struct {
			Length    int64 `bson:"length"`
			ChunkSize int64 `bson:"chunkSize"`
		}
		if err := st.DB.Collection("library.files").FindOne(ctx, bson.M{"_id": key}).Decode(&f); err != nil {
			t.Fatalf("files document of %s: %v", key, err)
		}
		var out []byte
		for n := int64(0); n*f.ChunkSize < f.Length; n++ {
			var c struct {
				Data []byte `bson:"data"`
			}
			if err := st.DB.Collection("library.chunks").FindOne(ctx, bson.M{"_id": store.ChunkID(key, n)}).Decode(&c); err != nil {
				t.Fatalf("chunk %d of %s by _id: %v", n, key, err)
			}
			out = append(out, c.Data...)
		}
		return out
	}
	readOld := func(key string) []byte {
		var buf bytes.Buffer
		if _, err := bucket.DownloadToStream(key, &buf); err != nil {
			t.Fatalf("old file %s: %v", key, err)
		}
		return buf.Bytes()
	}
	again := func() {
		t.Helper()
		if _, err := st.DB.Collection("portal_meta").UpdateOne(ctx, bson.M{"_id": "schema"}, bson.M{"$set": bson.M{"version": 9}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.Collection("schema_migrations").DeleteMany(ctx, bson.M{}); err != nil {
			t.Fatal(err)
		}
	}

	// Stopped between the copies and the switch: every blob still on its
	// old file, which reads as before.
	stop := errors.New("stopped")
	undo := store.SetAfterChunkCopyForTest(func() error { return stop })
	if err := st.Upgrade(ctx, nil); !errors.Is(err, stop) {
		t.Fatalf("upgrade with a stop: %v", err)
	}
	undo()
	for blob, key := range map[string]string{"blob-a": "aaaa", "blob-b": "bbbb", "blob-c": "cccc"} {
		if got := fileOf(blob); got != key {
			t.Fatalf("%s on %s after the stop, want %s", blob, got, key)
		}
		if !bytes.Equal(readOld(key), data[key]) {
			t.Fatalf("%s reads differently after the stop", key)
		}
	}
	// Then stopped after switching blob-b, before deleting its old file.
	if _, err := st.DB.Collection("resource_blobs").UpdateOne(ctx, bson.M{"_id": "blob-b"}, bson.M{"$set": bson.M{"file_id": "bbbb-s10"}}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readNew("bbbb-s10"), data["bbbb"]) {
		t.Fatal("the copy of bbbb differs")
	}

	for run := 0; run < 2; run++ {
		again()
		if err := st.Upgrade(ctx, nil); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		for blob, key := range map[string]string{"blob-a": "aaaa", "blob-b": "bbbb", "blob-c": "cccc"} {
			got := fileOf(blob)
			if got != key+"-s10" || !bytes.Equal(readNew(got), data[key]) {
				t.Fatalf("run %d: %s on %s, want a whole copy of %s", run, blob, got, key)
			}
			if err := st.DB.Collection("library.files").FindOne(ctx, bson.M{"_id": key}).Err(); !store.IsNoDocuments(err) {
				t.Fatalf("run %d: old file %s still there (%v)", run, key, err)
			}
			if n, err := st.DB.Collection("library.chunks").CountDocuments(ctx, bson.M{"files_id": key}); err != nil || n != 0 {
				t.Fatalf("run %d: %d old chunks of %s left (%v)", run, n, key, err)
			}
		}
		if fileOf("blob-d") != "dddd" {
			t.Fatalf("run %d: the damaged file's blob was switched to %s", run, fileOf("blob-d"))
		}
		if fileOf("blob-e") != "empty" || fileOf("blob-n") != "nnnn" || !bytes.Equal(readNew("nnnn"), newLayout) {
			t.Fatalf("run %d: the empty file or the new-layout file was touched", run)
		}
		if !bytes.Equal(readOld("orphan"), data["orphan"]) || !bytes.Equal(readOld("empty"), nil) {
			t.Fatalf("run %d: a file no blob needs was touched", run)
		}
	}
}

// TestMeasureChunkMigration times schema 10 on a library of legacy files
// (100 KiB each, one blob each), when PORTAL_MEASURE_CHUNK_MIGRATION_FILES
// gives their number:
//
//	PORTAL_MEASURE_CHUNK_MIGRATION_FILES=500 go test -count=1 -run TestMeasureChunkMigration -v ./store/
func TestMeasureChunkMigration(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("PORTAL_MEASURE_CHUNK_MIGRATION_FILES"))
	if n <= 0 {
		t.Skip("set PORTAL_MEASURE_CHUNK_MIGRATION_FILES")
	}
	ctx := context.Background()
	st, bucket := upgradedWithLibrary(t)
	data := bytes.Repeat([]byte("line of a tender annex\n"), 100<<10/23)
	for i := 0; i < n; i++ {
		key := store.NewID()
		if err := bucket.UploadFromStreamWithID(key, key, bytes.NewReader(data), options.GridFSUpload().SetChunkSizeBytes(255<<10)); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.Collection("resource_blobs").InsertOne(ctx, bson.M{"_id": "b" + key, "file_id": key}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.IndexIDLookups(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Collection("portal_meta").UpdateOne(ctx, bson.M{"_id": "schema"}, bson.M{"$set": bson.M{"version": 9}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Collection("schema_migrations").DeleteOne(ctx, bson.M{"_id": "10"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := st.Upgrade(ctx, nil); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	left, err := st.DB.Collection("resource_blobs").CountDocuments(ctx, bson.M{"file_id": bson.M{"$not": bson.M{"$regex": "-s10$"}}})
	if err != nil || left != 0 {
		t.Fatalf("%d blobs not switched (%v)", left, err)
	}
	t.Logf("schema 10 re-stored %d files of %d KiB in %v", n, len(data)>>10, took.Round(time.Millisecond))
}

// TestChunkMigrationLooksUpByID: schema 10 reads the blobs and the chunks
// once each, and every other find, update and delete it sends names one
// _id and nothing else, the only filter the embedded database answers
// from an index: with any other, each file's step reads a whole
// collection, and a library of 10,000 files took a start-up more than a
// quarter of an hour.
func TestChunkMigrationLooksUpByID(t *testing.T) {
	ctx := context.Background()
	st, bucket := upgradedWithLibrary(t)
	for _, key := range []string{"aaaa", "bbbb", "cccc"} {
		if err := bucket.UploadFromStreamWithID(key, key, bytes.NewReader(bytes.Repeat([]byte(key), 100)), options.GridFSUpload().SetChunkSizeBytes(128)); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.Collection("resource_blobs").InsertOne(ctx, bson.M{"_id": "blob-" + key, "file_id": key}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.DB.Collection("portal_meta").UpdateOne(ctx, bson.M{"_id": "schema"}, bson.M{"$set": bson.M{"version": 9}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Collection("schema_migrations").DeleteOne(ctx, bson.M{"_id": "10"}); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var wide []string // commands on the migration's collections not by _id alone
	passes := map[string]int{}
	mon := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		col, _ := e.Command.Lookup(e.CommandName).StringValueOK()
		if col != "resource_blobs" && col != "library.files" && col != "library.chunks" {
			return
		}
		var filters []bson.Raw
		switch e.CommandName {
		case "find":
			filters = append(filters, e.Command.Lookup("filter").Document())
		case "update", "delete":
			arr, _ := e.Command.Lookup(e.CommandName + "s").Array().Values()
			for _, v := range arr {
				filters = append(filters, v.Document().Lookup("q").Document())
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, f := range filters {
			elems, _ := f.Elements()
			switch {
			case len(elems) == 0 && e.CommandName == "find":
				passes[col]++
			case len(elems) == 1 && elems[0].Key() == "_id":
			default:
				wide = append(wide, e.CommandName+" "+col+" "+f.String())
			}
		}
	}}
	mc, err := store.Connect(ctx, st.URI, time.Minute, func(o *options.ClientOptions) { o.SetMonitor(mon) })
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Disconnect(ctx)
	if err := st.WithClient(mc, st.DB.Name()).Upgrade(ctx, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(wide) > 0 {
		t.Fatalf("filters other than one _id:\n%s", strings.Join(wide, "\n"))
	}
	if passes["resource_blobs"] != 1 || passes["library.chunks"] != 1 || passes["library.files"] != 0 {
		t.Fatalf("whole-collection passes %v, want one over the blobs and one over the chunks", passes)
	}
	for _, key := range []string{"aaaa", "bbbb", "cccc"} {
		var b struct {
			FileID string `bson:"file_id"`
		}
		if err := st.DB.Collection("resource_blobs").FindOne(ctx, bson.M{"_id": "blob-" + key}).Decode(&b); err != nil || b.FileID != key+"-s10" {
			t.Fatalf("blob of %s on %q (%v)", key, b.FileID, err)
		}
	}
}

// upgradedWithLibrary returns a store at the current schema and its
// library's GridFS bucket, for tests that store files of the old layout.
func upgradedWithLibrary(t *testing.T) (*store.Store, *gridfs.Bucket) {
	t.Helper()
	st := storetest.New(t)
	if err := st.Upgrade(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	bucket, err := gridfs.NewBucket(st.DB, options.GridFSBucket().SetName("library"))
	if err != nil {
		t.Fatal(err)
	}
	return st, bucket
}
