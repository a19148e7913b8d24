package workshops

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// Attendance records that a member was in a workshop's room; _id is
// workshop/member, so a member who reconnects ten times counts once.
type Attendance struct {
	ID         string    `bson:"_id" json:"-"`
	WorkshopID string    `bson:"workshop_id" json:"workshop"`
	MemberID   string    `bson:"member_id" json:"-"`
	FirstAt    time.Time `bson:"first_at" json:"first_at"`
	LastAt     time.Time `bson:"last_at" json:"last_at"`
}

// RecordAttendance notes that a member entered the room: one upsert, the
// first entry time kept.
func (s *Store) RecordAttendance(ctx context.Context, workshopID, memberID string) error {
	now := s.now()
	_, err := s.col(colAttendance).UpdateOne(ctx, bson.M{"_id": regID(workshopID, memberID)}, bson.M{
		"$set":         bson.M{"last_at": now},
		"$setOnInsert": bson.M{"workshop_id": workshopID, "member_id": memberID, "first_at": now},
	}, options.Update().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("workshops: attendance: %w", err)
	}
	return nil
}

// Attendees returns who was in a workshop's room, in order of arrival.
func (s *Store) Attendees(ctx context.Context, workshopID string) ([]*Attendance, error) {
	cur, err := s.col(colAttendance).Find(ctx, bson.M{"workshop_id": workshopID}, options.Find().SetSort(bson.D{{Key: "first_at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("workshops: attendees: %w", err)
	}
	var out []*Attendance
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("workshops: attendees: %w", err)
	}
	return out, nil
}

// SetShowName records a registered member's consent (or its withdrawal)
// to be named in the workshop's outcome.
func (s *Store) SetShowName(ctx context.Context, workshopID, memberID string, on bool) error {
	res, err := s.col(colRegistrations).UpdateOne(ctx, bson.M{"_id": regID(workshopID, memberID)},
		bson.M{"$set": bson.M{"show_name": on, "updated_at": s.now()}})
	if err != nil {
		return fmt.Errorf("workshops: consent: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// NamedMembers returns the members of a workshop who consented to be named.
func (s *Store) NamedMembers(ctx context.Context, workshopID string) (map[string]bool, error) {
	cur, err := s.col(colRegistrations).Find(ctx, bson.M{"workshop_id": workshopID, "show_name": true})
	if err != nil {
		return nil, fmt.Errorf("workshops: consent: %w", err)
	}
	var rs []*Registration
	if err := cur.All(ctx, &rs); err != nil {
		return nil, fmt.Errorf("workshops: consent: %w", err)
	}
	out := map[string]bool{}
	for _, r := range rs {
		out[r.MemberID] = true
	}
	return out, nil
}
