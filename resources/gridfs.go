package resources

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/gridfs"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"

	"github.com/circularfairict/portal/store"
)

// GridFS layout written by writeFile: the standard format (files_id, n,
// data; the driver's gridfs package can read and delete it), with each
// chunk's _id derived from its file and number (store.ChunkID), so that
// fileReader reads chunk n with one lookup by _id.
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
		// By _id, chunk by chunk: a filter on files_id would read every
		// chunk of the library on the embedded database. A chunk whose
		// insert failed may still have been stored, so one more.
		for i := int32(0); i <= n; i++ {
			_, _ = chunks.DeleteOne(context.WithoutCancel(ctx), bson.M{"_id": store.ChunkID(key, int64(i))})
		}
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
				raw = bsoncore.AppendStringElement(raw, "_id", store.ChunkID(key, int64(n)))
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

// ErrDamaged is a stored file whose chunks do not add up to its length:
// a chunk missing or of the wrong size. A download then fails rather than
// send a shorter file.
var ErrDamaged = errors.New("resources: stored file damaged")

// File is an open stored file for download: Read, Skip, Close.
type File struct {
	// Size is the file's length from its files document.
	Size int64
	r    *fileReader
	// legacy reads a file whose chunks an earlier release wrote with
	// ObjectID _ids (until schema 10 re-stores it, or written by an older
	// replica during a rolling upgrade): the driver's stream.
	legacy *gridfs.DownloadStream
}

// Read reads the next bytes of the file.
func (f *File) Read(p []byte) (int, error) {
	if f.legacy != nil {
		return f.legacy.Read(p)
	}
	return f.r.Read(p)
}

// Skip moves skip bytes forward (not past the end) and reports how far it
// moved. Chunks skipped over are not read.
func (f *File) Skip(skip int64) (int64, error) {
	if f.legacy != nil {
		return f.legacy.Skip(skip)
	}
	return f.r.skip(skip), nil
}

// Close releases the file.
func (f *File) Close() error {
	if f.legacy != nil {
		return f.legacy.Close()
	}
	f.r.buf = nil
	return nil
}

// fileReader reads a file of the portal's layout one chunk at a time, each
// by _id; it holds one chunk at most.
type fileReader struct {
	// ctx carries the opener's values without its end: a response body is
	// read after the handler returned. Each read then gets the client's
	// per-operation timeout.
	ctx       context.Context
	chunks    *mongo.Collection
	key       string
	size      int64
	chunkSize int64
	// pos is the offset of the next byte Read returns; buf holds the rest
	// of the chunk that contains it, when that chunk has been read.
	pos int64
	buf []byte
}

// chunk reads chunk n and checks its length against the files document.
// found is false when no chunk has its _id.
func (r *fileReader) chunk(n int64) (data []byte, found bool, err error) {
	raw, err := r.chunks.FindOne(r.ctx, bson.M{"_id": store.ChunkID(r.key, n)}).Raw()
	if store.IsNoDocuments(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("resources: read chunk %d of %s: %w", n, r.key, err)
	}
	_, data, ok := raw.Lookup("data").BinaryOK()
	want := min(r.chunkSize, r.size-n*r.chunkSize)
	if !ok || int64(len(data)) != want {
		return nil, true, fmt.Errorf("%w: chunk %d of %s holds %d bytes, want %d", ErrDamaged, n, r.key, len(data), want)
	}
	return data, true, nil
}

func (r *fileReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(r.buf) == 0 {
		if r.pos >= r.size {
			return 0, io.EOF
		}
		n := r.pos / r.chunkSize
		data, found, err := r.chunk(n)
		if err != nil {
			return 0, err
		}
		if !found {
			return 0, fmt.Errorf("%w: chunk %d of %s missing", ErrDamaged, n, r.key)
		}
		r.buf = data[r.pos-n*r.chunkSize:]
	}
	m := copy(p, r.buf)
	r.buf = r.buf[m:]
	r.pos += int64(m)
	return m, nil
}

