package resources

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// StoredFiles counts the library's stored files and their bytes (every
// version; a file shared by two resources is stored once). It adds the
// lengths in Go: the embedded database answers a $group with
// {$sum: "$length"} with 0 whatever the lengths. One small document per
// stored file is read, for an administrator's page.
func (s *Service) StoredFiles(ctx context.Context) (files, bytes int64, err error) {
	cur, err := s.col(bucketName+".files").Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"length": 1}))
	if err != nil {
		return 0, 0, fmt.Errorf("resources: stored files: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var f struct {
			Length int64 `bson:"length"`
		}
		if err := cur.Decode(&f); err != nil {
			return 0, 0, fmt.Errorf("resources: stored files: %w", err)
		}
		files++
		bytes += f.Length
	}
	if err := cur.Err(); err != nil {
		return 0, 0, fmt.Errorf("resources: stored files: %w", err)
	}
	return files, bytes, nil
}
