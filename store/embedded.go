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

type embedded struct {
	uri    string
	lock   *os.File
	cancel context.CancelFunc
	done   chan struct{}
	dir    string
}

// startEmbedded either starts FerretDB on dataDir (when no other process
// holds the directory) or returns the URI of the process that does.
func startEmbedded(ctx context.Context, dataDir string, logger *slog.Logger) (*embedded, error) {
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
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		// Another process owns the directory: use its database.
		return sharedEmbedded(abs)
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	listener := ferretdb.ListenerConfig{}
	sock := filepath.Join(abs, socketFile)
	_ = os.Remove(sock) // left by a process that was killed
	if len(sock) <= maxSocketPath {
		listener.Unix = sock
	} else {
		listener.TCP = "127.0.0.1:0"
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  listener,
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: (&url.URL{Scheme: "file", Path: filepath.Join(abs, sqliteDir) + "/"}).String(),
	})
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("store: embedded database: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(runCtx)
	}()
	var uri string
	if listener.Unix != "" {
		uri = "mongodb://" + url.PathEscape(sock) + "/"
		if err := waitForSocket(ctx, sock); err != nil {
			cancel()
			<-done
			lock.Close()
			return nil, err
		}
	} else {
		uri = f.MongoDBURI()
	}
	if err := os.WriteFile(filepath.Join(abs, uriFile), []byte(uri+"\n"), 0o600); err != nil {
		cancel()
		<-done
		lock.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	return &embedded{uri: uri, lock: lock, cancel: cancel, done: done, dir: abs}, nil
}

func waitForSocket(ctx context.Context, path string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("store: embedded database did not start")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func sharedEmbedded(dir string) (*embedded, error) {
	b, err := os.ReadFile(filepath.Join(dir, uriFile))
	if err != nil {
		return nil, fmt.Errorf("store: data directory %s is in use by another process but its database address is unknown: %w", dir, err)
	}
	return &embedded{uri: strings.TrimSpace(string(b))}, nil
}

func (e *embedded) stop() {
	if e.cancel == nil {
		return // the database belongs to another process
	}
	e.cancel()
	<-e.done
	_ = os.Remove(filepath.Join(e.dir, uriFile))
	_ = e.lock.Close()
}
