package search

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/privacy"
	"github.com/circularfairict/portal/store"
)

// The change log numbers every change an index is told of, per kind, in
// the database all replicas share, so that a replica finds the changes it
// missed by reading them by _id instead of comparing every document's
// stamp (a catch-up that, on the embedded database, decodes every document
// of every kind: seconds at community scale, on every replica, every
// sweep). A change is claimed after its write, as the next number of its
// kind: the insert of _id "<kind>:<n>" (a unique key, atomic on every
// backend; a taken number is retried further on). A number is only tried
// once the one before it is known to exist, so the numbers of a kind have
// no gaps, and "is change n there" answers whether anything changed since
// n-1. Each index records the number up to which it has applied every
// change (applied); the bus message of a change carries its number.
//
// What the log cannot see is a change whose server stopped between its
// write and its claim, and a write that no server announced (an edit made
// directly in the database): the full catch-up still runs at every start
// and, on a running server, when the last one is older than FullCatchUpEvery.

// ColChanges is the change log's collection.
const ColChanges = "search_changes"

// FullCatchUpEvery is how old the last full catch-up (Watermark) may get
// before Sweep runs one again instead of following the change log.
const FullCatchUpEvery = 6 * time.Hour

// maxFollow bounds how many changes of a kind Follow reads in one call;
// a replica further behind catches up in full (cheaper than one lookup
// per change then).
const maxFollow = 5000

type changeDoc struct {
	ID  string    `bson:"_id"` // kind:n
	Doc string    `bson:"doc"` // the kind's own ID of the document changed
	At  time.Time `bson:"at"`
}

func changeID(kind string, n int64) string { return kind + ":" + strconv.FormatInt(n, 10) }

// seq is what this index knows of a kind's change numbers.
type seq struct {
	applied int64          // every change up to it is in the index
	ahead   map[int64]bool // changes applied beyond it
	known   int64          // the highest number known to be claimed
}

// errTooFar: more than maxFollow changes to read; catch up in full.
var errTooFar = errors.New("search: too far behind the change log")

func keyApplied(kind string) []byte { return []byte("portal.changes." + kind) }

func (ix *Index) seqOf(kind string) *seq {
	s := ix.seqs[kind]
	if s == nil {
		s = &seq{ahead: map[int64]bool{}}
		ix.seqs[kind] = s
	}
	return s
}

// loadApplied reads the applied numbers an earlier run recorded.
func (ix *Index) loadApplied() {
	ix.seqMu.Lock()
	defer ix.seqMu.Unlock()
	for _, n := range ix.names {
		b, err := ix.shards[0].GetInternal(keyApplied(n))
		if err != nil || len(b) == 0 {
			continue
		}
		// Not known to be claimed yet: a database restored from an older
		// backup has a shorter log, and a claim after a number it lacks
		// would leave a gap. The first claim finds the log's end.
		if v, err := strconv.ParseInt(string(b), 10, 64); err == nil && v > 0 {
			ix.seqOf(n).applied = v
		}
	}
}

// saveApplied records the applied numbers for the next run (which checks
// them against the log before trusting them).
func (ix *Index) saveApplied() error {
	ix.seqMu.Lock()
	vals := map[string]int64{}
	for _, n := range ix.names {
		vals[n] = ix.seqOf(n).applied
	}
	ix.seqMu.Unlock()
	b := ix.shards[0].NewBatch()
	for n, v := range vals {
		b.SetInternal(keyApplied(n), []byte(strconv.FormatInt(v, 10)))
	}
	if err := ix.shards[0].Batch(b); err != nil {
		return fmt.Errorf("search: record the change log's position: %w", err)
	}
	return nil
}

// Applied is the number up to which the index has applied every change
// of kind (0 without a change log).
func (ix *Index) Applied(kind string) int64 {
	ix.seqMu.Lock()
	defer ix.seqMu.Unlock()
	return ix.seqOf(kind).applied
}

