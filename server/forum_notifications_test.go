package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/forum"
)

// The notifications page shows the inbox's latest by pages of 25, newest
// first, with previous and next links; a page out of range or not a number
// shows the nearest one.
func TestNotificationPages(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	f := seedSideways(t, s)
	ctx := context.Background()
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	for i := range 60 {
		if err := s.forum.Notify(ctx, &forum.Notification{MemberID: f.insider.ID, Kind: forum.NoteReply, ThreadID: f.general,
			Title: fmt.Sprintf("Note %02d", i), N: i + 2, ActorID: f.outsider.ID, CreatedAt: t0.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	in := newClient(t, s)
	in.signInAs(f.insider.ID)
	for _, tc := range []struct {
		query      string
		items      int
		first      int // the post number of the first shown
		page       string
		prev, next string
	}{
		{"", 25, 61, "Page 1 of 3", "", "/discussions/notifications?page=2"},
		{"?page=2", 25, 36, "Page 2 of 3", `href="/discussions/notifications"`, "/discussions/notifications?page=3"},
		{"?page=3", 10, 11, "Page 3 of 3", "/discussions/notifications?page=2", ""},
		{"?page=99", 10, 11, "Page 3 of 3", "/discussions/notifications?page=2", ""},
		{"?page=x", 25, 61, "Page 1 of 3", "", "/discussions/notifications?page=2"},
		{"?page=-4", 25, 61, "Page 1 of 3", "", "/discussions/notifications?page=2"},
	} {
		res, body := in.get("/discussions/notifications" + tc.query)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", tc.query, res.StatusCode)
		}
		list := body[strings.Index(body, `<ul class="activity">`):]
		list = list[:strings.Index(list, "</ul>")]
		if n := strings.Count(list, "<li"); n != tc.items {
			t.Errorf("%q: %d notifications, want %d", tc.query, n, tc.items)
		}
		if want := fmt.Sprintf("/threads/%s/posts/%d", f.general, tc.first); !strings.Contains(list[:strings.Index(list, "</li>")], want) {
			t.Errorf("%q: the first links elsewhere than %s", tc.query, want)
		}
		if !strings.Contains(body, tc.page) || !strings.Contains(body, `<nav class="pagination" aria-label="Pages">`) {
			t.Errorf("%q: no %q in a labelled pager", tc.query, tc.page)
		}
		if hasPrev := strings.Contains(body, `rel="prev"`); hasPrev != (tc.prev != "") || tc.prev != "" && !strings.Contains(body, tc.prev) {
			t.Errorf("%q: previous link, want %q", tc.query, tc.prev)
		}
		if hasNext := strings.Contains(body, `rel="next"`); hasNext != (tc.next != "") || tc.next != "" && !strings.Contains(body, `rel="next" href="`+tc.next+`"`) {
			t.Errorf("%q: next link, want %q", tc.query, tc.next)
		}
	}
	// Nobody's notifications: the empty message, no pager.
	out := newClient(t, s)
	out.signInAs(f.outsider.ID)
	if _, body := out.get("/discussions/notifications"); !strings.Contains(body, `class="empty"`) || strings.Contains(body, `class="pagination"`) {
		t.Error("an empty inbox shows a pager or no message")
	}
}