func (r *fileReader) skip(skip int64) int64 {
	skip = max(min(skip, r.size-r.pos), 0)
	if skip < int64(len(r.buf)) {
		r.buf = r.buf[skip:] // still inside the chunk in hand
	} else {
		r.buf = nil
	}
	r.pos += skip
	return skip
}

// openFile opens GridFS file key: its files document by _id, then chunk 0
// by _id. A file without that chunk (an earlier release's) is read
// through the driver's stream.
func (s *Service) openFile(ctx context.Context, key string) (*File, error) {
	raw, err := s.db.Collection(bucketName+".files").FindOne(ctx, bson.M{"_id": key}).Raw()
	if store.IsNoDocuments(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("resources: open: %w", err)
	}
	size, ok1 := raw.Lookup("length").AsInt64OK()
	chunkSize, ok2 := raw.Lookup("chunkSize").AsInt64OK()
	if !ok1 || !ok2 || size < 0 || chunkSize <= 0 {
		return nil, fmt.Errorf("%w: files document of %s: length %d, chunk size %d", ErrDamaged, key, size, chunkSize)
	}
	r := &fileReader{ctx: context.WithoutCancel(ctx), chunks: s.db.Collection(bucketName + ".chunks"), key: key, size: size, chunkSize: chunkSize}
	if size == 0 {
		return &File{Size: 0, r: r}, nil
	}
	data, found, err := r.chunk(0)
	if err != nil {
		return nil, err
	}
	if !found {
		return s.openLegacy(ctx, key)
	}
	r.buf = data
	return &File{Size: size, r: r}, nil
}

// openLegacy opens a file through the driver's stream, whose first query
// sorts the file's chunks by a filter on files_id: on the embedded
// database it reads every chunk of the library, which can outlast the
// client's per-operation timeout, so the open has a deadline of its own,
// on a bucket of its own (the deadline is bucket state).
func (s *Service) openLegacy(ctx context.Context, key string) (*File, error) {
	bucket, err := gridfs.NewBucket(s.db, options.GridFSBucket().SetName(bucketName))
	if err != nil {
		return nil, fmt.Errorf("resources: bucket: %w", err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	if d, ok := ctx.Deadline(); ok {
		deadline = d
	}
	_ = bucket.SetReadDeadline(deadline)
	ds, err := bucket.OpenDownloadStream(key)
	if err != nil {
		if errors.Is(err, gridfs.ErrFileNotFound) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("resources: open: %w", err)
	}
	// Reading on: each batch gets the client's per-operation timeout,
	// however long the client takes to receive the whole file.
	_ = ds.SetReadDeadline(time.Time{})
	return &File{Size: ds.GetFile().Length, legacy: ds}, nil
}

// deleteFile removes file key: its files document first (the file stops
// existing), then its chunks by _id. The driver's delete filters the
// chunks on files_id, which reads every chunk on the embedded database;
// it remains for a file of the old layout (chunk 0 not found by _id).
func (s *Service) deleteFile(ctx context.Context, key string) error {
	files, chunks := s.db.Collection(bucketName+".files"), s.db.Collection(bucketName+".chunks")
	raw, err := files.FindOneAndDelete(ctx, bson.M{"_id": key}).Raw()
	if store.IsNoDocuments(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("resources: delete file: %w", err)
	}
	size, _ := raw.Lookup("length").AsInt64OK()
	chunkSize, _ := raw.Lookup("chunkSize").AsInt64OK()
	if size <= 0 || chunkSize <= 0 {
		return nil
	}
	for n := int64(0); n*chunkSize < size; n++ {
		res, err := chunks.DeleteOne(ctx, bson.M{"_id": store.ChunkID(key, n)})
		if err != nil {
			return fmt.Errorf("resources: delete file: %w", err)
		}
		if n == 0 && res.DeletedCount == 0 {
			if _, err := chunks.DeleteMany(ctx, bson.M{"files_id": key}); err != nil {
				return fmt.Errorf("resources: delete file: %w", err)
			}
			return nil
		}
	}
	return nil
}
