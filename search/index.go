// Package search is the portal's derived full-text index: one index under
// the data directory (on disk a few bleve indexes, shards, searched at once)
// holding every searchable kind of document (the library, discussions,
// members), told apart by a kind field. The database
// stays the source of truth: the index is rebuilt from it when missing,
// outdated or corrupt, caught up at start-up (IDs and stamps compared, so
// deletions are caught up too), and kept current by a message on the bus
// for every change, which each server answers by re-reading the document by
// _id. Feature packages register a Kind and build their own queries; this
// package knows nothing of them and imports neither Fiber nor the server.
package search

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	bolterrors "go.etcd.io/bbolt/errors"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/circularfairict/portal/bus"
)

// MappingVersion changes whenever the mapping or what a kind puts in its
// documents changes: an index of another version is rebuilt at start-up.
// Kinds add their own version (Kind.Version) to it.
const MappingVersion = 1

// Topic is the bus topic of index changes.
const Topic = "search"

// Common fields every document carries.
const (
	FieldKind  = "kind"
	FieldStamp = "stamp"
)

// Doc is one document of a kind as the index holds it.
type Doc struct {
	// ID is the kind's own ID (the database _id).
	ID string
	// Stamp is when the document last changed in a way the index shows;
	// catch-up re-reads the documents whose stamp differs from the index's.
	Stamp time.Time
	// Fields are the bleve document's fields, as the kind's mapping
	// describes them (kind and stamp are added by the index).
	Fields map[string]any
}

// Kind is one kind of searchable document. Its methods read the database;
// they must be safe for concurrent use.
type Kind interface {
	// Name is the kind's value of the kind field and in bus messages.
	Name() string
	// Version is the kind's mapping version: bump it when Mapping or Load
	// change what they index, so existing indexes are rebuilt.
	Version() int
	// Mapping describes the kind's fields. Text fields may use the
	// analysers this package registers (Analyzer).
	Mapping() *mapping.DocumentMapping
	// Stamps lists every document of the kind that belongs in the index
	// with its stamp, for catch-up.
	Stamps(ctx context.Context) (map[string]time.Time, error)
	// All calls fn for every document of the kind, for a rebuild.
	All(ctx context.Context, fn func(*Doc) error) error
	// Load reads one document by ID; nil (and no error) when it is gone or
	// no longer belongs in the index.
	Load(ctx context.Context, id string) (*Doc, error)
}

// Options configure an Index.
type Options struct {
	// Dir is the index directory (PORTAL_SEARCH_DIR, or PORTAL_DATA_DIR/search).
	Dir string
	// Bus carries change messages between servers; nil keeps changes local.
	Bus bus.Bus
	Log *slog.Logger
	// Shards is how many bleve indexes the documents are split over
	// (PORTAL_SEARCH_SHARDS); 0 keeps the count on disk, DefaultShards
	// for a new index.
	Shards int
	// DB is the database every replica shares, which holds the change
	// log (changes.go); nil keeps none, and every catch-up is in full.
	DB *mongo.Database
}

// Index is the open index with its kinds.
type Index struct {
	opts   Options
	kinds  map[string]Kind
	names  []string
	origin string
	log    *slog.Logger

	// shards hold the documents, each in the shard its ID hashes to
	// (shardOf); alias searches them all at once and merges the hits.
	shards []bleve.Index
	alias  bleve.IndexAlias

	tokens tokenCache

	// applyMu makes each re-read and write of one document a unit, so a
	// later read is always written later.
	applyMu sync.Mutex

	building atomic.Bool
	// filled is set once a catch-up has completed on this index (now or
	// in an earlier run: the watermark): every document is in it, if
	// perhaps behind the database until the running catch-up ends.
	filled atomic.Bool
	// catching counts the catch-ups running; touched records the documents
	// changed meanwhile: they are re-read once it ends, as its own reads
	// may predate the change.
	catching  atomic.Int32
	touchedMu sync.Mutex
	touched   map[string]message

	// changes is the change log (nil: none); seqs what this index knows
	// of each kind's numbers, under seqMu. logChecked is set once a full
	// catch-up in this process has checked the applied numbers against
	// the log (Current trusts them from then on).
	changes    *mongo.Collection
	seqMu      sync.Mutex
	seqs       map[string]*seq
	logChecked atomic.Bool

	unsubscribe func()
	done        chan struct{}
	cancel      context.CancelFunc
}

