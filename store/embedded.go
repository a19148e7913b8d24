package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Files inside the data directory. The lock file guarantees that only one
// embedded database ever opens the directory; the URI file tells other
// processes (the CLI next to a running server) where to connect instead.
const (
	lockFile   = "portal.lock"
	uriFile    = "db.uri"
	socketFile = "db.sock"
	sqliteDir  = "db"
	// sun_path is 108 bytes on Linux; keep a margin for the terminating NUL.
	maxSocketPath = 100
)

// Who holds the data directory, written on the second line of db.uri.
const (
	holderServer = "server"
	holderTool   = "tool"
)

type embedded struct {
	uri     string
	served  string // TCP URI when asked to listen
	lock    *os.File
	cancel  context.CancelFunc
	done    chan struct{}
	dir     string
	sockDir string // a private short directory for the socket, when the data path is too long
}

// startEmbedded either starts FerretDB on dataDir (when no other process
// holds the directory) or connects to the process that does. A server
// (owner) never borrows another process's database: it waits for a tool
// such as `portal user add` to finish, and refuses to share with a server.
func startEmbedded(ctx context.Context, dataDir string, owner bool, listen string, logger *slog.Logger) (*embedded, error) {
	if dataDir == "" {
		return nil, errors.New("store: no data directory for the embedded database")
	}
	if err := os.MkdirAll(filepath.Join(dataDir, sqliteDir), 0o700); err != nil {
		return nil, fmt.Errorf("store: data directory: %w", err)
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("store: data directory: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(abs, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: lock file: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
			break
		}
		uri, holder, err := readURIFile(abs)
		switch {
		case err == nil && !owner:
			lock.Close()
			return &embedded{uri: uri}, nil
		case err == nil && holder == holderServer:
			lock.Close()
			return nil, fmt.Errorf("store: another portal server is already running on %s", abs)
		case time.Now().After(deadline):
			lock.Close()
			return nil, fmt.Errorf("store: data directory %s is held by another process that did not release it", abs)
		}
		// The holder is a short-lived tool, or is still starting up: wait.
		select {
		case <-ctx.Done():
			lock.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	logger = slog.New(lazy(logger.Handler()))
	e := &embedded{lock: lock, dir: abs}
	sock := filepath.Join(abs, socketFile)
	_ = os.Remove(sock) // left by a process that was killed
	if len(sock) > maxSocketPath {
		// Keep the socket private rather than fall back to an open TCP port.
		if e.sockDir, err = os.MkdirTemp("", "portal-db"); err != nil {
			lock.Close()
			return nil, fmt.Errorf("store: socket directory: %w", err)
		}
		sock = filepath.Join(e.sockDir, socketFile)
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: sock, TCP: listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: (&url.URL{Scheme: "file", Path: filepath.Join(abs, sqliteDir) + "/"}).String(),
	})
	if err != nil {
		e.release()
		return nil, fmt.Errorf("store: embedded database: %w", err)
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		logger.Warn("cannot restrict the database socket", "err", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	e.cancel, e.done = cancel, make(chan struct{})
	go func() {
		defer close(e.done)
		_ = f.Run(runCtx)
	}()
	e.uri = "mongodb://" + url.PathEscape(sock) + "/"
	if listen != "" {
		// New has bound the TCP listener, so the URI names the real port.
		e.served = f.MongoDBURI()
	}
	holder := holderTool
	if owner {
		holder = holderServer
	}
	if err := os.WriteFile(filepath.Join(abs, uriFile), []byte(e.uri+"\n"+holder+"\n"), 0o600); err != nil {
		e.stop()
		return nil, fmt.Errorf("store: %w", err)
	}
	return e, nil
}

func readURIFile(dir string) (uri, holder string, err error) {
	b, err := os.ReadFile(filepath.Join(dir, uriFile))
	if err != nil {
		return "", "", err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "mongodb://") {
		return "", "", errors.New("store: incomplete db.uri")
	}
	return lines[0], lines[1], nil
}

func (e *embedded) stop() {
	if e.cancel == nil {
		return // the database belongs to another process
	}
	e.cancel()
	<-e.done
	_ = os.Remove(filepath.Join(e.dir, uriFile))
	e.release()
}

func (e *embedded) release() {
	if e.sockDir != "" {
		_ = os.RemoveAll(e.sockDir)
	}
	_ = e.lock.Close()
}
