// Package backup copies a whole portal database: into an archive (Backup),
// from an archive into an empty database (Restore), and from one database
// to another (Migrate). It works on the driver alone, the same way on the
// embedded database and on MongoDB; the CLI (main.go) wires it.
package backup

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// MigrationCollection records a migration's progress in its target. It is
// bookkeeping, not community data: backups and migrations leave it out.
const MigrationCollection = "_migration"

// Digest is an order-independent checksum of a set of documents: the sum,
// modulo 2^256, of the SHA-256 of each document's BSON bytes. The embedded
// database streams a collection only in its storage order and MongoDB in
// _id order, so two copies of one collection are compared by a checksum
// that does not depend on the order they are read in; _id is unique, so no
// two documents of a collection are equal and none can cancel another.
type Digest [32]byte

// Add counts one document in.
func (d *Digest) Add(doc []byte) {
	h := sha256.Sum256(doc)
	var carry uint64
	for i := 24; i >= 0; i -= 8 {
		a := binary.BigEndian.Uint64(d[i:])
		b := binary.BigEndian.Uint64(h[i:])
		s := a + b + carry
		if s < a || (carry == 1 && s == a) {
			carry = 1
		} else {
			carry = 0
		}
		binary.BigEndian.PutUint64(d[i:], s)
	}
}

func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// CollectionSum is what a collection holds, by count and Digest.
type CollectionSum struct {
	Count  int64
	Digest string
}

// Sum reads a whole collection once and returns its count and Digest.
func Sum(ctx context.Context, db *mongo.Database, name string) (CollectionSum, error) {
	var d Digest
	var n int64
	err := scan(ctx, db, name, func(doc bson.Raw) error {
		d.Add(doc)
		n++
		return nil
	})
	return CollectionSum{Count: n, Digest: d.String()}, err
}

// Sums returns the Sum of every collection of db (MigrationCollection and
// system collections left out), by name.
func Sums(ctx context.Context, db *mongo.Database) (map[string]CollectionSum, error) {
	names, err := collections(ctx, db)
	if err != nil {
		return nil, err
	}
	out := map[string]CollectionSum{}
	for _, n := range names {
		if out[n], err = Sum(ctx, db, n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// collections lists the community's collections, sorted, with the GridFS
// buckets' collections last (see Backup for why).
func collections(ctx context.Context, db *mongo.Database) ([]string, error) {
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("backup: list collections: %w", err)
	}
	out := names[:0]
	for _, n := range names {
		if n == MigrationCollection || strings.HasPrefix(n, "system.") {
			continue
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool {
		bi, bj := isBucket(out[i], out), isBucket(out[j], out)
		if bi != bj {
			return !bi
		}
		return out[i] < out[j]
	})
	return out, nil
}

// isBucket reports whether name is the files or chunks collection of a
// GridFS bucket (both collections present).
func isBucket(name string, all []string) bool {
	prefix, ok := bucketOf(name)
	if !ok {
		return false
	}
	has := func(s string) bool {
		for _, n := range all {
			if n == s {
				return true
			}
		}
		return false
	}
	return has(prefix+".files") && has(prefix+".chunks")
}

func bucketOf(name string) (string, bool) {
	if p, ok := strings.CutSuffix(name, ".files"); ok {
		return p, true
	}
	return strings.CutSuffix(name, ".chunks")
}

// scan calls fn with every document of a collection, read in one pass
// through one cursor, so each document that stays in the collection is
// seen exactly once. On MongoDB the pass follows the _id index. The
// embedded database (FerretDB on SQLite) sorts in memory whatever is not
// in storage order, so there the pass reads in storage order, which it
// streams from one SQLite statement: in SQLite's WAL mode that statement
// reads one snapshot of the collection, taken when the pass starts.
func scan(ctx context.Context, db *mongo.Database, name string, fn func(bson.Raw) error) error {
	// FerretDB 1.24 fills a batch by count alone, with no cap in bytes: a
	// batch of 256 stored-file chunks (255 KiB each) would exceed the
	// protocol's 48 MB message limit, and is held whole in the serving
	// process. A few chunks (2 MiB) per batch, or 100 ordinary documents.
	o := options.Find().SetBatchSize(100)
	if strings.HasSuffix(name, ".chunks") {
		o.SetBatchSize(8)
	}
	ferret, err := isFerret(ctx, db)
	if err != nil {
		return err
	}
	if !ferret {
		o.SetSort(bson.D{{Key: "_id", Value: 1}})
	}
	cur, err := db.Collection(name).Find(ctx, bson.D{}, o)
	if err != nil {
		return fmt.Errorf("backup: read %s: %w", name, err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	for cur.Next(ctx) {
		if err := fn(cur.Current); err != nil {
			return err
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("backup: read %s: %w", name, err)
	}
	return nil
}

// isFerret reports whether db is served by FerretDB (the embedded
// database, in this process or another), which answers buildInfo with its
// own version.
func isFerret(ctx context.Context, db *mongo.Database) (bool, error) {
	var info bson.M
	if err := db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return false, fmt.Errorf("backup: buildInfo: %w", err)
	}
	_, ok := info["ferretdbVersion"]
	return ok, nil
}

// indexSpecs returns a collection's index definitions as listIndexes gives
// them, without the _id index that every collection has.
func indexSpecs(ctx context.Context, db *mongo.Database, name string) ([]bson.D, error) {
	cur, err := db.Collection(name).Indexes().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("backup: indexes of %s: %w", name, err)
	}
	var specs []bson.D
	if err := cur.All(ctx, &specs); err != nil {
		return nil, fmt.Errorf("backup: indexes of %s: %w", name, err)
	}
	out := specs[:0]
	for _, s := range specs {
		if n, _ := lookup(s, "name").(string); n == "_id_" {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

// createIndexes creates each index one command at a time (FerretDB 1.24
// panics on a createIndexes that mixes existing and new indexes); an index
// that exists with the same definition is a no-op.
func createIndexes(ctx context.Context, db *mongo.Database, name string, specs []bson.D) error {
	for _, s := range specs {
		spec := bson.D{}
		for _, e := range s {
			if e.Key == "v" || e.Key == "ns" {
				continue // server-assigned
			}
			spec = append(spec, e)
		}
		cmd := bson.D{{Key: "createIndexes", Value: name}, {Key: "indexes", Value: bson.A{spec}}}
		if err := db.RunCommand(ctx, cmd).Err(); err != nil {
			return fmt.Errorf("backup: index %v on %s: %w", lookup(s, "name"), name, err)
		}
	}
	return nil
}

func lookup(d bson.D, key string) any {
	for _, e := range d {
		if e.Key == key {
			return e.Value
		}
	}
	return nil
}
