// Package store owns the MongoDB connection: an external MongoDB when a URI is
// given, otherwise an embedded FerretDB (SQLite handler) under the data
// directory. It also bootstraps indexes and offers small shared helpers.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/mongo/readpref"
	"go.mongodb.org/mongo-driver/mongo/writeconcern"
	"go.mongodb.org/mongo-driver/x/mongo/driver/connstring"
	"go.mongodb.org/mongo-driver/x/mongo/driver/topology"
)

// ErrNotFound is wrapped by the feature packages' own not-found sentinels
// when a lookup by ID or key finds nothing.
var ErrNotFound = errors.New("store: not found")

// Options configure Open. Exactly one of URI or DataDir decides the mode.
type Options struct {
	// URI of an external MongoDB. When empty, an embedded FerretDB is used.
	URI string
	// Database name; defaults to "portal".
	Database string
	// DataDir holds the embedded database files, its lock and its socket.
	DataDir string
	// Logger for the embedded database; nil discards its logs.
	Logger *slog.Logger
	// Timeout bounds each database operation (client-side operation timeout).
	Timeout time.Duration
	// Owner marks a long-running server: it must run the embedded database
	// itself, waiting for short-lived tools to release the directory.
	// Tools (Owner false) use the database of whichever process holds it.
	Owner bool
	// Listen, for an owner of the embedded database, also serves it over
	// the MongoDB protocol on this TCP address (`portal db serve`). The
	// embedded database has no authentication, so only loopback hosts are
	// accepted; port 0 picks a free port (see Store.ServedURI).
	Listen string
}

// Store is an open database connection. Close releases it and, in embedded
// mode, stops the embedded server this process started.
type Store struct {
	Client *mongo.Client
	DB     *mongo.Database
	// Embedded reports whether the database is the embedded FerretDB (of this
	// process or of another process sharing the data directory).
	Embedded bool
	// URI actually used by the driver (socket path for the embedded mode).
	URI string
	// ServedURI is the TCP address of the embedded database when
	// Options.Listen asked for one, as a mongodb:// URI; empty otherwise.
	ServedURI string

	embedded *embedded
	// sqliteDir holds the embedded database's SQLite files (one per
	// database); empty on MongoDB. See IndexIDLookups.
	sqliteDir string
}

// WithDatabase returns a Store on another database of the same server,
// sharing the client (tests give each test a database of its own).
func (s *Store) WithDatabase(name string) *Store {
	return s.WithClient(s.Client, name)
}

// WithClient returns a Store on database name of the same server through
// another client (one with a command monitor, say). The copy never stops
// the embedded server; whoever opened s does.
func (s *Store) WithClient(c *mongo.Client, name string) *Store {
	cp := *s
	cp.Client, cp.DB = c, c.Database(name)
	cp.embedded = nil
	return &cp
}

// Open connects to the configured database and checks that it answers.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Database == "" {
		opts.Database = databaseFromURI(opts.URI)
	}
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	s := &Store{URI: opts.URI}
	if opts.Listen != "" {
		if opts.URI != "" || !opts.Owner {
			return nil, errors.New("store: only the owner of an embedded database can serve it")
		}
		if err := checkLoopback(opts.Listen); err != nil {
			return nil, err
		}
	}
	if opts.URI == "" {
		e, err := startEmbedded(ctx, opts.DataDir, opts.Owner, opts.Listen, opts.Logger)
		if err != nil {
			return nil, err
		}
		s.embedded = e
		s.URI = e.uri
		s.ServedURI = e.served
		s.Embedded = true
		if abs, err := filepath.Abs(opts.DataDir); err == nil {
			s.sqliteDir = filepath.Join(abs, sqliteDir)
		}
	}
	client, err := Connect(ctx, s.URI, opts.Timeout)
	if err != nil {
		s.stopEmbedded()
		return nil, err
	}
	s.Client = client
	s.DB = client.Database(opts.Database)
	return s, nil
}

