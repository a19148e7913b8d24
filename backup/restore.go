package backup

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/store"
)

// RestoreOptions configure Restore.
type RestoreOptions struct {
	// Version of the running portal; an archive from a newer release is
	// refused.
	Version string
	// Force empties a database that is not empty before restoring into it.
	Force    bool
	Progress io.Writer
}

// ErrNewer refuses an archive written by a newer portal or in a newer
// format than this portal reads.
var ErrNewer = errors.New("the archive is newer than this portal")

// ErrNotEmpty refuses to restore over existing data without Force.
var ErrNotEmpty = errors.New("the target database is not empty")

// Verify checks an archive completely without writing anything: its seal,
// its manifest, the version that wrote it, and every entry's checksum and
// count. It returns the manifest and, when the archive's portal version
// cannot be ordered against this one (a development build), a note.
func Verify(path, portalVersion string) (*Manifest, string, error) {
	f, zr, err := open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	m, err := readManifest(zr)
	if err != nil {
		return nil, "", err
	}
	note, err := checkVersion(m, portalVersion)
	if err != nil {
		return m, "", err
	}
	listed := map[string]bool{manifestZip: true}
	for _, c := range m.Collections {
		listed[c.Entry], listed[c.IndexEntry] = true, true
		if err := verifyEntry(zr, c); err != nil {
			return m, "", err
		}
	}
	for _, zf := range zr.File {
		if !listed[zf.Name] {
			return m, "", fmt.Errorf("%w: %s is not in its manifest", ErrIncomplete, zf.Name)
		}
	}
	return m, note, nil
}

func open(path string) (*os.File, *zip.Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("restore: %w", err)
	}
	size, err := checkSeal(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("restore: %s: %w", path, err)
	}
	zr, err := zip.NewReader(f, size)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("restore: %s: %w: %v", path, ErrIncomplete, err)
	}
	return f, zr, nil
}

func checkVersion(m *Manifest, portalVersion string) (string, error) {
	if m.Format > Format {
		return "", fmt.Errorf("%w: it is in archive format %d, and this portal (%s) reads format %d at most: restore it with portal %s or later",
			ErrNewer, m.Format, portalVersion, Format, m.Portal)
	}
	if m.Schema > store.CurrentSchema {
		return "", fmt.Errorf("%w: its database has schema version %d, and this portal (%s) supports up to %d: restore it with portal %s or later",
			ErrNewer, m.Schema, portalVersion, store.CurrentSchema, m.Portal)
	}
	cmp, ok := compareVersions(m.Portal, portalVersion)
	if !ok {
		if m.Portal == portalVersion {
			return "", nil
		}
		return fmt.Sprintf("the archive was written by portal %s and this is portal %s; one of them is a development build, so which is newer is unknown", m.Portal, portalVersion), nil
	}
	if cmp > 0 {
		return "", fmt.Errorf("%w: it was written by portal %s and this is portal %s; a newer portal may have changed how data is stored: restore it with portal %s or later",
			ErrNewer, m.Portal, portalVersion, m.Portal)
	}
	return "", nil
}

// verifyEntry checks a collection's two entries against the manifest.
func verifyEntry(zr *zip.Reader, c Collection) error {
	ie := zipEntry(zr, c.IndexEntry)
	if ie == nil {
		return fmt.Errorf("%w: %s is missing", ErrIncomplete, c.IndexEntry)
	}
	rc, err := ie.Open()
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrIncomplete, c.IndexEntry, err)
	}
	h := sha256.New()
	_, err = io.Copy(h, rc)
	rc.Close()
	if err != nil || hex.EncodeToString(h.Sum(nil)) != c.IndexSHA256 {
		return fmt.Errorf("%w: %s does not match its checksum", ErrIncomplete, c.IndexEntry)
	}
	var n int64
	var d Digest
	h = sha256.New()
	err = readDocs(zr, c, h, func(doc bson.Raw) error {
		n++
		d.Add(doc)
		return nil
	})
	if err != nil {
		return err
	}
	if hex.EncodeToString(h.Sum(nil)) != c.SHA256 || d.String() != c.Digest {
		return fmt.Errorf("%w: %s does not match its checksum", ErrIncomplete, c.Entry)
	}
	if n != c.Count {
		return fmt.Errorf("%w: %s holds %d documents, its manifest says %d", ErrIncomplete, c.Entry, n, c.Count)
	}
	return nil
}

// readDocs calls fn with each document of a collection's entry; every byte
// read also goes to tee.
func readDocs(zr *zip.Reader, c Collection, tee io.Writer, fn func(bson.Raw) error) error {
	zf := zipEntry(zr, c.Entry)
	if zf == nil {
		return fmt.Errorf("%w: %s is missing", ErrIncomplete, c.Entry)
	}
	rc, err := zf.Open()
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrIncomplete, c.Entry, err)
	}
	defer rc.Close()
	dr := newDocReader(io.TeeReader(rc, tee))
	for {
		doc, err := dr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c.Entry, err)
		}
		if err := fn(doc); err != nil {
			return err
		}
	}
	// zip checks the entry's CRC when it is read to its end.
	if _, err := io.Copy(tee, rc); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrIncomplete, c.Entry, err)
	}
	return nil
}

