// Command portal runs the Circular & Fair ICT community portal. main.go only
// wires packages together; nothing imports it.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/demo"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/gctune"
	"github.com/circularfairict/portal/search"
	"github.com/circularfairict/portal/server"
	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/workshops"
)

// version is set at build time with -ldflags "-X main.version=..." (the
// Dockerfile does, from its VERSION argument); when it is not, resolveVersion
// reads what the Go toolchain recorded in the binary.
var version = ""

// resolveVersion is the version the portal reports (CLI, page footer; never
// /metrics): the stamped one, else the module version `go install` records,
// else the commit `go build` records in a git checkout ("-dirty" with
// uncommitted changes), else "dev".
func resolveVersion(stamped string, info *debug.BuildInfo, ok bool) string {
	if stamped != "" && stamped != "dev" {
		return stamped
	}
	if !ok || info == nil {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, kv := range info.Settings {
		switch {
		case kv.Key == "vcs.revision":
			rev = kv.Value
		case kv.Key == "vcs.modified" && kv.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev == "" {
		return "dev"
	}
	return rev[:min(12, len(rev))] + dirty
}

func init() {
	info, ok := debug.ReadBuildInfo()
	version = resolveVersion(version, info, ok)
}

const usage = `portal: the Circular & Fair ICT community portal

Usage:
  portal demo                  run the demo on loopback with a seeded community
  portal serve                 run in production (configure with PORTAL_* variables)
  portal user add --email E --name N --role member|facilitator|moderator|admin [--token [--token-scope read|write|admin]]
  portal import DIR --owner EMAIL  add the files listed in DIR/manifest.json or manifest.csv to the library
  portal backup [--out FILE]   archive the whole database, while the portal runs; prints the archive's path last
  portal restore ARCHIVE [--force]  restore an archive into an empty database (the portal stopped)
  portal migrate --to URI      copy the embedded database to MongoDB (the portal stopped; resumable)
  portal db serve --listen 127.0.0.1:PORT  serve the embedded database to other processes on loopback
  portal reindex [--cpuprofile FILE]  rebuild the search index from the database, while the portal runs
  portal healthcheck           exit 0 when the local server answers /healthz (for containers)
  portal version

Configuration is documented in docs/configuration.md.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

// run is main without process globals, so tests can drive the CLI.
func run(args []string, stdout, stderr io.Writer, env config.Env) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(config.ModeServe, args[1:], stdout, env)
	case "demo":
		err = serve(config.ModeDemo, args[1:], stdout, env)
	case "user":
		err = userCmd(args[1:], stdout, env)
	case "import":
		err = importCmd(args[1:], stdout, env)
	case "backup":
		err = backupCmd(args[1:], stdout, env)
	case "restore":
		err = restoreCmd(args[1:], stdout, env)
	case "migrate":
		err = migrateCmd(args[1:], stdout, env)
	case "db":
		err = dbCmd(args[1:], stdout, env)
	case "reindex":
		err = reindexCmd(args[1:], stdout, env)
	case "healthcheck":
		err = healthcheck(env)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "portal %s (database schema %d)\n", version, store.CurrentSchema)
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "portal: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		// One line that names what is wrong; details went to the log.
		fmt.Fprintln(stderr, "portal: "+strings.ReplaceAll(err.Error(), "\n", " "))
		return 1
	}
	return 0
}

// overrideEnv lets flags override environment variables.
func overrideEnv(env config.Env, over map[string]*string) config.Env {
	return func(k string) (string, bool) {
		if v, ok := over[k]; ok && *v != "" {
			return *v, true
		}
		return env(k)
	}
}

func serve(mode config.Mode, args []string, stdout io.Writer, env config.Env) error {
	fs := flag.NewFlagSet(string(mode), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "", "listen address (PORTAL_ADDR)")
	dataDir := fs.String("data", "", "data directory (PORTAL_DATA_DIR)")
	baseURL := fs.String("base-url", "", "public URL (PORTAL_BASE_URL)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %v", mode, err)
	}
	env = overrideEnv(env, map[string]*string{"PORTAL_ADDR": addr, "PORTAL_DATA_DIR": dataDir, "PORTAL_BASE_URL": baseURL})
	cfg, err := config.Load(mode, env)
	if err != nil {
		return err
	}
	logger := newLogger(cfg.LogLevel, stdout)

	if mode == config.ModeDemo && len(cfg.SessionKey) == 0 {
		if cfg.SessionKey, err = demoSessionKey(cfg.DataDir); err != nil {
			return err
		}
	}
	// Listen before opening the database so a taken port fails fast.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("PORTAL_ADDR: cannot listen on %s: %v", cfg.Addr, err)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + ln.Addr().String()
	}

	ctx := context.Background()
	st, err := openStore(ctx, cfg, true, logger)
	if err != nil {
		ln.Close()
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = st.Close(cctx)
	}()
	if stopGC, headroom := gctune.ForEmbedded(env, st.Embedded); stopGC != nil {
		defer stopGC()
		logger.Info("garbage collector tuned for the embedded database (GOGC or GOMEMLIMIT set by the operator turn this off)",
			"headroom_mib", headroom>>20)
	}
	srv, err := server.New(ctx, server.Deps{Config: cfg, Store: st, Logger: logger, Version: version})
	if err != nil {
		ln.Close()
		return err
	}
	if mode == config.ModeDemo { // after server.New, which creates the indexes
		if err := demo.Seed(ctx, auth.NewStore(st.DB)); err != nil {
			ln.Close()
			return err
		}
		if err := demo.SeedLibrary(ctx, auth.NewStore(st.DB), srv.Library()); err != nil {
			ln.Close()
			return err
		}
		if err := demo.SeedDiscussions(ctx, auth.NewStore(st.DB), forum.NewStore(st.DB)); err != nil {
			ln.Close()
			return err
		}
		if err := demo.SeedWorkshops(ctx, auth.NewStore(st.DB), workshops.NewStore(st.DB)); err != nil {
			ln.Close()
			return err
		}
		if err := demo.SeedOutcomes(ctx, auth.NewStore(st.DB), workshops.NewStore(st.DB), srv.Core()); err != nil {
			ln.Close()
			return err
		}
		// The seeds write through stores of their own, which tell no index.
		if ix := srv.SearchIndex(); ix != nil {
			if err := ix.CatchUpAfterSeeding(ctx); err != nil {
				ln.Close()
				return err
			}
		}
	}

	if cfg.PprofAddr != "" {
		if _, err := serveProfiler(cfg.PprofAddr, logger); err != nil {
			ln.Close()
			return err
		}
	}
	sigCtx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Listen(ln) }()
	logger.Info("portal ready", "url", cfg.BaseURL, "mode", string(mode), "embedded_db", st.Embedded)
	if link, err := srv.OfferSetup(ctx); err != nil {
		logger.Error("set-up link not made", "err", err)
	} else if link != "" {
		fmt.Fprintf(stdout, "No administrator yet. Within the hour, open\n  %s\nand sign in to become the first administrator (or use: portal user add --role admin).\n", link)
	}
	if mode == config.ModeDemo {
		fmt.Fprintf(stdout, "Portal demo ready at %s (press Ctrl+C to stop)\n", cfg.BaseURL)
	}
	select {
	case err := <-errc:
		return err
	case <-sigCtx.Done():
	}
	logger.Info("shutting down", "grace", cfg.ShutdownGrace.String())
	return srv.Shutdown(cfg.ShutdownGrace)
}

// serveProfiler serves Go's profiler on its own loopback listener (the
// configuration refuses other hosts), apart from the portal's routes and
// their middleware: it is for measuring, not for members.
func serveProfiler(addr string, logger *slog.Logger) (string, error) {
	pl, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("PORTAL_PPROF_ADDR: cannot listen on %s: %v", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(pl) }()
	logger.Warn("profiler listening", "addr", pl.Addr().String())
	return pl.Addr().String(), nil
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// openStore opens the configured database; the embedded one logs only
// errors. A server owns the embedded database; tools borrow it.
func openStore(ctx context.Context, cfg *config.Config, server bool, logger *slog.Logger) (*store.Store, error) {
	_ = logger
	dbLog := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})).With("component", "embedded-db")
	st, err := store.Open(ctx, store.Options{URI: cfg.MongoURI, DataDir: cfg.DataDir, Owner: server, Logger: dbLog})
	if err != nil {
		if cfg.MongoURI != "" {
			return nil, fmt.Errorf("MONGODB_URI: %v", err)
		}
		return nil, fmt.Errorf("PORTAL_DATA_DIR: %v", err)
	}
	return st, nil
}

// openCurrent opens the database for a tool that writes the portal's data
// (user add, import) and checks its schema as serve does: a database a
// newer release upgraded is refused, since this build could misread or
// damage it; an older one is migrated first (each migration claimed once
// across processes, so a server running on it is not disturbed).
func openCurrent(ctx context.Context, cfg *config.Config, stdout io.Writer) (*store.Store, error) {
	st, err := openStore(ctx, cfg, false, nil)
	if err != nil {
		return nil, err
	}
	from, err := st.SchemaVersion(ctx)
	if err == nil {
		err = st.Upgrade(ctx, nil)
	}
	if err != nil {
		_ = st.Close(context.Background())
		return nil, err
	}
	if from > 0 && from < store.CurrentSchema {
		fmt.Fprintf(stdout, "database schema upgraded from version %d to %d first\n", from, store.CurrentSchema)
	}
	return st, nil
}

// demoSessionKey keeps a random key in the data directory so demo sessions
// survive restarts without any configuration.
func demoSessionKey(dir string) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("PORTAL_DATA_DIR: %v", err)
	}
	p := filepath.Join(dir, "demo-session.key")
	if b, err := os.ReadFile(p); err == nil {
		if k, err := hex.DecodeString(strings.TrimSpace(string(b))); err == nil && len(k) >= 32 {
			return k, nil
		}
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := os.WriteFile(p, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("PORTAL_DATA_DIR: %v", err)
	}
	return k, nil
}

func userCmd(args []string, stdout io.Writer, env config.Env) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("user: the only subcommand is add: portal user add --email E --name N --role R [--token]")
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "e-mail address (required)")
	name := fs.String("name", "", "display name (required)")
	roleName := fs.String("role", "member", "member, facilitator, moderator or admin")
	withToken := fs.Bool("token", false, "print a new personal API token as the last line")
	tokenName := fs.String("token-name", "cli", "name of the token")
	tokenScope := fs.String("token-scope", string(auth.ScopeWrite), "what the token may do: read, write or admin")
	dataDir := fs.String("data", "", "data directory (PORTAL_DATA_DIR)")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("user add: %v", err)
	}
	e := strings.ToLower(strings.TrimSpace(*email))
	if e == "" || !strings.Contains(e, "@") || strings.ContainsAny(e, " \t\r\n") {
		return errors.New("user add: --email must be an e-mail address")
	}
	if strings.TrimSpace(*name) == "" {
		return errors.New("user add: --name is required")
	}
	role, err := auth.ParseRole(*roleName)
	if err != nil {
		return fmt.Errorf("user add: --role: %q is not one of member, facilitator, moderator, admin", *roleName)
	}
	scope, ok := auth.ParseTokenScope(*tokenScope)
	if !ok {
		return fmt.Errorf("user add: --token-scope: %q is not one of read, write, admin", *tokenScope)
	}
	cfg, err := config.Load(config.ModeCLI, overrideEnv(env, map[string]*string{"PORTAL_DATA_DIR": dataDir}))
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, err := openCurrent(ctx, cfg, stdout)
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	if err := st.EnsureIndexes(ctx, auth.Indexes()); err != nil {
		return err
	}
	a := auth.NewStore(st.DB)
	// A server running beside this command lists the member in its
	// directory at its next sweep, from the search change log.
	changes := search.NewLog(st.DB)
	a.OnChange(func(ctx context.Context, ids []string) {
		for _, id := range ids {
			if err := changes.Changed(ctx, auth.SearchKind, id); err != nil {
				fmt.Fprintf(stdout, "note: the member appears in a running server's directory at its next full catch-up (%v)\n", err)
			}
		}
	})
	// Accounts are keyed on (provider, subject): accounts made here use the
	// "cli" provider with the e-mail address as subject.
	m, err := a.UpsertByIdentity(ctx, auth.Identity{Provider: "cli", Subject: e, Email: e},
		auth.Member{Name: *name, Email: e, Role: role, Status: auth.StatusApproved})
	if err != nil {
		return fmt.Errorf("user add: %v", err)
	}
	if m.Role == auth.RoleAdmin {
		// A set-up link offered by a running portal dies now.
		if err := a.MarkAdministratorMade(ctx, m.ID); err != nil {
			return fmt.Errorf("user add: %v", err)
		}
	}
	fmt.Fprintf(stdout, "member %s: %s <%s>, role %s, %s\n", m.ID, m.Name, e, m.Role, m.Status)
	if *withToken {
		secret, _, err := a.CreateScopedToken(ctx, m.ID, *tokenName, scope, nil)
		if err != nil {
			return fmt.Errorf("user add: %v", err)
		}
		fmt.Fprintln(stdout, secret)
	}
	return nil
}

// healthcheck asks the server on PORTAL_ADDR's port, on loopback, whether it
// lives; container images without curl use it as their health check.
func healthcheck(env config.Env) error {
	addr, _ := env("PORTAL_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("PORTAL_ADDR: %q is not host:port", addr)
	}
	client := &http.Client{Timeout: 3 * time.Second}
	res, err := client.Get("http://127.0.0.1:" + port + "/healthz")
	if err != nil {
		return fmt.Errorf("healthcheck: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: status %d", res.StatusCode)
	}
	return nil
}
