package cluster

import (
	"context"
	"strings"
	"testing"

	"github.com/circularfairict/portal/auth"
)

// Each replica keeps a copy of the groups checked against their stamp on
// every request: a change made by another process (here the test's own
// store, as a third server would) is on every page of both replicas at
// once, never after a delay.
func TestGroupChangesReachBothReplicasAtOnce(t *testing.T) {
	c := newCluster(t, nil)
	ctx := context.Background()
	admin := c.member("Gina Groups", auth.RoleAdmin)
	g, err := c.auth.CreateGroup(ctx, auth.GroupInput{Slug: "stamp-group", Name: "Stamp Group", Visibility: auth.VisibilityPublic,
		JoinPolicy: auth.JoinOpen}, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	visitor := c.newClient()
	expect := func(step, want, notWant string) {
		t.Helper()
		for range 8 {
			res := visitor.page("/groups")
			body := string(res.body)
			if res.StatusCode != 200 || !strings.Contains(body, want) || (notWant != "" && strings.Contains(body, notWant)) {
				t.Fatalf("%s: %s answered %d, %q listed: %v, %q listed: %v", step, res.instance, res.StatusCode,
					want, strings.Contains(body, want), notWant, notWant != "" && strings.Contains(body, notWant))
			}
		}
	}
	expect("created", "Stamp Group", "")
	if err := c.auth.SetGroupArchived(ctx, g.ID, true); err != nil {
		t.Fatal(err)
	}
	expect("archived", "/groups", "Stamp Group")
	if err := c.auth.SetGroupArchived(ctx, g.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.auth.UpdateGroup(ctx, g.ID, auth.GroupInput{Slug: "stamp-group", Name: "Renamed Stamp Group",
		Visibility: auth.VisibilityPublic, JoinPolicy: auth.JoinOpen}); err != nil {
		t.Fatal(err)
	}
	expect("restored and renamed", "Renamed Stamp Group", "")
	requireBoth(t, visitor.servedBy())
}
