package backup_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/backup"
	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/server"
	"github.com/circularfairict/portal/store"
)

func tempDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "pbk") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func openOwner(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{DataDir: dir, Owner: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	return st
}

// portal is a server on a store with an admin's API token.
type portal struct {
	t     *testing.T
	srv   *server.Server
	token string
}

func newPortal(t *testing.T, st *store.Store, token string) *portal {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Load(config.ModeServe, func(k string) (string, bool) {
		v, ok := map[string]string{"PORTAL_BASE_URL": "https://p.example.org", "PORTAL_SESSION_KEY": strings.Repeat("cd", 32),
			"PORTAL_DATA_DIR": t.TempDir(), "PORTAL_RATE_LIMIT": "1000000"}[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(ctx, server.Deps{Config: cfg, Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(time.Second) })
	if token == "" {
		a := auth.NewStore(st.DB)
		m, err := a.UpsertByIdentity(ctx, auth.Identity{Provider: "cli", Subject: "admin@example.org", Email: "admin@example.org"},
			auth.Member{Name: "Ada Admin", Email: "admin@example.org", Role: auth.RoleAdmin, Status: auth.StatusApproved})
		if err != nil {
			t.Fatal(err)
		}
		if token, _, err = a.CreateScopedToken(ctx, m.ID, "test", auth.ScopeWrite, nil); err != nil {
			t.Fatal(err)
		}
	}
	return &portal{t: t, srv: srv, token: token}
}

func (p *portal) do(req *http.Request) (int, []byte, error) {
	req.Header.Set("Authorization", "Bearer "+p.token)
	req.Header.Set("Accept", "application/json")
	res, err := p.srv.App().Test(req, -1)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

func (p *portal) get(path string) (int, []byte) {
	p.t.Helper()
	code, b, err := p.do(httptest.NewRequest("GET", path, nil))
	if err != nil {
		p.t.Fatal(err)
	}
	return code, b
}

// post starts a discussion; upload adds a library resource with a text
// file. Both return the new ID.
func (p *portal) post(title string) (string, error) {
	body, _ := json.Marshal(map[string]string{"title": title, "body": "How did you verify the label? " + title})
	req := httptest.NewRequest("POST", "/api/v1/threads", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return p.created(req)
}

func (p *portal) upload(title string, data []byte) (string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range [][2]string{{"title", title}, {"summary", "A summary for peers."}, {"type", "criteria_set"},
		{"languages", "en"}, {"licence", "cc_by"}, {"visibility", "public"}} {
		_ = mw.WriteField(kv[0], kv[1])
	}
	fw, _ := mw.CreateFormFile("file", "criteria.txt")
	_, _ = fw.Write(data)
	_ = mw.Close()
	req := httptest.NewRequest("POST", "/api/v1/resources", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return p.created(req)
}

func (p *portal) created(req *http.Request) (string, error) {
	req.Header.Set("Authorization", "Bearer "+p.token)
	req.Header.Set("Accept", "application/json")
	res, err := p.srv.App().Test(req, -1)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	loc := res.Header.Get("Location")
	if res.StatusCode != 201 || loc == "" {
		return "", fmt.Errorf("%s %s: %d %.200s", req.Method, req.URL.Path, res.StatusCode, b)
	}
	return loc[strings.LastIndex(loc, "/")+1:], nil
}

// fileText is a stored file's content: distinct per file, a few chunks long.
func fileText(i int) []byte {
	var b strings.Builder
	for b.Len() < 300<<10+i*1000 {
		fmt.Fprintf(&b, "Clause %d.%d: the supplier discloses the factories of every component. ", i, b.Len())
	}
	return []byte(b.String())
}

// storedFiles returns the SHA-256 of every stored file of the library
// bucket, by file ID, from one read of its chunks (GridFS's per-file
// query reads the whole chunks collection on the embedded database).
func storedFiles(t *testing.T, st *store.Store) map[string][32]byte {
	t.Helper()
	ctx := context.Background()
	var files []struct {
		ID        string `bson:"_id"`
		Length    int64  `bson:"length"`
		ChunkSize int64  `bson:"chunkSize"`
	}
	cur, err := st.DB.Collection("library.files").Find(ctx, bson.D{})
	if err == nil {
		err = cur.All(ctx, &files)
	}
	if err != nil {
		t.Fatal(err)
	}
	chunks := map[string]map[int32][]byte{}
	cur, err = st.DB.Collection("library.chunks").Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	for cur.Next(ctx) {
		var c struct {
			FilesID string `bson:"files_id"`
			N       int32  `bson:"n"`
			Data    []byte `bson:"data"`
		}
		if err := cur.Decode(&c); err != nil {
			t.Fatal(err)
		}
		if chunks[c.FilesID] == nil {
			chunks[c.FilesID] = map[int32][]byte{}
		}
		chunks[c.FilesID][c.N] = c.Data
	}
	if err := cur.Err(); err != nil {
		t.Fatal(err)
	}
	out := map[string][32]byte{}
	for _, f := range files {
		h := sha256.New()
		var n int64
		for i := int32(0); int64(i)*f.ChunkSize < f.Length; i++ {
			d, ok := chunks[f.ID][i]
			if !ok {
				t.Fatalf("stored file %s: chunk %d missing", f.ID, i)
			}
			h.Write(d)
			n += int64(len(d))
		}
		if n != f.Length {
			t.Fatalf("stored file %s: %d bytes, its record says %d", f.ID, n, f.Length)
		}
		out[f.ID] = [32]byte(h.Sum(nil))
	}
	return out
}

// TestBackupWhileWritingThenRestore: a backup taken while members post and
// upload through a serving portal restores into a fresh data directory:
// whole stored files only, each equal to the original, every document
// verified, and the portal on the restored store serves the same downloads
// and discussions. A second backup once the writers stop restores to a
// database equal to the source, collection by collection, by checksum.
func TestBackupWhileWritingThenRestore(t *testing.T) {
	ctx := context.Background()
	t0 := time.Now()
	step := func(s string) { t.Logf("%6.1fs %s", time.Since(t0).Seconds(), s) }
	srcDir := tempDir(t)
	src := openOwner(t, srcDir)
	p := newPortal(t, src, "")
	var threads, resources []string
	for i := 0; i < 3; i++ {
		id, err := p.post(fmt.Sprintf("Seed discussion %d", i))
		if err != nil {
			t.Fatal(err)
		}
		threads = append(threads, id)
		if id, err = p.upload(fmt.Sprintf("Seed criteria %d", i), fileText(i)); err != nil {
			t.Fatal(err)
		}
		resources = append(resources, id)
	}

	step("seeded")
	// Writers post and upload until the backup is done.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes atomic.Int64
	errc := make(chan error, 8)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				if (w+i)%2 == 0 {
					_, err = p.post(fmt.Sprintf("Writer %d discussion %d", w, i))
				} else {
					_, err = p.upload(fmt.Sprintf("Writer %d criteria %d", w, i), fileText(100*w+i))
				}
				if err != nil {
					errc <- err
					return
				}
				writes.Add(1)
			}
		}(w)
	}
	for writes.Load() < 4 { // the backup starts among writes
		time.Sleep(10 * time.Millisecond)
	}
	// The backup borrows the serving process's database, as the CLI does.
	borrowed, err := store.Open(ctx, store.Options{DataDir: srcDir})
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(tempDir(t), "during.zip")
	before := writes.Load()
	m, err := backup.Backup(ctx, borrowed, archive, backup.Options{Version: "v1.4.0"})
	during := writes.Load() - before
	borrowed.Close(ctx)
	close(stop)
	wg.Wait()
	select {
	case err := <-errc:
		t.Fatalf("writer: %v", err)
	default:
	}
	if err != nil {
		t.Fatal(err)
	}
	if during == 0 {
		t.Fatal("no write completed while the backup ran: the portal did not keep answering, or the test proved nothing")
	}
	t.Logf("backup during %d writes: %d documents, %d collections, buckets %+v", during, m.Documents(), len(m.Collections), m.Buckets)
	if m.Source != "embedded" || m.Portal != "v1.4.0" {
		t.Fatalf("manifest: source %q, version %q", m.Source, m.Portal)
	}

	step("backed up")
	dst := openOwner(t, tempDir(t))
	if _, _, err := backup.Restore(ctx, dst, archive, backup.RestoreOptions{Version: "v1.4.0"}); err != nil {
		t.Fatal(err)
	}
	step("restored")
	// Every stored file in the restored database is whole and equal to
	// the original (stored files never change once written).
	orig, restored := storedFiles(t, src), storedFiles(t, dst)
	if n, _ := m.Files(); int64(len(restored)) != n || n < 3 {
		t.Fatalf("%d stored files restored, manifest says %d", len(restored), n)
	}
	for id, sum := range restored {
		if orig[id] != sum {
			t.Fatalf("stored file %s differs from the original", id)
		}
	}
	// The portal on the restored store serves what the original served.
	q := newPortal(t, dst, p.token)
	for _, id := range resources {
		for _, path := range []string{"/api/v1/resources/" + id, "/api/v1/resources/" + id + "/file"} {
			c1, b1 := p.get(path)
			c2, b2 := q.get(path)
			if c1 != 200 || c2 != 200 || !bytes.Equal(b1, b2) {
				t.Fatalf("%s: original %d (%d bytes), restored %d (%.200s)", path, c1, len(b1), c2, b2)
			}
		}
	}
	for _, id := range threads {
		c1, b1 := p.get("/api/v1/threads/" + id)
		c2, b2 := q.get("/api/v1/threads/" + id)
		if c1 != 200 || c2 != 200 || !bytes.Equal(b1, b2) {
			t.Fatalf("thread %s: original %d, restored %d: %.300s", id, c1, c2, b2)
		}
	}

	step("served")
	// At rest, a backup restores to an equal database.
	_ = p.srv.Shutdown(time.Second)
	quiet := filepath.Join(filepath.Dir(archive), "after.zip")
	if _, err := backup.Backup(ctx, src, quiet, backup.Options{Version: "v1.4.0"}); err != nil {
		t.Fatal(err)
	}
	again := openOwner(t, tempDir(t))
	if _, _, err := backup.Restore(ctx, again, quiet, backup.RestoreOptions{Version: "v1.4.0"}); err != nil {
		t.Fatal(err)
	}
	step("backed up and restored again")
	want, err := backup.Sums(ctx, src.DB)
	if err != nil {
		t.Fatal(err)
	}
	got, err := backup.Sums(ctx, again.DB)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 5 || len(got) != len(want) {
		t.Fatalf("%d collections restored, %d in the source", len(got), len(want))
	}
	for name, w := range want {
		if got[name] != w {
			t.Fatalf("%s: restored %+v, source %+v", name, got[name], w)
		}
	}
	if a, b := storedFiles(t, src), storedFiles(t, again); len(a) != len(b) {
		t.Fatalf("%d stored files restored, %d in the source", len(b), len(a))
	}
	// Indexes came back too.
	ix, err := again.DB.Collection("library.chunks").Indexes().ListSpecifications(ctx)
	if err != nil || len(ix) < 2 {
		t.Fatalf("library.chunks indexes after restore: %v %v", ix, err)
	}
}

// TestRestoreRefuses: a changed byte anywhere, an archive from a newer
// portal, and a database that is not empty are refused, and nothing is
// written.
func TestRestoreRefuses(t *testing.T) {
	ctx := context.Background()
	src := openOwner(t, tempDir(t))
	p := newPortal(t, src, "")
	if _, err := p.post("A discussion"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.upload("Criteria", fileText(1)); err != nil {
		t.Fatal(err)
	}
	dir := tempDir(t)
	archive := filepath.Join(dir, "a.zip")
	if _, err := backup.Backup(ctx, src, archive, backup.Options{Version: "v1.4.0"}); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	manifestAt := bytes.Index(good, []byte(`"format"`)) // inside the manifest, if stored
	if manifestAt < 0 {
		manifestAt = len(good) * 9 / 10
	}
	for _, at := range []int{0, 30, len(good) / 3, len(good) / 2, manifestAt, len(good) - 200, len(good) - 70, len(good) - 1} {
		t.Run(fmt.Sprintf("byte %d of %d changed", at, len(good)), func(t *testing.T) {
			bad := bytes.Clone(good)
			bad[at] ^= 0x01
			path := filepath.Join(dir, fmt.Sprintf("bad-%d.zip", at))
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			dst := openOwner(t, tempDir(t))
			_, _, err := backup.Restore(ctx, dst, path, backup.RestoreOptions{Version: "v1.4.0"})
			if !errors.Is(err, backup.ErrIncomplete) {
				t.Fatalf("restore of a changed archive: %v", err)
			}
			if names, _ := dst.DB.ListCollectionNames(ctx, bson.D{}); len(names) != 0 {
				t.Fatalf("a refused restore wrote %v", names)
			}
		})
	}
	t.Run("cut short", func(t *testing.T) {
		path := filepath.Join(dir, "short.zip")
		if err := os.WriteFile(path, good[:len(good)*2/3], 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := backup.Verify(path, "v1.4.0"); !errors.Is(err, backup.ErrIncomplete) {
			t.Fatalf("verify of a cut archive: %v", err)
		}
	})
	t.Run("newer portal", func(t *testing.T) {
		newer := filepath.Join(dir, "newer.zip")
		if _, err := backup.Backup(ctx, src, newer, backup.Options{Version: "v1.5.0"}); err != nil {
			t.Fatal(err)
		}
		dst := openOwner(t, tempDir(t))
		_, _, err := backup.Restore(ctx, dst, newer, backup.RestoreOptions{Version: "v1.4.2"})
		if !errors.Is(err, backup.ErrNewer) || !strings.Contains(err.Error(), "v1.5.0") {
			t.Fatalf("restore of a newer archive: %v", err)
		}
		if names, _ := dst.DB.ListCollectionNames(ctx, bson.D{}); len(names) != 0 {
			t.Fatalf("a refused restore wrote %v", names)
		}
		// The schema decides when version names cannot (development builds).
		newSchema := openOwner(t, tempDir(t))
		if _, err := newSchema.DB.Collection("portal_meta").InsertOne(ctx, bson.M{"_id": "schema", "version": store.CurrentSchema + 1}); err != nil {
			t.Fatal(err)
		}
		newerSchema := filepath.Join(dir, "newer-schema.zip")
		if _, err := backup.Backup(ctx, newSchema, newerSchema, backup.Options{Version: "dev"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := backup.Verify(newerSchema, "dev"); !errors.Is(err, backup.ErrNewer) || !strings.Contains(err.Error(), "schema version") {
			t.Fatalf("verify of an archive with a newer schema: %v", err)
		}
		// The same release, or an older archive, is accepted.
		if _, _, err := backup.Verify(archive, "v1.4.0"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := backup.Verify(archive, "v2.0.0"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("not empty", func(t *testing.T) {
		dst := openOwner(t, tempDir(t))
		if _, _, err := backup.Restore(ctx, dst, archive, backup.RestoreOptions{Version: "v1.4.0"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := backup.Restore(ctx, dst, archive, backup.RestoreOptions{Version: "v1.4.0"}); !errors.Is(err, backup.ErrNotEmpty) {
			t.Fatalf("restore over data: %v", err)
		}
		before, _ := store.ReadStamp(ctx, dst.DB, store.StampGroups)
		if _, _, err := backup.Restore(ctx, dst, archive, backup.RestoreOptions{Version: "v1.4.0", Force: true}); err != nil {
			t.Fatalf("restore --force: %v", err)
		}
		// Servers running on it see fresh stamps, so they read the groups
		// and categories again.
		if after, _ := store.ReadStamp(ctx, dst.DB, store.StampGroups); after == "" || after == before {
			t.Fatalf("groups' stamp %q before a forced restore, %q after", before, after)
		}
	})
	t.Run("no overwrite", func(t *testing.T) {
		if _, err := backup.Backup(ctx, src, archive, backup.Options{}); err == nil {
			t.Fatal("a backup replaced an existing archive")
		}
	})
}
