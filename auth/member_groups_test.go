package auth

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store/storetest"
)

// groupIDsOf is GroupsOf as group IDs, sorted.
func groupIDsOf(t *testing.T, s *Store, memberID string) []string {
	t.Helper()
	gs, err := s.GroupsOf(context.Background(), memberID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, g := range gs {
		ids = append(ids, g.ID)
	}
	slices.Sort(ids)
	return ids
}

// listedGroups is the member's stored list, sorted.
func listedGroups(t *testing.T, s *Store, memberID string) []string {
	t.Helper()
	ids, err := s.memberGroupIDs(context.Background(), memberID)
	if err != nil {
		t.Fatal(err)
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// truthOf reads every group and keeps memberID's: what the list stands for.
func truthOf(t *testing.T, s *Store, memberID string) []string {
	t.Helper()
	all, err := s.readGroups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, g := range all {
		if g.HasMember(memberID) {
			ids = append(ids, g.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// A member's groups follow every way in and out of a group at once: join,
// leave, removal, coordinators added and stepping down, a new group,
// erasure; each answered by the member's list and the groups it names.
func TestGroupsOfFollowsMembership(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	if err := st.EnsureIndexes(ctx, Indexes()); err != nil { // the unique slug index
		t.Fatal(err)
	}
	s := NewStore(st.DB)
	put := func(slug, name string, members ...string) string {
		id, err := s.PutGroup(ctx, Group{Slug: slug, Name: name, Visibility: VisibilityMembers, JoinPolicy: JoinOpen,
			Coordinators: []string{"c1"}, Members: members})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a, b := put("a", "Alpha", "m1"), put("b", "Beta")
	check := func(step, member string, want ...string) {
		t.Helper()
		want = sorted(want...)
		if got := groupIDsOf(t, s, member); !slices.Equal(got, want) {
			t.Fatalf("%s: %s's groups %v, want %v", step, member, got, want)
		}
		if got := listedGroups(t, s, member); !slices.Equal(got, want) {
			t.Fatalf("%s: %s's list %v, want %v", step, member, got, want)
		}
	}
	check("seeded", "m1", a)
	check("seeded", "c1", a, b)
	if ok, err := s.JoinGroup(ctx, b, "m1"); err != nil || !ok {
		t.Fatalf("join: %v %v", ok, err)
	}
	check("join", "m1", a, b)
	if ok, err := s.JoinGroup(ctx, b, "m1"); err != nil || ok {
		t.Fatalf("second join: %v %v", ok, err)
	}
	if err := s.LeaveGroup(ctx, a, "m1"); err != nil {
		t.Fatal(err)
	}
	check("leave", "m1", b)
	if err := s.RemoveGroupMember(ctx, b, "m1"); err != nil {
		t.Fatal(err)
	}
	check("removal", "m1")
	if err := s.AddCoordinator(ctx, a, "m2"); err != nil {
		t.Fatal(err)
	}
	check("new coordinator", "m2", a)
	if err := s.RemoveCoordinator(ctx, a, "m2"); err != nil {
		t.Fatal(err)
	}
	check("coordinator steps down", "m2", a)
	g, err := s.CreateGroup(ctx, GroupInput{Slug: "c", Name: "Gamma", Visibility: VisibilityPublic, JoinPolicy: JoinOpen}, "m2")
	if err != nil {
		t.Fatal(err)
	}
	check("created", "m2", a, g.ID)
	if _, err := s.CreateGroup(ctx, GroupInput{Slug: "c", Name: "Gamma 2", Visibility: VisibilityPublic, JoinPolicy: JoinOpen}, "m3"); err == nil {
		t.Fatal("a taken slug was accepted")
	}
	check("slug taken", "m3")
	if err := s.AddCoordinator(ctx, a, "c9"); err != nil {
		t.Fatal(err)
	}
	if err := s.LeaveGroup(ctx, a, "c1"); err != nil {
		t.Fatal(err)
	}
	check("a coordinator leaves", "c1", b)
	if err := s.leaveAllGroups(ctx, "m2"); err != nil {
		t.Fatal(err)
	}
	check("erasure", "m2")
	if n, err := s.col(colMemberGroups).CountDocuments(ctx, bson.M{"_id": "m2"}); err != nil || n != 0 {
		t.Fatalf("the erased member's list is still there: %d %v", n, err)
	}
	// A seed replacing a group lists its new members and unlists the old.
	if _, err := s.PutGroup(ctx, Group{Slug: "b", Name: "Beta", Coordinators: []string{"c2"}, Members: []string{"m4"}}); err != nil {
		t.Fatal(err)
	}
	check("replaced", "c1")
	check("replaced", "m4", b)
}

// The list names a group too many after a server stopped between its
// writes; GroupsOf answers from the groups all the same.
func TestGroupsOfIgnoresAStaleListing(t *testing.T) {
	ctx := context.Background()
	s := NewStore(storetest.New(t).DB).ReadByID()
	id, err := s.PutGroup(ctx, Group{Slug: "a", Name: "Alpha", Coordinators: []string{"c1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.setMemberGroup(ctx, "m1", id, true); err != nil {
		t.Fatal(err)
	}
	if err := s.setMemberGroup(ctx, "m1", "gone", true); err != nil {
		t.Fatal(err)
	}
	if got := groupIDsOf(t, s, "m1"); len(got) != 0 {
		t.Fatalf("groups of a member in none: %v", got)
	}
	if ok, err := s.JoinGroup(ctx, id, "m1"); err != nil || !ok {
		t.Fatalf("join after a stale listing: %v %v", ok, err)
	}
	if got := groupIDsOf(t, s, "m1"); !slices.Equal(got, []string{id}) {
		t.Fatalf("groups %v, want %v", got, id)
	}
}

// One member joining and leaving several groups, and several members one
// group, through two servers at the same moment: every list ends equal to
// what the groups hold.
func TestMemberGroupsAcrossServers(t *testing.T) {
	db := storetest.New(t).DB
	a, b := NewStore(db), NewStore(db)
	ctx := context.Background()
	var gids []string
	for i := 0; i < 4; i++ {
		id, err := a.PutGroup(ctx, Group{Slug: fmt.Sprintf("g%d", i), Name: fmt.Sprintf("G%d", i), JoinPolicy: JoinOpen,
			Coordinators: []string{"c"}, Members: []string{"stay", "out"}})
		if err != nil {
			t.Fatal(err)
		}
		gids = append(gids, id)
	}
	for round := 0; round < 3; round++ {
		storetest.Together(16, func(i int) {
			s := []*Store{a, b}[i%2]
			g := gids[i%4]
			var err error
			switch i / 4 {
			case 0: // "in" joins every group
				_, err = s.JoinGroup(ctx, g, "in")
			case 1: // "out" leaves every group
				err = s.LeaveGroup(ctx, g, "out")
			case 2: // "flip" joins and leaves the same group at once
				if i%2 == 0 {
					_, err = s.JoinGroup(ctx, g, "flip")
				} else {
					err = s.LeaveGroup(ctx, g, "flip")
				}
			case 3: // others join one group each
				_, err = s.JoinGroup(ctx, gids[0], fmt.Sprintf("m%d", i))
			}
			if err != nil && err != ErrNotFound {
				t.Error(err)
			}
		})
		for _, m := range []string{"in", "out", "flip", "stay", "c", "m12", "m13", "m14", "m15"} {
			truth, got, listed := truthOf(t, b, m), groupIDsOf(t, a, m), listedGroups(t, b, m)
			if !slices.Equal(got, truth) || !slices.Equal(listed, truth) {
				t.Fatalf("round %d: %s is in %v; GroupsOf says %v, the list %v", round, m, truth, got, listed)
			}
		}
		if got := groupIDsOf(t, a, "in"); len(got) != 4 {
			t.Fatalf("round %d: in is in %v", round, got)
		}
		// Everyone back out for the next round, so the joins join again.
		for _, g := range gids {
			for _, m := range []string{"in", "flip", "m12", "m13", "m14", "m15"} {
				_ = a.LeaveGroup(ctx, g, m)
			}
			if _, err := a.JoinGroup(ctx, g, "out"); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The daily repair lists what a replica of the release before the lists
// changed, and unlists what a stopped server left, from the groups.
func TestRepairMemberGroups(t *testing.T) {
	ctx := context.Background()
	s := NewStore(storetest.New(t).DB)
	id, err := s.PutGroup(ctx, Group{Slug: "a", Name: "Alpha", Coordinators: []string{"c1"}, Members: []string{"m1"}})
	if err != nil {
		t.Fatal(err)
	}
	// An older release's join: the group only.
	if _, err := s.col(colGroups).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$addToSet": bson.M{"members": "old"}}); err != nil {
		t.Fatal(err)
	}
	// A stop between the writes of a leave: the list only.
	if err := s.setMemberGroup(ctx, "gone", id, true); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RepairMemberGroups(ctx); err != nil || n != 2 {
		t.Fatalf("repair: %d %v, want 2 entries", n, err)
	}
	for m, want := range map[string][]string{"old": {id}, "gone": nil, "m1": {id}, "c1": {id}} {
		if got := listedGroups(t, s, m); !slices.Equal(got, want) {
			t.Fatalf("%s's list after the repair: %v, want %v", m, got, want)
		}
	}
	if n, err := s.RepairMemberGroups(ctx); err != nil || n != 0 {
		t.Fatalf("second repair: %d %v", n, err)
	}
}
