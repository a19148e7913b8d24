package backup

import (
	"archive/zip"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store"
)

// Consistency is written into every manifest: what a backup taken while
// the portal runs guarantees, and what it does not.
const Consistency = "Each collection is read in one pass through one cursor (MongoDB: in _id order; the embedded " +
	"database: in storage order, from one SQLite snapshot of that collection), so every document is whole and none is " +
	"twice; documents written while the backup runs may or may not be in it. Collections are read one after another, " +
	"not at one instant: the archive is not a single point in time across collections. Stored files are read last: " +
	"the files collection first, then the chunks, then the files collection again; a file is in the archive only with " +
	"all of its chunks, and a file uploaded or deleted during the backup is left out and listed under skipped. Since " +
	"the portal stores a file before the document that refers to it, every stored file that a document in the archive " +
	"refers to is in the archive, unless it was deleted during the backup."

// Options configure Backup.
type Options struct {
	// Version of the running portal, recorded in the manifest.
	Version string
	// Progress receives a line per step, rewritten in place with \r; nil
	// shows none (the CLI passes stdout only when it is a terminal).
	Progress io.Writer
}

// Backup writes an archive of st's whole database to out: under a
// temporary name in the same directory, renamed to out once complete and
// sealed, so a crash leaves no file named out. It refuses to replace an
// existing file.
func Backup(ctx context.Context, st *store.Store, out string, opts Options) (*Manifest, error) {
	if _, err := os.Lstat(out); err == nil {
		return nil, fmt.Errorf("backup: %s already exists", out)
	}
	dir, base := filepath.Split(out)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.partial")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	m, err := write(ctx, st, tmp, opts)
	if err != nil {
		return nil, err
	}
	if err := seal(tmp); err != nil {
		return nil, fmt.Errorf("backup: seal: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	// Link rather than rename: a link fails when out appeared meanwhile.
	// A file system without hard links gets a rename (out was checked
	// above).
	if err := os.Link(tmp.Name(), out); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("backup: %s already exists", out)
		}
		if err := os.Rename(tmp.Name(), out); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
	}
	done = true
	_ = os.Remove(tmp.Name())
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the new name durable
		d.Close()
	}
	return m, nil
}

// write streams the archive into f.
func write(ctx context.Context, st *store.Store, f *os.File, opts Options) (*Manifest, error) {
	ferret, err := isFerret(ctx, st.DB)
	if err != nil {
		return nil, err
	}
	m := &Manifest{Format: Format, Portal: opts.Version, Database: st.DB.Name(), Source: "mongodb",
		Started: time.Now().UTC(), Consistency: Consistency}
	if ferret {
		m.Source = "embedded"
	}
	if m.Schema, err = st.SchemaVersion(ctx); err != nil {
		return nil, err
	}
	names, err := collections(ctx, st.DB)
	if err != nil {
		return nil, err
	}
	zw := zip.NewWriter(f)
	// Speed over size: a backup runs beside a serving portal.
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	p := &progress{w: opts.Progress}
	for _, name := range names {
		if isBucket(name, names) {
			continue
		}
		c, err := writeCollection(ctx, st, zw, name, p, nil)
		if err != nil {
			return nil, err
		}
		m.Collections = append(m.Collections, c)
	}
	for _, name := range names {
		if b, ok := strings.CutSuffix(name, ".files"); ok && isBucket(name, names) {
			cs, bk, err := writeBucket(ctx, st, zw, b, p)
			if err != nil {
				return nil, err
			}
			m.Collections = append(m.Collections, cs...)
			m.Buckets = append(m.Buckets, bk)
		}
	}
	m.Finished = time.Now().UTC()
	w, err := zw.CreateHeader(&zip.FileHeader{Name: manifestZip, Method: zip.Deflate, Modified: m.Finished})
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	// A placeholder of the seal's length; seal overwrites it in place.
	if err := zw.SetComment(strings.Repeat("0", sealLen)); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return m, nil
}

// entry is an archive entry being written, counted and hashed.
type entry struct {
	w     io.Writer
	h     hash.Hash
	bytes int64
}

func newEntry(zw *zip.Writer, name string, method uint16) (*entry, error) {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: time.Now().UTC()})
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return &entry{w: w, h: sha256.New()}, nil
}

func (e *entry) Write(b []byte) (int, error) {
	e.h.Write(b)
	e.bytes += int64(len(b))
	return e.w.Write(b)
}

func (e *entry) sum() string { return hex.EncodeToString(e.h.Sum(nil)) }

