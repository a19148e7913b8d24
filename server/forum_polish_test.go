package server

import (
	"context"
	"net/url"
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

// Reactions are self-hosted icons with their names for screen readers, and
// a count only once someone reacted.
func TestReactionsAreIconsWithNamesAndCounts(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	general, err := s.forum.CategoryBySlug(ctx, "general")
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := s.forum.CreateThread(ctx, forum.NewThread{Category: general, AuthorID: newMember(t, s, "Reaction Author", auth.StatusApproved, auth.RoleMember).ID, Title: "Reactions", Body: "A post."})
	if err != nil {
		t.Fatal(err)
	}
	buyer := newClient(t, s)
	buyer.signIn("buyer")
	_, page := buyer.get("/threads/" + th.ID)
	for _, r := range forum.Reactions {
		if strings.Contains(page, forum.ReactionSymbol[r]) {
			t.Errorf("the %s reaction shows its emoji", r)
		}
	}
	icon := regexp.MustCompile(`<img src="(/static/img/react-like\.[0-9a-f]+\.svg)" alt="" width="20" height="20"><span class="visually-hidden">Like</span>`).FindStringSubmatch(page)
	if icon == nil {
		t.Fatal("the Like button has no icon with its name")
	}
	if strings.Contains(page, `class="reaction-count"`) {
		t.Error("counts of zero are shown")
	}
	if res, body := buyer.get(icon[1]); res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(body, "<svg") {
		t.Errorf("icon: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res, _ := buyer.post("/threads/"+th.ID+"/posts/1/react", url.Values{"reaction": {"thanks"}}); res.StatusCode != 303 {
		t.Fatalf("react: %d", res.StatusCode)
	}
	_, page = buyer.get("/threads/" + th.ID)
	if !strings.Contains(page, `<span class="visually-hidden">Thanks</span><span class="reaction-count">1</span>`) || strings.Count(page, `class="reaction-count"`) != 1 {
		t.Error("the one reaction's count is not shown alone")
	}
}
