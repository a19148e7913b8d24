package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// Index describes one index a feature package needs. Only plain and unique
// indexes are used: FerretDB 1.24 has no TTL or partial indexes.
type Index struct {
	Collection string
	Name       string
	Keys       bson.D
	Unique     bool
}

// EnsureIndexes creates the given indexes; creating an existing index with
// the same definition is a no-op, so this runs at every start-up. Indexes
// are created one per command: FerretDB 1.24 panics on a createIndexes
// command that mixes existing and new indexes.
func (s *Store) EnsureIndexes(ctx context.Context, idx []Index) error {
	for _, ix := range idx {
		o := options.Index().SetName(ix.Name)
		if ix.Unique {
			o.SetUnique(true)
		}
		if _, err := s.DB.Collection(ix.Collection).Indexes().CreateOne(ctx, mongo.IndexModel{Keys: ix.Keys, Options: o}); err != nil {
			return fmt.Errorf("store: index %s on %s: %w", ix.Name, ix.Collection, err)
		}
	}
	return s.IndexIDLookups(ctx)
}
