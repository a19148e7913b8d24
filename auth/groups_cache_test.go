package auth

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/event"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

// groupsNamed returns the group with this slug from s.Groups.
func groupsNamed(t *testing.T, ctx context.Context, s *Store, slug string) *Group {
	t.Helper()
	gs, err := s.Groups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.Slug == slug {
			return g
		}
	}
	return nil
}

// countingStore returns a Store on the test database whose client counts
// the finds on the groups collection (each one a pass over it on the
// embedded database).
func countingStore(t *testing.T) (*Store, *mongo.Database, *atomic.Int32) {
	st := storetest.New(t)
	var finds atomic.Int32
	mon := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if e.CommandName == "find" {
			if c, ok := e.Command.Lookup("find").StringValueOK(); ok && c == colGroups {
				finds.Add(1)
			}
		}
	}}
	mc, err := store.Connect(context.Background(), st.URI, time.Minute, func(o *options.ClientOptions) { o.SetMonitor(mon) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mc.Disconnect(context.Background()) })
	db := mc.Database(st.DB.Name())
	return NewStore(db), db, &finds
}

// Two servers (two Stores on one database) each keep a copy of the groups:
// every change made through one is seen by the other's next read, at once,
// and a membership removed through one no longer counts on the other.
func TestGroupsCacheSeesOtherServersWrites(t *testing.T) {
	b, db, finds := countingStore(t)
	a := NewStore(db)
	ctx := context.Background()
	gid, err := a.PutGroup(ctx, Group{Slug: "closed", Name: "Closed", Visibility: VisibilityGroup, JoinPolicy: JoinOpen, Coordinators: []string{"c1"}})
	if err != nil {
		t.Fatal(err)
	}
	viewer := &Member{ID: "m1", Status: StatusApproved, Role: RoleMember}
	if g := groupsNamed(t, ctx, b, "closed"); g == nil || CanSeeGroup(viewer, g) {
		t.Fatalf("before joining: %+v", g)
	}
	// Read again with nothing changed: from the copy, not the collection.
	before := finds.Load()
	for range 3 {
		groupsNamed(t, ctx, b, "closed")
	}
	if n := finds.Load() - before; n != 0 {
		t.Fatalf("three reads with nothing changed read the groups %d times", n)
	}
	steps := []struct {
		name  string
		write func() error
		check func(g *Group) bool
	}{
		{"join", func() error { _, err := a.JoinGroup(ctx, gid, "m1"); return err },
			func(g *Group) bool { return CanSeeGroup(viewer, g) }},
		{"coordinator added", func() error { return a.AddCoordinator(ctx, gid, "m2") },
			func(g *Group) bool { return g.IsCoordinator("m2") }},
		{"coordinator removed", func() error { return a.RemoveCoordinator(ctx, gid, "m2") },
			func(g *Group) bool { return !g.IsCoordinator("m2") && g.HasMember("m2") }},
		{"renamed", func() error {
			_, err := a.UpdateGroup(ctx, gid, GroupInput{Slug: "closed", Name: "Renamed", Visibility: VisibilityGroup, JoinPolicy: JoinOpen})
			return err
		}, func(g *Group) bool { return g.Name == "Renamed" }},
		{"archived", func() error { return a.SetGroupArchived(ctx, gid, true) },
			func(g *Group) bool { return g.Archived }},
		{"restored", func() error { return a.SetGroupArchived(ctx, gid, false) },
			func(g *Group) bool { return !g.Archived }},
		{"left", func() error { return a.LeaveGroup(ctx, gid, "m1") },
			func(g *Group) bool { return !CanSeeGroup(viewer, g) }},
		{"joined again", func() error { _, err := a.JoinGroup(ctx, gid, "m1"); return err },
			func(g *Group) bool { return CanSeeGroup(viewer, g) }},
		{"removed by a coordinator", func() error { return a.RemoveGroupMember(ctx, gid, "m1") },
			func(g *Group) bool { return !CanSeeGroup(viewer, g) }},
		{"erased member", func() error {
			if _, err := a.JoinGroup(ctx, gid, "m1"); err != nil {
				return err
			}
			if !CanSeeGroup(viewer, groupsNamed(t, ctx, b, "closed")) {
				t.Error("erasure: the join before it is not seen")
			}
			return a.leaveAllGroups(ctx, "m1")
		}, func(g *Group) bool { return !g.HasMember("m1") }},
		{"replaced by a seed", func() error {
			_, err := a.PutGroup(ctx, Group{Slug: "closed", Name: "Seeded", Visibility: VisibilityGroup, JoinPolicy: JoinOpen,
				Coordinators: []string{"c1"}, Members: []string{"m1"}})
			return err
		}, func(g *Group) bool { return g.Name == "Seeded" && CanSeeGroup(viewer, g) }},
	}
	for _, st := range steps {
		if err := st.write(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if g := groupsNamed(t, ctx, b, "closed"); g == nil || !st.check(g) {
			t.Errorf("%s: the other server reads %+v", st.name, g)
		}
		// And under a request's memo, through GroupsOf as well.
		memo := WithGroupsMemo(ctx)
		mine, err := b.GroupsOf(memo, "m1")
		if err != nil {
			t.Fatal(err)
		}
		g := groupsNamed(t, memo, b, "closed")
		if in := len(mine) == 1; in != g.HasMember("m1") {
			t.Errorf("%s: under a memo GroupsOf says %v, Groups %v", st.name, in, g.HasMember("m1"))
		}
	}
	if _, err := a.CreateGroup(ctx, GroupInput{Slug: "new-group", Name: "New", Visibility: VisibilityMembers, JoinPolicy: JoinOpen}, "c1"); err != nil {
		t.Fatal(err)
	}
	if groupsNamed(t, ctx, b, "new-group") == nil {
		t.Error("a group created on the other server is not listed")
	}
}

// A change that does not move the stamp (an older replica, a stopped
// writer, an edit in the database) is served from the copy for at most
// StampMaxAge, then read.
func TestGroupsCacheStaleAtMostTheBound(t *testing.T) {
	s, db, _ := countingStore(t)
	ctx := context.Background()
	gid, err := s.PutGroup(ctx, Group{Slug: "g", Name: "G", Visibility: VisibilityGroup, JoinPolicy: JoinOpen, Coordinators: []string{"c1"}, Members: []string{"m1"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	s.groups.Now = func() time.Time { return now }
	if g := groupsNamed(t, ctx, s, "g"); !g.HasMember("m1") {
		t.Fatal("m1 not in the group")
	}
	if _, err := db.Collection(colGroups).UpdateOne(ctx, bson.M{"_id": gid}, bson.M{"$pull": bson.M{"members": "m1"}}); err != nil {
		t.Fatal(err)
	}
	for _, after := range []time.Duration{time.Second, 29 * time.Second, 30*time.Second - time.Millisecond} {
		now = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC).Add(after)
		if g := groupsNamed(t, ctx, s, "g"); !g.HasMember("m1") {
			t.Fatalf("%v after: the copy was read again before its bound (the test expects the copy)", after)
		}
	}
	now = time.Date(2026, 12, 6, 12, 0, 30, 0, time.UTC)
	if g := groupsNamed(t, ctx, s, "g"); g.HasMember("m1") {
		t.Fatal("30 s after: the stale copy is still served")
	}
	// A clock that goes back does not stretch a copy's life.
	if _, err := db.Collection(colGroups).UpdateOne(ctx, bson.M{"_id": gid}, bson.M{"$set": bson.M{"name": "Direct"}}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(-time.Hour)
	if g := groupsNamed(t, ctx, s, "g"); g.Name != "Direct" {
		t.Fatalf("after the clock went back: %q", g.Name)
	}
}

// What a caller is handed is its own: changing it (lists, maps, times)
// changes nothing the next caller reads, with or without a memo.
func TestGroupsCacheHandsOutCopies(t *testing.T) {
	s := NewStore(storetest.New(t).DB)
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := s.PutGroup(ctx, Group{Slug: "g", Name: "G", Visibility: VisibilityGroup, JoinPolicy: JoinOpen, Coordinators: []string{"c1"},
		Members: []string{"m1"}, Languages: []string{"en"}, Joined: map[string]time.Time{"m1": at}, Names: map[string]string{"fr": "Gé"},
		Descriptions: map[string]string{"fr": "D"}, Archived: true, ArchivedAt: &at}); err != nil {
		t.Fatal(err)
	}
	// The memo holds the cache's own value (StampCache.Shared): a change
	// made under it must not reach the plain read after it either.
	for _, c := range []context.Context{ctx, WithGroupsMemo(ctx), ctx} {
		g := groupsNamed(t, c, s, "g")
		g.Name = "x"
		g.Members[0], g.Coordinators[0], g.Languages[0] = "x", "x", "x"
		g.Joined["m1"], g.Names["fr"], g.Descriptions["fr"] = time.Time{}, "x", "x"
		*g.ArchivedAt = time.Time{}
		again := groupsNamed(t, c, s, "g")
		if again.Name != "G" || again.Members[0] != "m1" || again.Coordinators[0] != "c1" || again.Languages[0] != "en" ||
			!again.Joined["m1"].Equal(at) || again.Names["fr"] != "Gé" || again.Descriptions["fr"] != "D" || !again.ArchivedAt.Equal(at) {
			t.Errorf("a caller's change reached the next caller: %+v", again)
		}
	}
}
