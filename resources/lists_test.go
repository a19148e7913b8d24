package resources_test

import (
	"context"
	"sort"
	"testing"

	"github.com/circularfairict/portal/resources"
)

// The short lists (Recent, RecentOfGroups, Featured, and the resources linking to one in
// Related) are asked of the search index: for every kind of viewer they
// hold exactly what CanSee allows, of the group asked for, newest first,
// and follow curation, links and withdrawal at once.
func TestListsFromIndexForEveryViewer(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	docs := seedVisibility(t, s)
	target := create(t, s, "owner-target", meta("Target of links", "Linked to.", "guidance", "en"), "target.txt", []byte("Target text.\n"))
	for _, r := range docs {
		if err := s.SetGoodPractice(ctx, r.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := s.AddLink(ctx, r.ID, resources.Link{Kind: resources.LinkPartOf, Target: target.ID}); err != nil {
			t.Fatal(err)
		}
	}
	// A link to a forum thread names no resource, and the members
	// document is withdrawn: neither may appear anywhere.
	if err := s.AddLink(ctx, target.ID, resources.Link{Kind: resources.LinkDiscussedIn, Target: docs["public"].ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.Withdraw(ctx, docs["members"].ID, "admin", "outdated"); err != nil {
		t.Fatal(err)
	}
	target, err := s.Resource(ctx, target.ID)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(rs []*resources.Resource) []string {
		out := []string{}
		for i, r := range rs {
			if i > 0 && r.CreatedAt.After(rs[i-1].CreatedAt) {
				t.Errorf("not newest first: %s after %s", r.Title, rs[i-1].Title)
			}
			out = append(out, r.ID)
		}
		sort.Strings(out)
		return out
	}
	for name, v := range viewers {
		t.Run(name, func(t *testing.T) {
			var visible, inA, inAB []string
			for key, r := range docs {
				if key != "members" && v.CanSee(r) {
					visible = append(visible, r.ID)
					if r.GroupID == groupA {
						inA = append(inA, r.ID)
					}
					if r.GroupID != "" {
						inAB = append(inAB, r.ID)
					}
				}
			}
			all := append([]string{target.ID}, visible...)
			sort.Strings(all)
			sort.Strings(visible)
			sort.Strings(inA)
			sort.Strings(inAB)
			check := func(what string, rs []*resources.Resource, err error, want []string) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				if got := ids(rs); !equalStrings(got, want) {
					t.Errorf("%s: got %v, want %v", what, got, want)
				}
			}
			rs, err := s.Recent(ctx, v, "", 10)
			check("recent", rs, err, all)
			rs, err = s.Recent(ctx, v, groupA, 10)
			check("recent of group A", rs, err, inA)
			rs, err = s.RecentOfGroups(ctx, v, []string{groupA, groupB}, 10)
			check("recent of groups A and B", rs, err, inAB)
			rs, err = s.Featured(ctx, v, "", 10)
			check("featured", rs, err, visible)
			rs, err = s.Featured(ctx, v, groupA, 10)
			check("featured of group A", rs, err, inA)
			out, back, err := s.Related(ctx, v, target)
			check("linking to the target", back, err, visible)
			if len(out) != 0 {
				t.Errorf("a thread link listed as a resource: %v", ids(out))
			}
		})
	}
	// The limit is the number of rows asked of the index.
	if rs, err := s.Recent(ctx, viewers["admin"], "", 2); err != nil || len(rs) != 2 {
		t.Fatalf("recent limited to 2: %d %v", len(rs), err)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
