package resources

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
)

// StoredFiles counts the library's stored files and their bytes (every
// version; a file shared by two resources is stored once).
func (s *Service) StoredFiles(ctx context.Context) (files, bytes int64, err error) {
	cur, err := s.col(bucketName+".files").Aggregate(ctx, bson.A{
		bson.M{"$group": bson.M{"_id": nil, "n": bson.M{"$sum": 1}, "b": bson.M{"$sum": "$length"}}},
	})
	if err != nil {
		return 0, 0, fmt.Errorf("resources: stored files: %w", err)
	}
	var out []struct {
		N int64 `bson:"n"`
		B int64 `bson:"b"`
	}
	if err := cur.All(ctx, &out); err != nil {
		return 0, 0, fmt.Errorf("resources: stored files: %w", err)
	}
	if len(out) == 0 {
		return 0, 0, nil
	}
	return out[0].N, out[0].B, nil
}
