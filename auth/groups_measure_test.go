package auth

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

// TestMeasureGroupJoins times joining a group and reading a member's groups
// with 20 groups of n members each (PORTAL_MEASURE_GROUP_MEMBERS=n, as the
// community generator makes them; skipped otherwise): the update filtered
// on members and coordinators and the $or filter used before schema 5,
// then JoinGroup and GroupsOf as they are, on the embedded database with
// the _id lookup index the server adds. Figures are in docs/benchmarks.md.
func TestMeasureGroupJoins(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("PORTAL_MEASURE_GROUP_MEMBERS"))
	if n == 0 {
		t.Skip()
	}
	st := storetest.New(t)
	db := st.DB
	s := NewStore(db).ReadByID()
	ctx := context.Background()
	var gids []string
	for g := range 20 {
		var members []string
		joined := map[string]time.Time{}
		for i := range n {
			id := fmt.Sprintf("%012d%012d", (g*n+i)%2000, 0)
			members = append(members, id)
			joined[id] = time.Now().UTC()
		}
		id, err := s.PutGroup(ctx, Group{Slug: fmt.Sprintf("g%d", g), Name: fmt.Sprintf("Group %d", g), Visibility: VisibilityMembers,
			JoinPolicy: JoinOpen, Coordinators: []string{"coordinator"}, Members: members, Joined: joined})
		if err != nil {
			t.Fatal(err)
		}
		gids = append(gids, id)
	}
	if err := st.IndexIDLookups(ctx); err != nil {
		t.Fatal(err)
	}
	measure := func(f func(i int) error) (time.Duration, time.Duration) { return measureRuns(t, f) }
	oldJoin, oldJoinP := measure(func(i int) error {
		m := "old" + strconv.Itoa(i)
		_, err := db.Collection(colGroups).UpdateOne(ctx,
			bson.M{"_id": gids[i%20], "members": bson.M{"$ne": m}, "coordinators": bson.M{"$ne": m}},
			bson.M{"$addToSet": bson.M{"members": m}, "$set": bson.M{"joined." + m: time.Now()}})
		return err
	})
	newJoin, newJoinP := measure(func(i int) error {
		_, err := s.JoinGroup(ctx, gids[i%20], "new"+strconv.Itoa(i))
		return err
	})
	member := fmt.Sprintf("%012d%012d", 7, 0)
	oldOf, oldOfP := measure(func(int) error {
		cur, err := db.Collection(colGroups).Find(ctx, bson.M{"$or": bson.A{bson.M{"members": member}, bson.M{"coordinators": member}}})
		if err != nil {
			return err
		}
		var gs []*Group
		return cur.All(ctx, &gs)
	})
	newOf, newOfP := measure(func(int) error {
		_, err := s.GroupsOf(ctx, member)
		return err
	})
	t.Logf("20 groups of %d members: join, filtered update only (before): median %v, p95 %v; JoinGroup (locks, _id reads and writes, the member's list): median %v, p95 %v",
		n, oldJoin, oldJoinP, newJoin, newJoinP)
	t.Logf("a member's groups: $or filter (before): median %v, p95 %v; GroupsOf by _id: median %v, p95 %v", oldOf, oldOfP, newOf, newOfP)
}

// TestMeasureGroupsRead times reading every group as the pages do, on 23
// groups carrying about 4,100 memberships with their join dates, as the
// community generator makes them (PORTAL_MEASURE_GROUPS=1; skipped
// otherwise): the read of the collection, Groups answering from its
// stamped copy (the stamp's lookup and a deep copy), and the copy alone.
// Figures are in docs/benchmarks.md.
func TestMeasureGroupsRead(t *testing.T) {
	if os.Getenv("PORTAL_MEASURE_GROUPS") == "" {
		t.Skip()
	}
	st := storetest.New(t)
	s := NewStore(st.DB).ReadByID()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	var members []string
	for range 2000 {
		members = append(members, store.NewID())
	}
	total := 0
	for g := range 23 {
		size := 5 + rng.IntN(400)
		if g >= 20 { // the demo's groups
			size = 3
		}
		in := map[string]bool{}
		var ids []string
		joined := map[string]time.Time{}
		for range size {
			id := members[rng.IntN(len(members))]
			if !in[id] {
				in[id] = true
				ids = append(ids, id)
				joined[id] = time.Now().UTC()
			}
		}
		total += len(ids)
		if _, err := s.PutGroup(ctx, Group{Slug: fmt.Sprintf("g%d", g), Name: fmt.Sprintf("ICT buyers %d", g),
			Description: strings.Repeat("A sentence about buying ICT. ", 5), Languages: []string{"fr", "en"},
			Visibility: VisibilityMembers, JoinPolicy: JoinOpen, Coordinators: []string{members[g]}, Members: ids, Joined: joined}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.IndexIDLookups(ctx); err != nil {
		t.Fatal(err)
	}
	all, err := s.readGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := st.DB.Collection(colGroups).Find(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	size := 0
	for raw.Next(ctx) {
		size += len(raw.Current)
	}
	read, readP := measureRuns(t, func(int) error { _, err := s.readGroups(ctx); return err })
	cached, cachedP := measureRuns(t, func(int) error { _, err := s.Groups(ctx); return err })
	stamp, stampP := measureRuns(t, func(int) error { _, err := store.ReadStamp(ctx, st.DB, store.StampGroups); return err })
	clone, cloneP := measureRuns(t, func(int) error { cloneGroups(all); return nil })
	t.Logf("%d groups, %d memberships, %d KB of BSON", len(all), total, size/1024)
	t.Logf("read of the collection: median %v, p95 %v; Groups from the stamped copy: median %v, p95 %v (the stamp's lookup %v / %v, the deep copy %v / %v)",
		read, readP, cached, cachedP, stamp, stampP, clone, cloneP)
}