// Restore verifies the archive at path completely (Verify), then writes it
// into st's database, which must be empty unless opts.Force, and checks
// every collection's count and checksum in the database afterwards.
func Restore(ctx context.Context, st *store.Store, path string, opts RestoreOptions) (*Manifest, string, error) {
	m, note, err := Verify(path, opts.Version)
	if err != nil {
		return m, "", err
	}
	existing, err := st.DB.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return m, "", fmt.Errorf("restore: %w", err)
	}
	if len(existing) > 0 {
		if !opts.Force {
			return m, "", fmt.Errorf("%w: database %q has %d collections; restore into an empty one, or pass --force to replace its content",
				ErrNotEmpty, st.DB.Name(), len(existing))
		}
		for _, name := range existing {
			if err := st.DB.Collection(name).Drop(ctx); err != nil {
				return m, "", fmt.Errorf("restore: empty %s: %w", name, err)
			}
		}
	}
	f, zr, err := open(path)
	if err != nil {
		return m, "", err
	}
	defer f.Close()
	p := &progress{w: opts.Progress}
	for _, c := range m.Collections {
		if err := restoreCollection(ctx, st.DB, zr, c, p); err != nil {
			return m, "", err
		}
	}
	for _, c := range m.Collections {
		got, err := Sum(ctx, st.DB, c.Name)
		if err != nil {
			return m, "", err
		}
		if got.Count != c.Count || got.Digest != c.Digest {
			return m, "", fmt.Errorf("restore: %s holds %d documents after the restore (checksum %s), the archive %d (%s)",
				c.Name, got.Count, got.Digest[:12], c.Count, c.Digest[:12])
		}
	}
	if err := st.IndexIDLookups(ctx); err != nil {
		return m, "", err
	}
	if len(existing) > 0 {
		// Servers may be running on this database and keep copies of the
		// stamped collections, read while the restore replaced them:
		// fresh stamps make them read again (store.StampCache).
		if err := store.TouchAll(ctx, st.DB); err != nil {
			return m, "", fmt.Errorf("restore: %w", err)
		}
	}
	return m, note, nil
}

func restoreCollection(ctx context.Context, db *mongo.Database, zr *zip.Reader, c Collection, p *progress) error {
	coll := db.Collection(c.Name)
	// Creating the collection first keeps an empty one (with its indexes).
	if err := db.CreateCollection(ctx, c.Name); err != nil && !isNamespaceExists(err) {
		return fmt.Errorf("restore: create %s: %w", c.Name, err)
	}
	b := newBatcher(func(docs []any) error {
		_, err := coll.InsertMany(ctx, docs, options.InsertMany().SetOrdered(true))
		return err
	})
	var n int64
	err := readDocs(zr, c, io.Discard, func(doc bson.Raw) error {
		n++
		p.update(c.Name, n)
		return b.add(doc)
	})
	if err == nil {
		err = b.flush()
	}
	if err != nil {
		return fmt.Errorf("restore: %s: %w", c.Name, err)
	}
	specs, err := readIndexes(zr, c)
	if err != nil {
		return err
	}
	if err := createIndexes(ctx, db, c.Name, specs); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	p.finish(c.Name, n)
	return nil
}

func readIndexes(zr *zip.Reader, c Collection) ([]bson.D, error) {
	zf := zipEntry(zr, c.IndexEntry)
	if zf == nil {
		return nil, fmt.Errorf("%w: %s is missing", ErrIncomplete, c.IndexEntry)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 16<<20))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Indexes []bson.D `bson:"indexes"`
	}
	if err := bson.UnmarshalExtJSON(b, true, &doc); err != nil {
		return nil, fmt.Errorf("restore: %s: %w", c.IndexEntry, err)
	}
	return doc.Indexes, nil
}

func isNamespaceExists(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && (ce.Code == 48 || ce.Name == "NamespaceExists")
}

// batcher groups documents into inserts of bounded size; the documents are
// copied, since readers reuse their buffers.
type batcher struct {
	docs  []any
	size  int
	write func([]any) error
}

const (
	batchDocs  = 500
	batchBytes = 8 << 20
)

func newBatcher(write func([]any) error) *batcher { return &batcher{write: write} }

func (b *batcher) add(doc bson.Raw) error {
	b.docs = append(b.docs, bson.Raw(append([]byte(nil), doc...)))
	b.size += len(doc)
	if len(b.docs) >= batchDocs || b.size >= batchBytes {
		return b.flush()
	}
	return nil
}

func (b *batcher) flush() error {
	if len(b.docs) == 0 {
		return nil
	}
	err := b.write(b.docs)
	b.docs, b.size = b.docs[:0], 0
	return err
}
