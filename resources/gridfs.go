package resources

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"
)

// GridFS layout written by writeFile; the driver's gridfs package reads it
// (downloads, deletes), since it is the standard format.
const (
	chunkSize = 255 << 10
	// chunksPerInsert bounds what one upload holds in memory: the driver's
	// own upload stream buffers 16 MiB per file before writing, and its
	// encoder copies a batch about five times. One chunk per insert kept
	// resident memory growth at 9 MiB for a 100 MiB upload, at the same
	// throughput as 1 MiB batches (docs/benchmarks.md).
	chunksPerInsert = 1
)

// writeFile stores r as GridFS file key in bucketName: chunks first, one
// insert each, then the files document that makes the file
// exist. On failure the chunks written so far are removed.
func (s *Service) writeFile(ctx context.Context, key string, r io.Reader) (int64, error) {
	chunks := s.db.Collection(bucketName + ".chunks")
	buf := make([]byte, chunkSize*chunksPerInsert)
	var total int64
	var n int32
	fail := func(err error) (int64, error) {
		_, _ = chunks.DeleteMany(context.WithoutCancel(ctx), bson.M{"files_id": key})
		return 0, fmt.Errorf("resources: store file: %w", err)
	}
	// The chunk documents are encoded by hand into one reused buffer: the
	// generic encoder would copy each chunk several times over.
	raw := make([]byte, 0, chunksPerInsert*(chunkSize+128))
	docs := make([]any, 0, chunksPerInsert)
	for {
		m, rerr := io.ReadFull(r, buf)
		if m > 0 {
			raw, docs = raw[:0], docs[:0]
			for off := 0; off < m; off += chunkSize {
				end := min(off+chunkSize, m)
				start := len(raw)
				var idx int32
				idx, raw = bsoncore.ReserveLength(raw)
				raw = bsoncore.AppendObjectIDElement(raw, "_id", primitive.NewObjectID())
				raw = bsoncore.AppendStringElement(raw, "files_id", key)
				raw = bsoncore.AppendInt32Element(raw, "n", n)
				raw = bsoncore.AppendBinaryElement(raw, "data", 0, buf[off:end])
				raw = append(raw, 0)
				raw = bsoncore.UpdateLength(raw, idx, int32(len(raw)-start))
				docs = append(docs, bson.Raw(raw[start:len(raw):len(raw)]))
				n++
			}
			if _, err := chunks.InsertMany(ctx, docs); err != nil {
				return fail(err)
			}
			total += int64(m)
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return fail(rerr)
		}
	}
	file := bson.D{{Key: "_id", Value: key}, {Key: "length", Value: total}, {Key: "chunkSize", Value: int32(chunkSize)},
		{Key: "uploadDate", Value: time.Now().UTC().Truncate(time.Millisecond)}, {Key: "filename", Value: key}}
	if _, err := s.db.Collection(bucketName+".files").InsertOne(ctx, file); err != nil {
		return fail(err)
	}
	return total, nil
}
