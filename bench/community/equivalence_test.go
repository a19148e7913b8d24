package main

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/store/storetest"
	"github.com/circularfairict/portal/workshops"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// TestJoinAsJoinGroupWould: the generator's one-write join leaves a group
// as the same joins through auth.Store.JoinGroup do.
func TestJoinAsJoinGroupWould(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	a := auth.NewStore(st.DB)
	g := &generator{ctx: ctx, a: a}
	joins := []string{"m1", "m2", "m1", "coord", "m3"}
	group := func(slug string) *auth.Group {
		grp, err := a.CreateGroup(ctx, auth.GroupInput{Slug: slug, Name: slug, Visibility: auth.VisibilityMembers, JoinPolicy: auth.JoinOpen}, "coord")
		if err != nil {
			t.Fatal(err)
		}
		return grp
	}
	one, bulk := group("one-by-one"), group("in-one-write")
	for _, id := range joins {
		if _, err := a.JoinGroup(ctx, one.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.join(bulk, joins); err != nil {
		t.Fatal(err)
	}
	want, err := a.Group(ctx, one.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.Group(ctx, bulk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Members, want.Members) || !slices.Equal(got.Coordinators, want.Coordinators) {
		t.Errorf("members %v coordinators %v, want %v %v", got.Members, got.Coordinators, want.Members, want.Coordinators)
	}
	if len(got.Joined) != len(want.Joined) {
		t.Errorf("joined %v, want the keys of %v", got.Joined, want.Joined)
	}
	for id := range want.Joined {
		if got.Joined[id].IsZero() {
			t.Errorf("member %s has no join date", id)
		}
	}
}

// TestRegisterAsRegisterWould: the generator's registrations, settled
// once, give each member the status that registering one after the other
// through workshops.Store.Register gives, waiting list included.
func TestRegisterAsRegisterWould(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	ws := workshops.NewStore(st.DB)
	g := &generator{ctx: ctx, ws: ws}
	start := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Minute)
	workshop := func(id string) *workshops.Workshop {
		w := &workshops.Workshop{ID: id, Title: id, Format: workshops.FormatWebinar, StartsAt: start, EndsAt: start.Add(time.Hour),
			TimeZone: "Europe/Brussels", Capacity: 3, Languages: []string{"en"}, Facilitators: []string{"f"},
			Agenda: []workshops.AgendaItem{}, Polls: []workshops.Poll{}, Materials: []string{}, CreatedAt: start, UpdatedAt: start}
		if err := ws.Put(ctx, w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	regs := []string{"m1", "m2", "m1", "m3", "m4", "m5", "m2"}
	one, bulk := workshop("0000000000000001"), workshop("0000000000000002")
	for _, id := range regs {
		if _, err := ws.Register(ctx, one, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.register(bulk, regs); err != nil {
		t.Fatal(err)
	}
	statuses := func(w *workshops.Workshop) []string {
		rs, err := ws.Registrations(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.MemberID+":"+string(r.Status))
		}
		return out
	}
	want, got := statuses(one), statuses(bulk)
	if !slices.Equal(got, want) {
		t.Errorf("registrations %v, want %v", got, want)
	}
	if len(want) != 5 {
		t.Errorf("registered one by one: %v, want five members", want)
	}
}