type message struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Origin string `json:"origin,omitempty"`
	// N is the change's number in the change log (0: not numbered).
	N int64 `json:"n,omitempty"`
}

// Internal metadata keys.
var (
	keyMapping   = []byte("portal.mapping")
	keyWatermark = []byte("portal.watermark")
)

// ErrLocked is returned by Open when another process (a running server)
// holds the index directory.
var ErrLocked = errors.New("search: the index directory is in use by another process")

func isLocked(err error) bool {
	return err != nil && (errors.Is(err, bolterrors.ErrTimeout) || strings.Contains(err.Error(), bolterrors.ErrTimeout.Error()))
}

// ErrUnknownKind is returned for a kind no one registered.
var ErrUnknownKind = errors.New("search: unknown kind")

// Open opens the index in opts.Dir, or creates it. An index that does not
// open (corrupt) is moved aside and a new one created; one of another
// mapping version or shard layout is removed and recreated. Call Start to
// catch up with the database and follow the bus.
func Open(opts Options, kinds ...Kind) (*Index, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Dir == "" {
		return nil, errors.New("search: no index directory")
	}
	if opts.Shards < 0 || opts.Shards > MaxShards {
		return nil, fmt.Errorf("search: %d shards: between 1 and %d", opts.Shards, MaxShards)
	}
	ix := &Index{opts: opts, kinds: map[string]Kind{}, log: opts.Log, touched: map[string]message{},
		changes: newChangeLog(opts.DB), seqs: map[string]*seq{}}
	var b [8]byte
	_, _ = rand.Read(b[:])
	ix.origin = hex.EncodeToString(b[:])
	for _, k := range kinds {
		if ix.kinds[k.Name()] != nil {
			return nil, fmt.Errorf("search: kind %s registered twice", k.Name())
		}
		ix.kinds[k.Name()] = k
		ix.names = append(ix.names, k.Name())
	}
	sort.Strings(ix.names)
	if err := os.MkdirAll(filepath.Dir(opts.Dir), 0o700); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if err := ix.dropSingleLayout(); err != nil {
		return nil, err
	}
	n := opts.Shards
	if n == 0 {
		// The count already on disk, so that a data directory moved to a
		// machine of another core count is not rebuilt for it; a new index
		// gets DefaultShards.
		if n = shardsOnDisk(opts.Dir); n == 0 || n > MaxShards {
			n = DefaultShards
		}
	}
	version := ix.version()
	shards, err := openShards(opts.Dir, n, version)
	switch {
	case errors.Is(err, ErrLocked):
		return nil, err
	case err == nil:
	case errors.Is(err, errOtherLayout):
		ix.log.Info("search index of another version or shard layout: rebuilding", "dir", opts.Dir, "why", err.Error(), "want", layoutVersion(version, 0, n))
		if err := os.RemoveAll(opts.Dir); err != nil {
			return nil, fmt.Errorf("search: remove outdated index: %w", err)
		}
	case errors.Is(err, errNoIndex):
	default:
		aside := fmt.Sprintf("%s.broken-%s", opts.Dir, time.Now().UTC().Format("20060102T150405.000000000Z"))
		ix.log.Warn("search index does not open: moved aside, rebuilding", "dir", opts.Dir, "aside", aside, "err", err)
		if rerr := os.Rename(opts.Dir, aside); rerr != nil {
			return nil, fmt.Errorf("search: move broken index aside: %w", rerr)
		}
	}
	if shards == nil {
		if shards, err = createShards(opts.Dir, n, ix.mapping, version); err != nil {
			return nil, err
		}
		ix.building.Store(true)
	}
	ix.setShards(shards)
	ix.filled.Store(!ix.Watermark().IsZero())
	ix.loadApplied()
	return ix, nil
}

