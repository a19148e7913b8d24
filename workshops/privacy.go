package workshops

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/privacy"
)

// PrivacySources declares what this package stores about a member:
// registrations, the calendar feed, and the workshops they facilitate.
func (s *Store) PrivacySources() []privacy.Source {
	return []privacy.Source{
		{Name: "workshop_registrations", Collections: []string{colRegistrations, colFeeds}, Order: 50,
			Export: func(ctx context.Context, id string) (any, error) {
				cur, err := s.col(colRegistrations).Find(ctx, bson.M{"member_id": id})
				if err != nil {
					return nil, fmt.Errorf("workshops: export: %w", err)
				}
				out := []*Registration{}
				if err := cur.All(ctx, &out); err != nil {
					return nil, fmt.Errorf("workshops: export: %w", err)
				}
				feed, err := s.HasFeed(ctx, id)
				if err != nil {
					return nil, err
				}
				return map[string]any{"registrations": out, "calendar_feed": feed}, nil
			},
			Erase: func(ctx context.Context, id string) error {
				_, err := s.DeleteMemberRegistrations(ctx, id)
				return err
			}},
		{Name: "workshops_facilitated", Collections: []string{colWorkshops}, Order: 50,
			Export: func(ctx context.Context, id string) (any, error) {
				cur, err := s.col(colWorkshops).Find(ctx, bson.M{"facilitators": id})
				if err != nil {
					return nil, fmt.Errorf("workshops: export: %w", err)
				}
				out := []*Workshop{}
				if err := cur.All(ctx, &out); err != nil {
					return nil, fmt.Errorf("workshops: export: %w", err)
				}
				return out, nil
			},
			// The workshop stays (it belongs to its group); the member no
			// longer appears as its facilitator.
			Erase: func(ctx context.Context, id string) error {
				_, err := s.col(colWorkshops).UpdateMany(ctx, bson.M{"facilitators": id}, bson.M{"$pull": bson.M{"facilitators": id}})
				if err != nil {
					return fmt.Errorf("workshops: erase facilitator: %w", err)
				}
				return nil
			}},
	}
}
