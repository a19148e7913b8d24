package server

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/auth"
)

// The workshop form offers the members of the facilitator's groups as
// co-facilitators; in a group's workshop they must belong to that group,
// and a refused form keeps the choice.
func TestWorkshopFormCoFacilitators(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	member := func(key string) *auth.Member {
		m, err := s.auth.MemberByIdentity(ctx, auth.DemoProvider, key)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	jonas, mateo, lucas := member("jonas"), member("mateo"), member("facilitator")
	ethics, err := s.auth.GroupBySlug(ctx, "ethics-working-group")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s)
	c.signIn("facilitator")
	_, page := c.get("/workshops/new")
	for _, want := range []string{`name="facilitators"`, `value="` + jonas.ID + `"`, `value="` + mateo.ID + `"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("the form lacks %s", want)
		}
	}
	if strings.Contains(page, `<option value="`+lucas.ID+`"`) {
		t.Fatal("the form offers its author as a co-facilitator")
	}
	day := time.Now().Add(48 * time.Hour).Format("2006-01-02")
	form := func(cofac ...string) url.Values {
		return url.Values{"title": {"Clause clinic"}, "format": {"case_clinic"}, "group": {ethics.ID}, "time_zone": {"Europe/Brussels"},
			"starts_at": {day + "T10:00"}, "ends_at": {day + "T12:00"}, "facilitators": cofac}
	}
	// Mateo is not in the ethics group.
	res, body := c.post("/workshops", form(jonas.ID, mateo.ID))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "must be members of that group") {
		t.Fatalf("a co-facilitator outside the group: %d", res.StatusCode)
	}
	for _, id := range []string{jonas.ID, mateo.ID} {
		if !strings.Contains(body, `<option value="`+id+`" selected>`) {
			t.Fatalf("the refused form lost the choice of %s", id)
		}
	}
	if res, _ := c.post("/workshops", form("not-a-member")); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("an unknown co-facilitator: %d", res.StatusCode)
	}
	res, _ = c.post("/workshops", form(jonas.ID))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", res.StatusCode)
	}
	id := strings.TrimPrefix(res.Header.Get("Location"), "/workshops/")
	w, err := s.workshops.Workshop(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.Facilitators, []string{lucas.ID, jonas.ID}) {
		t.Fatalf("facilitators = %v", w.Facilitators)
	}
}
