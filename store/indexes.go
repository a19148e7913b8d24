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
// the same definition is a no-op, so this runs at every start-up.
func (s *Store) EnsureIndexes(ctx context.Context, idx []Index) error {
	byColl := map[string][]mongo.IndexModel{}
	var order []string
	for _, ix := range idx {
		if _, ok := byColl[ix.Collection]; !ok {
			order = append(order, ix.Collection)
		}
		o := options.Index().SetName(ix.Name)
		if ix.Unique {
			o.SetUnique(true)
		}
		byColl[ix.Collection] = append(byColl[ix.Collection], mongo.IndexModel{Keys: ix.Keys, Options: o})
	}
	for _, c := range order {
		if _, err := s.DB.Collection(c).Indexes().CreateMany(ctx, byColl[c]); err != nil {
			return fmt.Errorf("store: indexes on %s: %w", c, err)
		}
	}
	return nil
}
