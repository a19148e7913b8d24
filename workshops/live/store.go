package live

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/privacy"
	"github.com/circularfairict/portal/store"
)

// Collections owned by the live engine.
const (
	colEvents = "workshop_events"
	colKeys   = "workshop_event_keys"
)

// Indexes lists what the engine needs; the server ensures them at start-up.
// The unique (room, key) and (room, seq) indexes guard the same rules as
// the _id scheme below on a real MongoDB, where secondary indexes are used.
func Indexes() []store.Index {
	return []store.Index{
		{Collection: colEvents, Name: "room_key", Keys: bson.D{{Key: "room", Value: 1}, {Key: "key", Value: 1}}, Unique: true},
		{Collection: colEvents, Name: "room_seq", Keys: bson.D{{Key: "room", Value: 1}, {Key: "seq", Value: 1}}, Unique: true},
		{Collection: colEvents, Name: "actor", Keys: bson.D{{Key: "actor.id", Value: 1}}},
	}
}

// ErrDuplicate means the idempotency key was already stored; the returned
// event has the stored seq (0 while the first attempt is still storing).
var ErrDuplicate = errors.New("live: duplicate key")

// EventStore persists room events. Implementations must give each room one
// strictly increasing sequence shared by every server.
type EventStore interface {
	// Append assigns the next seq and stores ev. A key stored before gives
	// ErrDuplicate with the stored event.
	Append(ctx context.Context, ev *Event) (*Event, error)
	// Since returns the room's events with seq > after, in order.
	Since(ctx context.Context, room string, after int64) ([]*Event, error)
	// Range returns the events with from <= seq <= to, in order.
	Range(ctx context.Context, room string, from, to int64) ([]*Event, error)
}

// MongoStore is the EventStore on MongoDB or the embedded FerretDB.
//
// The sequence: an event document's _id is room + "/" + its seq, zero
// padded, so inserting the event claims its number; a server that loses
// the race gets a duplicate-key error and tries the next number. The
// primary key is the one uniqueness every backend enforces atomically:
// findOneAndUpdate with $inc on a counter document hands out the same
// number twice under concurrency on FerretDB 1.24's SQLite backend
// (TestSequenceUnderConcurrency was written to check it and caught that).
// Order therefore comes from the database, never from clocks, and no
// number is skipped.
//
// Idempotency: the event document carries the key, and the unique
// (room, key) index refuses a second event with it. Storing is then one
// insert: nothing is half-written if the process dies mid-way (the key
// document and event document this replaced could lose a message between
// the two), and the embedded database does one write instead of three.
// FerretDB 1.24's SQLite backend enforces unique secondary indexes inside
// the insert (TestKeyUniqueUnderConcurrency checks it); only the lookup of
// a resent key scans there, which happens after a dropped connection, not
// per message.
type MongoStore struct {
	db   *mongo.Database
	mu   sync.Mutex
	head map[string]int64 // last seq this process saw per room: a hint
	// byID reads a room's events one _id at a time (see ReadByID).
	byID bool
}

// ReadByID makes the store read a room's events by their _id instead of
// with one query on (room, seq). For the embedded database: it indexes
// only lookups by _id (store.IndexIDLookups), so the query read every
// stored event of every room, about 60 µs each, and starting a room after
// 60,000 events of other workshops took 7 s. By _id it costs a lookup per
// event of the room itself (four at a time), and finding the head a few
// dozen. It relies on seqs being claimed by inserting the event: a room's
// stored seqs run from 1 to its head without a gap. On MongoDB the query
// uses the (room, seq) index and is the better choice.
func (s *MongoStore) ReadByID() *MongoStore {
	s.byID = true
	return s
}

// NewMongoStore returns the engine's store on db.
func NewMongoStore(db *mongo.Database) *MongoStore {
	return &MongoStore{db: db, head: map[string]int64{}}
}

type eventDoc struct {
	ID    string `bson:"_id"`
	Event `bson:",inline"`
}

// keyDoc is the idempotency record of events stored before keys moved into
// the event documents; old databases still hold some (see EraseMember).
type keyDoc struct {
	ID  string    `bson:"_id"`
	Seq int64     `bson:"seq"`
	At  time.Time `bson:"at"`
}

func seqID(room string, seq int64) string { return fmt.Sprintf("%s/%012d", room, seq) }

