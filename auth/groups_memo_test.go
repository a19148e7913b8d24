package auth

import (
	"context"
	"testing"

	"github.com/circularfairict/portal/store/storetest"
)

// Under the memo, GroupsOf and Groups answer as the database does, read the
// collection once, and hand out copies.
func TestGroupsMemoAnswersAsTheDatabase(t *testing.T) {
	s := NewStore(storetest.New(t).DB)
	ctx := context.Background()
	for _, g := range []Group{
		{Slug: "b", Name: "Buyers", Coordinators: []string{"x"}, Members: []string{"y"}},
		{Slug: "a", Name: "Auditors", Members: []string{"x", "z"}},
		{Slug: "c", Name: "Coders", Members: []string{"z"}},
	} {
		g.Visibility, g.JoinPolicy = VisibilityMembers, JoinOpen
		if _, err := s.PutGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	memo := WithGroupsMemo(ctx)
	for _, id := range []string{"x", "y", "z", "nobody"} {
		want, err := s.GroupsOf(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.GroupsOf(memo, id)
		if err != nil {
			t.Fatal(err)
		}
		if slugs(got) != slugs(want) {
			t.Errorf("groups of %s: memo %q, database %q", id, slugs(got), slugs(want))
		}
	}
	all, _ := s.Groups(ctx)
	mall, _ := s.Groups(memo)
	if slugs(mall) != slugs(all) {
		t.Errorf("groups: memo %q, database %q", slugs(mall), slugs(all))
	}
	// A later write is not seen under the memo (it is for one short request),
	// and a change to a group handed out is not seen by the next caller.
	if _, err := s.PutGroup(ctx, Group{Slug: "d", Name: "Drafters", Visibility: VisibilityMembers, JoinPolicy: JoinOpen}); err != nil {
		t.Fatal(err)
	}
	mall[0].Name = "changed"
	again, _ := s.Groups(memo)
	if slugs(again) != slugs(all) || again[0].Name == "changed" {
		t.Errorf("memo changed: %q, first named %q", slugs(again), again[0].Name)
	}
}

func slugs(gs []*Group) string {
	out := ""
	for _, g := range gs {
		out += g.Slug + " "
	}
	return out
}
