package server

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/workshops"
)

// shutBox reports whether the page shows the room's designed state kind
// (room_not_open, room_closed): present and not hidden.
func shutBox(body, kind string) bool {
	m := regexp.MustCompile(`<div class="room-shut"[^>]*data-room-shut="` + kind + `"[^>]*>`).FindString(body)
	return m != "" && !strings.Contains(m, " hidden")
}

func enterDisabled(body string) bool {
	return regexp.MustCompile(`<button type="button" data-room-enter disabled`).MatchString(body)
}

// TestWorkshopPageFollowsRoleAndRoomState: the workshop page offers each
// person only what applies to them and to the room as it is: the
// facilitator is not offered registration, sees "Open the room now" only
// while it is not open and "Close the room" only while it is; a member
// sees a room that is not open yet, or closed, as such, with the way in
// disabled; the attendee table states each member's status, not "You are
// registered."; languages are named in the page's language.
func TestWorkshopPageFollowsRoleAndRoomState(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	facID, buyerID := personaID(t, s, "facilitator"), personaID(t, s, "buyer")
	start := time.Now().Add(2 * time.Hour)
	w, err := s.workshops.Create(ctx, facID, workshops.Input{Title: "Clinic later today", StartsAt: start, EndsAt: start.Add(time.Hour),
		Languages: []string{"en", "de"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.workshops.Register(ctx, w, buyerID); err != nil {
		t.Fatal(err)
	}
	page := "/workshops/" + w.ID
	fac, buyer := newClient(t, s), newClient(t, s)
	fac.signIn("facilitator")
	buyer.signIn("buyer")

	// Before the start.
	_, body := fac.get(page)
	switch {
	case strings.Contains(body, `action="`+page+`/register"`):
		t.Error("the facilitator is offered registration")
	case !strings.Contains(body, `action="`+page+`/open"`) || strings.Contains(body, `action="`+page+`/close"`):
		t.Error("before the start the facilitator should be offered to open the room, not to close it")
	case !strings.Contains(body, "Participants cannot enter yet"):
		t.Error("the facilitator is not told that participants cannot enter yet")
	case strings.Contains(body, "<td>You are registered.</td>") || !strings.Contains(body, "<td>Registered</td>"):
		t.Error("the attendee table does not state the member's status in the third person")
	case !strings.Contains(body, "<dd>English, German</dd>"):
		t.Error("the languages are not named")
	}
	_, body = buyer.get(page)
	if !shutBox(body, "room_not_open") || shutBox(body, "room_closed") || !enterDisabled(body) || !strings.Contains(body, "The room is not open yet") {
		t.Error("a member does not see the room's not-yet-open state with the way in disabled")
	}
	if !strings.Contains(body, `action="`+page+`/cancel"`) {
		t.Error("the registered member is not offered to cancel")
	}
	if _, body := buyer.get("/workshops/" + w.ID + "?lang=fr"); !strings.Contains(body, "<dd>anglais, allemand</dd>") {
		t.Error("the languages are not named in French on the French page")
	}

	// Opened early: the facilitator may close it, the member may enter.
	fac.get(page)
	if res, _ := fac.post(page+"/open", nil); res.StatusCode != 303 {
		t.Fatalf("open: %d", res.StatusCode)
	}
	waitFor(t, "the room to be open", func() bool { _, body = buyer.get(page); return !enterDisabled(body) })
	if shutBox(body, "room_not_open") || shutBox(body, "room_closed") {
		t.Error("an open room shows a shut state")
	}
	_, body = fac.get(page)
	if strings.Contains(body, `action="`+page+`/open"`) || !strings.Contains(body, `action="`+page+`/close"`) {
		t.Error("an open room should offer the facilitator to close it, not to open it")
	}

	// Closed: the member sees the closed state.
	if res, _ := fac.post(page+"/close", nil); res.StatusCode != 303 {
		t.Fatalf("close: %d", res.StatusCode)
	}
	waitFor(t, "the room to be closed", func() bool { _, body = buyer.get(page); return enterDisabled(body) })
	if !shutBox(body, "room_closed") || shutBox(body, "room_not_open") || !strings.Contains(body, "The room is closed") {
		t.Error("a member does not see the room's closed state")
	}
	if strings.Contains(body, "room_closed</") || strings.Contains(body, "closed to you") {
		t.Error("the closed room shows a raw code or the old wording")
	}
}

// waitFor polls a condition: the open and close go through the room, which
// applies them when they come back from the bus.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