// Head returns the highest stored seq of a room (0 for none).
func (s *MongoStore) Head(ctx context.Context, room string) (int64, error) {
	if s.byID {
		return s.headByID(ctx, room)
	}
	var d eventDoc
	err := s.db.Collection(colEvents).FindOne(ctx, bson.M{"room": room},
		options.FindOne().SetSort(bson.D{{Key: "seq", Value: -1}}).SetProjection(bson.M{"seq": 1})).Decode(&d)
	if store.IsNoDocuments(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("live: head: %w", err)
	}
	return d.Seq, nil
}

// next returns the seq after the last one this process knows for a room.
func (s *MongoStore) next(ctx context.Context, room string) (int64, error) {
	s.mu.Lock()
	h, known := s.head[room]
	s.mu.Unlock()
	if !known {
		var err error
		if h, err = s.Head(ctx, room); err != nil {
			return 0, err
		}
	}
	return h + 1, nil
}

func (s *MongoStore) stored(room string, seq int64) {
	s.mu.Lock()
	if s.head[room] < seq {
		s.head[room] = seq
	}
	s.mu.Unlock()
}

// Append stores ev under the next free seq, in one insert.
func (s *MongoStore) Append(ctx context.Context, ev *Event) (*Event, error) {
	next, err := s.next(ctx, ev.Room)
	if err != nil {
		return nil, err
	}
	return s.appendFrom(ctx, ev, next)
}

func (s *MongoStore) appendFrom(ctx context.Context, ev *Event, next int64) (*Event, error) {
	stored := *ev
	for tries := 0; ; tries++ {
		stored.Seq = next
		_, err := s.db.Collection(colEvents).InsertOne(ctx, eventDoc{ID: seqID(ev.Room, next), Event: stored})
		if err == nil {
			break
		}
		if !store.IsDuplicateKey(err) || tries > 1000 {
			return nil, fmt.Errorf("live: append: %w", err)
		}
		taken, dup, err := s.whyDuplicate(ctx, ev, next)
		if err != nil {
			return nil, err
		}
		if dup != nil {
			return dup, ErrDuplicate
		}
		if taken {
			s.stored(ev.Room, next)
		}
		next++
		if tries%4 == 3 { // far behind another server: jump to the head
			if h, herr := s.Head(ctx, ev.Room); herr == nil && h >= next {
				next = h + 1
			}
		}
	}
	s.stored(ev.Room, next)
	return &stored, nil
}

// whyDuplicate tells the two refusals of an event insert apart (FerretDB
// does not name the index): the seq was taken by another event, or the
// key was stored before (dup is then that event).
func (s *MongoStore) whyDuplicate(ctx context.Context, ev *Event, seq int64) (taken bool, dup *Event, err error) {
	var d eventDoc
	err = s.db.Collection(colEvents).FindOne(ctx, bson.M{"_id": seqID(ev.Room, seq)}).Decode(&d)
	switch {
	case err == nil && d.Key != ev.Key:
		return true, nil, nil
	case err == nil:
		return true, &d.Event, nil
	case !store.IsNoDocuments(err):
		return false, nil, fmt.Errorf("live: append: %w", err)
	}
	err = s.db.Collection(colEvents).FindOne(ctx, bson.M{"room": ev.Room, "key": ev.Key}).Decode(&d)
	if err != nil {
		// Neither the seq nor the key: a key stored under the old scheme.
		return false, s.oldKey(ctx, ev), nil
	}
	return false, &d.Event, nil
}

// oldKey finds a key recorded by the two-document scheme of earlier
// versions; it always answers a duplicate.
func (s *MongoStore) oldKey(ctx context.Context, ev *Event) *Event {
	var k keyDoc
	_ = s.db.Collection(colKeys).FindOne(ctx, bson.M{"_id": ev.Room + "/" + ev.Key}).Decode(&k)
	return &Event{Room: ev.Room, Seq: k.Seq}
}

