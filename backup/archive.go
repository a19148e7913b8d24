package backup

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
)

// The archive is a zip file (so `unzip -l` lists it and any zip tool opens
// it), laid out as:
//
//	collections/<name>.bson          the documents, concatenated BSON as mongodump writes them
//	collections/<name>.indexes.json  the index definitions, canonical extended JSON
//	manifest.json                    written last: versions, counts, checksums (Manifest)
//
// and sealed: the zip comment, the last bytes of the file, is
// sealPrefix followed by the hex SHA-256 of every byte before it. A file cut
// short by a crash has no central directory and no seal; one changed byte
// anywhere changes the seal's hash or the seal itself. The manifest's
// per-entry checksums then say which entry is damaged.
const (
	// Format is the archive layout version; Restore refuses a newer one.
	Format      = 1
	sealPrefix  = "portal-backup sha256:"
	sealLen     = len(sealPrefix) + 64
	manifestZip = "manifest.json"
	// maxDocument bounds a BSON document read back from an archive: MongoDB's
	// limit plus room for its own framing.
	maxDocument = 16<<20 + 16<<10
)

// Manifest describes an archive; it is its last entry.
type Manifest struct {
	Format int `json:"format"`
	// Portal is the version of the portal that wrote the archive.
	Portal string `json:"portal_version"`
	// Schema is the database's schema version (store.SchemaVersion): a
	// portal refuses to restore data a newer schema wrote, whatever the
	// version names say (development builds cannot be ordered by name).
	Schema   int       `json:"schema_version"`
	Database string    `json:"database"`
	Source   string    `json:"source"` // "embedded" or "mongodb"
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Consistency says, for whoever opens the archive, what it guarantees.
	Consistency string       `json:"consistency"`
	Collections []Collection `json:"collections"`
	Buckets     []Bucket     `json:"buckets,omitempty"`
}

// Collection is one collection's entries in the archive.
type Collection struct {
	Name  string `json:"name"`
	Entry string `json:"entry"`
	Count int64  `json:"count"`
	Bytes int64  `json:"bytes"`
	// SHA256 is the checksum of the entry's bytes, Digest the order-free
	// checksum of its documents (compared with the database after a restore).
	SHA256        string `json:"sha256"`
	Digest        string `json:"digest"`
	IndexEntry    string `json:"index_entry"`
	IndexSHA256   string `json:"index_sha256"`
	IndexCount    int    `json:"index_count"`
	ReadMillisecs int64  `json:"read_ms"`
}

// Bucket is a GridFS bucket (stored files) in the archive.
type Bucket struct {
	Name    string `json:"name"`
	Files   int64  `json:"files"`
	Bytes   int64  `json:"bytes"`
	Skipped []Skip `json:"skipped,omitempty"`
	// OrphanChunks counts chunks left out because no whole file owns them
	// (an upload in progress, or a file deleted during the backup).
	OrphanChunks int64 `json:"orphan_chunks,omitempty"`
}

// Skip is a stored file left out of the archive, and why.
type Skip struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// Files is the number of stored files in the archive, over every bucket.
func (m *Manifest) Files() (n int64, size int64) {
	for _, b := range m.Buckets {
		n += b.Files
		size += b.Bytes
	}
	return n, size
}

// Documents is the number of documents over every collection.
func (m *Manifest) Documents() (n int64) {
	for _, c := range m.Collections {
		n += c.Count
	}
	return n
}

// seal writes the seal into the comment of the closed zip file f, whose
// comment is a placeholder of sealLen bytes.
func seal(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	end := st.Size() - int64(sealLen)
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, end)); err != nil {
		return err
	}
	_, err = f.WriteAt([]byte(sealPrefix+hex.EncodeToString(h.Sum(nil))), end)
	return err
}

// ErrIncomplete is returned for a file that is not a complete, sealed and
// unchanged archive.
var ErrIncomplete = errors.New("not a complete portal backup")

