package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/circularfairict/portal/app"
	"github.com/circularfairict/portal/backup"
	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/search"
	"github.com/circularfairict/portal/store"
)

// terminal returns w when it is a terminal, for progress lines that are
// rewritten in place; nil otherwise (logs and scripts get the summary).
func terminal(w io.Writer) io.Writer {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return w
}

// backupCmd: portal backup [--out FILE]. It borrows the database of a
// running server, as `portal user add` does, so the portal keeps serving.
func backupCmd(args []string, stdout io.Writer, env config.Env) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("out", "", "archive to write (default portal-backup-<UTC time>.zip in the current directory)")
	dataDir := fs.String("data", "", "data directory (PORTAL_DATA_DIR)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("backup: %v", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("backup: unexpected argument %q: name the archive with --out", fs.Arg(0))
	}
	if *out == "" {
		*out = "portal-backup-" + time.Now().UTC().Format("20060102T150405Z") + ".zip"
	}
	cfg, err := config.Load(config.ModeCLI, overrideEnv(env, map[string]*string{"PORTAL_DATA_DIR": dataDir}))
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, err := openStore(ctx, cfg, false, nil)
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	m, err := backup.Backup(ctx, st, *out, backup.Options{Version: version, Progress: terminal(stdout)})
	if err != nil {
		return err
	}
	files, size := m.Files()
	fmt.Fprintf(stdout, "backed up %d collections, %d documents, %d stored files (%s) from the %s database in %s\n",
		len(m.Collections), m.Documents(), files, backup.HumanBytes(size), m.Source, m.Finished.Sub(m.Started).Round(time.Millisecond))
	for _, b := range m.Buckets {
		for _, s := range b.Skipped {
			fmt.Fprintf(stdout, "left out stored file %s of %s: %s\n", s.ID, b.Name, s.Reason)
		}
	}
	abs, err := filepath.Abs(*out)
	if err != nil {
		abs = *out
	}
	fmt.Fprintln(stdout, abs)
	return nil
}

// restoreCmd: portal restore ARCHIVE [--force]. It takes the data
// directory as a server does, so no portal serves it meanwhile.
func restoreCmd(args []string, stdout io.Writer, env config.Env) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	force := fs.Bool("force", false, "replace the content of a database that is not empty")
	dataDir := fs.String("data", "", "data directory (PORTAL_DATA_DIR)")
	archive, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		archive, rest = args[0], args[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return fmt.Errorf("restore: %v", err)
	}
	if archive == "" && fs.NArg() == 1 {
		archive = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("restore: unexpected argument %q", fs.Arg(0))
	}
	if archive == "" {
		return errors.New("restore: name the archive: portal restore ARCHIVE [--force]")
	}
	cfg, err := config.Load(config.ModeCLI, overrideEnv(env, map[string]*string{"PORTAL_DATA_DIR": dataDir}))
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, err := openStore(ctx, cfg, true, nil)
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	m, note, err := backup.Restore(ctx, st, archive, backup.RestoreOptions{Version: version, Force: *force, Progress: terminal(stdout)})
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintln(stdout, "note: "+note)
	}
	files, size := m.Files()
	fmt.Fprintf(stdout, "restored %d collections, %d documents, %d stored files (%s) written by portal %s on %s; counts and checksums verified\n",
		len(m.Collections), m.Documents(), files, backup.HumanBytes(size), m.Portal, m.Finished.Format(time.RFC3339))
	return nil
}

// migrateCmd: portal migrate --to URI. It holds the embedded database's
// directory for the whole copy, so the source stays at rest.
func migrateCmd(args []string, stdout io.Writer, env config.Env) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	to := fs.String("to", "", "MongoDB URI of the target database (required)")
	force := fs.Bool("force", false, "copy into a target that holds other data")
	dataDir := fs.String("data", "", "data directory (PORTAL_DATA_DIR)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("migrate: %v", err)
	}
	if *to == "" {
		return errors.New("migrate: --to is required: portal migrate --to mongodb://HOST/DATABASE")
	}
	cfg, err := config.Load(config.ModeCLI, overrideEnv(env, map[string]*string{"PORTAL_DATA_DIR": dataDir}))
	if err != nil {
		return err
	}
	if cfg.MongoURI == *to {
		return errors.New("migrate: --to is the database the portal already uses (MONGODB_URI)")
	}
	ctx := context.Background()
	src, err := openStore(ctx, cfg, true, nil)
	if err != nil {
		return err
	}
	defer src.Close(context.Background())
	dst, err := store.Open(ctx, store.Options{URI: *to, Timeout: time.Minute})
	if err != nil {
		return fmt.Errorf("migrate: --to: %v", err)
	}
	defer dst.Close(context.Background())
	res, err := backup.Migrate(ctx, src.DB, dst.DB, backup.MigrateOptions{Version: version, Force: *force, Progress: terminal(stdout)})
	if err != nil {
		return err
	}
	shown := *to
	if u, err := url.Parse(*to); err == nil {
		shown = u.Redacted()
	}
	fmt.Fprintf(stdout, "migrated %d collections, %d documents to %s (database %q); counts and checksums verified\n",
		res.Collections, res.Documents, shown, dst.DB.Name())
	if res.Resumed > 0 {
		fmt.Fprintf(stdout, "%d collections were already copied by an earlier run\n", res.Resumed)
	}
	if len(res.Recopied) > 0 {
		fmt.Fprintf(stdout, "copied again because they had changed since an earlier run: %s\n", strings.Join(res.Recopied, ", "))
	}
	fmt.Fprintf(stdout, `Next:
  1. Set MONGODB_URI=%s in the portal's environment (with its password; docs/operations.md).
  2. Keep PORTAL_DATA_DIR: the portal still keeps temporary upload files there. Its embedded database
     (%s) is no longer read once MONGODB_URI is set; keep it until the portal runs well, then archive it.
  3. Start the portal and check /healthz, a library download and a discussion.
`, shown, filepath.Join(cfg.DataDir, "db"))
	return nil
}

