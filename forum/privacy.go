package forum

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/privacy"
)

// PrivacySources declares what the discussions store about a member.
// Threads and posts are kept after an account is deleted (the conversation
// would lose its sense otherwise) and show "Former member" as author, since
// they hold only the member's ID; everything else is deleted.
func (s *Store) PrivacySources() []privacy.Source {
	del := func(col, field string) func(context.Context, string) error {
		return func(ctx context.Context, id string) error {
			if _, err := s.col(col).DeleteMany(ctx, bson.M{field: id}); err != nil {
				return fmt.Errorf("forum: erase %s: %w", col, err)
			}
			return nil
		}
	}
	export := func(col, field string, proj bson.M) func(context.Context, string) (any, error) {
		return func(ctx context.Context, id string) (any, error) {
			out := []bson.M{}
			return out, s.findAll(ctx, col, bson.M{field: id}, options.Find().SetProjection(proj), &out)
		}
	}
	return []privacy.Source{
		{Name: "discussion_threads", Collections: []string{colThreads},
			Export: export(colThreads, "author_id", nil)},
		{Name: "discussion_posts", Collections: []string{colPosts},
			Export: export(colPosts, "author_id", bson.M{"html": 0}),
			// Reactions and mentions name the member by ID only; reactions
			// are personal choices, so they go.
			// One post at a time under its lock, as React writes them.
			Erase: func(ctx context.Context, id string) error {
				for _, r := range Reactions {
					var ps []*Post
					if err := s.findAll(ctx, colPosts, bson.M{"reactions." + r: id}, options.Find().SetProjection(bson.M{"_id": 1}), &ps); err != nil {
						return err
					}
					for _, p := range ps {
						if err := s.locked(ctx, "post/"+p.ID, func(ctx context.Context) error {
							_, err := s.col(colPosts).UpdateOne(ctx, bson.M{"_id": p.ID}, bson.M{"$pull": bson.M{"reactions." + r: id}})
							return err
						}); err != nil {
							return fmt.Errorf("forum: erase reactions: %w", err)
						}
					}
				}
				return nil
			}},
		{Name: "discussion_subscriptions", Collections: []string{colSubs},
			Export: export(colSubs, "member_id", bson.M{"_id": 0, "target_id": 1, "level": 1}),
			// The member's document copies the levels: it goes too, so
			// that no rebuild brings back what was erased.
			Erase: func(ctx context.Context, id string) error {
				if err := del(colSubs, "member_id")(ctx, id); err != nil {
					return err
				}
				return s.dropMemberState(ctx, id)
			}},
		{Name: "discussion_notifications", Collections: []string{colNotifications, colInbox, colBell},
			Export: export(colNotifications, "member_id", nil),
			// The inboxes name notifications: those of members who had one
			// from the erased member are dropped, rebuilt when next read.
			Erase: func(ctx context.Context, id string) error {
				var others []Notification
				if err := s.findAll(ctx, colNotifications, bson.M{"actor_id": id}, options.Find().SetProjection(bson.M{"member_id": 1}), &others); err != nil {
					return err
				}
				if err := del(colNotifications, "member_id")(ctx, id); err != nil {
					return err
				}
				if err := del(colNotifications, "actor_id")(ctx, id); err != nil {
					return err
				}
				members := []string{id}
				for _, n := range others {
					if !slices.Contains(members, n.MemberID) {
						members = append(members, n.MemberID)
					}
				}
				return s.dropInboxes(ctx, members)
			}},
		// Read state lives in the member's document (built once from
		// forum_reads, which older servers wrote).
		{Name: "discussion_read_state", Collections: []string{colReads, colMemberState},
			Export: func(ctx context.Context, id string) (any, error) {
				ms, err := s.memberState(ctx, id)
				if err != nil {
					return nil, err
				}
				out := []bson.M{}
				for t, r := range ms.Reads {
					out = append(out, bson.M{"thread_id": t, "last_n": r.N, "at": r.At})
				}
				slices.SortFunc(out, func(a, b bson.M) int { return strings.Compare(a["thread_id"].(string), b["thread_id"].(string)) })
				return out, nil
			},
			Erase: func(ctx context.Context, id string) error {
				if err := del(colReads, "member_id")(ctx, id); err != nil {
					return err
				}
				return s.dropMemberState(ctx, id)
			}},
		{Name: "discussion_preferences", Collections: []string{colPrefs},
			Export: export(colPrefs, "_id", nil), Erase: del(colPrefs, "_id")},
		{Name: "discussion_flags", Collections: []string{colFlags},
			Export: export(colFlags, "member_id", nil), Erase: del(colFlags, "member_id")},
	}
}
