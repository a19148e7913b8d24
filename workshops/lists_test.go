package workshops

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store/storetest"
)

func workshopsOf(t *testing.T, s *Store, memberID string) []string {
	t.Helper()
	rs, err := s.MemberRegistrations(context.Background(), memberID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.WorkshopID)
	}
	slices.Sort(ids)
	return ids
}

func membersOf(t *testing.T, s *Store, workshopID string) []string {
	t.Helper()
	rs, err := s.Registrations(context.Background(), workshopID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.MemberID)
	}
	slices.Sort(ids)
	return ids
}

// listed is the IDs of the workshops List gives for f, in its order,
// joined by commas.
func listed(t *testing.T, s *Store, f Filter) string {
	t.Helper()
	ws, err := s.List(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, w := range ws {
		out = append(out, w.ID)
	}
	return strings.Join(out, ",")
}

// A member's registrations and a workshop's follow registering, cancelling,
// registering again, the seed's PutRegistration and erasure, read through
// the lists by _id.
func TestRegistrationListsFollowRegistrations(t *testing.T) {
	ctx := context.Background()
	s := NewStore(storetest.New(t).DB).ReadByID()
	w1, err := s.Create(ctx, "fac", input())
	if err != nil {
		t.Fatal(err)
	}
	w2, err := s.Create(ctx, "fac", input())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []*Workshop{w1, w2} {
		if _, err := s.Register(ctx, w, "a"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Register(ctx, w1, "b"); err != nil {
		t.Fatal(err)
	}
	want := func(step string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Fatalf("%s: %v, want %v", step, got, want)
		}
	}
	want("a registered", workshopsOf(t, s, "a"), sorted(w1.ID, w2.ID))
	want("w1's registrations", membersOf(t, s, w1.ID), []string{"a", "b"})
	if _, err := s.Cancel(ctx, w2, "a"); err != nil {
		t.Fatal(err)
	}
	want("a cancelled w2", workshopsOf(t, s, "a"), []string{w1.ID})
	if rs, _ := s.Registrations(ctx, w2.ID); len(rs) != 1 || rs[0].Status != Cancelled {
		t.Fatalf("w2 keeps the cancelled registration: %+v", rs)
	}
	if _, err := s.Register(ctx, w2, "a"); err != nil {
		t.Fatal(err)
	}
	want("a registered again", workshopsOf(t, s, "a"), sorted(w1.ID, w2.ID))
	if err := s.PutRegistration(ctx, Registration{WorkshopID: w2.ID, MemberID: "c", Status: Registered}); err != nil {
		t.Fatal(err)
	}
	want("seeded", workshopsOf(t, s, "c"), []string{w2.ID})
	if n, err := s.DeleteMemberRegistrations(ctx, "a"); err != nil || n != 2 {
		t.Fatalf("erasure deleted %d: %v", n, err)
	}
	want("a erased", workshopsOf(t, s, "a"), nil)
	want("w1 after the erasure", membersOf(t, s, w1.ID), []string{"b"})
	if n, err := s.col(colLists).CountDocuments(ctx, bson.M{"_id": memberListID("a")}); err != nil || n != 0 {
		t.Fatalf("the erased member's list stays: %d %v", n, err)
	}
	// A name listed without its registration (a server stopped between
	// the writes) is skipped.
	if err := s.listRegistration(ctx, w1.ID, "ghost"); err != nil {
		t.Fatal(err)
	}
	want("ghost", membersOf(t, s, w1.ID), []string{"b"})
	want("ghost's", workshopsOf(t, s, "ghost"), nil)
}

// Members registering for several workshops through two servers at the
// same moment: every registration is on both lists, and the seats are
// given as the registrations say.
func TestRegistrationListsAcrossServers(t *testing.T) {
	db := storetest.New(t).DB
	a, b := NewStore(db), NewStore(db)
	ctx := context.Background()
	var ws []*Workshop
	for range 3 {
		w, err := a.Create(ctx, "fac", input())
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	storetest.Together(18, func(i int) {
		s := []*Store{a, b}[i%2]
		if _, err := s.Register(ctx, ws[i%3], fmt.Sprintf("m%d", i/3)); err != nil {
			t.Error(err)
		}
	})
	for i := range 6 {
		m := fmt.Sprintf("m%d", i)
		if got := workshopsOf(t, b, m); !slices.Equal(got, sorted(ws[0].ID, ws[1].ID, ws[2].ID)) {
			t.Fatalf("%s's registrations: %v", m, got)
		}
	}
	for _, w := range ws {
		if got := membersOf(t, a, w.ID); len(got) != 6 {
			t.Fatalf("workshop %s's registrations: %v", w.ID, got)
		}
	}
}

func sorted(ids ...string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// The lists of upcoming and past workshops, of a group's, and the running
// ones come from the schedule, and a stale entry shows nothing the filter
// refuses.
func TestScheduleLists(t *testing.T) {
	ctx := context.Background()
	s := NewStore(storetest.New(t).DB).ReadByID()
	now := time.Now().UTC().Truncate(time.Millisecond)
	at := func(id, group string, start time.Duration, length time.Duration) *Workshop {
		w := &Workshop{ID: id, Title: id, GroupID: group, StartsAt: now.Add(start), EndsAt: now.Add(start + length)}
		if err := s.Put(ctx, w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	at("past1", "", -48*time.Hour, time.Hour)
	at("past2", "g", -24*time.Hour, time.Hour)
	at("running", "", -time.Hour, 2*time.Hour)
	at("soon", "g", time.Hour, time.Hour)
	at("later", "", 48*time.Hour, time.Hour)
	created, err := s.Create(ctx, "fac", input()) // tomorrow
	if err != nil {
		t.Fatal(err)
	}
	ids := func(f Filter) string { t.Helper(); return listed(t, s, f) }
	for _, tc := range []struct {
		f    Filter
		want string
	}{
		{Filter{}, "running,soon," + created.ID + ",later"},
		{Filter{Past: true}, "past2,past1"},
		{Filter{GroupID: "g"}, "soon"},
		{Filter{Past: true, GroupID: "g"}, "past2"},
		{Filter{Limit: 2}, "running,soon"},
	} {
		if got := ids(tc.f); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.f, got, tc.want)
		}
	}
	rs, err := s.Running(ctx)
	if err != nil || len(rs) != 1 || rs[0].ID != "running" {
		t.Fatalf("running: %v %v", rs, err)
	}
	// Moved to the past behind the schedule's back: the list checks.
	if _, err := s.col(colWorkshops).UpdateOne(ctx, bson.M{"_id": "later"}, bson.M{"$set": bson.M{"ends_at": now.Add(-time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	if got := ids(Filter{}); got != "running,soon,"+created.ID {
		t.Errorf("after a stale entry: %s", got)
	}
	// Put corrects the entry.
	at("later", "", -3*time.Hour, time.Hour)
	if got := ids(Filter{Past: true}); got != "later,past2,past1" {
		t.Errorf("past after a move: %s", got)
	}
}

// The daily repair lists registrations and enters workshops that a replica
// of the release before the lists stored, and corrects moved times.
func TestRepairLists(t *testing.T) {
	ctx := context.Background()
	s := NewStore(storetest.New(t).DB)
	w, err := s.Create(ctx, "fac", input())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Register(ctx, w, "new"); err != nil {
		t.Fatal(err)
	}
	// An older release's registration, workshop and edit: no lists.
	now := time.Now().UTC().Truncate(time.Millisecond)
	if _, err := s.col(colRegistrations).InsertOne(ctx, Registration{ID: regID(w.ID, "old"), WorkshopID: w.ID, MemberID: "old",
		Status: Registered, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.col(colWorkshops).InsertOne(ctx, &Workshop{ID: "older", Title: "Older", StartsAt: now.Add(time.Hour), EndsAt: now.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.col(colWorkshops).UpdateOne(ctx, bson.M{"_id": w.ID}, bson.M{"$set": bson.M{"starts_at": now.Add(-time.Hour), "ends_at": now.Add(-time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	// The registration, the older workshop's schedule entry and text, the
	// moved one's times.
	if n, err := s.RepairLists(ctx); err != nil || n != 4 {
		t.Fatalf("repair: %d %v, want 4 entries", n, err)
	}
	if ws, err := s.List(ctx, Filter{Match: func(t string) bool { return strings.Contains(t, "Older") }}); err != nil || len(ws) != 1 {
		t.Fatalf("the older workshop by its text after the repair: %v %v", ws, err)
	}
	if got := membersOf(t, s, w.ID); !slices.Equal(got, []string{"new", "old"}) {
		t.Fatalf("registrations after the repair: %v", got)
	}
	if got := workshopsOf(t, s, "old"); !slices.Equal(got, []string{w.ID}) {
		t.Fatalf("old's registrations after the repair: %v", got)
	}
	for past, want := range map[bool]string{false: "older", true: w.ID} {
		ws, err := s.List(ctx, Filter{Past: past})
		if err != nil || len(ws) != 1 || ws[0].ID != want {
			t.Fatalf("past=%v after the repair: %v %v, want %s", past, ws, err, want)
		}
	}
	if n, err := s.RepairLists(ctx); err != nil || n != 0 {
		t.Fatalf("second repair: %d %v", n, err)
	}
}

// A search's words are tested on the texts document, and only the accepted
// workshops are read; the workshop read is tested again, and one without
// an entry (written by an older release) is read and tested itself. The
// limit applies before the words, as when the server tested each listed
// workshop.
func TestListMatchesTexts(t *testing.T) {
	ctx := context.Background()
	s := NewStore(storetest.New(t).DB).ReadByID()
	now := time.Now().UTC().Truncate(time.Millisecond)
	for i, title := range []string{"Repair cafe", "Battery take-back", "Repair clinic", "Spare parts"} {
		w := &Workshop{ID: fmt.Sprintf("w%d", i), Title: title, Description: "about " + strings.ToLower(title),
			StartsAt: now.Add(time.Duration(i+1) * time.Hour), EndsAt: now.Add(time.Duration(i+2) * time.Hour)}
		if err := s.Put(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	repair := func(text string) bool { return strings.Contains(strings.ToLower(text), "repair") }
	ids := func(f Filter) string { t.Helper(); return listed(t, s, f) }
	if got := ids(Filter{Match: repair}); got != "w0,w2" {
		t.Fatalf("repair: %s", got)
	}
	if got := ids(Filter{Match: repair, Limit: 2}); got != "w0" {
		t.Fatalf("repair among the first two: %s", got)
	}
	texts, err := s.readTexts(ctx)
	if err != nil || len(texts) != 4 || texts["w1"] != "Battery take-back about battery" {
		t.Fatalf("texts: %v %v", texts, err)
	}
	// A stale entry (the workshop written behind the document's back)
	// shows nothing the words refuse.
	if _, err := s.col(colWorkshops).UpdateOne(ctx, bson.M{"_id": "w2"}, bson.M{"$set": bson.M{"title": "Clinic", "description": ""}}); err != nil {
		t.Fatal(err)
	}
	if got := ids(Filter{Match: repair}); got != "w0" {
		t.Fatalf("after a stale entry: %s", got)
	}
	// Without the document, every listed workshop is read and tested.
	if _, err := s.col(colLists).DeleteOne(ctx, bson.M{"_id": textsID}); err != nil {
		t.Fatal(err)
	}
	if got := ids(Filter{Match: func(t string) bool { return strings.Contains(t, "Spare") }}); got != "w3" {
		t.Fatalf("without texts: %s", got)
	}
}

// Each server keeps copies of the schedule and the texts (store.StampCache):
// a workshop written through another server sharing the database is listed,
// and matched by its new words, at once, since every writer moves the
// stamps after its write; a second read with nothing written reads the
// stamps only.
func TestListsCopiesFollowOtherServers(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t).DB
	a, b := NewStore(db).ReadByID(), NewStore(db).ReadByID()
	now := time.Now().UTC().Truncate(time.Millisecond)
	put := func(id, title string, h int) {
		t.Helper()
		w := &Workshop{ID: id, Title: title, StartsAt: now.Add(time.Duration(h) * time.Hour), EndsAt: now.Add(time.Duration(h+1) * time.Hour)}
		if err := a.Put(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	words := func(x string) func(string) bool { return func(t string) bool { return strings.Contains(t, x) } }
	put("w1", "Repair cafe", 1)
	if got := listed(t, b, Filter{Match: words("Repair")}); got != "w1" {
		t.Fatalf("first read: %s", got)
	}
	put("w2", "Repair clinic", 2)
	if got := listed(t, b, Filter{Match: words("Repair")}); got != "w1,w2" {
		t.Fatalf("after another server's new workshop: %s", got)
	}
	put("w1", "Battery take-back", 3)
	if got := listed(t, b, Filter{Match: words("Repair")}); got != "w2" {
		t.Fatalf("after another server's new title: %s", got)
	}
	if got := listed(t, b, Filter{}); got != "w2,w1" {
		t.Fatalf("after another server's new times: %s", got)
	}
	// A copy of the texts that missed a change would hide a workshop
	// whose new words match (an old text that matches is read and tested
	// again, an old text that does not is never read).
	put("w1", "Spare parts", 3)
	if got := listed(t, b, Filter{Match: words("Spare")}); got != "w1" {
		t.Fatalf("after another server's new matching title: %s", got)
	}
}
