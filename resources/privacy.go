package resources

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/privacy"
	"github.com/circularfairict/portal/store"
)

// PrivacySources declares what the library stores about a member.
//
// Shared resources are community content: they stay when their owner leaves,
// and keep the owner's ID (also as version uploader or withdrawer), which
// the pseudonymised member record then names "former member". Marks,
// bookmarks and reports are the member's own: exported, then deleted.
func (s *Service) PrivacySources() []privacy.Source {
	return []privacy.Source{
		{Name: "library_resources", Collections: []string{colResources},
			Export: func(ctx context.Context, id string) (any, error) {
				type versionOut struct {
					N        int    `json:"n"`
					Filename string `json:"filename"`
					SHA256   string `json:"sha256"`
					Note     string `json:"note,omitempty"`
					Created  string `json:"created_at"`
				}
				type resourceOut struct {
					ID       string       `json:"id"`
					Title    string       `json:"title"`
					Owner    bool         `json:"owner"`
					Versions []versionOut `json:"versions_you_uploaded"`
				}
				cur, err := s.col(colResources).Find(ctx, bson.M{"$or": bson.A{bson.M{"owner_id": id}, bson.M{"versions.uploader": id}}},
					options.Find().SetProjection(listProjection))
				if err != nil {
					return nil, fmt.Errorf("resources: export: %w", err)
				}
				var rs []Resource
				if err := cur.All(ctx, &rs); err != nil {
					return nil, fmt.Errorf("resources: export: %w", err)
				}
				out := []resourceOut{}
				for _, r := range rs {
					o := resourceOut{ID: r.ID, Title: r.Title, Owner: r.OwnerID == id, Versions: []versionOut{}}
					for _, v := range r.Versions {
						if v.Uploader == id {
							o.Versions = append(o.Versions, versionOut{v.N, v.Filename, v.SHA256(), v.Note, v.CreatedAt.Format("2006-01-02T15:04:05Z")})
						}
					}
					out = append(out, o)
				}
				return out, nil
			}},
		{Name: "library_used_in_tenders", Collections: []string{colMarks},
			Export: func(ctx context.Context, id string) (any, error) {
				out := []Mark{}
				return out, s.findAll(ctx, colMarks, id, &out)
			},
			Erase: func(ctx context.Context, id string) error {
				var ms []Mark
				if err := s.findAll(ctx, colMarks, id, &ms); err != nil {
					return err
				}
				for _, m := range ms {
					// Delete first, then count down: a retry after a crash
					// in between does not count down twice.
					res, err := s.col(colMarks).DeleteOne(ctx, bson.M{"_id": m.ID})
					if err != nil {
						return fmt.Errorf("resources: erase mark: %w", err)
					}
					if res.DeletedCount == 1 {
						if _, err := s.col(colResources).UpdateOne(ctx, bson.M{"_id": m.ResourceID}, bson.M{"$inc": bson.M{"used_count": -1}}); err != nil {
							return fmt.Errorf("resources: erase mark: %w", err)
						}
					}
					// Off the list after the mark: a list naming a member
					// without a mark is harmless, a mark off it invisible.
					if err := store.SetListed(ctx, s.col(colMarkLists), m.ResourceID, id, false); err != nil {
						return fmt.Errorf("resources: erase mark: %w", err)
					}
				}
				return nil
			}},
		{Name: "library_bookmarks", Collections: []string{colBookmarks},
			Export: func(ctx context.Context, id string) (any, error) {
				out := []Bookmark{}
				return out, s.findAll(ctx, colBookmarks, id, &out)
			},
			Erase: func(ctx context.Context, id string) error {
				_, err := s.col(colBookmarks).DeleteMany(ctx, bson.M{"member_id": id})
				return err
			}},
		{Name: "library_reports", Collections: []string{colReports},
			Export: func(ctx context.Context, id string) (any, error) {
				out := []Report{}
				return out, s.findAll(ctx, colReports, id, &out)
			},
			Erase: func(ctx context.Context, id string) error {
				_, err := s.col(colReports).DeleteMany(ctx, bson.M{"member_id": id})
				return err
			}},
	}
}

func (s *Service) findAll(ctx context.Context, col, member string, out any) error {
	cur, err := s.col(col).Find(ctx, bson.M{"member_id": member})
	if err != nil {
		return fmt.Errorf("resources: %s: %w", col, err)
	}
	if err := cur.All(ctx, out); err != nil {
		return fmt.Errorf("resources: %s: %w", col, err)
	}
	return nil
}
