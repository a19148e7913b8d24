package resources

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/gridfs"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/store"
)

// StoreFileForTest stores data as a blob the way an upload does (GridFS
// file, then its blob document), without a resource, and returns the
// version that names it, for tests and benchmarks of downloads.
func (s *Service) StoreFileForTest(ctx context.Context, data []byte) (Version, error) {
	key := store.NewID()
	if _, err := s.writeFile(ctx, key, bytes.NewReader(data)); err != nil {
		return Version{}, err
	}
	return s.addBlobForTest(ctx, key, data)
}

// StoreLegacyFileForTest stores data as releases before schema 10 did:
// through the driver's upload stream, whose chunks have ObjectID _ids.
func (s *Service) StoreLegacyFileForTest(ctx context.Context, data []byte) (Version, error) {
	b, err := gridfs.NewBucket(s.db, options.GridFSBucket().SetName(bucketName))
	if err != nil {
		return Version{}, err
	}
	key := store.NewID()
	if err := b.UploadFromStreamWithID(key, key, bytes.NewReader(data), options.GridFSUpload().SetChunkSizeBytes(chunkSize)); err != nil {
		return Version{}, err
	}
	return s.addBlobForTest(ctx, key, data)
}

func (s *Service) addBlobForTest(ctx context.Context, key string, data []byte) (Version, error) {
	h := sha256.Sum256(data)
	sha := hex.EncodeToString(h[:])
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

// DeleteFileForTest is deleteFile.
func (s *Service) DeleteFileForTest(ctx context.Context, key string) error {
	return s.deleteFile(ctx, key)
}