// Connect opens a driver client with the portal's durability settings and
// pings it once, so a wrong URI fails at start-up rather than at first use.
// Extra options (a command monitor in tests) are applied last.
func Connect(ctx context.Context, uri string, timeout time.Duration, extra ...func(*options.ClientOptions)) (*mongo.Client, error) {
	// Defaults first so timeouts given in the URI win; durability is forced.
	co := options.Client().
		SetServerSelectionTimeout(5 * time.Second).
		SetConnectTimeout(5 * time.Second).
		SetTimeout(timeout).
		ApplyURI(uri).
		SetWriteConcern(writeconcern.Majority()).
		SetRetryWrites(true).
		SetRetryReads(true)
	co.WriteConcern.Journal = boolPtr(true)
	if sock := socketPath(uri); sock != "" {
		// The driver lower-cases host names, socket paths included, so a
		// data directory with capitals would be unreachable: dial the path
		// exactly as written in the URI.
		co.SetDialer(socketDialer(sock))
	}
	for _, f := range extra {
		f(co)
	}
	if err := co.Validate(); err != nil {
		return nil, fmt.Errorf("store: invalid MongoDB URI: %w", err)
	}
	client, err := mongo.Connect(ctx, co)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 6*time.Second)
	defer cancel()
	if err := client.Ping(pctx, readpref.Primary()); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("store: database did not answer: %w", err)
	}
	return client, nil
}

func boolPtr(b bool) *bool { return &b }

// checkLoopback refuses a listen address whose host is not a loopback IP
// or "localhost": anyone who reaches the embedded database can read and
// change everything in it.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("store: listen address %q is not host:port", addr)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("store: listen address %q is not on loopback (127.0.0.1 or ::1): the embedded database has no authentication", addr)
}

// databaseFromURI honours a database named in the URI path, else "portal".
func databaseFromURI(uri string) string {
	if uri != "" {
		if cs, err := connstring.Parse(uri); err == nil && cs.Database != "" {
			return cs.Database
		}
	}
	return "portal"
}

// socketPath returns the unix socket path named by a mongodb:// URI whose
// host is a percent-encoded absolute path, or "".
func socketPath(uri string) string {
	rest, ok := strings.CutPrefix(uri, "mongodb://")
	if !ok || !strings.HasPrefix(strings.ToUpper(rest), "%2F") {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	p, err := url.PathUnescape(host)
	if err != nil || !strings.HasSuffix(p, ".sock") {
		return ""
	}
	return p
}

type socketDialer string

func (d socketDialer) DialContext(ctx context.Context, network, _ string) (net.Conn, error) {
	var nd net.Dialer
	if network == "unix" {
		return nd.DialContext(ctx, "unix", string(d))
	}
	return nil, fmt.Errorf("store: unexpected network %q for a socket URI", network)
}

// Ping reports whether the database answers within the context's deadline.
func (s *Store) Ping(ctx context.Context) error {
	return s.Client.Ping(ctx, readpref.Primary())
}

// Close disconnects and stops the embedded database if this process owns it.
func (s *Store) Close(ctx context.Context) error {
	var err error
	if s.Client != nil {
		err = s.Client.Disconnect(ctx)
	}
	s.stopEmbedded()
	return err
}

func (s *Store) stopEmbedded() {
	if s.embedded != nil {
		s.embedded.stop()
		s.embedded = nil
	}
}

// IsNoDocuments reports whether err is the driver's "no documents" error, so
// feature stores can turn it into their own not-found sentinel.
func IsNoDocuments(err error) bool { return errors.Is(err, mongo.ErrNoDocuments) }

// IsDuplicateKey reports a unique-index violation.
func IsDuplicateKey(err error) bool { return mongo.IsDuplicateKeyError(err) }

// NewID returns a new time-ordered identifier as 24 hex characters.
func NewID() string { return primitive.NewObjectID().Hex() }

// IsUnavailable reports errors that mean the database cannot be reached
// right now (network, server selection, timeouts), as opposed to bad queries.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var sse topology.ServerSelectionError
	return mongo.IsNetworkError(err) || mongo.IsTimeout(err) || errors.As(err, &sse) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, topology.ErrServerSelectionTimeout)
}