// dbCmd: portal db serve --listen 127.0.0.1:PORT serves the embedded
// database of PORTAL_DATA_DIR to other processes over the MongoDB protocol
// (several portal replicas on one machine, tests, a migration target). It
// has no authentication, so it listens on loopback only.
func dbCmd(args []string, stdout io.Writer, env config.Env) error {
	if len(args) == 0 || args[0] != "serve" {
		return errors.New("db: the only subcommand is serve: portal db serve --listen 127.0.0.1:PORT")
	}
	fs := flag.NewFlagSet("db serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	listen := fs.String("listen", "127.0.0.1:27017", "loopback address to listen on (port 0 picks one)")
	dataDir := fs.String("data", "", "data directory (PORTAL_DATA_DIR)")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("db serve: %v", err)
	}
	cfg, err := config.Load(config.ModeCLI, overrideEnv(env, map[string]*string{"PORTAL_DATA_DIR": dataDir}))
	if err != nil {
		return err
	}
	if cfg.MongoURI != "" {
		return errors.New("db serve: MONGODB_URI is set: this command serves the embedded database of PORTAL_DATA_DIR")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: cfg.DataDir, Owner: true, Listen: *listen})
	if err != nil {
		return fmt.Errorf("db serve: %v", err)
	}
	defer st.Close(context.Background())
	sigCtx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// The first line is the URI, for scripts; clients choose their database
	// in its path (the portal uses "portal" by default).
	fmt.Fprintln(stdout, st.ServedURI)
	// The application's indexes are created by the portals that connect;
	// the index on the SQLite expression of _id lookups only a process
	// that owns the files can add (store.IndexIDLookups), for collections
	// those portals create: at start and every minute, as a server's sweep
	// does for its own embedded database.
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		names, err := st.Client.ListDatabaseNames(sigCtx, map[string]any{})
		if err == nil {
			for _, n := range names {
				_ = st.WithDatabase(n).IndexIDLookups(sigCtx)
			}
		}
		select {
		case <-sigCtx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// reindexCmd: portal reindex. It rebuilds the search index from the
// database, borrowing a running server's database as `portal user add`
// does. When no server holds the index directory the index is rebuilt in
// place; when one does, a new index is built beside it and put in its
// place, and the running server keeps its open index (kept current by
// every change) until it restarts, when it opens the new one and catches
// it up with the changes made meanwhile.
func reindexCmd(args []string, stdout io.Writer, env config.Env) error {
	fs := flag.NewFlagSet("reindex", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dataDir := fs.String("data", "", "data directory (PORTAL_DATA_DIR)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the rebuild to this file")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("reindex: %v", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("reindex: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := config.Load(config.ModeCLI, overrideEnv(env, map[string]*string{"PORTAL_DATA_DIR": dataDir}))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := openStore(ctx, cfg, false, nil)
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	kinds, err := app.SearchKinds(st.DB)
	if err != nil {
		return err
	}
	dir := cfg.SearchIndexDir()
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	target, swap := dir, false
	ix, err := search.Open(search.Options{Dir: dir, Shards: cfg.SearchShards, Log: quiet}, kinds...)
	if errors.Is(err, search.ErrLocked) {
		target, swap = fmt.Sprintf("%s.reindex-%d", dir, time.Now().UnixNano()), true
		ix, err = search.Open(search.Options{Dir: target, Shards: cfg.SearchShards, Log: quiet}, kinds...)
	}
	if err != nil {
		return fmt.Errorf("reindex: %v", err)
	}
	var progress search.Progress
	if w := terminal(stdout); w != nil {
		progress = func(done, total int) {
			const width = 30
			filled := width
			if total > 0 {
				filled = done * width / total
			}
			fmt.Fprintf(w, "\r[%s%s] %d/%d documents", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total)
		}
	}
	if *cpuProfile != "" {
		// For finding what a slow rebuild spends its time on, on the
		// operator's own data (go tool pprof).
		f, err := os.Create(*cpuProfile)
		if err != nil {
			_ = ix.Close()
			return fmt.Errorf("reindex: %v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			_ = ix.Close()
			return fmt.Errorf("reindex: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	stats, err := ix.Rebuild(ctx, progress)
	if progress != nil {
		fmt.Fprintln(stdout)
	}
	n, _ := ix.DocCount()
	if cerr := ix.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		if swap {
			_ = os.RemoveAll(target)
		}
		return fmt.Errorf("reindex: %v", err)
	}
	if swap {
		old := fmt.Sprintf("%s.old-%d", dir, time.Now().UnixNano())
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("reindex: %v", err)
		}
		if err := os.Rename(target, dir); err != nil {
			return fmt.Errorf("reindex: %v", err)
		}
		// The running server's open files stay readable until it closes them.
		_ = os.RemoveAll(old)
	}
	size := search.Size(dir)
	fmt.Fprintf(stdout, "indexed %d documents (%d read from the database) in %s; index %s at %s\n",
		n, stats.Added+stats.Updated, stats.Took.Round(time.Millisecond), backup.HumanBytes(size), dir)
	if swap {
		fmt.Fprintln(stdout, "note: a running server holds the index; it keeps its open index until it restarts, then uses this one and catches it up")
	}
	return nil
}
