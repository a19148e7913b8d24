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
