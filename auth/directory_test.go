package auth

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circularfairict/portal/search"
	"github.com/circularfairict/portal/store/storetest"
)

func names(ms []*Member) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return strings.Join(out, ",")
}

// The directory lists approved members only, found by the start of any
// word of their name, organisation or job title whatever the accents, and
// a member who leaves (erasure, deactivation) or was never approved is
// never found; every change reaches the index at once.
func TestDirectoryThroughIndex(t *testing.T) {
	s, ix := directoryStore(t)
	ctx := context.Background()
	add := func(subject, name, org, country string, st Status) *Member {
		m, err := s.UpsertByIdentity(ctx, Identity{Provider: "test", Subject: subject}, Member{Name: name, Role: RoleMember, Status: st})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SaveProfile(ctx, m.ID, Profile{Name: name, Organisation: org, OrgType: string(OrgMinistry), Country: country,
			Languages: []string{"fr"}, Buyer: "buyer", Conduct: true}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	claire := add("c", "Claire Dubois", "Ministère de l'Économie", "FR", StatusApproved)
	jonas := add("j", "Jonas Berg", "Regional Health Authority", "SE", StatusApproved)
	add("p", "Paula Pending", "Ministère des Armées", "FR", StatusPending)
	dir := func(f DirectoryFilter, group ...string) string {
		t.Helper()
		ms, err := s.Directory(ctx, f, group)
		if err != nil {
			t.Fatal(err)
		}
		return names(ms)
	}
	cases := []struct {
		f    DirectoryFilter
		want string
	}{
		{DirectoryFilter{}, "Claire Dubois,Jonas Berg"},
		{DirectoryFilter{Q: "dub"}, "Claire Dubois"},            // a name's start while typing
		{DirectoryFilter{Q: "ECONOMIE"}, "Claire Dubois"},       // case and accents folded
		{DirectoryFilter{Q: "health auth"}, "Jonas Berg"},       // every word, in the organisation
		{DirectoryFilter{Q: "ministere"}, "Claire Dubois"},      // the pending member is not listed
		{DirectoryFilter{Q: "paula"}, ""},                       //
		{DirectoryFilter{Country: "SE"}, "Jonas Berg"},          //
		{DirectoryFilter{Q: `name:* +x "(`}, ""},                // syntax is text
		{DirectoryFilter{Q: "\xff\xfeclaire"}, "Claire Dubois"}, // invalid UTF-8 dropped
	}
	for _, tc := range cases {
		if got := dir(tc.f); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.f, got, tc.want)
		}
	}
	// The newest approved members, from the index's highest IDs.
	for limit, want := range map[int]string{1: "Jonas Berg", 5: "Jonas Berg,Claire Dubois"} {
		ms, err := s.NewestMembers(ctx, limit)
		if err != nil || names(ms) != want {
			t.Errorf("newest %d: %q %v, want %q", limit, names(ms), err, want)
		}
	}
	if got := dir(DirectoryFilter{GroupID: "g"}, jonas.ID); got != "Jonas Berg" {
		t.Errorf("group: %q", got)
	}
	if got := dir(DirectoryFilter{GroupID: "g"}); got != "" {
		t.Errorf("empty group: %q", got)
	}
	// Deactivation and erasure take the member out at once.
	if err := s.Deactivate(ctx, jonas.ID); err != nil {
		t.Fatal(err)
	}
	if got := dir(DirectoryFilter{Q: "berg"}); got != "" {
		t.Errorf("deactivated member found: %q", got)
	}
	for _, src := range s.PrivacySources() {
		if src.Name == "profile" {
			if err := src.Erase(ctx, claire.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := dir(DirectoryFilter{}); got != "" {
		t.Errorf("erased member listed: %q", got)
	}
	// The index rebuilt from the database agrees.
	if err := s.SetStatus(ctx, jonas.ID, StatusApproved); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := dir(DirectoryFilter{}); got != "Jonas Berg" {
		t.Errorf("after a rebuild: %q", got)
	}
}

// The directory comes by pages of DirectoryPageSize in name order, with
// the count of every match; a filter pages within its matches, and a page
// number out of range is brought within it.
func TestDirectoryPages(t *testing.T) {
	s, _ := directoryStore(t)
	ctx := context.Background()
	const n = DirectoryPageSize + 12
	for i := range n {
		name, country := fmt.Sprintf("Member %02d", i), "FR"
		if i%2 == 1 {
			country = "SE"
		}
		m, err := s.UpsertByIdentity(ctx, Identity{Provider: "test", Subject: name}, Member{Name: name, Role: RoleMember, Status: StatusApproved})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SaveProfile(ctx, m.ID, Profile{Name: name, Organisation: "Org", OrgType: string(OrgMinistry), Country: country,
			Languages: []string{"fr"}, Buyer: "buyer", Conduct: true}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		f           DirectoryFilter
		page        int
		first, last string
		size, total int
	}{
		{DirectoryFilter{}, 1, "Member 00", "Member 49", DirectoryPageSize, n},
		{DirectoryFilter{}, 2, "Member 50", "Member 61", 12, n},
		{DirectoryFilter{}, 0, "Member 00", "Member 49", DirectoryPageSize, n},
		{DirectoryFilter{}, 3, "", "", 0, n},
		{DirectoryFilter{Country: "SE"}, 1, "Member 01", "Member 61", n / 2, n / 2},
		{DirectoryFilter{Q: "member"}, 2, "Member 50", "Member 61", 12, n},
	} {
		ms, total, err := s.DirectoryPage(ctx, tc.f, nil, tc.page)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != tc.size || total != tc.total || (len(ms) > 0 && (ms[0].Name != tc.first || ms[len(ms)-1].Name != tc.last)) {
			t.Errorf("%+v page %d: %d members (%s), %d in all; want %d from %q to %q, %d in all", tc.f, tc.page, len(ms), names(ms), total, tc.size, tc.first, tc.last, tc.total)
		}
		// The count alone, from the index, is the pages' total.
		if n, err := s.DirectoryCount(ctx, tc.f, nil); err != nil || n != tc.total {
			t.Errorf("%+v: count %d (%v), want %d", tc.f, n, err, tc.total)
		}
	}
}

// directoryStore is a store on a fresh database whose directory answers
// from a search index of its own, caught up.
func directoryStore(t *testing.T) (*Store, *search.Index) {
	t.Helper()
	s := NewStore(storetest.New(t).DB)
	ix, err := search.Open(search.Options{Dir: filepath.Join(t.TempDir(), "search")}, s.SearchIndexKind())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if _, err := ix.CatchUp(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	s.SetIndex(ix)
	return s, ix
}
