package forum

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// colMemberState holds one document per member (_id: the member's ID)
// with how far they read each thread and the levels they set. The
// discussions index and the member's home need all of a member's reads
// and levels on every view; on the embedded database a filter on member_id
// reads and decodes every read and subscription of every member, and one
// lookup by _id is answered from an index.
const colMemberState = "forum_member_state"

// readMark is how far a member read one thread.
type readMark struct {
	N  int       `bson:"n"`
	At time.Time `bson:"at"`
}

// memberState is a member's reads and levels. Every write holds the lock
// "member/<id>" (a claim, so it holds across servers): FerretDB writes the
// whole document from its read, so two unlocked writes could undo each
// other. A missing document (a database from before it, or one dropped by
// erasure) is built from forum_reads and forum_subscriptions.
type memberState struct {
	ID     string              `bson:"_id"`
	Reads  map[string]readMark `bson:"reads"`
	Levels map[string]string   `bson:"levels"`
}

// memberState reads a member's document, building it when there is none.
func (s *Store) memberState(ctx context.Context, memberID string) (*memberState, error) {
	ms, err := s.findMemberState(ctx, memberID)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return ms, err
	}
	err = s.locked(ctx, "member/"+memberID, func(ctx context.Context) error {
		ms, err = s.memberStateLocked(ctx, memberID)
		return err
	})
	return ms, err
}

func (s *Store) findMemberState(ctx context.Context, memberID string) (*memberState, error) {
	var ms memberState
	if err := s.findOne(ctx, colMemberState, bson.M{"_id": memberID}, &ms); err != nil {
		return nil, err
	}
	if ms.Reads == nil {
		ms.Reads = map[string]readMark{}
	}
	if ms.Levels == nil {
		ms.Levels = map[string]string{}
	}
	return &ms, nil
}

// memberStateLocked reads or builds a member's document; the caller holds
// its lock. Building is the one read by member_id, once per member.
func (s *Store) memberStateLocked(ctx context.Context, memberID string) (*memberState, error) {
	ms, err := s.findMemberState(ctx, memberID)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return ms, err
	}
	ms = &memberState{ID: memberID, Reads: map[string]readMark{}, Levels: map[string]string{}}
	var rs []Read
	if err := s.findAll(ctx, colReads, bson.M{"member_id": memberID}, options.Find().SetProjection(bson.M{"thread_id": 1, "last_n": 1, "at": 1}), &rs); err != nil {
		return nil, err
	}
	for _, r := range rs {
		ms.Reads[r.ThreadID] = readMark{N: r.LastN, At: r.At}
	}
	var subs []Subscription
	if err := s.findAll(ctx, colSubs, bson.M{"member_id": memberID}, nil, &subs); err != nil {
		return nil, err
	}
	for _, sub := range subs {
		ms.Levels[sub.TargetID] = sub.Level
	}
	return ms, s.saveMemberState(ctx, ms)
}

// saveMemberState writes a member's document; the caller holds its lock.
func (s *Store) saveMemberState(ctx context.Context, ms *memberState) error {
	if _, err := s.col(colMemberState).ReplaceOne(ctx, bson.M{"_id": ms.ID}, ms, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("forum: member state: %w", err)
	}
	return nil
}

// updateMemberState applies f to a member's document under its lock and
// writes it when f reports a change.
func (s *Store) updateMemberState(ctx context.Context, memberID string, f func(*memberState) bool) error {
	return s.locked(ctx, "member/"+memberID, func(ctx context.Context) error {
		ms, err := s.memberStateLocked(ctx, memberID)
		if err != nil {
			return err
		}
		if !f(ms) {
			return nil
		}
		return s.saveMemberState(ctx, ms)
	})
}

// dropMemberState deletes a member's document (erasure), under its lock.
func (s *Store) dropMemberState(ctx context.Context, memberID string) error {
	return s.locked(ctx, "member/"+memberID, func(ctx context.Context) error {
		if _, err := s.col(colMemberState).DeleteOne(ctx, bson.M{"_id": memberID}); err != nil {
			return fmt.Errorf("forum: drop member state: %w", err)
		}
		return nil
	})
}
