package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/store/storetest"
)

// racers signs in n members, each with their own browser.
func (c *cluster) racers(prefix string, n int) []*client {
	out := make([]*client, n)
	for i := range out {
		out[i] = c.signIn(c.member(fmt.Sprintf("%s %c", prefix, 'A'+i), auth.RoleMember))
	}
	return out
}

// spread merges which replicas answered the clients.
func spread(cls []*client) map[string]int {
	out := map[string]int{}
	for _, cl := range cls {
		for k, v := range cl.servedBy() {
			out[k] += v
		}
	}
	return out
}

// 20 members click "Discuss" on one resource at once, their requests
// spread over both replicas: exactly one thread is made and everyone is
// sent to it (the thread is claimed by a unique key, not an in-process
// lock).
func TestDiscussClicksAcrossReplicasMakeOneThread(t *testing.T) {
	c := newCluster(t, nil)
	owner := c.signIn(c.member("Rosa Resource", auth.RoleMember))
	res, err := owner.upload("Repair criteria", "criteria.txt", []byte("Spare parts for seven years.\n"), "")
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %v %v", res, err)
	}
	var r struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(res.body, &r); err != nil {
		t.Fatal(err)
	}
	const n = 20
	cls := c.racers("Clicker", n)
	for _, cl := range cls {
		cl.page("/library/" + r.ID)
	}
	before := spread(cls)
	where := make([]string, n)
	errs := make([]error, n)
	storetest.Together(n, func(i int) {
		res, err := cls[i].postForm("/discussions/resources/"+r.ID, nil)
		switch {
		case err != nil:
			errs[i] = err
		case res.StatusCode != http.StatusSeeOther:
			errs[i] = fmt.Errorf("status %d from %s", res.StatusCode, res.instance)
		default:
			where[i] = res.Header.Get("Location")
		}
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	after := spread(cls)
	clicks := map[string]int{"portal-a": after["portal-a"] - before["portal-a"], "portal-b": after["portal-b"] - before["portal-b"]}
	requireBoth(t, clicks)
	for _, w := range where {
		if w != where[0] || !strings.HasPrefix(w, "/threads/") {
			t.Fatalf("the clicks were sent to different threads: %q", where)
		}
	}
	ctx := context.Background()
	threads, err := c.store.DB.Collection("forum_threads").CountDocuments(ctx, bson.M{"resource_id": r.ID})
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimPrefix(where[0], "/threads/")
	posts, err := c.store.DB.Collection("forum_posts").CountDocuments(ctx, bson.M{"thread_id": id})
	if err != nil {
		t.Fatal(err)
	}
	if threads != 1 || posts != 1 {
		t.Fatalf("%d threads and %d opening posts for one resource (clicks: %v)", threads, posts, clicks)
	}
}

var postRe = regexp.MustCompile(`<article class="post[^"]*" id="post-(\d+)"`)

// 50 replies to one thread at once, spread over both replicas: every one
// is acknowledged with its own number, and the thread's pages show all of
// them, in order, none hidden behind a page count that went backwards.
func TestConcurrentRepliesAcrossReplicasAllAppearInOrder(t *testing.T) {
	c := newCluster(t, nil)
	const members, each = 10, 5
	cls := c.racers("Replier", members)
	var th struct {
		Thread struct {
			ID string `json:"id"`
		} `json:"thread"`
	}
	if res, err := cls[0].json("POST", "/api/v1/threads", map[string]string{"category": "general",
		"title": "Verifying a label across replicas", "body": "How did you check it?"}, &th); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("create thread: %v %v", res, err)
	}
	before := spread(cls)
	var mu sync.Mutex
	numbers := map[int]string{}
	top := 1
	// Five rounds of ten at once: after each, the newest post must be
	// reachable, which fails whenever the thread's stored count went back
	// (two replicas each writing the number they claimed, the lower last).
	for round := range each {
		errs := make([]error, members)
		storetest.Together(members, func(i int) {
			var p struct {
				N int `json:"n"`
			}
			res, err := cls[i].json("POST", "/api/v1/threads/"+th.Thread.ID+"/posts", map[string]string{"body": fmt.Sprintf("Reply %d of round %d", i, round)}, &p)
			switch {
			case err != nil:
				errs[i] = err
			case res.StatusCode != http.StatusCreated:
				errs[i] = fmt.Errorf("reply %d: status %d from %s: %s", i, res.StatusCode, res.instance, res.body)
			default:
				mu.Lock()
				defer mu.Unlock()
				if prev, dup := numbers[p.N]; dup {
					errs[i] = fmt.Errorf("replies %q and %d/%d both got number %d", prev, round, i, p.N)
				}
				numbers[p.N] = fmt.Sprint(round, "/", i)
				top = max(top, p.N)
			}
		})
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for range 2 { // once through each replica
			// The permalink leads to the post's own anchor; one past the
			// thread's count would land on the last post it knows.
			res := cls[0].do("GET", fmt.Sprintf("/threads/%s/posts/%d", th.Thread.ID, top), nil, nil)
			if loc := res.Header.Get("Location"); !strings.HasSuffix(loc, fmt.Sprintf("#post-%d", top)) {
				t.Fatalf("round %d: the newest post, %d, is past the thread's end on %s: %d %q", round, top, res.instance, res.StatusCode, loc)
			}
		}
	}
	after := spread(cls)
	requireBoth(t, map[string]int{"portal-a": after["portal-a"] - before["portal-a"], "portal-b": after["portal-b"] - before["portal-b"]})

	reader := c.signIn(c.member("Rita Reader", auth.RoleMember))
	var shown []int
	for page := 1; ; page++ {
		res := reader.page("/threads/" + th.Thread.ID + "?page=" + strconv.Itoa(page))
		if res.StatusCode == http.StatusNotFound && page > 1 {
			break
		}
		if res.StatusCode != http.StatusOK {
			t.Fatalf("page %d: %d", page, res.StatusCode)
		}
		for _, m := range postRe.FindAllSubmatch(res.body, -1) {
			n, _ := strconv.Atoi(string(m[1]))
			shown = append(shown, n)
		}
	}
	if len(shown) != 1+members*each {
		t.Fatalf("the thread's pages show %d posts, want %d: %v", len(shown), 1+members*each, shown)
	}
	for i, n := range shown {
		if n != i+1 {
			t.Fatalf("post %d shown where post %d belongs: %v", n, i+1, shown)
		}
	}
}