// dropSingleLayout removes an index of the layout before shards (one bleve
// index directly in Dir), unless a running server holds it.
func (ix *Index) dropSingleLayout() error {
	if _, err := os.Stat(filepath.Join(ix.opts.Dir, "index_meta.json")); err != nil {
		return nil
	}
	idx, err := bleve.OpenUsing(ix.opts.Dir, storeConfig())
	if isLocked(err) {
		return ErrLocked
	}
	if err == nil {
		_ = idx.Close()
	}
	ix.log.Info("search index of the single-index layout: rebuilding in shards", "dir", ix.opts.Dir)
	if err := os.RemoveAll(ix.opts.Dir); err != nil {
		return fmt.Errorf("search: remove outdated index: %w", err)
	}
	return nil
}

// OpenExisting opens the index in dir as it is, without checking its
// mapping version, without kinds and without a catch-up: for benchmarks on
// a copy of a real deployment's index (never on one a server uses). Both
// layouts open: shards, or one index directly in dir.
func OpenExisting(dir string) (*Index, error) {
	var shards []bleve.Index
	if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); err == nil {
		idx, err := bleve.OpenUsing(dir, storeConfig())
		if err != nil {
			return nil, fmt.Errorf("search: open %s: %w", dir, err)
		}
		shards = []bleve.Index{idx}
	} else {
		n := shardsOnDisk(dir)
		if n == 0 {
			return nil, fmt.Errorf("search: open %s: no index", dir)
		}
		for i := 0; i < n; i++ {
			idx, err := bleve.OpenUsing(shardDir(dir, i), storeConfig())
			if err != nil {
				closeAll(shards)
				return nil, fmt.Errorf("search: open %s: %w", dir, err)
			}
			shards = append(shards, idx)
		}
	}
	ix := &Index{opts: Options{Dir: dir, Log: slog.Default()}, kinds: map[string]Kind{}, log: slog.Default(),
		touched: map[string]message{}, seqs: map[string]*seq{}}
	ix.setShards(shards)
	ix.filled.Store(true)
	return ix, nil
}

// storeConfig: a write returns once it is searchable, without waiting for
// its fsync (unsafe_batch): the index is derived, and a write lost in a
// crash is caught up from the database at the next start (its stamp
// differs). Waiting for every fsync made each change cost a disk flush.
// bolt_timeout: a directory held by another process is refused after two
// seconds (ErrLocked) rather than waited for forever.
// The persister naps half a second between flushes so that a burst of
// changes is written in one go instead of one fsync each (which made each
// change cost a disk flush competing with the database's own).
func storeConfig() map[string]any {
	return map[string]any{"unsafe_batch": true, "bolt_timeout": "2s",
		"scorchPersisterOptions": map[string]any{"persisterNapTimeMSec": 500, "persisterNapUnderNumFiles": 1000}}
}

// version names the mapping: the package's and every kind's version.
func (ix *Index) version() string {
	v := fmt.Sprintf("%d", MappingVersion)
	for _, n := range ix.names {
		v += fmt.Sprintf(" %s:%d", n, ix.kinds[n].Version())
	}
	return v
}

func (ix *Index) mapping() (*mapping.IndexMappingImpl, error) {
	m := bleve.NewIndexMapping()
	if err := registerAnalyzers(m); err != nil {
		return nil, err
	}
	m.TypeField = FieldKind
	m.DefaultAnalyzer = AnalyzerFolded
	m.DefaultMapping = bleve.NewDocumentDisabledMapping()
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	for _, n := range ix.names {
		dm := ix.kinds[n].Mapping()
		dm.AddFieldMappingsAt(FieldKind, KeywordField(false))
		stamp := bleve.NewTextFieldMapping()
		stamp.Index, stamp.Store, stamp.IncludeInAll, stamp.DocValues = false, true, false, false
		dm.AddFieldMappingsAt(FieldStamp, stamp)
		m.AddDocumentMapping(n, dm)
	}
	return m, nil
}

