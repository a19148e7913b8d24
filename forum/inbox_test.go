package forum

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
)

// unreadByScan counts as the bell did before the inbox: the notifications
// themselves are the truth the inbox must agree with.
func unreadByScan(t *testing.T, s *Store, member string) int {
	t.Helper()
	n, err := s.col(colNotifications).CountDocuments(context.Background(), bson.M{"member_id": member, "read": false})
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestNotificationInboxAgreesWithNotifications(t *testing.T) {
	a, b, _ := twoServers(t)
	ctx := context.Background()
	// Two replicas notify the same members at once: no notification may
	// be lost from an inbox, whichever server wrote it.
	run(t, 12, a, b, func(i int, s *Store) error {
		return s.Notify(ctx,
			&Notification{MemberID: "m1", Kind: NoteReply, ThreadID: fmt.Sprintf("t%d", i%3), Title: "T", N: i + 2, ActorID: "actor"},
			&Notification{MemberID: "m2", Kind: NoteMention, ThreadID: "t0", Title: "T", N: i + 2, ActorID: fmt.Sprintf("x%d", i)})
	})
	check := func(member string, want int) {
		t.Helper()
		n, err := b.UnreadNotifications(ctx, member)
		if err != nil || n != want || n != unreadByScan(t, a, member) {
			t.Fatalf("%s: %d unread (%v), want %d, %d by scan", member, n, err, want, unreadByScan(t, a, member))
		}
	}
	check("m1", 12)
	check("m2", 12)
	check("nobody", 0)

	ns, err := a.Notifications(ctx, "m1", 5)
	if err != nil || len(ns) != 5 {
		t.Fatalf("%d notifications, %v", len(ns), err)
	}
	for i := 1; i < len(ns); i++ {
		if newestFirst(inboxEntry{ID: ns[i-1].ID, At: ns[i-1].CreatedAt}, inboxEntry{ID: ns[i].ID, At: ns[i].CreatedAt}) > 0 {
			t.Fatalf("notifications out of order: %v before %v", ns[i-1], ns[i])
		}
	}

	// Reading a thread marks only its notifications read.
	if err := b.MarkNotificationsRead(ctx, "m1", "t1"); err != nil {
		t.Fatal(err)
	}
	check("m1", 8)
	if err := a.MarkNotificationsRead(ctx, "m1", "t1"); err != nil {
		t.Fatal(err)
	}
	check("m1", 8)

	// An inbox that is missing (a database from before inboxes) is built
	// from the notifications.
	for _, col := range []string{colInbox, colBell} {
		if _, err := a.col(col).DeleteMany(ctx, bson.M{}); err != nil {
			t.Fatal(err)
		}
	}
	check("m1", 8)
	// A bell that is missing (an inbox from before bells) is written from
	// the inbox; one that disagrees with it (a server stopped between the
	// two writes) is mended by the notifications page.
	if _, err := a.col(colBell).DeleteMany(ctx, bson.M{}); err != nil {
		t.Fatal(err)
	}
	check("m1", 8)
	if _, err := a.col(colBell).UpdateOne(ctx, bson.M{"_id": "m1"}, bson.M{"$set": bson.M{"unread": 99}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.NotificationsPage(ctx, "m1", 1, 25); err != nil {
		t.Fatal(err)
	}
	check("m1", 8)
	if err := a.MarkNotificationsRead(ctx, "m1", ""); err != nil {
		t.Fatal(err)
	}
	check("m1", 0)
	if ns, err := a.Notifications(ctx, "m1", 100); err != nil || len(ns) != 12 || ns[0].Read == false {
		t.Fatalf("%d notifications after mark all read, %v", len(ns), err)
	}

	// Erasing a member who caused notifications takes them out of the
	// other members' inboxes too.
	check("m2", 12)
	for _, src := range a.PrivacySources() {
		if src.Name == "discussion_notifications" {
			if err := src.Erase(ctx, "x3"); err != nil {
				t.Fatal(err)
			}
		}
	}
	check("m2", 11)
	if ns, err := b.Notifications(ctx, "m2", 100); err != nil || len(ns) != 11 {
		t.Fatalf("%d notifications after erasure, %v", len(ns), err)
	}
}
