package workshops

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/privacy"
)

// PrivacySources declares what this package stores about a member:
// registrations, the calendar feed, and the workshops they facilitate.
func (s *Store) PrivacySources() []privacy.Source {
	return []privacy.Source{
		{Name: "workshop_registrations", Collections: []string{colRegistrations, colLists, colFeeds, colAttendance}, Order: 50,
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
				cur, err = s.col(colAttendance).Find(ctx, bson.M{"member_id": id})
				if err != nil {
					return nil, fmt.Errorf("workshops: export: %w", err)
				}
				att := []*Attendance{}
				if err := cur.All(ctx, &att); err != nil {
					return nil, fmt.Errorf("workshops: export: %w", err)
				}
				return map[string]any{"registrations": out, "calendar_feed": feed, "attendance": att}, nil
			},
			Erase: func(ctx context.Context, id string) error {
				if _, err := s.DeleteMemberRegistrations(ctx, id); err != nil {
					return err
				}
				if _, err := s.col(colAttendance).DeleteMany(ctx, bson.M{"member_id": id}); err != nil {
					return fmt.Errorf("workshops: erase attendance: %w", err)
				}
				return nil
			}},
		// Outcome drafts name consenting attendees and who last edited them.
		{Name: "workshop_outcomes", Collections: []string{colOutcomes}, Order: 50,
			Export: func(ctx context.Context, id string) (any, error) {
				cur, err := s.col(colOutcomes).Find(ctx, bson.M{"$or": bson.A{bson.M{"updated_by": id}, bson.M{"named.id": id}}},
					options.Find().SetProjection(bson.M{"_id": 1, "resource_id": 1, "updated_at": 1}))
				if err != nil {
					return nil, fmt.Errorf("workshops: export: %w", err)
				}
				var ds []*OutcomeDraft
				if err := cur.All(ctx, &ds); err != nil {
					return nil, fmt.Errorf("workshops: export: %w", err)
				}
				out := []map[string]any{}
				for _, d := range ds {
					out = append(out, map[string]any{"workshop": d.WorkshopID, "published_resource": d.ResourceID, "updated_at": d.UpdatedAt})
				}
				return out, nil
			},
			// The draft stays with its workshop; the member's name leaves
			// its text and its attendance list.
			Erase: func(ctx context.Context, id string) error {
				cur, err := s.col(colOutcomes).Find(ctx, bson.M{"named.id": id})
				if err != nil {
					return fmt.Errorf("workshops: erase outcome: %w", err)
				}
				var ds []*OutcomeDraft
				if err := cur.All(ctx, &ds); err != nil {
					return fmt.Errorf("workshops: erase outcome: %w", err)
				}
				for _, d := range ds {
					d.decode()
					md, data := d.Markdown, d.DataJSON
					var keep []NamedRef
					for _, n := range d.Named {
						if n.ID != id {
							keep = append(keep, n)
							continue
						}
						md = strings.ReplaceAll(md, inline(n.Name), "")
						var names []string
						for _, x := range d.Data.Attendance.Named {
							if x != n.Name {
								names = append(names, x)
							}
						}
						d.Data.Attendance.Named = names
					}
					if b, err := json.Marshal(d.Data); err == nil {
						data = string(b)
					}
					if keep == nil {
						keep = []NamedRef{}
					}
					if _, err := s.col(colOutcomes).UpdateOne(ctx, bson.M{"_id": d.WorkshopID},
						bson.M{"$set": bson.M{"markdown": md, "data": data, "named": keep}}); err != nil {
						return fmt.Errorf("workshops: erase outcome: %w", err)
					}
				}
				if _, err := s.col(colOutcomes).UpdateMany(ctx, bson.M{"updated_by": id}, bson.M{"$unset": bson.M{"updated_by": ""}}); err != nil {
					return fmt.Errorf("workshops: erase outcome: %w", err)
				}
				return nil
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
