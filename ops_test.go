package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/gridfs"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/backup"
	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/server"
	"github.com/circularfairict/portal/store"
)

// The test binary doubles as the portal binary: with PORTAL_TEST_CLI set
// it runs the CLI on the arguments listed there (separated by \x1f), so
// tests can kill a real portal process at any point.
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("PORTAL_TEST_CLI"); ok {
		os.Exit(run(strings.Split(args, "\x1f"), os.Stdout, os.Stderr, os.LookupEnv))
	}
	os.Exit(m.Run())
}

// portalCmd is the portal binary running args with env added.
func portalCmd(env map[string]string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "PORTAL_TEST_CLI="+strings.Join(args, "\x1f"))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// fillLibrary adds documents and stored files straight through the driver,
// enough that a copy takes a noticeable while.
func fillLibrary(t *testing.T, st *store.Store, docs, files int) {
	t.Helper()
	ctx := context.Background()
	batch := make([]any, 0, docs)
	for i := 0; i < docs; i++ {
		batch = append(batch, bson.D{{Key: "_id", Value: store.NewID()}, {Key: "n", Value: i},
			{Key: "text", Value: strings.Repeat(fmt.Sprintf("note %d on repairability; ", i), 30)}})
	}
	if _, err := st.DB.Collection("bulk_notes").InsertMany(ctx, batch); err != nil {
		t.Fatal(err)
	}
	b, err := gridfs.NewBucket(st.DB, options.GridFSBucket().SetName("library"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < files; i++ {
		data := bytes.Repeat([]byte(fmt.Sprintf("file %d, line of a tender annex\n", i)), 300<<10/32)
		if err := b.UploadFromStreamWithID(fmt.Sprintf("bulk-%03d", i), fmt.Sprintf("bulk-%03d", i), bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBackupKilledNeverLeavesAcceptedArchive: `portal backup`, killed with
// SIGKILL at random points while it reads a served database, leaves either
// the complete archive under its name or a file that restore refuses.
func TestBackupKilledNeverLeavesAcceptedArchive(t *testing.T) {
	ctx := context.Background()
	dir := tempDir(t)
	st, err := store.Open(ctx, store.Options{DataDir: dir, Owner: true}) // the serving portal
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	fillLibrary(t, st, 1500, 12)
	out := tempDir(t)
	env := map[string]string{"PORTAL_DATA_DIR": dir}

	start := time.Now()
	full, err := portalCmd(env, "backup", "--out", filepath.Join(out, "full.zip")).Output()
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	took := time.Since(start)
	lines := strings.Split(strings.TrimSpace(string(full)), "\n")
	if last := lines[len(lines)-1]; last != filepath.Join(out, "full.zip") {
		t.Fatalf("last line %q is not the archive's path", last)
	}
	if _, _, err := backup.Verify(filepath.Join(out, "full.zip"), version); err != nil {
		t.Fatal(err)
	}
	t.Logf("a whole backup takes %s", took)

	interrupted := 0
	for i := 0; i < 8; i++ {
		name := filepath.Join(out, fmt.Sprintf("k%d.zip", i))
		cmd := portalCmd(env, "backup", "--out", name)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rand.Int64N(int64(took))))
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		if _, err := os.Stat(name); err != nil {
			interrupted++
		}
	}
	if interrupted == 0 {
		t.Fatal("no kill interrupted a backup; the test proved nothing")
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	partials := 0
	for _, e := range entries {
		path := filepath.Join(out, e.Name())
		_, _, err := backup.Verify(path, version)
		complete := !strings.HasSuffix(e.Name(), ".partial")
		switch {
		case complete && err != nil:
			t.Fatalf("%s has an archive's name but is refused: %v", e.Name(), err)
		case !complete && !errors.Is(err, backup.ErrIncomplete):
			t.Fatalf("%s, left by a killed backup, is accepted: %v", e.Name(), err)
		case !complete:
			partials++
			if partials == 1 { // and restore says so, with the database untouched
				code, _, stderr := runCLI(t, map[string]string{"PORTAL_DATA_DIR": tempDir(t)}, "restore", path)
				if code == 0 || !strings.Contains(stderr, "not a complete portal backup") {
					t.Fatalf("restore of %s: %d %s", e.Name(), code, stderr)
				}
			}
		}
	}
	t.Logf("%d of 8 backups interrupted, %d partial files left, all refused", interrupted, partials)
}

// apiPortal runs a server on st for API calls with a bearer token.
func apiPortal(t *testing.T, st *store.Store) *server.Server {
	t.Helper()
	cfg, err := config.Load(config.ModeServe, envMap(map[string]string{"PORTAL_BASE_URL": "https://p.example.org",
		"PORTAL_SESSION_KEY": strings.Repeat("cd", 32), "PORTAL_DATA_DIR": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(context.Background(), server.Deps{Config: cfg, Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func apiDo(t *testing.T, srv *server.Server, token, method, path, ctype string, body []byte) (int, string, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header.Get("Location")
}

// TestMigrateKilledAndResumed: `portal migrate` to a database served by
// another process (`portal db serve`, standing in for MongoDB), killed
// with SIGKILL mid-copy, then run again: it resumes, the two databases are
// equal collection by collection by checksum, and a portal on the target
// serves the same pages.
func TestMigrateKilledAndResumed(t *testing.T) {
	ctx := context.Background()
	src := tempDir(t)
	env := map[string]string{"PORTAL_DATA_DIR": src}
	code, out, stderr := runCLI(t, env, "user", "add", "--email", "ada@example.org", "--name", "Ada", "--role", "admin", "--token")
	if code != 0 {
		t.Fatalf("user add: %s", stderr)
	}
	token := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])

	st, err := store.Open(ctx, store.Options{DataDir: src, Owner: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := apiPortal(t, st)
	var pages []string
	for i := 0; i < 3; i++ {
		body, _ := json.Marshal(map[string]string{"title": fmt.Sprintf("Label checks %d", i), "body": "How did you verify it?"})
		code, b, loc := apiDo(t, srv, token, "POST", "/api/v1/threads", "application/json", body)
		if code != 201 {
			t.Fatalf("thread: %d %s", code, b)
		}
		pages = append(pages, loc)
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for _, kv := range [][2]string{{"title", fmt.Sprintf("Criteria %d", i)}, {"summary", "For peers."}, {"type", "criteria_set"},
			{"languages", "en"}, {"licence", "cc_by"}, {"visibility", "public"}} {
			_ = mw.WriteField(kv[0], kv[1])
		}
		fw, _ := mw.CreateFormFile("file", "criteria.txt")
		_, _ = fw.Write(bytes.Repeat([]byte(fmt.Sprintf("Criterion %d: spare parts for seven years.\n", i)), 8000))
		_ = mw.Close()
		code, b, loc = apiDo(t, srv, token, "POST", "/api/v1/resources", mw.FormDataContentType(), buf.Bytes())
		if code != 201 {
			t.Fatalf("upload: %d %s", code, b)
		}
		pages = append(pages, loc, loc+"/file")
	}
	// Pages in order: downloads first, since a download counts in its
	// resource's page, then the pages (the target is compared in reverse).
	sort.SliceStable(pages, func(i, j int) bool {
		return strings.HasSuffix(pages[i], "/file") && !strings.HasSuffix(pages[j], "/file")
	})
	want := make([]string, len(pages))
	for i, p := range pages {
		code, b, _ := apiDo(t, srv, token, "GET", p, "", nil)
		if code != 200 {
			t.Fatalf("%s: %d", p, code)
		}
		want[i] = b
	}
	fillLibrary(t, st, 1500, 20)
	_ = srv.Shutdown(time.Second)
	_ = st.Close(ctx) // migrate takes the directory: the portal is stopped

	// The target: the embedded database of another directory, served by its
	// own process.
	db := portalCmd(map[string]string{"PORTAL_DATA_DIR": tempDir(t)}, "db", "serve", "--listen", "127.0.0.1:0")
	dbOut, err := db.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Process.Signal(syscall.SIGTERM); _ = db.Wait() }()
	line, _ := bufio.NewReader(dbOut).ReadString('\n')
	if !strings.HasPrefix(line, "mongodb://127.0.0.1:") {
		t.Fatalf("db serve: %q", line)
	}
	uri := strings.TrimSpace(line) + "portal"
	dst, err := store.Open(ctx, store.Options{URI: uri, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close(ctx)

	// Killed once some collections are recorded as copied.
	mig := portalCmd(env, "migrate", "--to", uri)
	if err := mig.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- mig.Wait() }()
	for killed := false; !killed; {
		select {
		case err := <-exited:
			t.Fatalf("migrate ended before it was killed: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		n, _ := dst.DB.Collection(backup.MigrationCollection).CountDocuments(ctx, bson.D{})
		if n >= 3 {
			_ = mig.Process.Signal(syscall.SIGKILL)
			<-exited
			killed = true
		}
	}
	if n, _ := dst.DB.Collection(backup.MigrationCollection).CountDocuments(ctx, bson.D{{Key: "_id", Value: "done"}}); n != 0 {
		t.Fatal("the migration finished before it was killed; the test proved nothing")
	}

	code, out, stderr = runCLI(t, env, "migrate", "--to", uri)
	if code != 0 {
		t.Fatalf("resumed migrate: %s", stderr)
	}
	if !strings.Contains(out, "already copied by an earlier run") || !strings.Contains(out, "MONGODB_URI="+uri) {
		t.Fatalf("resumed migrate said: %s", out)
	}

	// Once finished, the target may be in use: migrate again only if told.
	if code, _, stderr := runCLI(t, env, "migrate", "--to", uri); code == 0 || !strings.Contains(stderr, "--force") {
		t.Fatalf("a second migration into a finished target: %d %s", code, stderr)
	}

	st, err = store.Open(ctx, store.Options{DataDir: src, Owner: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	a, err := backup.Sums(ctx, st.DB)
	if err != nil {
		t.Fatal(err)
	}
	b, err := backup.Sums(ctx, dst.DB)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) < 5 || len(a) != len(b) {
		t.Fatalf("%d collections in the source, %d in the target", len(a), len(b))
	}
	for name, s := range a {
		if b[name] != s {
			t.Fatalf("%s: source %+v, target %+v", name, s, b[name])
		}
	}
	for _, name := range []string{"library.chunks", "members"} {
		srcIx, err1 := st.DB.Collection(name).Indexes().ListSpecifications(ctx)
		dstIx, err2 := dst.DB.Collection(name).Indexes().ListSpecifications(ctx)
		if err1 != nil || err2 != nil || len(srcIx) < 2 || len(dstIx) != len(srcIx) {
			t.Fatalf("%s: %d indexes in the source, %d in the target (%v %v)", name, len(srcIx), len(dstIx), err1, err2)
		}
	}
	on := apiPortal(t, dst)
	defer on.Shutdown(time.Second)
	for i := len(pages) - 1; i >= 0; i-- {
		code, got, _ := apiDo(t, on, token, "GET", pages[i], "", nil)
		if code != 200 || got != want[i] {
			t.Fatalf("%s on the target: %d %.300s\nwant %.300s", pages[i], code, got, want[i])
		}
	}
}

// TestDBServeListensOnLoopbackOnly: the embedded database has no
// authentication, so `db serve` refuses any other address.
func TestDBServeListensOnLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:27017", "[::]:0"} {
		code, _, stderr := runCLI(t, map[string]string{"PORTAL_DATA_DIR": tempDir(t)}, "db", "serve", "--listen", addr)
		if code == 0 || !strings.Contains(stderr, "not on loopback") {
			t.Fatalf("db serve --listen %s: %d %s", addr, code, stderr)
		}
	}
}
