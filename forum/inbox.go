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

// colBell holds one small document per member (_id: the member's ID) with
// the number of unread notifications the member's inbox names: the bell on
// every page reads it by _id. The inbox names up to every unread
// notification, and the embedded database decodes a whole document to
// answer any find, so a busy member's inbox (26 KB at community scale)
// cost about 6 ms on every page they opened; the bell costs under one.
// Every inbox write (under the inbox's lock) writes the bell after it.
const colBell = "forum_bell"

// bell is a member's count of unread notifications.
type bell struct {
	ID     string `bson:"_id"`
	Unread int    `bson:"unread"`
}

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
	return s.saveBell(ctx, in)
}

// saveBell writes the count of an inbox's unread notifications; the
// caller holds the inbox's lock.
func (s *Store) saveBell(ctx context.Context, in *inbox) error {
	if _, err := s.col(colBell).ReplaceOne(ctx, bson.M{"_id": in.ID}, bell{ID: in.ID, Unread: len(in.Unread)}, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("forum: bell: %w", err)
	}
	return nil
}

// loadBell reads a member's count of unread notifications. A missing bell
// (a member whose inbox was written before bells, or dropped by erasure)
// is written from the inbox, under the inbox's lock so that no inbox write
// in between is undone.
func (s *Store) loadBell(ctx context.Context, memberID string) (int, error) {
	var b bell
	err := s.findOne(ctx, colBell, bson.M{"_id": memberID}, &b)
	if err == nil {
		return b.Unread, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return 0, err
	}
	return s.rewriteBell(ctx, memberID)
}

// rewriteBell writes a member's bell from their inbox as it is under the
// inbox's lock, and returns its count.
func (s *Store) rewriteBell(ctx context.Context, memberID string) (int, error) {
	n := 0
	err := s.locked(ctx, "inbox/"+memberID, func(ctx context.Context) error {
		in, err := s.inboxLocked(ctx, memberID)
		if err != nil {
			return err
		}
		n = len(in.Unread)
		return s.saveBell(ctx, in)
	})
	return n, err
}

// mendBell rewrites a member's bell when it disagrees with the inbox just
// read (a server stopped between writing the inbox and its bell): the
// notifications page, where a member goes when the bell looks wrong,
// reads both.
func (s *Store) mendBell(ctx context.Context, in *inbox) error {
	var b bell
	if err := s.findOne(ctx, colBell, bson.M{"_id": in.ID}, &b); err == nil && b.Unread == len(in.Unread) {
		return nil
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	_, err := s.rewriteBell(ctx, in.ID)
	return err
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

// dropInboxes deletes the inboxes of members and their bells, to be
// rebuilt from their notifications when next read (after an erasure
// removed some of them). The bell goes first: a stop in between leaves an
// inbox without a bell, which the next page rebuilds, never a bell that
// counts an inbox no longer there.
func (s *Store) dropInboxes(ctx context.Context, memberIDs []string) error {
	for _, m := range memberIDs {
		if err := s.locked(ctx, "inbox/"+m, func(ctx context.Context) error {
			if _, err := s.col(colBell).DeleteOne(ctx, bson.M{"_id": m}); err != nil {
				return err
			}
			_, err := s.col(colInbox).DeleteOne(ctx, bson.M{"_id": m})
			return err
		}); err != nil {
			return fmt.Errorf("forum: drop inbox: %w", err)
		}
	}
	return nil
}
