package resources_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/store"
)

// What the library holds about a member is exported, and erasing deletes the
// member's marks, bookmarks and reports while their shared resources stay.
func TestPrivacySources(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	mine := create(t, s, "leaver", meta("My shared clause", "Summary", "contract_clause", "en"), "c.txt", []byte("clause\n"))
	other := create(t, s, "stayer", meta("Someone else's criteria", "Summary", "criteria_set", "en"), "o.txt", []byte("criteria\n"))
	if err := s.MarkUsed(ctx, other.ID, "leaver", "Leaver's municipality tender", 2025); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ToggleBookmark(ctx, other.ID, "leaver"); err != nil {
		t.Fatal(err)
	}
	if err := s.Report(ctx, other.ID, "leaver", "Outdated figures"); err != nil {
		t.Fatal(err)
	}
	exported := map[string]string{}
	for _, src := range s.PrivacySources() {
		v, err := src.Export(ctx, "leaver")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(v)
		exported[src.Name] = string(b)
	}
	for name, want := range map[string]string{
		"library_resources": "My shared clause", "library_used_in_tenders": "Leaver's municipality tender",
		"library_bookmarks": other.ID, "library_reports": "Outdated figures",
	} {
		if !strings.Contains(exported[name], want) {
			t.Errorf("export %s lacks %q: %s", name, want, exported[name])
		}
	}
	for _, src := range s.PrivacySources() {
		if src.Erase == nil {
			continue
		}
		for i := 0; i < 2; i++ { // erasure is idempotent
			if err := src.Erase(ctx, "leaver"); err != nil {
				t.Fatal(err)
			}
		}
	}
	after, _ := s.Resource(ctx, other.ID)
	if after.UsedCount != 0 {
		t.Errorf("used count %d after erasing the only mark", after.UsedCount)
	}
	if b, _ := s.Bookmarked(ctx, other.ID, "leaver"); b {
		t.Error("bookmark survived erasure")
	}
	if ms, _ := s.Marks(ctx, other.ID); len(ms) != 0 {
		t.Error("mark survived erasure")
	}
	if ids, err := store.ListedIDs(ctx, st.DB.Collection(store.ColMarkLists), other.ID); err != nil || len(ids) != 0 {
		t.Errorf("the resource's list of marks still names %v (%v)", ids, err)
	}
	if r, err := s.Resource(ctx, mine.ID); err != nil || r.OwnerID != "leaver" {
		t.Errorf("the shared resource must stay with its (pseudonymised) owner: %v", err)
	}
}

// A resource's marks come from its list by _id: every member once (a
// second mark updates the first), newest first; another resource's stay
// apart.
func TestMarksFromList(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	r := create(t, s, "owner", meta("Tendered criteria", "Summary", "criteria_set", "en"), "c.txt", []byte("criteria\n"))
	other := create(t, s, "owner", meta("Other criteria", "Summary", "criteria_set", "en"), "o.txt", []byte("other\n"))
	for _, m := range []struct{ res, member, where string }{
		{r.ID, "m1", "First tender"}, {r.ID, "m2", "Second tender"}, {other.ID, "m3", "Elsewhere"}, {r.ID, "m1", "First tender, again"},
	} {
		if err := s.MarkUsed(ctx, m.res, m.member, m.where, 2025); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // distinct creation times
	}
	ms, err := s.Marks(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].MemberID != "m2" || ms[1].MemberID != "m1" || ms[1].Where != "First tender, again" {
		t.Fatalf("marks %+v; want m2's, then m1's updated one", ms)
	}
	ids, err := store.ListedIDs(ctx, st.DB.Collection(store.ColMarkLists), r.ID)
	if err != nil || len(ids) != 2 {
		t.Fatalf("list %v (%v); want m1 and m2", ids, err)
	}
	if after, _ := s.Resource(ctx, r.ID); after.UsedCount != 2 {
		t.Fatalf("used count %d; want 2", after.UsedCount)
	}
}

// The daily repair lists a mark a replica of the release before schema 8
// stored without listing it, and only that.
func TestRepairMarkLists(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	r := create(t, s, "owner", meta("Tendered criteria", "Summary", "criteria_set", "en"), "c.txt", []byte("criteria\n"))
	if err := s.MarkUsed(ctx, r.ID, "m1", "Listed tender", 2025); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Collection("resource_marks").InsertOne(ctx, resources.Mark{ID: r.ID + ":m2", ResourceID: r.ID, MemberID: "m2",
		Where: "Unlisted tender", Year: 2025, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for run, want := range []int{1, 0} {
		if n, err := s.RepairMarkLists(ctx); err != nil || n != want {
			t.Fatalf("run %d: repaired %d (%v); want %d", run, n, err, want)
		}
	}
	if ms, err := s.Marks(ctx, r.ID); err != nil || len(ms) != 2 {
		t.Fatalf("marks %+v (%v); want both", ms, err)
	}
}
