package store

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
)

func shortDir(t *testing.T, prefix string) string {
	d, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// Two processes (here: two Opens) on one data directory share one embedded
// database: the second connects to the first one's socket instead of
// opening the SQLite files a second time.
func TestEmbeddedSharedBetweenOpeners(t *testing.T) {
	ctx := context.Background()
	dir := shortDir(t, "ps")
	a, err := Open(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(ctx)
	if !strings.Contains(a.URI, "db.sock") || strings.Contains(a.URI, "127.0.0.1") {
		t.Fatalf("embedded database should listen on a unix socket, got %s", a.URI)
	}
	b, err := Open(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if b.embedded.cancel != nil {
		t.Fatal("second opener started its own embedded database")
	}
	if _, err := b.DB.Collection("c").InsertOne(ctx, bson.M{"_id": "x", "v": 1}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Closing the second opener leaves the owner's database running.
	n, err := a.DB.Collection("c").CountDocuments(ctx, bson.M{"_id": "x"})
	if err != nil || n != 1 {
		t.Fatalf("owner sees %d documents, err %v", n, err)
	}
}

// Data survives a close and reopen of the embedded database.
func TestEmbeddedPersists(t *testing.T) {
	ctx := context.Background()
	dir := shortDir(t, "pp")
	a, err := Open(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.DB.Collection("c").InsertOne(ctx, bson.M{"_id": "kept"}); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir + "/db.uri"); !os.IsNotExist(err) {
		t.Fatal("db.uri should be removed when the owner stops")
	}
	b, err := Open(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(ctx)
	if n, _ := b.DB.Collection("c").CountDocuments(ctx, bson.M{"_id": "kept"}); n != 1 {
		t.Fatal("document lost across restart")
	}
}

func TestBadURI(t *testing.T) {
	_, err := Open(context.Background(), Options{URI: "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300"})
	if err == nil || !strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("want a clear error for an unreachable database, got %v", err)
	}
	_, err = Open(context.Background(), Options{URI: "mongodb://[bad"})
	if err == nil {
		t.Fatal("malformed URI accepted")
	}
}

func TestEnsureIndexesIdempotent(t *testing.T) {
	ctx := context.Background()
	dir := shortDir(t, "pi")
	s, err := Open(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	idx := []Index{
		{Collection: "things", Name: "slug", Keys: bson.D{{Key: "slug", Value: 1}}, Unique: true},
		{Collection: "things", Name: "terms", Keys: bson.D{{Key: "terms", Value: 1}}},
	}
	for i := 0; i < 2; i++ {
		if err := s.EnsureIndexes(ctx, idx); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	c := s.DB.Collection("things")
	if _, err := c.InsertOne(ctx, bson.M{"slug": "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.InsertOne(ctx, bson.M{"slug": "a"}); !IsDuplicateKey(err) {
		t.Fatalf("unique index not enforced: %v", err)
	}
}

func TestSocketPath(t *testing.T) {
	tests := map[string]string{
		"mongodb://%2Ftmp%2FData%2Fdb.sock/":  "/tmp/Data/db.sock",
		"mongodb://%2Ftmp%2Fx%2Fdb.sock/?w=1": "/tmp/x/db.sock",
		"mongodb://localhost:27017/":          "",
		"mongodb+srv://cluster.example.org/":  "",
		"mongodb://%2Ftmp%2Fnot-a-socket/":    "",
	}
	for in, want := range tests {
		if got := socketPath(in); got != want {
			t.Errorf("socketPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// A server never borrows a database from another server on the same
// directory, and waits for a short-lived tool to finish instead of sharing.
func TestOwnerSemantics(t *testing.T) {
	ctx := context.Background()
	dir := shortDir(t, "po")
	srv, err := Open(ctx, Options{DataDir: dir, Owner: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, Options{DataDir: dir, Owner: true}); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second server on one directory: %v", err)
	}
	srv.Close(ctx)

	tool, err := Open(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		s, err := Open(ctx, Options{DataDir: dir, Owner: true})
		if err == nil {
			defer s.Close(ctx)
			if s.embedded.cancel == nil {
				err = errors.New("server borrowed the tool's database")
			}
		}
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	tool.Close(ctx) // the waiting server takes over
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A data directory too long for a socket path still gets a private socket,
// never an open TCP port.
func TestLongDataDirUsesPrivateSocket(t *testing.T) {
	ctx := context.Background()
	dir := shortDir(t, "pl")
	long := dir + "/" + strings.Repeat("d", 120)
	s, err := Open(ctx, Options{DataDir: long})
	if err != nil {
		t.Fatal(err)
	}
	if socketPath(s.URI) == "" {
		t.Fatalf("not a socket URI: %s", s.URI)
	}
	sockDir := s.embedded.sockDir
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close(ctx)
	if _, err := os.Stat(sockDir); !os.IsNotExist(err) {
		t.Fatal("private socket directory left behind")
	}
}
