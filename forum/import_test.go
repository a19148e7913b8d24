package forum

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestImportRepliesWritesWhatReplyWrites: a thread whose replies were
// imported in one insert reads back like one whose replies came one by one
// through Reply (posts, numbers, counts, latest activity), and a reply
// after the import takes the next number.
func TestImportRepliesWritesWhatReplyWrites(t *testing.T) {
	s, _, cat := twoServers(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	bodies := []string{"First **reply** quoting nothing", "Second, mentioning @[Anna](/members/m1)", "Third"}
	threads := map[string]*Thread{}
	for _, way := range []string{"reply", "import"} {
		th, _, err := s.CreateThread(ctx, NewThread{Category: cat, AuthorID: "a", Title: "Spare parts " + way, Body: "Opening post", At: at})
		if err != nil {
			t.Fatal(err)
		}
		var imported []ImportedReply
		for i, b := range bodies {
			when := at.Add(time.Duration(i+1) * time.Hour)
			if way == "reply" {
				if _, err := s.Reply(ctx, th.ID, fmt.Sprintf("m%d", i), b, false, when); err != nil {
					t.Fatal(err)
				}
				continue
			}
			imported = append(imported, ImportedReply{AuthorID: fmt.Sprintf("m%d", i), Body: b, At: when})
		}
		if err := s.ImportReplies(ctx, th.ID, imported); err != nil {
			t.Fatal(err)
		}
		if threads[way], err = s.Thread(ctx, th.ID); err != nil {
			t.Fatal(err)
		}
	}
	r, i := threads["reply"], threads["import"]
	if r.LastN != 4 || i.LastN != r.LastN || i.Replies != r.Replies || !i.LastPostAt.Equal(r.LastPostAt) || i.LastAuthor != r.LastAuthor {
		t.Fatalf("imported thread %+v, replied thread %+v", i, r)
	}
	rp, err := s.Posts(ctx, r, 1)
	if err != nil {
		t.Fatal(err)
	}
	ip, err := s.Posts(ctx, i, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(ip) != len(rp) {
		t.Fatalf("%d imported posts, %d replied", len(ip), len(rp))
	}
	for k := range rp {
		a, b := *rp[k], *ip[k]
		if b.ID != PostID(i.ID, k+1) || b.ThreadID != i.ID {
			t.Fatalf("post %d: id %s", k+1, b.ID)
		}
		a.ID, a.ThreadID, b.ID, b.ThreadID = "", "", "", ""
		// UpdatedAt is when the document was written (the search index's
		// catch-up stamp), not part of the post: each path stamps its own write.
		a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
		if fmt.Sprintf("%+v", a) != fmt.Sprintf("%+v", b) {
			t.Fatalf("post %d:\nreplied  %+v\nimported %+v", k+1, a, b)
		}
	}
	p, err := s.Reply(ctx, i.ID, "m9", "After the import", false, time.Time{})
	if err != nil || p.N != 5 {
		t.Fatalf("reply after import: %+v, %v", p, err)
	}
}