// mark records that change n of kind is in the index; upTo, that every
// change up to n is (a full catch-up that started after n was claimed).
func (ix *Index) mark(kind string, n int64, upTo bool) {
	ix.seqMu.Lock()
	defer ix.seqMu.Unlock()
	s := ix.seqOf(kind)
	s.known = max(s.known, n)
	if n <= s.applied {
		return
	}
	if upTo {
		for m := range s.ahead {
			if m <= n {
				delete(s.ahead, m)
			}
		}
		s.applied = n
	} else {
		s.ahead[n] = true
	}
	for s.ahead[s.applied+1] {
		delete(s.ahead, s.applied+1)
		s.applied++
	}
}

// change reads change n of kind: the ID of the document it changed, and
// whether it exists.
func (ix *Index) change(ctx context.Context, kind string, n int64) (string, bool, error) {
	var d changeDoc
	err := ix.changes.FindOne(ctx, bson.M{"_id": changeID(kind, n)}).Decode(&d)
	switch {
	case store.IsNoDocuments(err):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("search: change log: %w", err)
	}
	return d.Doc, true, nil
}

// head finds the last claimed number of kind, from one known to be claimed
// (0: none known).
func (ix *Index) head(ctx context.Context, kind string, from int64) (int64, error) {
	return store.LastNumber(from, func(n int64) (bool, error) {
		_, ok, err := ix.change(ctx, kind, n)
		return ok, err
	})
}

// claim numbers a change of kind to document id, after its write.
func (ix *Index) claim(ctx context.Context, kind, id string) (int64, error) {
	ix.seqMu.Lock()
	n := ix.seqOf(kind).known + 1
	ix.seqMu.Unlock()
	for tries := 0; tries < 100; tries++ {
		_, err := ix.changes.InsertOne(ctx, changeDoc{ID: changeID(kind, n), Doc: id, At: time.Now().UTC()})
		if err == nil {
			return n, nil
		}
		if !store.IsDuplicateKey(err) {
			return 0, fmt.Errorf("search: change log: %w", err)
		}
		// Taken: another server's change. Try after the last one taken.
		h, err := ix.head(ctx, kind, n)
		if err != nil {
			return 0, err
		}
		ix.seqMu.Lock()
		s := ix.seqOf(kind)
		s.known = max(s.known, h)
		n = s.known + 1
		ix.seqMu.Unlock()
	}
	return 0, errors.New("search: change log: no free number after 100 tries")
}

// heads finds, before a full catch-up, the last claimed number of each
// kind: the catch-up reads every document after that, so it covers every
// change up to it. An applied number the log does not have (a database
// restored from an older backup under this index) is dropped.
func (ix *Index) heads(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, n := range ix.names {
		ix.seqMu.Lock()
		from := ix.seqOf(n).applied
		ix.seqMu.Unlock()
		if from > 0 {
			_, ok, err := ix.change(ctx, n, from)
			if err != nil {
				return nil, err
			}
			if !ok {
				ix.log.Warn("search index ahead of the change log (a restored database?): following it from its start", "kind", n, "applied", from)
				ix.seqMu.Lock()
				ix.seqs[n] = &seq{ahead: map[int64]bool{}}
				ix.seqMu.Unlock()
				from = 0
			}
		}
		h, err := ix.head(ctx, n, from)
		if err != nil {
			return nil, err
		}
		out[n] = h
	}
	return out, nil
}

// Current reports whether the index holds every change of kind made so
// far (its documents of that kind are then the database's, but for a change
// whose server stopped between its write and its number): the log has no
// number after the one it applied. One lookup by _id. False without a log
// and until a full catch-up in this process has checked the index against
// the log (a database restored under it, a new index).
func (ix *Index) Current(ctx context.Context, kind string) (bool, error) {
	if ix == nil || ix.changes == nil || !ix.logChecked.Load() {
		return false, nil
	}
	_, later, err := ix.change(ctx, kind, ix.Applied(kind)+1)
	return !later && err == nil, err
}

