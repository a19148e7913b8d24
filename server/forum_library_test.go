package server

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// The library's "Discuss" button opens (creating on first use) the thread
// of a resource; the thread shows the resource card; the resource page
// shows the reply count; the combined search finds library items and
// discussions together.
func TestResourceDiscussion(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	owner := newClient(t, s)
	owner.signIn("buyer")
	res, body := owner.upload("/api/v1/resources", metaFields("Repairability clause for tablets"), "clause.md", []byte("# Repairability\n\nSpare parts for seven years.\n"))
	if res.StatusCode != 201 {
		t.Fatalf("upload: %d %s", res.StatusCode, body)
	}
	r := decodeResource(t, body)

	member := newClient(t, s)
	member.signIn("facilitator")
	_, page := member.get("/library/" + r.ID)
	if !strings.Contains(page, `action="/discussions/resources/`+r.ID+`"`) {
		t.Fatal("the resource page offers no Discuss button")
	}
	res, _ = member.post("/discussions/resources/"+r.ID, url.Values{})
	thread := res.Header.Get("Location")
	if res.StatusCode != 303 || !strings.HasPrefix(thread, "/threads/") {
		t.Fatalf("discuss: %d to %q", res.StatusCode, thread)
	}
	// A second press opens the same thread.
	res, _ = owner.post("/discussions/resources/"+r.ID, url.Values{})
	if loc := res.Header.Get("Location"); loc != thread {
		t.Fatalf("second discuss went to %q, not %q", loc, thread)
	}
	_, tpage := member.get(thread)
	if !strings.Contains(tpage, "Repairability clause for tablets") || !strings.Contains(tpage, "/library/"+r.ID) {
		t.Fatal("the thread does not show the resource card")
	}
	threadID := strings.TrimPrefix(thread, "/threads/")
	if i := strings.IndexAny(threadID, "/?#"); i >= 0 {
		threadID = threadID[:i]
	}
	if res, body := member.post("/threads/"+threadID+"/reply", url.Values{"body": {"We used this clause in our 2026 tablet tender."}}); res.StatusCode >= 400 {
		t.Fatalf("reply: %d %.300s", res.StatusCode, body)
	}
	if _, page := owner.get("/library/" + r.ID); !strings.Contains(page, "1 reply<") {
		t.Errorf("the resource page does not show the reply count")
	}
	// Combined search: the library item and the discussion.
	_, found := member.get("/discussions/search?q=repairability")
	if !strings.Contains(found, "/library/"+r.ID) {
		t.Error("the combined search does not list the library item")
	}
}

// A preview reads as the posted reply will: the library card of a linked
// resource shows, in the page the form re-renders (without scripts) and in
// the section /discussions/preview returns for the composer's script.
func TestPreviewShowsLibraryCards(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	c.signIn("buyer")
	res, body := c.upload("/api/v1/resources", metaFields("Take-back clause for monitors"), "clause.md", []byte("# Take-back\n\nThe supplier takes back old monitors.\n"))
	if res.StatusCode != 201 {
		t.Fatalf("upload: %d %s", res.StatusCode, body)
	}
	r := decodeResource(t, body)
	text := "We used /library/" + r.ID + " last year."
	c.get("/discussions")
	req := httptest.NewRequest("POST", "/discussions/preview", strings.NewReader(url.Values{"body": {text}, "_csrf": {c.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	res, frag := c.do(req)
	if res.StatusCode != 200 || !strings.Contains(frag, `class="post-preview"`) || !strings.Contains(frag, `<a class="resource-card" href="/library/`+r.ID+`"`) ||
		!strings.Contains(frag, "Take-back clause for monitors") {
		t.Fatalf("preview section: %d %.600s", res.StatusCode, frag)
	}
	if strings.Contains(frag, "<html") {
		t.Error("the preview section came with the whole page")
	}
	c.get("/discussions/c/general/new")
	res, page := c.post("/discussions/c/general/new", url.Values{"title": {"Preview"}, "body": {text}, "kind": {"discussion"}, "preview": {"1"}})
	if res.StatusCode != 200 || !strings.Contains(page, `<a class="resource-card" href="/library/`+r.ID+`"`) {
		t.Fatalf("preview without scripts: %d, no card", res.StatusCode)
	}
}
