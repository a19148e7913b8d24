package auth

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/circularfairict/portal/store/storetest"
)

// TestImportMembersWritesWhatSignInWrites: a member imported in bulk reads
// back, through the sign-in lookup and by ID (ReadByID or not), as the one
// UpsertByIdentity creates from the same profile; an identity that exists
// is refused.
func TestImportMembersWritesWhatSignInWrites(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	if err := st.EnsureIndexes(ctx, Indexes()); err != nil {
		t.Fatal(err)
	}
	s := NewStore(st.DB)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s.now = func() time.Time { return at }
	profile := Member{Name: " Sanne Bakker ", Email: "sanne@example.org", Role: RoleMember, Status: StatusApproved,
		Organisation: "City of Utrecht, IT department", OrgType: OrgMunicipality, Country: "NL", Languages: []string{"nl", "en"}, PublicBuyer: true,
		CreatedAt: at.Add(-time.Hour)}
	upserted, err := s.UpsertByIdentity(ctx, Identity{Provider: "oidc", Subject: "one"}, profile)
	if err != nil {
		t.Fatal(err)
	}
	imported, err := s.ImportMembers(ctx, []NewMember{{Identity{Provider: "oidc", Subject: "two"}, profile}, {Identity{Provider: "oidc", Subject: "three"}, profile}})
	if err != nil || len(imported) != 2 {
		t.Fatalf("import: %v, %v", imported, err)
	}
	for _, byID := range []bool{false, true} {
		r := NewStore(st.DB)
		if byID {
			r.ReadByID()
		}
		want, err := r.MemberByIdentity(ctx, "oidc", "one")
		if err != nil || want.ID != upserted.ID {
			t.Fatalf("upserted member: %v, %v", want, err)
		}
		got, err := r.MemberByIdentity(ctx, "oidc", "two")
		if err != nil || got.ID != imported[0].ID {
			t.Fatalf("imported member by identity: %v, %v", got, err)
		}
		ms, err := r.MembersByID(ctx, []string{imported[0].ID, upserted.ID, "nobody"})
		if err != nil || len(ms) != 2 {
			t.Fatalf("members by id: %v, %v", ms, err)
		}
		a, b := *ms[upserted.ID], *ms[imported[0].ID]
		a.ID, b.ID = "", ""
		a.Identities[0].Subject, b.Identities[0].Subject = "", ""
		a.IdentityKeys, b.IdentityKeys = nil, nil
		if fmt.Sprintf("%+v", a) != fmt.Sprintf("%+v", b) {
			t.Fatalf("byID=%v:\nupserted %+v\nimported %+v", byID, a, b)
		}
	}
	if _, err := s.ImportMembers(ctx, []NewMember{{Identity{Provider: "oidc", Subject: "one"}, profile}}); err == nil {
		t.Fatal("an existing identity was imported again")
	}
	if _, err := s.ImportMembers(ctx, []NewMember{{Identity{Provider: "oidc", Subject: "four"}, Member{Name: " "}}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("nameless member: %v", err)
	}
}
