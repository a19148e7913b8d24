package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/workshops"
)

// A member's home is their own: the workshop running now with "Enter the
// room", their next registered workshop, a followed thread with new
// replies; a reviewer sees the applications waiting. A visitor sees none
// of it.
func TestMemberHome(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	fac := newMember(t, s, "Home Facilitator", auth.StatusApproved, auth.RoleFacilitator)
	now := time.Now()
	live, err := s.workshops.Create(ctx, fac.ID, workshops.Input{Title: "Home live clinic", StartsAt: now.Add(-10 * time.Minute), EndsAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	next, err := s.workshops.Create(ctx, fac.ID, workshops.Input{Title: "Home next clinic", StartsAt: now.Add(48 * time.Hour), EndsAt: now.Add(49 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.workshops.Create(ctx, fac.ID, workshops.Input{Title: "Home unregistered clinic", StartsAt: now.Add(50 * time.Hour), EndsAt: now.Add(51 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	general, err := s.forum.CategoryBySlug(ctx, "general")
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := s.forum.CreateThread(ctx, forum.NewThread{Category: general, AuthorID: fac.ID, Title: "Home followed thread", Body: "First."})
	if err != nil {
		t.Fatal(err)
	}
	buyer := newClient(t, s)
	buyer.signIn("buyer")
	if res, _ := buyer.post("/api/v1/workshops/"+next.ID+"/registrations", nil); res.StatusCode != 201 {
		t.Fatalf("register: %d", res.StatusCode)
	}
	buyer.get("/threads/" + th.ID) // read: now followed
	if _, err := s.forum.Reply(ctx, th.ID, fac.ID, "A new reply.", false, time.Time{}); err != nil {
		t.Fatal(err)
	}
	_, page := buyer.get("/")
	for _, want := range []string{
		`href="/workshops/` + live.ID + `#room">Enter the room</a>`,
		`<a href="/workshops/` + next.ID + `">Home next clinic</a>`,
		`<a href="/threads/` + th.ID + `/posts/2">Home followed thread</a>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the member's home lacks %s", want)
		}
	}
	if strings.Contains(page, "Home unregistered clinic") || strings.Contains(page, "Membership applications") {
		t.Error("the member's home lists a workshop they did not register for, or applications")
	}
	admin := newClient(t, s)
	admin.signInAs(newMember(t, s, "Home Admin", auth.StatusApproved, auth.RoleAdmin).ID)
	newMember(t, s, "Home Applicant", auth.StatusPending, auth.RoleMember)
	if _, page := admin.get("/"); !strings.Contains(page, `<a href="/admin/members">Membership applications to review: `) {
		t.Error("the administrator's home does not show the applications waiting")
	}
	visitor := newClient(t, s)
	if _, page := visitor.get("/"); strings.Contains(page, "Enter the room") || strings.Contains(page, "next-title") {
		t.Error("a visitor sees a member's home")
	}
}

// A pending member is told, wherever they land, that the membership awaits
// approval and what happens next; the discussions do not claim that none
// have started.
func TestPendingMemberIsToldWhatHappensNext(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	c.signIn("newcomer")
	for _, path := range []string{"/", "/discussions", "/library", "/workshops", "/groups"} {
		_, page := c.get(path)
		if !strings.Contains(page, "Your membership is waiting for approval by a coordinator. You will receive an e-mail") {
			t.Errorf("%s does not tell the pending member what happens next", path)
		}
		if strings.Contains(page, "No discussions have started yet") {
			t.Errorf("%s tells a pending member that no discussions have started", path)
		}
	}
}
