package forum

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// colInbox holds one document per member (_id: the member's ID) that
// summarises their notifications: the unread ones and the latest ones.
// The bell on every page and the notifications page read it by _id: the
// embedded database answers from an index only a filter that is exactly
// {_id: value}, so counting or listing by member_id read and decoded every
// notification of every member on every page a member opened.
const colInbox = "forum_inbox"

// inboxLatest is how many of a member's latest notifications the inbox
// names; Notifications reads larger pages from the collection itself.
const inboxLatest = 100

// inboxEntry names one notification in an inbox.
type inboxEntry struct {
	ID       string    `bson:"id"`
	ThreadID string    `bson:"thread_id"`
	At       time.Time `bson:"at"`
}

// inbox is a member's summary of their notifications, newest first. It is
// derived data: every write holds the lock "inbox/<member>" (a claim, so it
// holds across servers), and a missing inbox (a member who never had one,
// or one dropped by erasure) is rebuilt from the notifications.
type inbox struct {
	ID     string       `bson:"_id"`
	Unread []inboxEntry `bson:"unread"`
	Latest []inboxEntry `bson:"latest"`
}

// newestFirst orders entries as Notifications always listed them.
func newestFirst(a, b inboxEntry) int {
	if c := b.At.Compare(a.At); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

// loadInbox reads a member's inbox, building it when there is none.
func (s *Store) loadInbox(ctx context.Context, memberID string) (*inbox, error) {
	var in inbox
	err := s.findOne(ctx, colInbox, bson.M{"_id": memberID}, &in)
	if err == nil {
		return &in, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	var out *inbox
	err = s.locked(ctx, "inbox/"+memberID, func(ctx context.Context) error {
		var err error
		out, err = s.inboxLocked(ctx, memberID)
		return err
	})
	return out, err
}

// inboxLocked reads or builds a member's inbox; the caller holds its lock.
// Building is the one read by member_id, once per member.
func (s *Store) inboxLocked(ctx context.Context, memberID string) (*inbox, error) {
	var in inbox
	err := s.findOne(ctx, colInbox, bson.M{"_id": memberID}, &in)
	if err == nil {
		return &in, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	var ns []Notification
	if err := s.findAll(ctx, colNotifications, bson.M{"member_id": memberID},
		options.Find().SetProjection(bson.M{"_id": 1, "thread_id": 1, "created_at": 1, "read": 1}), &ns); err != nil {
		return nil, err
	}
	in = inbox{ID: memberID, Unread: []inboxEntry{}, Latest: []inboxEntry{}}
	for _, n := range ns {
		e := inboxEntry{ID: n.ID, ThreadID: n.ThreadID, At: n.CreatedAt}
		in.Latest = append(in.Latest, e)
		if !n.Read {
			in.Unread = append(in.Unread, e)
		}
	}
	return &in, s.saveInbox(ctx, &in)
}

// saveInbox writes an inbox; the caller holds its lock.
func (s *Store) saveInbox(ctx context.Context, in *inbox) error {
	slices.SortFunc(in.Unread, newestFirst)
	slices.SortFunc(in.Latest, newestFirst)
	if len(in.Latest) > inboxLatest {
		in.Latest = in.Latest[:inboxLatest]
	}
	if _, err := s.col(colInbox).ReplaceOne(ctx, bson.M{"_id": in.ID}, in, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("forum: inbox: %w", err)
	}
	return nil
}

// addToInboxes names new notifications in their members' inboxes. Adding
// is idempotent: an inbox built after the notifications were inserted
// already names them.
func (s *Store) addToInboxes(ctx context.Context, ns []*Notification) error {
	byMember := map[string][]*Notification{}
	var members []string
	for _, n := range ns {
		if byMember[n.MemberID] == nil {
			members = append(members, n.MemberID)
		}
		byMember[n.MemberID] = append(byMember[n.MemberID], n)
	}
	for _, m := range members {
		if err := s.locked(ctx, "inbox/"+m, func(ctx context.Context) error {
			in, err := s.inboxLocked(ctx, m)
			if err != nil {
				return err
			}
			has := func(es []inboxEntry, id string) bool {
				return slices.ContainsFunc(es, func(e inboxEntry) bool { return e.ID == id })
			}
			for _, n := range byMember[m] {
				e := inboxEntry{ID: n.ID, ThreadID: n.ThreadID, At: n.CreatedAt}
				if !has(in.Latest, n.ID) {
					in.Latest = append(in.Latest, e)
				}
				if !n.Read && !has(in.Unread, n.ID) {
					in.Unread = append(in.Unread, e)
				}
			}
			return s.saveInbox(ctx, in)
		}); err != nil {
			return err
		}
	}
	return nil
}

// dropInboxes deletes the inboxes of members, to be rebuilt from their
// notifications when next read (after an erasure removed some of them).
func (s *Store) dropInboxes(ctx context.Context, memberIDs []string) error {
	for _, m := range memberIDs {
		if err := s.locked(ctx, "inbox/"+m, func(ctx context.Context) error {
			_, err := s.col(colInbox).DeleteOne(ctx, bson.M{"_id": m})
			return err
		}); err != nil {
			return fmt.Errorf("forum: drop inbox: %w", err)
		}
	}
	return nil
}
