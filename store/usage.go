package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
)

// Size returns the database's size on disk in bytes (data and indexes), as
// dbStats reports it on MongoDB and on the embedded database alike.
func (s *Store) Size(ctx context.Context) (int64, error) {
	var stats bson.M
	if err := s.DB.RunCommand(ctx, bson.D{{Key: "dbStats", Value: 1}}).Decode(&stats); err != nil {
		return 0, fmt.Errorf("store: dbStats: %w", err)
	}
	num := func(k string) int64 {
		switch v := stats[k].(type) {
		case int32:
			return int64(v)
		case int64:
			return v
		case float64:
			return int64(v)
		}
		return 0
	}
	if n := num("totalSize"); n > 0 {
		return n, nil
	}
	return num("storageSize") + num("indexSize"), nil
}
