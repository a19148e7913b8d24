package server

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/workshops"
)

// TestGroupVisibilityChangeEverywhere: a public group with a category, a
// thread and a workshop is made group-only through the API; at once, the
// group page, its category page and feed, the thread (page and API), the
// discussion search, the home page, the workshop and new notifications are
// closed to visitors and to portal members outside the group, and stay open
// to its members.
func TestGroupVisibilityChangeEverywhere(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	lead := newMember(t, s, "Vis Lead", auth.StatusApproved, auth.RoleFacilitator)
	watcher := newMember(t, s, "Vis Watcher", auth.StatusApproved, auth.RoleMember)
	adminM, err := s.auth.MemberByIdentity(ctx, "demo", "coordinator")
	if err != nil {
		t.Fatal(err)
	}
	asAdmin, asLead := apiCaller(t, s, adminM), apiCaller(t, s, lead)
	if st, out := asAdmin("POST", "/api/v1/groups", `{"slug":"open-ethics","name":"Zephyrine ethics circle","visibility":"public","join":"open","coordinator":"`+lead.Email+`"}`); st != 201 {
		t.Fatalf("group: %d %v", st, out)
	}
	if st, out := asLead("POST", "/api/v1/categories", `{"name":"Zephyrine clauses","group":"open-ethics"}`); st != 201 {
		t.Fatalf("category: %d %v", st, out)
	}
	st, out := asLead("POST", "/api/v1/threads", `{"category":"zephyrine-clauses","title":"Quokkaberry clause","body":"Quokkaberry wording for labour rights."}`)
	if st != 201 {
		t.Fatalf("thread: %d %v", st, out)
	}
	threadID, _ := out["thread"].(map[string]any)["id"].(string)
	g, _ := s.auth.GroupBySlug(ctx, "open-ethics")
	start := time.Now().Add(48 * time.Hour)
	w, err := s.workshops.Create(ctx, lead.ID, workshops.Input{Title: "Zephyrine clinic", GroupID: g.ID, StartsAt: start, EndsAt: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}

	anon := newClient(t, s)
	wc := newClient(t, s)
	wc.signInAs(watcher.ID)
	lc := newClient(t, s)
	lc.signInAs(lead.ID)
	if res, _ := wc.post("/discussions/c/zephyrine-clauses/level", url.Values{"level": {"watch"}}); res.StatusCode != 303 {
		t.Fatalf("watch: %d", res.StatusCode)
	}
	notes := func() int {
		n, err := s.forum.UnreadNotifications(ctx, watcher.ID)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	type probe struct {
		name, path, contains string
	}
	surfaces := []probe{
		{"group page", "/groups/open-ethics", "Zephyrine ethics circle"},
		{"category page", "/discussions/c/zephyrine-clauses", "Quokkaberry clause"},
		{"category feed", "/discussions/c/zephyrine-clauses/feed", "Quokkaberry clause"},
		{"thread page", "/threads/" + threadID, "Quokkaberry wording"},
		{"thread API", "/api/v1/threads/" + threadID, "Quokkaberry wording"},
		{"search", "/discussions/search?q=quokkaberry", threadID},
		{"home", "/", "Zephyrine ethics circle"},
	}
	sees := func(c *client, p probe) bool {
		res, body := c.get(p.path)
		return res.StatusCode == 200 && strings.Contains(body, p.contains)
	}
	for _, p := range surfaces {
		if !sees(anon, p) || !sees(wc, p) {
			t.Fatalf("public group: %s not shown", p.name)
		}
	}
	if res, _ := wc.get("/workshops/" + w.ID); res.StatusCode != 200 {
		t.Fatalf("public group's workshop: %d", res.StatusCode)
	}
	before := notes()
	if st, _ := asLead("POST", "/api/v1/threads/"+threadID+"/posts", `{"body":"Quokkaberry update one."}`); st != 201 {
		t.Fatalf("reply: %d", st)
	}
	if notes() != before+1 {
		t.Fatal("watcher not notified while the group was public")
	}

	if st, out := asLead("PATCH", "/api/v1/groups/open-ethics", `{"visibility":"group"}`); st != 200 || out["visibility"] != "group" {
		t.Fatalf("patch: %d %v", st, out)
	}
	for _, p := range surfaces {
		if p.name == "group page" {
			continue // portal members still find a group-only group, to ask to join
		}
		if sees(anon, p) {
			t.Errorf("group-only group: %s shown to a visitor", p.name)
		}
		if sees(wc, p) {
			t.Errorf("group-only group: %s shown to a member outside the group", p.name)
		}
		if !sees(lc, p) && p.name != "home" {
			t.Errorf("group-only group: %s hidden from its coordinator", p.name)
		}
	}
	if sees(anon, surfaces[0]) {
		t.Error("group-only group's page shown to a visitor")
	}
	if _, body := wc.get("/groups/open-ethics"); strings.Contains(body, "Quokkaberry") {
		t.Error("group-only group's page shows its content to a member outside it")
	}
	if res, _ := wc.get("/workshops/" + w.ID); res.StatusCode == 200 {
		t.Error("group-only group's workshop shown to a member outside it")
	}
	before = notes()
	if st, _ := asLead("POST", "/api/v1/threads/"+threadID+"/posts", `{"body":"Quokkaberry update two."}`); st != 201 {
		t.Fatalf("reply: %d", st)
	}
	if notes() != before {
		t.Error("watcher outside the group notified after it became group-only")
	}
}
