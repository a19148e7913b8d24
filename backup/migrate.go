package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// MigrateOptions configure Migrate.
type MigrateOptions struct {
	Version string
	// Force copies into a target that holds data but no migration record.
	Force    bool
	Progress io.Writer
}

// MigrateResult sums up a finished migration.
type MigrateResult struct {
	Collections int
	Documents   int64
	// Resumed counts collections found already copied by an earlier run.
	Resumed int
	// Recopied names collections that differed at the end and were copied
	// again from scratch (the source changed between two runs).
	Recopied []string
}

// progressDoc is one collection's record in the target's
// MigrationCollection, keyed "collection:<name>"; "done" marks the end.
type progressDoc struct {
	ID      string    `bson:"_id"`
	Done    bool      `bson:"done"`
	Count   int64     `bson:"count"`
	Digest  string    `bson:"digest"`
	At      time.Time `bson:"at"`
	Version string    `bson:"version,omitempty"`
}

// ErrTargetNotEmpty refuses to migrate into a database that holds data
// this migration did not write.
var ErrTargetNotEmpty = errors.New("the target database already holds data")

// Migrate copies every collection of src into dst, with its indexes. The
// source must be at rest (the CLI holds the embedded database's directory
// for the whole run, so no portal can serve it meanwhile). Each collection
// is recorded in dst's MigrationCollection once copied, so a run that is
// interrupted resumes with the collections not yet recorded; documents are
// upserted by _id, so copying a collection again converges instead of
// failing on what an interrupted run wrote. At the end every collection is
// compared on both sides by count and Digest; one that differs (its source
// changed between two runs) is emptied in dst and copied again once.
func Migrate(ctx context.Context, src, dst *mongo.Database, opts MigrateOptions) (*MigrateResult, error) {
	names, err := collections(ctx, src)
	if err != nil {
		return nil, err
	}
	track := dst.Collection(MigrationCollection)
	if err := checkTarget(ctx, dst, opts.Force); err != nil {
		return nil, err
	}
	if opts.Force {
		// Forced: a fresh copy, whatever earlier runs recorded.
		if _, err := track.DeleteMany(ctx, bson.D{}); err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
	}
	res := &MigrateResult{Collections: len(names)}
	p := &progress{w: opts.Progress}
	for _, name := range names {
		var pd progressDoc
		err := track.FindOne(ctx, bson.D{{Key: "_id", Value: "collection:" + name}}).Decode(&pd)
		if err == nil && pd.Done {
			res.Resumed++
			continue
		}
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		if _, err := copyCollection(ctx, src, dst, name, opts.Version, p); err != nil {
			return nil, err
		}
	}
	for _, name := range names {
		n, ok, err := compare(ctx, src, dst, name)
		if err != nil {
			return nil, err
		}
		if !ok {
			if _, err := dst.Collection(name).DeleteMany(ctx, bson.D{}); err != nil {
				return nil, fmt.Errorf("migrate: empty %s: %w", name, err)
			}
			if _, err := copyCollection(ctx, src, dst, name, opts.Version, p); err != nil {
				return nil, err
			}
			if n, ok, err = compare(ctx, src, dst, name); err != nil {
				return nil, err
			} else if !ok {
				return nil, fmt.Errorf("migrate: %s differs between source and target after copying it again; is a portal writing to either?", name)
			}
			res.Recopied = append(res.Recopied, name)
		}
		res.Documents += n
	}
	_, err = track.ReplaceOne(ctx, bson.D{{Key: "_id", Value: "done"}},
		progressDoc{ID: "done", Done: true, Count: res.Documents, At: time.Now().UTC(), Version: opts.Version},
		options.Replace().SetUpsert(true))
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return res, nil
}

// checkTarget refuses a target with data but no record of this migration.
func checkTarget(ctx context.Context, dst *mongo.Database, force bool) error {
	names, err := collections(ctx, dst)
	if err != nil {
		return err
	}
	if len(names) == 0 || force {
		return nil
	}
	track := dst.Collection(MigrationCollection)
	var done progressDoc
	err = track.FindOne(ctx, bson.D{{Key: "_id", Value: "done"}}).Decode(&done)
	if err == nil {
		// A portal may have written to the target since: copying again
		// would replace that with the embedded database's older content.
		return fmt.Errorf("%w: a migration into it finished on %s, and a portal may have used it since; pass --force to replace its content with the embedded database's",
			ErrTargetNotEmpty, done.At.Format(time.RFC3339))
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("migrate: %w", err)
	}
	n, err := track.CountDocuments(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("%w (%d collections, no record of an earlier migration): migrate into an empty database, or pass --force to copy over it",
			ErrTargetNotEmpty, len(names))
	}
	return nil
}

// copyCollection upserts every document of one collection into dst, then
// records it as copied.
func copyCollection(ctx context.Context, src, dst *mongo.Database, name, version string, p *progress) (CollectionSum, error) {
	specs, err := indexSpecs(ctx, src, name)
	if err != nil {
		return CollectionSum{}, err
	}
	if err := dst.CreateCollection(ctx, name); err != nil && !isNamespaceExists(err) {
		return CollectionSum{}, fmt.Errorf("migrate: create %s: %w", name, err)
	}
	if err := createIndexes(ctx, dst, name, specs); err != nil {
		return CollectionSum{}, fmt.Errorf("migrate: %w", err)
	}
	coll := dst.Collection(name)
	b := newBatcher(func(docs []any) error {
		models := make([]mongo.WriteModel, len(docs))
		for i, d := range docs {
			raw := d.(bson.Raw)
			models[i] = mongo.NewReplaceOneModel().SetFilter(bson.D{{Key: "_id", Value: raw.Lookup("_id")}}).
				SetReplacement(raw).SetUpsert(true)
		}
		_, err := coll.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
		return err
	})
	var sum Digest
	var n int64
	err = scan(ctx, src, name, func(doc bson.Raw) error {
		n++
		sum.Add(doc)
		p.update(name, n)
		return b.add(doc)
	})
	if err == nil {
		err = b.flush()
	}
	if err != nil {
		return CollectionSum{}, fmt.Errorf("migrate: %s: %w", name, err)
	}
	cs := CollectionSum{Count: n, Digest: sum.String()}
	_, err = dst.Collection(MigrationCollection).ReplaceOne(ctx, bson.D{{Key: "_id", Value: "collection:" + name}},
		progressDoc{ID: "collection:" + name, Done: true, Count: n, Digest: cs.Digest, At: time.Now().UTC(), Version: version},
		options.Replace().SetUpsert(true))
	if err != nil {
		return cs, fmt.Errorf("migrate: record %s: %w", name, err)
	}
	p.finish(name, n)
	return cs, nil
}

// compare reads a collection on both sides.
func compare(ctx context.Context, src, dst *mongo.Database, name string) (int64, bool, error) {
	a, err := Sum(ctx, src, name)
	if err != nil {
		return 0, false, err
	}
	b, err := Sum(ctx, dst, name)
	if err != nil {
		return 0, false, err
	}
	return a.Count, a == b, nil
}
