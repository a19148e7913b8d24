package resources_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// What the library holds about a member is exported, and erasing deletes the
// member's marks, bookmarks and reports while their shared resources stay.
func TestPrivacySources(t *testing.T) {
	s, _ := newService(t)
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
	if r, err := s.Resource(ctx, mine.ID); err != nil || r.OwnerID != "leaver" {
		t.Errorf("the shared resource must stay with its (pseudonymised) owner: %v", err)
	}
}
