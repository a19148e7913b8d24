package server

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

// release0Admin is the administrator in testdata/release0-portal.sqlite.gz:
// the embedded database's file as the release before schema versions left
// it (`portal user add --email admin@example.org --name "Ada Admin" --role
// admin`, then `portal serve` started and stopped on it).
const release0Admin = "6b14b40afc237688fdc92a27"

func TestDatabaseOfThePreviousReleaseUpgradesAndServes(t *testing.T) {
	dir := shortTempDir(t)
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open("testdata/release0-portal.sqlite.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(dir, "db", "portal.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: dir, Owner: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	if v, err := st.SchemaVersion(ctx); err != nil || v != 0 {
		t.Fatalf("fixture schema version %d (%v), want 0 (none recorded)", v, err)
	}

	s, _ := newTestServer(t, opts{store: st, mode: config.ModeServe})
	if v, err := st.SchemaVersion(ctx); err != nil || v != store.CurrentSchema {
		t.Fatalf("after start-up: schema version %d (%v), want %d", v, err, store.CurrentSchema)
	}
	var run struct {
		DoneAt time.Time `bson:"done_at"`
	}
	if err := st.DB.Collection("schema_migrations").FindOne(ctx, bson.M{"_id": "1"}).Decode(&run); err != nil || run.DoneAt.IsZero() {
		t.Fatalf("baseline migration not recorded as done: %+v %v", run, err)
	}
	// Its administrator's identity is found by the sign-in lookup, which
	// reads the identity claims the upgrade backfilled.
	if m, err := s.auth.MemberByIdentity(ctx, "cli", "admin@example.org"); err != nil || m.ID != release0Admin {
		t.Fatalf("sign-in lookup after the upgrade: %+v %v", m, err)
	}
	// The old data serves: its administrator reviews members.
	c := newClient(t, s)
	c.signInAs(release0Admin)
	res, body := c.get("/admin/members")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "admin@example.org") && !strings.Contains(body, "Ada Admin") {
		t.Fatalf("members page on the upgraded database: %d", res.StatusCode)
	}
	// A second start-up (another replica, or a restart) finds nothing to do.
	if err := st.Upgrade(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

func TestDatabaseOfANewerReleaseIsRefused(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	if _, err := st.DB.Collection("portal_meta").InsertOne(ctx, bson.M{"_id": "schema", "version": store.CurrentSchema + 1}); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Mode: config.ModeServe, BaseURL: "https://portal.example.org", SessionKey: testKey, DataDir: t.TempDir()}
	s, err := New(ctx, Deps{Config: cfg, Store: st})
	var newer *store.ErrNewerSchema
	if s != nil || !errors.As(err, &newer) {
		t.Fatalf("start-up on a newer database: %v", err)
	}
	for _, want := range []string{fmt.Sprintf("schema version %d", store.CurrentSchema+1), fmt.Sprintf("supports up to %d", store.CurrentSchema), "newer release"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if n, _ := st.DB.Collection("members").CountDocuments(ctx, bson.M{}); n != 0 {
		t.Errorf("the refused start-up wrote %d members", n)
	}
}
