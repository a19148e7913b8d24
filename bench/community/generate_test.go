package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/app"
	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/search"
	"github.com/circularfairict/portal/store"
)

// TestGenerateTiny generates a tiny community and checks that it holds
// what the sizes promise, written as the product writes it: the lanes run
// at once, groups are joined in one write, inboxes are built early and the
// index is filled only at the end, and none of that may lose or change a
// document.
func TestGenerateTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a community (about a minute under -race)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	const scale = 0.004
	if err := generate(ctx, dir, scale); err != nil {
		t.Fatal(err)
	}
	sz := scaled(scale)
	var tg targets
	b, err := os.ReadFile(filepath.Join(dir, targetsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &tg); err != nil {
		t.Fatal(err)
	}
	if tg.LongThread == "" || tg.Resource == "" || tg.Category == "" || tg.Group == "" || tg.Workshop == "" || tg.MemberName == "" {
		t.Fatalf("targets incomplete: %+v", tg)
	}

	st, err := store.Open(ctx, store.Options{DataDir: dir, Owner: true, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	count := func(col string, filter bson.M) int {
		t.Helper()
		n, err := st.DB.Collection(col).CountDocuments(ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	if got := count("members", bson.M{"email": bson.M{"$regex": "^member[0-9]+@example.org$"}}); got != sz.members {
		t.Errorf("members: %d, want %d", got, sz.members)
	}
	if got := count("groups", bson.M{"slug": bson.M{"$regex": "^buyers-"}}); got != sz.groups {
		t.Errorf("groups: %d, want %d", got, sz.groups)
	}
	if got := count("resources", bson.M{"title": bson.M{"$regex": `\([0-9]+\)$`}}); got != sz.resources {
		t.Errorf("resources: %d, want %d", got, sz.resources)
	}
	if got := count("forum_threads", bson.M{"tags": "bench"}); got != sz.threads {
		t.Errorf("threads: %d, want %d", got, sz.threads)
	}
	if got := count("workshops", bson.M{"_id": bson.M{"$regex": "^000000000000be0c"}}); got != sz.workshops {
		t.Errorf("workshops: %d, want %d", got, sz.workshops)
	}
	if got := count("workshop_events", bson.M{"key": bson.M{"$regex": "/bench-"}}); got != sz.events {
		t.Errorf("live-room events: %d, want %d", got, sz.events)
	}

	a, f := auth.NewStore(st.DB), forum.NewStore(st.DB)
	// Every thread's last_n and reply count match its posts, as replies
	// imported two threads at a time must leave them.
	var threads []*forum.Thread
	cur, err := st.DB.Collection("forum_threads").Find(ctx, bson.M{"tags": "bench"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &threads); err != nil {
		t.Fatal(err)
	}
	replies := 0
	for _, th := range threads {
		if n := count("forum_posts", bson.M{"thread_id": th.ID}); n != th.LastN {
			t.Errorf("thread %s: %d posts, last_n %d", th.ID, n, th.LastN)
		}
		replies += th.LastN - 1
	}
	if replies != sz.posts {
		t.Errorf("replies: %d, want %d", replies, sz.posts)
	}
	// Each member's inbox, built before their notifications, names them
	// all: four unread, as generated.
	var ms []*auth.Member
	cur, err = st.DB.Collection("members").Find(ctx, bson.M{"email": bson.M{"$regex": "^member[0-9]+@example.org$"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &ms); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		unread, err := f.UnreadNotifications(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		ns, err := f.Notifications(ctx, m.ID, 50)
		if err != nil {
			t.Fatal(err)
		}
		if unread != 4 || len(ns) != memberNotifications {
			t.Errorf("member %s: %d unread, %d notifications; want 4, %d", m.ID, unread, len(ns), memberNotifications)
		}
	}
	// Group members joined as JoinGroup would have them: no coordinator
	// among them, no one twice, each with a join date.
	gs, err := a.Groups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if !strings.HasPrefix(g.Slug, "buyers-") {
			continue
		}
		seen := map[string]bool{}
		for _, id := range g.Members {
			if seen[id] || g.Joined[id].IsZero() {
				t.Errorf("group %s: member %s twice or without a join date", g.Slug, id)
			}
			for _, c := range g.Coordinators {
				if c == id {
					t.Errorf("group %s: coordinator %s also a member", g.Slug, id)
				}
			}
			seen[id] = true
		}
		if len(g.Members) == 0 {
			t.Errorf("group %s has no members", g.Slug)
		}
	}
	// The index was filled at the end: it holds every library document
	// the database has, as a rebuild would.
	kinds, err := app.SearchKinds(st.DB)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := search.Open(search.Options{Dir: filepath.Join(dir, "search")}, kinds...)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	req := bleve.NewSearchRequest(search.KindQuery(resources.KindLibrary))
	req.Size = 0
	res, err := ix.Search(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if want := count("resources", bson.M{}); int(res.Total) != want {
		t.Errorf("library documents in the index: %d, want %d", res.Total, want)
	}
}