// Follow applies the changes of the log this index has not applied (their
// bus message missed, or not yet arrived), in order, each document read
// once however often it changed, and returns how many changes it read.
// More than maxFollow behind, it catches up in full instead.
func (ix *Index) Follow(ctx context.Context) (int, error) {
	if ix.changes == nil {
		return 0, nil
	}
	total := 0
	for _, kind := range ix.names {
		n, err := ix.follow(ctx, kind)
		total += n
		if errors.Is(err, errTooFar) {
			ix.log.Info("search index far behind the change log: catching up in full", "kind", kind)
			if _, err := ix.CatchUp(ctx, nil); err != nil {
				return total, err
			}
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
	return total, ix.saveApplied()
}

func (ix *Index) follow(ctx context.Context, kind string) (int, error) {
	ix.seqMu.Lock()
	s := ix.seqOf(kind)
	from := s.applied
	done := make(map[int64]bool, len(s.ahead))
	for n := range s.ahead {
		done[n] = true
	}
	ix.seqMu.Unlock()
	var nums []int64
	docs := map[string]bool{}
	for n := from + 1; ; n++ {
		if n-from > maxFollow {
			return 0, errTooFar
		}
		id, ok, err := ix.change(ctx, kind, n)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		nums = append(nums, n)
		if !done[n] {
			docs[id] = true
		}
	}
	delete(docs, "") // erased (PrivacySource)
	for id := range docs {
		if err := ix.apply(ctx, message{Kind: kind, ID: id}); err != nil {
			return 0, fmt.Errorf("search: follow %s %s: %w", kind, id, err)
		}
	}
	for _, n := range nums {
		ix.mark(kind, n, false)
	}
	return len(nums), nil
}

// Sweep brings the index level with the database from time to time (the
// server's sweeper): it follows the change log, and catches up in full
// when there is no log or the last full catch-up is older than
// FullCatchUpEvery. It returns the full catch-up's stats (zero when it
// only followed the log) and how many logged changes it read.
func (ix *Index) Sweep(ctx context.Context) (Stats, int, error) {
	if ix.changes == nil || time.Since(ix.Watermark()) > FullCatchUpEvery {
		st, err := ix.CatchUp(ctx, nil)
		return st, 0, err
	}
	n, err := ix.Follow(ctx)
	return Stats{}, n, err
}

// CatchUpAfterSeeding waits for the start-up catch-up, then catches up in
// full: for a process that wrote through stores that tell no index and
// number no change (the demo seeds), which the sweeper, following the
// change log, would not see for hours.
func (ix *Index) CatchUpAfterSeeding(ctx context.Context) error {
	ix.Wait()
	_, err := ix.CatchUp(ctx, nil)
	return err
}

// newChangeLog is the change log collection of db (nil: none).
func newChangeLog(db *mongo.Database) *mongo.Collection {
	if db == nil {
		return nil
	}
	return db.Collection(ColChanges)
}

// PrivacySource covers the change log: a change of a member's directory
// entry names the member's ID. The export lists when those changes were;
// erasure blanks the ID in them (deleting them would leave gaps in the
// numbers, which followers would take for the log's end).
func PrivacySource(db *mongo.Database) privacy.Source {
	col := db.Collection(ColChanges)
	return privacy.Source{Name: "search_changes", Collections: []string{ColChanges}, Order: 50,
		Export: func(ctx context.Context, id string) (any, error) {
			cur, err := col.Find(ctx, bson.M{"doc": id}, options.Find().SetProjection(bson.M{"_id": 0, "at": 1}))
			if err != nil {
				return nil, fmt.Errorf("search: export change log: %w", err)
			}
			var out []struct {
				At time.Time `bson:"at" json:"at"`
			}
			if err := cur.All(ctx, &out); err != nil {
				return nil, fmt.Errorf("search: export change log: %w", err)
			}
			return out, nil
		},
		Erase: func(ctx context.Context, id string) error {
			if _, err := col.UpdateMany(ctx, bson.M{"doc": id}, bson.M{"$set": bson.M{"doc": ""}}); err != nil {
				return fmt.Errorf("search: erase from the change log: %w", err)
			}
			return nil
		}}
}

// Log numbers changes in the change log without an index of its own: for
// a tool that writes beside running servers (`portal import`), which then
// read those changes at their next sweep instead of at their next full
// catch-up.
type Log struct{ ix *Index }

// NewLog is the change log of db.
func NewLog(db *mongo.Database) *Log {
	return &Log{ix: &Index{changes: newChangeLog(db), seqs: map[string]*seq{}}}
}

// Changed numbers a change of kind to document id, after its write.
func (l *Log) Changed(ctx context.Context, kind, id string) error {
	_, err := l.ix.claim(ctx, kind, id)
	return err
}
