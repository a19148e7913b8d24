package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/circularfairict/portal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// Members using an invitation at the same moment through two stores on one
// database (two servers) never take more uses than it has: each use is a
// claimed _id.
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

// Reviewers approving and rejecting one pending member through two servers
// at the same moment: one decision is taken, the others are refused, and the
// stored review is the winner's. The status filter alone let several
// through on the embedded database (each server read "pending").
func TestReviewDecidedOnceAcrossServers(t *testing.T) {
	db := storetest.New(t).DB
	a, b := NewStore(db), NewStore(db)
	ctx := context.Background()
	m, _, err := a.SignInMember(ctx, Identity{Provider: "oidc", Subject: "applicant"}, "Applicant", "applicant@example.org")
	if err != nil {
		t.Fatal(err)
	}
	var decided atomic.Int32
	var winner atomic.Value
	storetest.Together(8, func(i int) {
		reviewer := fmt.Sprintf("reviewer%d", i)
		err := []*Store{a, b}[i%2].Decide(ctx, m.ID, reviewer, i%2 == 0, "decided by "+reviewer)
		if err == nil {
			decided.Add(1)
			winner.Store(reviewer)
		}
	})
	if n := decided.Load(); n != 1 {
		t.Fatalf("%d reviewers decided one application", n)
	}
	got, err := b.Member(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Review == nil || got.Review.By != winner.Load() || got.Review.Message != "decided by "+got.Review.By ||
		got.Review.Approved != (got.Status == StatusApproved) {
		t.Fatalf("status %s, review %+v; the winner was %v", got.Status, got.Review, winner.Load())
	}
}

// Members joining one group through two servers while its coordinators step
// down at the same moment: every member is in the list, and the group keeps
// a coordinator. $addToSet and the coordinators filter let one server's
// write undo the other's on the embedded database.
func TestGroupListsAcrossServers(t *testing.T) {
	db := storetest.New(t).DB
	a, b := NewStore(db), NewStore(db)
	ctx := context.Background()
	gid, err := a.PutGroup(ctx, Group{Slug: "buyers", Name: "Buyers", Visibility: VisibilityMembers, JoinPolicy: JoinOpen, Coordinators: []string{"c0", "c1", "c2"}})
	if err != nil {
		t.Fatal(err)
	}
	const joiners = 10
	var demoted atomic.Int32
	storetest.Together(joiners+3, func(i int) {
		s := []*Store{a, b}[i%2]
		if i >= joiners {
			err := s.RemoveCoordinator(ctx, gid, fmt.Sprintf("c%d", i-joiners))
			switch {
			case err == nil:
				demoted.Add(1)
			case !errors.Is(err, ErrLastCoordinator):
				t.Error(err)
			}
			return
		}
		if ok, err := s.JoinGroup(ctx, gid, fmt.Sprintf("m%d", i)); err != nil || !ok {
			t.Errorf("m%d joined: %v %v", i, ok, err)
		}
	})
	g, err := b.Group(ctx, gid)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < joiners; i++ {
		if !slices.Contains(g.Members, fmt.Sprintf("m%d", i)) {
			t.Errorf("m%d lost from the members %v", i, g.Members)
		}
	}
	if demoted.Load() != 2 || len(g.Coordinators) != 1 || len(g.Members) != joiners+2 {
		t.Fatalf("%d coordinators stepped down; coordinators %v, %d members", demoted.Load(), g.Coordinators, len(g.Members))
	}
}

// Coordinators approving and rejecting one join request through two servers
// at the same moment decide it once.
func TestJoinRequestDecidedOnceAcrossServers(t *testing.T) {
	db := storetest.New(t).DB
	a, b := NewStore(db), NewStore(db)
	ctx := context.Background()
	gid, err := a.PutGroup(ctx, Group{Slug: "ethics", Name: "Ethics", Visibility: VisibilityMembers, JoinPolicy: JoinRequest, Coordinators: []string{"c1"}})
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := a.CreateGroupRequest(ctx, gid, "asker", "Let me in")
	if err != nil {
		t.Fatal(err)
	}
	var decided atomic.Int32
	var approved atomic.Bool
	storetest.Together(8, func(i int) {
		_, err := []*Store{a, b}[i%2].DecideGroupRequest(ctx, gid, r.ID, "c1", i%2 == 0, "")
		switch {
		case err == nil:
			decided.Add(1)
			approved.Store(i%2 == 0)
		case !errors.Is(err, ErrNotFound):
			t.Error(err)
		}
	})
	if decided.Load() != 1 {
		t.Fatalf("one request decided %d times", decided.Load())
	}
	g, err := a.Group(ctx, gid)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(g.Members, "asker") != approved.Load() {
		t.Fatalf("approved %v, members %v", approved.Load(), g.Members)
	}
}

// A review and the member's own writes (language, code of conduct) on two
// servers at the same moment: the decision stays. On FerretDB a plain $set
// rewrites the whole document from its read, so an unlocked language change
// could put the member back to pending.
func TestReviewSurvivesMemberWritesAcrossServers(t *testing.T) {
	db := storetest.New(t).DB
	a, b := NewStore(db), NewStore(db)
	ctx := context.Background()
	for round := 0; round < 3; round++ {
		m, _, err := a.SignInMember(ctx, Identity{Provider: "oidc", Subject: fmt.Sprintf("applicant%d", round)}, "Applicant", "")
		if err != nil {
			t.Fatal(err)
		}
		storetest.Together(7, func(i int) {
			var err error
			switch {
			case i == 0:
				err = a.Decide(ctx, m.ID, "reviewer", true, "Welcome")
			case i%2 == 0:
				err = b.SetLocale(ctx, m.ID, []string{"fr", "nl", "de"}[i%3])
			default:
				err = b.AcceptConduct(ctx, m.ID, i)
			}
			if err != nil {
				t.Error(err)
			}
		})
		got, err := a.Member(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != StatusApproved || got.Review == nil || got.ConductVersion == 0 || got.Locale == "" {
			t.Fatalf("round %d: status %s, review %+v, conduct %d, locale %q: a write was undone", round, got.Status, got.Review, got.ConductVersion, got.Locale)
		}
	}
}
