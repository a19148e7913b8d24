package server

import (
	"context"
	"testing"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
)

// A reply is two writes: its post, then the thread's last_n. A process
// killed between them leaves a post the thread does not count yet. The
// next reply must still be stored (numbered after that post), and the
// thread must count both, instead of every later reply colliding with the
// stray post's number for ever.
func TestReplyAfterInterruptedReply(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	m := newMember(t, s, "Interrupted Writer", auth.StatusApproved, auth.RoleMember)
	cat, err := s.forum.EnsureGeneral(ctx, "General", "Everything else")
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := s.forum.CreateThread(ctx, forum.NewThread{Category: cat, AuthorID: m.ID, Title: "An interrupted reply", Body: "Opening post."})
	if err != nil {
		t.Fatal(err)
	}
	// The first write of a reply, alone: post 2 stored, last_n still 1.
	stray := forum.Post{ID: forum.PostID(th.ID, 2), ThreadID: th.ID, N: 2, CategoryID: cat.ID, AuthorID: m.ID,
		Body: "A reply whose thread update never happened.", HTML: "<p>A reply whose thread update never happened.</p>", CreatedAt: time.Now().UTC()}
	if _, err := s.store.DB.Collection("forum_posts").InsertOne(ctx, stray); err != nil {
		t.Fatal(err)
	}

	p, err := s.forum.Reply(ctx, th.ID, m.ID, "The next reply.", false, time.Time{})
	if err != nil {
		t.Fatalf("the reply after an interrupted one failed: %v", err)
	}
	if p.N != 3 {
		t.Errorf("the reply got number %d, want 3 (after the stray post)", p.N)
	}
	got, err := s.forum.Thread(ctx, th.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastN != 3 || got.Replies != 2 {
		t.Errorf("thread last_n %d, replies %d; want 3 and 2", got.LastN, got.Replies)
	}
	posts, err := s.forum.AllPosts(ctx, th.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 3 || posts[0].N != 1 || posts[1].N != 2 || posts[2].N != 3 {
		t.Errorf("posts: %d", len(posts))
	}
}