// Start catches up with the database in the background (a rebuild when the
// index is new) and follows the bus. Searches answer meanwhile; Building
// reports true until the catch-up ends.
func (ix *Index) Start(ctx context.Context) error {
	if ix.opts.Bus != nil {
		unsub, err := ix.opts.Bus.Subscribe(Topic, ix.receive)
		if err != nil {
			return fmt.Errorf("search: subscribe: %w", err)
		}
		ix.unsubscribe = unsub
	}
	ix.building.Store(true)
	ctx, ix.cancel = context.WithCancel(ctx)
	ix.done = make(chan struct{})
	go func() {
		defer close(ix.done)
		defer ix.building.Store(false)
		st, err := ix.CatchUp(ctx, nil)
		if err != nil {
			if ctx.Err() == nil {
				ix.log.Error("search catch-up failed", "err", err)
			}
			return
		}
		ix.log.Info("search index caught up", "added", st.Added, "updated", st.Updated, "removed", st.Removed, "unchanged", st.Unchanged, "took", st.Took.Round(time.Millisecond))
		// The changes claimed while it ran whose message did not come.
		if _, err := ix.Follow(ctx); err != nil && ctx.Err() == nil {
			ix.log.Warn("search: follow the change log", "err", err)
		}
	}()
	return nil
}

// Wait returns when the catch-up started by Start has ended.
func (ix *Index) Wait() {
	if ix.done != nil {
		<-ix.done
	}
}

// Building reports whether the index is being built or caught up, so
// results may be incomplete.
func (ix *Index) Building() bool { return ix.building.Load() }

// Filled reports whether the index has been filled from the database once
// (a new, outdated or broken index is not until its first catch-up ends).
// Lists that would miss documents of an unfilled index, not merely show
// them a little behind, ask it rather than Building.
func (ix *Index) Filled() bool { return ix.filled.Load() }

