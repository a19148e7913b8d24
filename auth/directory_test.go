package auth

import (
	"context"
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
	db := storetest.New(t).DB
	s := NewStore(db)
	ctx := context.Background()
	ix, err := search.Open(search.Options{Dir: filepath.Join(t.TempDir(), "search")}, s.SearchIndexKind())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if _, err := ix.CatchUp(ctx, nil); err != nil {
		t.Fatal(err)
	}
	s.SetIndex(ix)
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