// AppendMany stores several events of one room under consecutive seqs,
// in one ordered insert when nothing is in the way, so a burst of commands
// costs the database one write. The result has, per event, the stored
// event and ErrDuplicate (key stored before), another error, or nil.
func (s *MongoStore) AppendMany(ctx context.Context, evs []*Event) ([]*Event, []error) {
	out, errs := make([]*Event, len(evs)), make([]error, len(evs))
	if len(evs) == 0 {
		return out, errs
	}
	room := evs[0].Room
	next, err := s.next(ctx, room)
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return out, errs
	}
	docs := make([]any, len(evs))
	for i, ev := range evs {
		e := *ev
		e.Seq = next + int64(i)
		out[i] = &e
		docs[i] = eventDoc{ID: seqID(room, e.Seq), Event: e}
	}
	_, err = s.db.Collection(colEvents).InsertMany(ctx, docs) // ordered: stops at the first refusal
	if err == nil {
		s.stored(room, next+int64(len(evs))-1)
		return out, errs
	}
	failed := 0
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && len(bwe.WriteErrors) > 0 {
		failed = bwe.WriteErrors[0].Index
	}
	if failed > 0 {
		s.stored(room, next+int64(failed)-1)
	}
	// The rest one by one: each finds its own seq or its earlier copy.
	for i := failed; i < len(evs); i++ {
		out[i], errs[i] = s.Append(ctx, evs[i])
	}
	return out, errs
}

// Since returns the events after a seq, in order.
func (s *MongoStore) Since(ctx context.Context, room string, after int64) ([]*Event, error) {
	if s.byID {
		head, err := s.headByID(ctx, room)
		if err != nil {
			return nil, err
		}
		out, err := s.rangeByID(ctx, room, after+1, head)
		if err != nil {
			return nil, err
		}
		// And whatever was stored since the head was found.
		for seq := max(after, head) + 1; ; seq++ {
			ev, err := s.eventByID(ctx, room, seq)
			if err != nil || ev == nil {
				return out, err
			}
			out = append(out, ev)
		}
	}
	return s.find(ctx, bson.M{"room": room, "seq": bson.M{"$gt": after}})
}

// Range returns the events between two seqs, inclusive, by _id.
func (s *MongoStore) Range(ctx context.Context, room string, from, to int64) ([]*Event, error) {
	if to < from {
		return nil, nil
	}
	if s.byID {
		// Nothing is stored past the head: a range asked for beyond it
		// (a bogus seq from the bus) costs no lookups or memory.
		head, err := s.headByID(ctx, room)
		if err != nil {
			return nil, err
		}
		return s.rangeByID(ctx, room, from, min(to, head))
	}
	if to-from > 1000 {
		return s.find(ctx, bson.M{"room": room, "seq": bson.M{"$gte": from, "$lte": to}})
	}
	ids := make([]string, 0, to-from+1)
	for q := from; q <= to; q++ {
		ids = append(ids, seqID(room, q))
	}
	return s.find(ctx, bson.M{"_id": bson.M{"$in": ids}})
}

// rangeByID reads the events from one seq to another by _id, four
// lookups at a time (the embedded database answers reads in parallel),
// leaving out seqs not stored.
func (s *MongoStore) rangeByID(ctx context.Context, room string, from, to int64) ([]*Event, error) {
	if to < from {
		return nil, nil
	}
	got := make([]*Event, to-from+1)
	var next atomic.Int64
	next.Store(from - 1)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for firstErr.Load() == nil {
				seq := next.Add(1)
				if seq > to {
					return
				}
				ev, err := s.eventByID(ctx, room, seq)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				got[seq-from] = ev
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return nil, err
	}
	out := got[:0]
	for _, ev := range got {
		if ev != nil {
			out = append(out, ev)
		}
	}
	return out, nil
}

// eventByID returns one stored event, or nil when the seq is not stored.
func (s *MongoStore) eventByID(ctx context.Context, room string, seq int64) (*Event, error) {
	var d eventDoc
	err := s.db.Collection(colEvents).FindOne(ctx, bson.M{"_id": seqID(room, seq)}).Decode(&d)
	if store.IsNoDocuments(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("live: events: %w", err)
	}
	return &d.Event, nil
}

// headByID finds a room's highest stored seq with lookups by _id
// (store.LastNumber: a room's seqs have no gaps).
func (s *MongoStore) headByID(ctx context.Context, room string) (int64, error) {
	stored := func(seq int64) (bool, error) {
		err := s.db.Collection(colEvents).FindOne(ctx, bson.M{"_id": seqID(room, seq)},
			options.FindOne().SetProjection(bson.M{"_id": 1})).Err()
		if store.IsNoDocuments(err) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("live: head: %w", err)
		}
		return true, nil
	}
	return store.LastNumber(0, stored)
}

func (s *MongoStore) find(ctx context.Context, filter bson.M) ([]*Event, error) {
	cur, err := s.db.Collection(colEvents).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("live: events: %w", err)
	}
	var docs []eventDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("live: events: %w", err)
	}
	out := make([]*Event, len(docs))
	for i := range docs {
		out[i] = &docs[i].Event
	}
	return out, nil
}

