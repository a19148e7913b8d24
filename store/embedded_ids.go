package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // the driver FerretDB itself uses, for the file it writes
)

// idLookupExpr is the expression FerretDB 1.24's SQLite backend compares
// with when it looks a document up by _id: finds with a filter of only
// {_id: …}, every update and every delete.
const idLookupExpr = `_ferretdb_sjson->'$._id'`

// IndexIDLookups gives the embedded database's lookups by _id an index.
//
// FerretDB 1.24 indexes _id as `_ferretdb_sjson->"_id"` but queries,
// updates and deletes by idLookupExpr. SQLite uses an index on an
// expression only for the same expression, written the same way, so
// every lookup by _id scanned the whole collection (EXPLAIN QUERY PLAN:
// SCAN), and each one cost time in proportion to the collection: a room
// of 3,000 people joined at a few per second, the handshake's five
// lookups by _id doing most of that work. This adds, to every collection
// table of this database's file, a plain index on the expression the
// lookups use; uniqueness stays with FerretDB's own _id index.
// EnsureIndexes runs it at every start-up, after the application's
// indexes, and the server's periodic sweep runs it again, so that a
// collection created at its first use (stored files, outcomes) gets its
// index within one sweep; indexes that exist are left alone.
//
// The index lives in FerretDB's file without FerretDB knowing it: it is
// not listed by listIndexes, and SQLite drops it with its table when a
// collection or database is dropped. On MongoDB this does nothing.
func (s *Store) IndexIDLookups(ctx context.Context) error {
	if s.sqliteDir == "" {
		return nil
	}
	path := filepath.Join(s.sqliteDir, s.DB.Name()+".sqlite")
	if _, err := os.Stat(path); err != nil {
		return nil // no collection yet: nothing to index
	}
	// mode=rw: never create the file (a database dropped meanwhile stays
	// dropped).
	dsn := (&url.URL{Scheme: "file", Path: path, RawQuery: "mode=rw&_pragma=busy_timeout(10000)"}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("store: _id lookups: %w", err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		if _, serr := os.Stat(path); os.IsNotExist(serr) {
			return nil
		}
		return fmt.Errorf("store: _id lookups: %w", err)
	}
	// Collection tables are the ones with FerretDB's document column;
	// its own metadata table starts with _ferretdb_.
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND substr(name, 1, 10) != '_ferretdb_' AND sql LIKE '%_ferretdb_sjson TEXT%'`)
	if err != nil {
		return fmt.Errorf("store: _id lookups: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("store: _id lookups: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: _id lookups: %w", err)
	}
	for _, t := range tables {
		// FerretDB names its indexes <table>_<index name>; no index of
		// the portal is named "$id_lookup".
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (%s)`, t+"_$id_lookup", t, idLookupExpr)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: _id lookups on %s: %w", t, err)
		}
	}
	return nil
}