// writeCollection writes one collection and its index definitions. keep,
// when set, decides which documents go in.
func writeCollection(ctx context.Context, st *store.Store, zw *zip.Writer, name string, p *progress, keep func(bson.Raw) bool) (Collection, error) {
	start := time.Now()
	c := Collection{Name: name, Entry: "collections/" + name + ".bson", IndexEntry: "collections/" + name + ".indexes.json"}
	// Stored files are mostly compressed already (PDF, Office, images).
	method := zip.Deflate
	if strings.HasSuffix(name, ".chunks") {
		method = zip.Store
	}
	e, err := newEntry(zw, c.Entry, method)
	if err != nil {
		return c, err
	}
	var d Digest
	err = scan(ctx, st.DB, name, func(doc bson.Raw) error {
		if keep != nil && !keep(doc) {
			return nil
		}
		if _, err := e.Write(doc); err != nil {
			return fmt.Errorf("backup: write %s: %w", name, err)
		}
		d.Add(doc)
		c.Count++
		p.update(name, c.Count)
		return nil
	})
	if err != nil {
		return c, err
	}
	c.Bytes, c.SHA256, c.Digest = e.bytes, e.sum(), d.String()
	specs, err := indexSpecs(ctx, st.DB, name)
	if err != nil {
		return c, err
	}
	ie, err := newEntry(zw, c.IndexEntry, zip.Deflate)
	if err != nil {
		return c, err
	}
	b, err := bson.MarshalExtJSON(bson.D{{Key: "collection", Value: name}, {Key: "indexes", Value: specsArray(specs)}}, true, false)
	if err != nil {
		return c, fmt.Errorf("backup: indexes of %s: %w", name, err)
	}
	if _, err := ie.Write(append(b, '\n')); err != nil {
		return c, fmt.Errorf("backup: %w", err)
	}
	c.IndexSHA256, c.IndexCount = ie.sum(), len(specs)
	c.ReadMillisecs = time.Since(start).Milliseconds()
	p.finish(name, c.Count)
	return c, nil
}

func specsArray(specs []bson.D) bson.A {
	a := bson.A{}
	for _, s := range specs {
		a = append(a, s)
	}
	return a
}

// writeBucket writes a GridFS bucket so that only whole files are in the
// archive (see Consistency): the files collection is read first, for what
// each file needs; the chunks are kept when a file read then owns them;
// the files collection is read again and a file is kept when it was there
// the first time and all its chunks were found.
func writeBucket(ctx context.Context, st *store.Store, zw *zip.Writer, bucket string, p *progress) ([]Collection, Bucket, error) {
	bk := Bucket{Name: bucket}
	type want struct {
		chunks, found int64
		length        int64
	}
	files := map[string]*want{}
	key := func(doc bson.Raw, field string) (string, bool) {
		v, err := doc.LookupErr(field)
		if err != nil {
			return "", false
		}
		return string(rune(v.Type)) + string(v.Value), true
	}
	err := scan(ctx, st.DB, bucket+".files", func(doc bson.Raw) error {
		k, ok := key(doc, "_id")
		if !ok {
			return nil
		}
		length, _ := doc.Lookup("length").AsInt64OK()
		size, _ := doc.Lookup("chunkSize").AsInt64OK()
		w := &want{length: length}
		if length > 0 && size > 0 {
			w.chunks = (length + size - 1) / size
		}
		files[k] = w
		return nil
	})
	if err != nil {
		return nil, bk, err
	}
	chunks, err := writeCollection(ctx, st, zw, bucket+".chunks", p, func(doc bson.Raw) bool {
		k, ok := key(doc, "files_id")
		w := files[k]
		n, nok := doc.Lookup("n").AsInt64OK()
		if !ok || w == nil || !nok || n < 0 || n >= w.chunks {
			bk.OrphanChunks++
			return false
		}
		w.found++
		return true
	})
	if err != nil {
		return nil, bk, err
	}
	idString := func(doc bson.Raw) string {
		v := doc.Lookup("_id")
		if s, ok := v.StringValueOK(); ok {
			return s
		}
		return v.String()
	}
	filesColl, err := writeCollection(ctx, st, zw, bucket+".files", p, func(doc bson.Raw) bool {
		k, _ := key(doc, "_id")
		w := files[k]
		switch {
		case w == nil:
			bk.Skipped = append(bk.Skipped, Skip{ID: idString(doc), Reason: "uploaded during the backup"})
			return false
		case w.found != w.chunks:
			bk.Skipped = append(bk.Skipped, Skip{ID: idString(doc), Reason: fmt.Sprintf("%d of %d chunks found (deleted or replaced during the backup)", w.found, w.chunks)})
			return false
		}
		bk.Files++
		bk.Bytes += w.length
		return true
	})
	if err != nil {
		return nil, bk, err
	}
	// A file whose chunks were kept but which was deleted before the second
	// read leaves those chunks without a file: the archive keeps them, as the
	// database had them, and restore copies them as they were.
	return []Collection{chunks, filesColl}, bk, nil
}

// progress shows what is being read on a terminal.
type progress struct {
	w    io.Writer
	last time.Time
}

func (p *progress) update(name string, n int64) {
	if p.w == nil || time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r\033[K%s: %d documents", name, n)
}

func (p *progress) finish(name string, n int64) {
	if p.w == nil {
		return
	}
	fmt.Fprintf(p.w, "\r\033[K%s: %d documents\n", name, n)
}

// HumanBytes writes a size for people (binary units).
func HumanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