// MemberEvents returns what a member did in any room (privacy export).
func (s *MongoStore) MemberEvents(ctx context.Context, memberID string) ([]*Event, error) {
	return s.find(ctx, bson.M{"actor.id": memberID})
}

// EraseMember pseudonymises a member's room history (privacy erasure):
// their name, organisation, ID, idempotency keys and what they wrote or
// voted are removed; the events keep their seqs so rooms replay in order.
func (s *MongoStore) EraseMember(ctx context.Context, memberID string) error {
	evs, err := s.MemberEvents(ctx, memberID)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		// A shared-notes edit keeps its text: everyone's later edits were
		// made against it, so removing it would scramble the document;
		// only its author is pseudonymised.
		data := []byte("{}")
		if ev.Type == "notes.op" {
			data = ev.Data
		}
		_, err := s.db.Collection(colEvents).UpdateOne(ctx, bson.M{"_id": seqID(ev.Room, ev.Seq)}, bson.M{"$set": bson.M{
			"actor": Person{ID: "erased", Role: ev.Actor.Role}, "key": fmt.Sprintf("erased/%d", ev.Seq), "data": data, "erased_at": time.Now().UTC()}})
		if err != nil {
			return fmt.Errorf("live: erase member: %w", err)
		}
	}
	if err := s.eraseFromBreakouts(ctx, memberID); err != nil {
		return err
	}
	// Key documents are named room/member/key.
	if _, err := s.db.Collection(colKeys).DeleteMany(ctx, bson.M{"_id": bson.M{"$regex": "/" + regexp.QuoteMeta(memberID) + "/"}}); err != nil {
		return fmt.Errorf("live: erase member keys: %w", err)
	}
	return nil
}

// PrivacySources declares what the engine stores about a member.
func (s *MongoStore) PrivacySources() []privacy.Source {
	return []privacy.Source{{Name: "workshop_room_activity", Collections: []string{colEvents, colKeys}, Order: 50,
		Export: func(ctx context.Context, id string) (any, error) {
			evs, err := s.MemberEvents(ctx, id)
			if err != nil {
				return nil, err
			}
			type item struct {
				Room string          `json:"workshop"`
				Seq  int64           `json:"seq"`
				Type string          `json:"type"`
				Data json.RawMessage `json:"data"`
				At   time.Time       `json:"at"`
			}
			out := make([]item, 0, len(evs))
			for _, e := range evs {
				d := json.RawMessage(e.Data)
				if !json.Valid(d) {
					d = json.RawMessage("{}")
				}
				out = append(out, item{Room: e.Room, Seq: e.Seq, Type: e.Type, Data: d, At: e.At})
			}
			return out, nil
		},
		Erase: s.EraseMember}}
}

// eraseFromBreakouts pseudonymises a member in the breakout assignments
// others sent (their name is stored in the event). The pseudonym is the
// same in all of a room's events, so the groups still add up on replay.
func (s *MongoStore) eraseFromBreakouts(ctx context.Context, memberID string) error {
	evs, err := s.find(ctx, bson.M{"type": bson.M{"$in": []string{"breakout.start", "breakout.move"}}})
	if err != nil {
		return err
	}
	for _, ev := range evs {
		sum := sha256.Sum256([]byte(ev.Room + "/" + memberID))
		anon := Person{ID: "erased-" + hex.EncodeToString(sum[:6]), Role: RoleParticipant}
		var data []byte
		switch ev.Type {
		case "breakout.start":
			var d breakoutStartData
			if json.Unmarshal(ev.Data, &d) != nil {
				continue
			}
			found := false
			for gi := range d.Groups {
				for mi, p := range d.Groups[gi].Members {
					if p.ID == memberID {
						d.Groups[gi].Members[mi], found = anon, true
					}
				}
			}
			if found {
				data = mustJSON(d)
			}
		case "breakout.move":
			var d breakoutMoveData
			if json.Unmarshal(ev.Data, &d) == nil && d.Member == memberID {
				d.Member, d.Person = anon.ID, anon
				data = mustJSON(d)
			}
		}
		if data == nil {
			continue
		}
		if _, err := s.db.Collection(colEvents).UpdateOne(ctx, bson.M{"_id": seqID(ev.Room, ev.Seq)}, bson.M{"$set": bson.M{"data": data}}); err != nil {
			return fmt.Errorf("live: erase member from breakouts: %w", err)
		}
	}
	return nil
}
