package server

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
)

// A thread's event stream delivers new posts; deactivating the member
// closes it at once (the connection registry).
func TestForumLiveStream(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	base := listen(t, s)
	ctx := context.Background()
	reader := newMember(t, s, "Rea Reader", auth.StatusApproved, auth.RoleMember)
	writer := newMember(t, s, "Wim Writer", auth.StatusApproved, auth.RoleMember)
	gen, _ := s.forum.CategoryBySlug(ctx, "general")
	th, _, err := s.forum.CreateThread(ctx, forum.NewThread{Category: gen, AuthorID: reader.ID, Title: "Live thread here", Body: "Start"})
	if err != nil {
		t.Fatal(err)
	}
	sid := auth.NewSessionSecret()
	if err := s.auth.CreateSession(ctx, sid, reader.ID, time.Hour, time.Hour, ""); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/discussions/live?thread="+th.ID, nil)
	req.AddCookie(&http.Cookie{Name: s.sessionCookieName(), Value: sid})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	wait := func(sub string) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("stream ended before %q", sub)
				}
				if strings.Contains(l, sub) {
					return
				}
			case <-deadline:
				t.Fatalf("no %q within 5 s", sub)
			}
		}
	}
	wait("retry:")
	c := newClient(t, s)
	c.signInAs(writer.ID)
	replyAs(t, c, th.ID, "A live reply")
	wait(`"type":"post"`)
	wait(`"type":"notify"`) // the reader started the thread: a reply notification
	if n := s.conns.closeAll(reader.ID); n != 1 {
		t.Fatalf("%d connections registered", n)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-lines:
			if !ok {
				return // closed
			}
		case <-deadline:
			t.Fatal("stream still open after closeAll")
		}
	}
}
