package server

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
)

var newThreadLinkRe = regexp.MustCompile(`<details class="new-thread">[\s\S]*?</details>`)

// The discussions index offers "New thread" with the categories the member
// may start one in, each leading to its form; visitors and pending members
// get no such offer.
func TestDiscussionsOfferNewThread(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	buyer := newClient(t, s)
	buyer.signIn("buyer")
	_, page := buyer.get("/discussions")
	offer := newThreadLinkRe.FindString(page)
	if offer == "" {
		t.Fatal("no New thread offer on the discussions index")
	}
	links := regexp.MustCompile(`href="(/discussions/c/[^"]+/new)"`).FindAllStringSubmatch(offer, -1)
	if len(links) == 0 {
		t.Fatalf("the offer lists %d categories: %s", len(links), offer)
	}
	for _, l := range links {
		if res, _ := buyer.get(l[1]); res.StatusCode != 200 {
			t.Errorf("%s answers %d", l[1], res.StatusCode)
		}
	}
	visitor := newClient(t, s)
	if _, page := visitor.get("/discussions"); strings.Contains(page, `class="new-thread"`) {
		t.Error("a visitor is offered a new thread")
	}
	pending := newClient(t, s)
	pending.signIn("newcomer")
	if _, page := pending.get("/discussions"); strings.Contains(page, `class="new-thread"`) {
		t.Error("a pending member is offered a new thread")
	}
}

// "Show new replies" is not shown on a thread whose replies are all on the
// page; the script shows it when a reply arrives that the page cannot add.
func TestNoNewRepliesLinkWithoutNewReplies(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	buyer := newClient(t, s)
	buyer.signIn("buyer")
	general, err := s.forum.CategoryBySlug(context.Background(), "general")
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := s.forum.CreateThread(context.Background(), forum.NewThread{Category: general, AuthorID: newMember(t, s, "Replies Author", auth.StatusApproved, auth.RoleMember).ID, Title: "Replies", Body: "A post."})
	if err != nil {
		t.Fatal(err)
	}
	_, thread := buyer.get("/threads/" + th.ID)
	if !strings.Contains(thread, `<p class="new-replies" id="new-replies" hidden>`) {
		t.Errorf("the thread page shows Show new replies: %s", regexp.MustCompile(`<p class="new-replies"[^>]*>`).FindString(thread))
	}
}