// checkSeal verifies the seal of the archive f.
func checkSeal(f *os.File) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	if size < int64(sealLen)+22 {
		return 0, fmt.Errorf("%w: the file is too short (a backup that did not finish?)", ErrIncomplete)
	}
	tail := make([]byte, sealLen)
	if _, err := f.ReadAt(tail, size-int64(sealLen)); err != nil {
		return 0, err
	}
	if !bytes.HasPrefix(tail, []byte(sealPrefix)) {
		return 0, fmt.Errorf("%w: it has no seal (a backup that did not finish, or another kind of file)", ErrIncomplete)
	}
	want, err := hex.DecodeString(string(tail[len(sealPrefix):]))
	if err != nil || len(want) != sha256.Size {
		return 0, fmt.Errorf("%w: its seal is damaged", ErrIncomplete)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, size-int64(sealLen))); err != nil {
		return 0, err
	}
	if !bytes.Equal(h.Sum(nil), want) {
		return 0, fmt.Errorf("%w: its content does not match its seal (the file was changed or damaged)", ErrIncomplete)
	}
	return size, nil
}

// docReader reads concatenated BSON documents.
type docReader struct {
	r   *bufio.Reader
	buf []byte
}

func newDocReader(r io.Reader) *docReader { return &docReader{r: bufio.NewReaderSize(r, 1<<20)} }

// next returns the next document (valid until the next call), or io.EOF.
func (d *docReader) next() (bson.Raw, error) {
	var l [4]byte
	if _, err := io.ReadFull(d.r, l[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("%w: a document is cut short", ErrIncomplete)
	}
	n := int(binary.LittleEndian.Uint32(l[:]))
	if n < 5 || n > maxDocument {
		return nil, fmt.Errorf("%w: a document has an impossible length %d", ErrIncomplete, n)
	}
	if cap(d.buf) < n {
		d.buf = make([]byte, n)
	}
	d.buf = d.buf[:n]
	copy(d.buf, l[:])
	if _, err := io.ReadFull(d.r, d.buf[4:]); err != nil {
		return nil, fmt.Errorf("%w: a document is cut short", ErrIncomplete)
	}
	if err := bson.Raw(d.buf).Validate(); err != nil {
		return nil, fmt.Errorf("%w: a document is not valid BSON", ErrIncomplete)
	}
	return bson.Raw(d.buf), nil
}

// zipEntry finds a named entry.
func zipEntry(zr *zip.Reader, name string) *zip.File {
	for _, f := range zr.File {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// readManifest reads and decodes the manifest entry.
func readManifest(zr *zip.Reader) (*Manifest, error) {
	f := zipEntry(zr, manifestZip)
	if f == nil {
		return nil, fmt.Errorf("%w: it has no manifest", ErrIncomplete)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var m Manifest
	// Unknown fields are allowed: a newer portal may add some, and its
	// archive must reach the version check to be refused by name.
	if err := json.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: its manifest is not readable: %v", ErrIncomplete, err)
	}
	return &m, nil
}

// compareVersions orders two portal versions when both are release
// versions (v1.2.3, optionally with a -pre-release suffix); ok is false
// when either is a development build (a commit, "dev"), which no order
// relates.
func compareVersions(a, b string) (cmp int, ok bool) {
	pa, oka := parseVersion(a)
	pb, okb := parseVersion(b)
	if !oka || !okb {
		return 0, false
	}
	for i := 0; i < 3; i++ {
		if pa.n[i] != pb.n[i] {
			if pa.n[i] < pb.n[i] {
				return -1, true
			}
			return 1, true
		}
	}
	switch {
	case pa.pre == pb.pre:
		return 0, true
	case pa.pre == "": // a release is newer than its pre-releases
		return 1, true
	case pb.pre == "":
		return -1, true
	case pa.pre < pb.pre:
		return -1, true
	}
	return 1, true
}

type version struct {
	n   [3]int
	pre string
}

func parseVersion(s string) (version, bool) {
	var v version
	s = strings.TrimPrefix(s, "v")
	s, _, _ = strings.Cut(s, "+")
	s, v.pre, _ = strings.Cut(s, "-")
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, false
		}
		v.n[i] = n
	}
	return v, true
}