// Close stops following the bus and closes the index.
func (ix *Index) Close() error {
	if ix.unsubscribe != nil {
		ix.unsubscribe()
	}
	if ix.cancel != nil {
		ix.cancel()
		<-ix.done
	}
	if ix.changes != nil {
		if err := ix.saveApplied(); err != nil {
			ix.log.Warn("search: close", "err", err)
		}
	}
	ix.Flush(30 * time.Second)
	_ = ix.alias.Close()
	var err error
	for _, s := range ix.shards {
		if cerr := s.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// Flush waits, at most timeout, until every write so far is on disk:
// writes return before their fsync (storeConfig), and closing does not
// wait for them. Persistence is in order, so waiting for one last batch
// of each shard waits for all before it.
func (ix *Index) Flush(timeout time.Duration) {
	var wg sync.WaitGroup
	now := []byte(stampString(time.Now()))
	for _, s := range ix.shards {
		var once sync.Once
		b := s.NewBatch()
		b.SetInternal([]byte("portal.flushed"), now)
		wg.Add(1)
		b.SetPersistedCallback(func(error) { once.Do(wg.Done) })
		if err := s.Batch(b); err != nil {
			ix.log.Warn("search index flush failed", "err", err)
			once.Do(wg.Done)
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		ix.log.Warn("search index flush timed out: the next start catches up")
	}
}

// Has reports whether kind is one of the index's kinds (a store told of
// an index opened without its kind keeps its database path).
func (ix *Index) Has(kind string) bool { return ix != nil && ix.kinds[kind] != nil }

// Search runs req over every shard at once; callers restrict it to their
// kind with KindQuery. The alias asks each shard for From+Size hits and
// merges them by req's sort (totals and facet counts added up); a shard
// that fails fails the search rather than leave its documents out unseen.
func (ix *Index) Search(ctx context.Context, req *bleve.SearchRequest) (*bleve.SearchResult, error) {
	res, err := ix.alias.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if res.Status != nil && res.Status.Failed > 0 {
		for _, e := range res.Status.Errors {
			return nil, fmt.Errorf("search: %w", e)
		}
		return nil, errors.New("search: a shard failed")
	}
	return res, nil
}

// KindQuery matches every document of kind.
func KindQuery(kind string) query.Query {
	q := bleve.NewTermQuery(kind)
	q.SetField(FieldKind)
	return q
}

// DocID is the index's ID of a kind's document.
func DocID(kind, id string) string { return kind + "/" + id }

// SplitDocID returns the kind's own ID from an index ID.
func SplitDocID(docID string) (kind, id string) {
	for i := 0; i < len(docID); i++ {
		if docID[i] == '/' {
			return docID[:i], docID[i+1:]
		}
	}
	return "", docID
}

// Changed re-reads a document from the database and updates the index at
// once, numbers the change in the change log, then tells the other servers
// through the bus, which do the same. It is called after every change the
// index shows; an error is logged, not returned: the database change is
// done, and catch-up repairs the index.
func (ix *Index) Changed(ctx context.Context, kind, id string) {
	if ix == nil {
		return
	}
	applied := true
	if err := ix.apply(ctx, message{Kind: kind, ID: id}); err != nil {
		applied = false
		ix.log.Error("search: index change", "kind", kind, "id", id, "err", err)
	}
	var n int64
	if ix.changes != nil {
		var err error
		if n, err = ix.claim(ctx, kind, id); err != nil {
			ix.log.Error("search: number a change", "kind", kind, "id", id, "err", err)
		} else if applied {
			ix.mark(kind, n, false)
		}
	}
	if ix.opts.Bus == nil {
		return
	}
	b, _ := json.Marshal(message{Kind: kind, ID: id, Origin: ix.origin, N: n})
	if err := ix.opts.Bus.Publish(Topic, b); err != nil {
		ix.log.Error("search: publish change", "kind", kind, "id", id, "err", err)
	}
}

// receive answers another server's change message.
func (ix *Index) receive(b []byte) {
	var m message
	if json.Unmarshal(b, &m) != nil || m.Origin == ix.origin {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ix.apply(ctx, m); err != nil {
		ix.log.Error("search: index change from bus", "kind", m.Kind, "id", m.ID, "err", err)
		return
	}
	if m.N > 0 && ix.changes != nil {
		ix.mark(m.Kind, m.N, false)
	}
}

func (ix *Index) apply(ctx context.Context, m message) error {
	k := ix.kinds[m.Kind]
	if k == nil {
		return ErrUnknownKind
	}
	if ix.catching.Load() > 0 {
		ix.touchedMu.Lock()
		ix.touched[DocID(m.Kind, m.ID)] = m
		ix.touchedMu.Unlock()
	}
	ix.applyMu.Lock()
	defer ix.applyMu.Unlock()
	d, err := k.Load(ctx, m.ID)
	if err != nil {
		return err
	}
	id := DocID(m.Kind, m.ID)
	if d == nil {
		return ix.shardFor(id).Delete(id)
	}
	return ix.shardFor(id).Index(id, ix.fields(m.Kind, d))
}

func (ix *Index) fields(kind string, d *Doc) map[string]any {
	f := make(map[string]any, len(d.Fields)+2)
	for k, v := range d.Fields {
		f[k] = v
	}
	f[FieldKind] = kind
	f[FieldStamp] = stampString(d.Stamp)
	return f
}

func stampString(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Stats sum up a catch-up or a rebuild.
type Stats struct {
	Added, Updated, Removed, Unchanged int
	Took                               time.Duration
}

// Progress is told how far a catch-up is: done of total documents.
type Progress func(done, total int)

// CatchUp brings the index level with the database: documents missing from
// the index or with another stamp are re-read, those gone from the
// database removed. A new index is filled in batches through Kind.All.
// Start runs it at start-up; the server's sweep runs it again from time to
// time, for changes whose message a server missed or that no server
// announced (`portal import` next to a running server).
func (ix *Index) CatchUp(ctx context.Context, progress Progress) (Stats, error) {
	start := time.Now()
	ix.catching.Add(1)
	defer ix.catching.Add(-1)
	var st Stats
	// The change log's last numbers before any document is read: the
	// catch-up covers every change up to them.
	var heads map[string]int64
	if ix.changes != nil {
		var err error
		if heads, err = ix.heads(ctx); err != nil {
			return st, err
		}
	}
	have, err := ix.stamps(ctx)
	if err != nil {
		return st, err
	}
	type pending struct {
		kind string
		ids  []string
	}
	var work []pending
	total := 0
	want := map[string]map[string]time.Time{}
	for _, n := range ix.names {
		s, err := ix.kinds[n].Stamps(ctx)
		if err != nil {
			return st, fmt.Errorf("search: stamps of %s: %w", n, err)
		}
		want[n] = s
		total += len(s)
	}
	done := 0
	for _, n := range ix.names {
		var ids []string
		for id, t := range want[n] {
			old, ok := have[DocID(n, id)]
			switch {
			case !ok:
				st.Added++
				ids = append(ids, id)
			case old != stampString(t):
				st.Updated++
				ids = append(ids, id)
			default:
				st.Unchanged++
				done++
			}
		}
		sort.Strings(ids)
		work = append(work, pending{n, ids})
	}
	// Removals first: a search meanwhile never shows what the database
	// no longer has.
	for docID := range have {
		kind, id := SplitDocID(docID)
		if _, ok := want[kind][id]; !ok {
			if err := ix.shardFor(docID).Delete(docID); err != nil {
				return st, fmt.Errorf("search: %w", err)
			}
			st.Removed++
		}
	}
	report := func() {
		if progress != nil {
			progress(done, total)
		}
	}
	report()
	for _, p := range work {
		k := ix.kinds[p.kind]
		if len(p.ids) == 0 {
			continue
		}
		// Most documents of a kind missing (a new index): read them all in
		// one pass rather than one by one.
		if len(p.ids)*2 > len(want[p.kind]) {
			need := map[string]bool{}
			for _, id := range p.ids {
				need[id] = true
			}
			err := ix.fill(ctx, p.kind, k, need, func(n int) {
				done += n
				report()
			})
			if err != nil {
				return st, fmt.Errorf("search: rebuild %s: %w", p.kind, err)
			}
			continue
		}
		for _, id := range p.ids {
			if err := ctx.Err(); err != nil {
				return st, err
			}
			if err := ix.apply(ctx, message{Kind: p.kind, ID: id}); err != nil {
				return st, fmt.Errorf("search: catch up %s %s: %w", p.kind, id, err)
			}
			done++
			if done%100 == 0 {
				report()
			}
		}
		report()
	}
	// Changes that arrived meanwhile may have been overwritten by reads
	// older than them: read those documents again.
	ix.touchedMu.Lock()
	again := ix.touched
	ix.touched = map[string]message{}
	ix.touchedMu.Unlock()
	for _, m := range again {
		if err := ix.apply(ctx, m); err != nil {
			return st, fmt.Errorf("search: catch up %s %s: %w", m.Kind, m.ID, err)
		}
	}
	// In every shard, once all have their documents: Watermark takes the
	// oldest, so a catch-up cut short between two shards is not complete.
	for _, s := range ix.shards {
		if err := s.SetInternal(keyWatermark, []byte(stampString(start))); err != nil {
			return st, fmt.Errorf("search: %w", err)
		}
	}
	ix.filled.Store(true)
	if heads != nil {
		for kind, h := range heads {
			ix.mark(kind, h, true)
		}
		if err := ix.saveApplied(); err != nil {
			return st, err
		}
		ix.logChecked.Store(true)
	}
	st.Took = time.Since(start)
	return st, nil
}

// Bounds of one batch of a bulk fill: each batch becomes a segment that
// the shard merges later, so larger batches mean fewer merges; the byte
// bound keeps a batch of long texts (files of 256 KiB each) from holding
// too much in memory at once. The bytes are shared among the shards'
// batches, so the memory a fill holds does not grow with the shards.
const (
	fillBatchDocs  = 1000
	fillBatchBytes = 32 << 20
)

// fill indexes every document of kind that need names, reading them with
// Kind.All: reading the database and analysing into the index overlap (one
// goroutine reads and routes each document to its shard's batch while the
// index analyses the previous full batch, which bleve spreads over the
// cores), as either alone leaves a core idle. The shards' batches are
// indexed one at a time: side by side they took no less time and held
// more memory (docs/benchmarks.md, "The search index in two shards").
// indexed is told how many documents each batch held once it is in.
func (ix *Index) fill(ctx context.Context, kind string, k Kind, need map[string]bool, indexed func(n int)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		shard int
		b     *bleve.Batch
		n     int
	}
	n := len(ix.shards)
	// Two batches in flight: one being read, one being indexed.
	batches := make(chan batch, 1)
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		bs := make([]*bleve.Batch, n)
		counts, sizes := make([]int, n), make([]int, n)
		for i, s := range ix.shards {
			bs[i] = s.NewBatch()
		}
		maxBytes := fillBatchBytes / n
		send := func(i int) bool {
			select {
			case batches <- batch{i, bs[i], counts[i]}:
				bs[i], counts[i], sizes[i] = ix.shards[i].NewBatch(), 0, 0
				return true
			case <-ctx.Done():
				return false
			}
		}
		err := k.All(ctx, func(d *Doc) error {
			if !need[d.ID] {
				return nil
			}
			id := DocID(kind, d.ID)
			i := ix.shardOf(id)
			if err := bs[i].Index(id, ix.fields(kind, d)); err != nil {
				return err
			}
			counts[i]++
			sizes[i] += fieldBytes(d.Fields)
			if counts[i] >= fillBatchDocs || sizes[i] >= maxBytes {
				send(i)
			}
			return ctx.Err()
		})
		for i := 0; err == nil && i < n; i++ {
			if counts[i] > 0 && !send(i) {
				err = ctx.Err()
			}
		}
		readErr <- err
	}()
	for bt := range batches {
		if err := ix.shards[bt.shard].Batch(bt.b); err != nil {
			cancel()
			for range batches {
			}
			<-readErr
			return err
		}
		indexed(bt.n)
	}
	return <-readErr
}

// fieldBytes is about what a document's text takes in a batch.
func fieldBytes(f map[string]any) int {
	n := 0
	for _, v := range f {
		switch x := v.(type) {
		case string:
			n += len(x)
		case []string:
			for _, s := range x {
				n += len(s)
			}
		}
	}
	return n
}

// Watermark is when the last complete catch-up started (zero when none has
// completed): the oldest of the shards'.
func (ix *Index) Watermark() time.Time {
	var oldest time.Time
	for i, s := range ix.shards {
		b, err := s.GetInternal(keyWatermark)
		if err != nil || len(b) == 0 {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339Nano, string(b))
		if err != nil {
			return time.Time{}
		}
		if i == 0 || t.Before(oldest) {
			oldest = t
		}
	}
	return oldest
}

// stamps reads the stamp of every document in the index, shard by shard
// (through the alias each page would ask every shard for a full page).
func (ix *Index) stamps(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range ix.shards {
		if err := ix.shardStamps(ctx, s, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (ix *Index) shardStamps(ctx context.Context, s bleve.Index, out map[string]string) error {
	const page = 5000
	for _, n := range ix.names {
		// Sorted by ID and paged by the last ID seen, so a long index is
		// read in bounded pages without deep offsets.
		after := []string(nil)
		for {
			req := bleve.NewSearchRequestOptions(KindQuery(n), page, 0, false)
			req.Fields = []string{FieldStamp}
			req.SortBy([]string{"_id"})
			if after != nil {
				req.SearchAfter = after
			}
			res, err := s.SearchInContext(ctx, req)
			if err != nil {
				return fmt.Errorf("search: read stamps: %w", err)
			}
			for _, h := range res.Hits {
				s, _ := h.Fields[FieldStamp].(string)
				out[h.ID] = s
			}
			if len(res.Hits) < page {
				break
			}
			after = []string{res.Hits[len(res.Hits)-1].ID}
		}
	}
	return nil
}

// Rebuild empties the index and fills it again from the database.
func (ix *Index) Rebuild(ctx context.Context, progress Progress) (Stats, error) {
	have, err := ix.stamps(ctx)
	if err != nil {
		return Stats{}, err
	}
	batches := make([]*bleve.Batch, len(ix.shards))
	for i, s := range ix.shards {
		batches[i] = s.NewBatch()
	}
	for id := range have {
		batches[ix.shardOf(id)].Delete(id)
	}
	for i, s := range ix.shards {
		if err := s.Batch(batches[i]); err != nil {
			return Stats{}, fmt.Errorf("search: %w", err)
		}
	}
	st, err := ix.CatchUp(ctx, progress)
	st.Removed = 0
	return st, err
}

// DocCount is the number of documents in the index.
func (ix *Index) DocCount() (uint64, error) {
	var n uint64
	for _, s := range ix.shards {
		c, err := s.DocCount()
		if err != nil {
			return 0, fmt.Errorf("search: %w", err)
		}
		n += c
	}
	return n, nil
}

// Size is the bytes the index's files take in dir (for `portal reindex`'s
// summary and the benchmarks; an unreadable entry counts as nothing).
func Size(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
