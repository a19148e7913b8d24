package auth

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/circularfairict/portal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// Members using an invitation at the same moment through two stores on one
// database (two servers) never take more uses than it has: each use is a
// claimed _id. (The stores of one test binary shared the process-wide
// docLocks the uses relied on before, so this ran correctly then too; the
// claim is what holds across processes.)
func TestInvitationUsesAcrossServers(t *testing.T) {
	db := storetest.New(t).DB
	a, b := NewStore(db), NewStore(db)
	ctx := context.Background()
	gid, err := a.PutGroup(ctx, Group{Slug: "buyers", Name: "Buyers", Visibility: VisibilityMembers, JoinPolicy: JoinInvitation, Coordinators: []string{"c1"}})
	if err != nil {
		t.Fatal(err)
	}
	for round, uses := range []int{1, 2} {
		secret, _, err := a.CreateInvitation(ctx, gid, "c1", 1, uses)
		if err != nil {
			t.Fatal(err)
		}
		var joined atomic.Int32
		storetest.Together(10, func(i int) {
			s := []*Store{a, b}[i%2]
			_, _, ok, err := s.UseInvitation(ctx, secret, fmt.Sprintf("r%dm%d", round, i))
			if err != nil && err != ErrInvitationUsedUp {
				t.Error(err)
			}
			if ok {
				joined.Add(1)
			}
		})
		if n := joined.Load(); n != int32(uses) {
			t.Fatalf("invitation of %d uses let %d members in", uses, n)
		}
	}
}
