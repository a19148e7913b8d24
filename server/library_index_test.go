package server

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/bus/natstest"
)

type apiSearch struct {
	Items []struct {
		ID      string  `json:"id"`
		Title   string  `json:"title"`
		Score   float64 `json:"score"`
		Snippet string  `json:"snippet"`
	} `json:"items"`
	Total int `json:"total"`
}

func searchAPI(t *testing.T, c *client, q string) apiSearch {
	t.Helper()
	res, body := c.get("/api/v1/resources?q=" + url.QueryEscape(q))
	if res.StatusCode != 200 {
		t.Fatalf("%q: status %d: %s", q, res.StatusCode, body)
	}
	var out apiSearch
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// Two servers share a database and a NATS bus: a resource shared or
// withdrawn through one is found, or no longer found, through the other.
// Hostile queries get a page and an answer, never an error.
func TestLibraryIndexAcrossServersAndHostileQueries(t *testing.T) {
	nurl := natstest.Start(t)
	a, _ := newTestServer(t, opts{nats: nurl})
	b, _ := newTestServer(t, opts{nats: nurl, store: a.store})
	up := newClient(t, a)
	up.signIn("buyer")
	f := []part{{"title", "Spare parts clause"}, {"summary", "Summary"}, {"type", "contract_clause"}, {"languages", "en"}, {"licence", "cc_by"}, {"visibility", "public"}}
	res, body := up.upload("/api/v1/resources", f, "c.txt", []byte("The supplier keeps spare parts <b>available</b> for seven years.\n"))
	if res.StatusCode != 201 {
		t.Fatalf("upload: %d %s", res.StatusCode, body)
	}
	var created struct{ ID string }
	_ = json.Unmarshal([]byte(body), &created)
	onA, onB := newClient(t, a), newClient(t, b)
	got := searchAPI(t, onA, "spare parts")
	if got.Total != 1 || got.Items[0].Score <= 0 || !strings.Contains(got.Items[0].Snippet, "<mark>spare</mark> <mark>parts</mark>") ||
		!strings.Contains(got.Items[0].Snippet, "&lt;b&gt;") || strings.Contains(got.Items[0].Snippet, "<b>") {
		t.Fatalf("on the server that made it: %+v", got)
	}
	wait := func(what string, ok func(apiSearch) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			r := searchAPI(t, onB, "spare parts")
			if ok(r) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the other server: %s: %+v", what, r)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	wait("finds the new resource", func(r apiSearch) bool { return r.Total == 1 && r.Items[0].ID == created.ID })
	if err := a.lib.Withdraw(context.Background(), created.ID, "admin", "outdated"); err != nil {
		t.Fatal(err)
	}
	if got := searchAPI(t, onA, "spare parts"); got.Total != 0 {
		t.Fatalf("withdrawn, still found on the server that withdrew it: %+v", got)
	}
	wait("no longer finds the withdrawn resource", func(r apiSearch) bool { return r.Total == 0 })

	for _, q := range []string{`+spare -parts`, `title:spare^9`, `"spare parts`, `(((`, strings.Repeat("x ", 1000), "sp\xffare", `*`, `~`, `"`} {
		for _, path := range []string{"/library?q=", "/api/v1/resources?q="} {
			res, body := onA.get(path + url.QueryEscape(q))
			if res.StatusCode != 200 {
				t.Errorf("%s%.30q: status %d: %.200s", path, q, res.StatusCode, body)
			}
		}
	}
}
