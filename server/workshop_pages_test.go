package server

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/workshops"
	"github.com/circularfairict/portal/workshops/live"
)

// The room's reactions are the discussions' own: the same set, drawn with
// the same self-hosted icons, each with its word for screen readers in the
// page's language, never an emoji; and the room page offers the stage's
// "other activities" in a fixed order.
func TestRoomReactionsAreTheDiscussions(t *testing.T) {
	if !slices.Equal(live.Reactions, forum.Reactions) {
		t.Fatalf("room reactions %q, discussions' %q", live.Reactions, forum.Reactions)
	}
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	start := time.Now().Add(-10 * time.Minute)
	w, err := s.workshops.Create(ctx, personaID(t, s, "facilitator"), workshops.Input{Title: "Clinic now", StartsAt: start, EndsAt: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	buyer := newClient(t, s)
	buyer.signIn("buyer")
	for lang, words := range map[string][]string{"en": {"Like", "Thanks", "Insightful", "Agree"}, "fr": nil} {
		_, body := buyer.get("/workshops/" + w.ID + "?lang=" + lang)
		i := strings.Index(body, "data-room-reactions")
		if i < 0 {
			t.Fatalf("%s: no reactions in the room", lang)
		}
		box := body[i:]
		box = box[:strings.Index(box, "</div>")]
		for n, key := range live.Reactions {
			if !strings.Contains(box, `data-reaction="`+key+`"`) || !strings.Contains(box, "/static/img/react-"+key+".") {
				t.Errorf("%s: the %s reaction is not drawn with its icon: %s", lang, key, box)
			}
			if words != nil && !strings.Contains(box, `<span class="visually-hidden">`+words[n]+`</span>`) {
				t.Errorf("%s: the %s reaction has no word for screen readers", lang, key)
			}
		}
		for _, emoji := range forum.ReactionSymbol {
			if strings.Contains(box, emoji) {
				t.Errorf("%s: an emoji stands for a reaction: %s", lang, box)
			}
		}
		if strings.Contains(box, ">Like<") && lang == "fr" {
			t.Error("the French room's reactions are in English")
		}
	}
}

// A workshop with a waiting room lets a member who comes early in to
// wait: the way in is open and says so, with when the room opens; the
// facilitator is told that early arrivals wait. The form sets it.
func TestWorkshopPageOffersTheWaitingRoom(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	start := time.Now().Add(2 * time.Hour)
	w, err := s.workshops.Create(ctx, personaID(t, s, "facilitator"), workshops.Input{Title: "Clinic with a waiting room",
		StartsAt: start, EndsAt: start.Add(time.Hour), WaitingRoom: true})
	if err != nil {
		t.Fatal(err)
	}
	page := "/workshops/" + w.ID
	buyer, fac := newClient(t, s), newClient(t, s)
	buyer.signIn("buyer")
	fac.signIn("facilitator")
	_, body := buyer.get(page)
	if enterDisabled(body) || !strings.Contains(body, ">Enter the waiting room</button>") || shutBox(body, "room_not_open") ||
		!strings.Contains(body, "data-room-wait-offer") || !strings.Contains(body, "you will be let in when the room opens") {
		t.Error("a member who comes early is not offered the waiting room")
	}
	if _, body := fac.get(page); !strings.Contains(body, "wait in the waiting room until it opens") {
		t.Error("the facilitator is not told that early arrivals wait")
	}
	if in, err := parseWorkshopForm(map[string]string{"title": "T", "time_zone": "Europe/Brussels", "starts_at": "2030-01-01T10:00",
		"ends_at": "2030-01-01T11:00", "waiting_room": "1", "waiting_chat": "1"}); err != nil || !in.WaitingRoom || !in.WaitingChat {
		t.Errorf("the form's waiting room: %+v %v", in, err)
	}
	in := workshops.Input{Title: "T", WaitingChat: true}
	_ = in.Validate() // (it refuses the missing times, after normalising)
	if in.WaitingChat {
		t.Error("a waiting room's chat without a waiting room")
	}
}
