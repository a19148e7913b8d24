package resources_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/store"
)

const chunk = 255 << 10

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// readFrom opens v, skips off bytes and reads the rest.
func readFrom(t *testing.T, s *resources.Service, v resources.Version, off int64) ([]byte, error) {
	t.Helper()
	f, err := s.OpenVersion(context.Background(), v)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.Size != v.Size {
		t.Fatalf("size %d, want %d", f.Size, v.Size)
	}
	skipped, err := f.Skip(off)
	if err != nil {
		return nil, err
	}
	if want := min(off, v.Size); skipped != want {
		t.Fatalf("skip %d moved %d, want %d", off, skipped, want)
	}
	return io.ReadAll(f)
}

// Files of every shape come back byte for byte, from any offset, and each
// chunk is stored under its derived _id.
func TestFileRoundTripAndSkip(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	for _, size := range []int{0, 1, chunk, chunk + 1, 3<<20 + 17} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := randomBytes(size, uint64(size))
			v, err := s.StoreFileForTest(ctx, data)
			if err != nil {
				t.Fatal(err)
			}
			key, err := s.FileIDForTest(ctx, v)
			if err != nil {
				t.Fatal(err)
			}
			chunks := (size + chunk - 1) / chunk
			for n := 0; n < chunks; n++ {
				if err := st.DB.Collection("library.chunks").FindOne(ctx, bson.M{"_id": store.ChunkID(key, int64(n)), "files_id": key, "n": n}).Err(); err != nil {
					t.Fatalf("chunk %d by _id: %v", n, err)
				}
			}
			for _, off := range []int64{0, 1, chunk - 1, chunk, chunk + 1, 2*chunk + 5, int64(size) - 1, int64(size), int64(size) + 9} {
				if off < 0 {
					continue
				}
				got, err := readFrom(t, s, v, off)
				if err != nil {
					t.Fatalf("from %d: %v", off, err)
				}
				if want := data[min(int(off), size):]; !bytes.Equal(got, want) {
					t.Fatalf("from %d: %d bytes, want %d (or different bytes)", off, len(got), len(want))
				}
			}
			// Two skips: one inside the chunk in hand, one beyond it.
			if size > chunk {
				f, err := s.OpenVersion(ctx, v)
				if err != nil {
					t.Fatal(err)
				}
				head := make([]byte, 10)
				if _, err := io.ReadFull(f, head); err != nil {
					t.Fatal(err)
				}
				if _, err := f.Skip(100); err != nil {
					t.Fatal(err)
				}
				mid := make([]byte, 10)
				if _, err := io.ReadFull(f, mid); err != nil || !bytes.Equal(mid, data[110:120]) {
					t.Fatalf("after a skip inside the chunk: %v", err)
				}
				if _, err := f.Skip(chunk); err != nil {
					t.Fatal(err)
				}
				rest, err := io.ReadAll(f)
				if err != nil || !bytes.Equal(rest, data[min(120+chunk, size):]) {
					t.Fatalf("after a skip past the chunk: %d bytes, %v", len(rest), err)
				}
				f.Close()
			}
		})
	}
}

// A Range request reads only the chunks from its offset on: with chunk 1
// gone, a read from chunk 2 still succeeds.
func TestSkipDoesNotReadTheChunksBefore(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	data := randomBytes(3*chunk+10, 3)
	v, err := s.StoreFileForTest(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := s.FileIDForTest(ctx, v)
	if _, err := st.DB.Collection("library.chunks").DeleteOne(ctx, bson.M{"_id": store.ChunkID(key, 1)}); err != nil {
		t.Fatal(err)
	}
	got, err := readFrom(t, s, v, 2*chunk+3)
	if err != nil || !bytes.Equal(got, data[2*chunk+3:]) {
		t.Fatalf("read from chunk 2: %d bytes, %v", len(got), err)
	}
}

// A missing or short chunk fails the read; it never yields a shorter file.
func TestDamagedFileIsAnError(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	chunks := st.DB.Collection("library.chunks")
	for _, c := range []struct {
		name   string
		damage func(key string) error
	}{
		{"chunk 1 missing", func(key string) error {
			_, err := chunks.DeleteOne(ctx, bson.M{"_id": store.ChunkID(key, 1)})
			return err
		}},
		{"last chunk missing", func(key string) error {
			_, err := chunks.DeleteOne(ctx, bson.M{"_id": store.ChunkID(key, 2)})
			return err
		}},
		{"chunk 1 short", func(key string) error {
			_, err := chunks.UpdateOne(ctx, bson.M{"_id": store.ChunkID(key, 1)}, bson.M{"$set": bson.M{"data": primitive.Binary{Data: []byte("short")}}})
			return err
		}},
		{"chunk 0 missing", func(key string) error {
			_, err := chunks.DeleteOne(ctx, bson.M{"_id": store.ChunkID(key, 0)})
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := randomBytes(2*chunk+100, uint64(len(c.name))+uint64(c.name[6]))
			v, err := s.StoreFileForTest(ctx, data)
			if err != nil {
				t.Fatal(err)
			}
			key, _ := s.FileIDForTest(ctx, v)
			if err := c.damage(key); err != nil {
				t.Fatal(err)
			}
			got, err := readFrom(t, s, v, 0)
			if err == nil {
				t.Fatalf("read %d of %d bytes without an error", len(got), len(data))
			}
			if c.name != "chunk 0 missing" && !errors.Is(err, resources.ErrDamaged) {
				t.Fatalf("error %v, want ErrDamaged", err)
			}
		})
	}
}

// A file an earlier release stored (chunks with ObjectID _ids) is read
// through the driver's stream.
func TestLegacyFileIsServed(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	data := randomBytes(2*chunk+333, 11)
	v, err := s.StoreLegacyFileForTest(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range []int64{0, chunk + 7} {
		got, err := readFrom(t, s, v, off)
		if err != nil || !bytes.Equal(got, data[off:]) {
			t.Fatalf("legacy file from %d: %d bytes, %v", off, len(got), err)
		}
	}
}

// Deleting a file removes its files document and every chunk, in either
// layout.
func TestDeleteFile(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	data := randomBytes(2*chunk+1, 21)
	v1, err := s.StoreFileForTest(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := s.StoreLegacyFileForTest(ctx, append([]byte("legacy"), data...))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []resources.Version{v1, v2} {
		key, _ := s.FileIDForTest(ctx, v)
		if err := s.DeleteFileForTest(ctx, key); err != nil {
			t.Fatal(err)
		}
		if n, err := st.DB.Collection("library.chunks").CountDocuments(ctx, bson.M{"files_id": key}); err != nil || n != 0 {
			t.Fatalf("%d chunks of %s left (%v)", n, key, err)
		}
		if err := st.DB.Collection("library.files").FindOne(ctx, bson.M{"_id": key}).Err(); !store.IsNoDocuments(err) {
			t.Fatalf("files document of %s: %v", key, err)
		}
		if _, err := s.OpenVersion(ctx, v); !errors.Is(err, resources.ErrNotFound) {
			t.Fatalf("open after delete: %v", err)
		}
	}
}
