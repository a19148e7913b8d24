package auth

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

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
