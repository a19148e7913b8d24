package resources

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store"
)

// StoreFileForTest stores data as a blob the way an upload does (GridFS
// file, then its blob document), without a resource, and returns the
// version that names it, for tests and benchmarks of downloads.
func (s *Service) StoreFileForTest(ctx context.Context, data []byte) (Version, error) {
	h := sha256.Sum256(data)
	sha := hex.EncodeToString(h[:])
	key := store.NewID()
	if _, err := s.writeFile(ctx, key, bytes.NewReader(data)); err != nil {
		return Version{}, err
	}
	bl := blob{ID: sha, FileID: key, Size: int64(len(data)), Kind: KindText, CreatedAt: s.now()}
	if _, err := s.col(colBlobs).InsertOne(ctx, bl); err != nil {
		return Version{}, fmt.Errorf("blob: %w", err)
	}
	return Version{N: 1, BlobID: sha, Size: int64(len(data)), Kind: KindText}, nil
}

// FileIDForTest is the GridFS key of a version's blob.
func (s *Service) FileIDForTest(ctx context.Context, v Version) (string, error) {
	var b blob
	err := s.col(colBlobs).FindOne(ctx, bson.M{"_id": v.BlobID}).Decode(&b)
	return b.FileID, err
}
