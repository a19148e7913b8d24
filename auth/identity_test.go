package auth

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store/storetest"
)

// Two servers linking one identity to two members at the same moment: the
// identity's claim goes to one, the other is refused, and sign-in finds
// the winner.
func TestLinkIdentityAcrossServers(t *testing.T) {
	db := storetest.New(t).DB
	a, b := NewStore(db), NewStore(db)
	ctx := context.Background()
	for round := range 3 {
		var ids [2]string
		for i, s := range []*Store{a, b} {
			m, _, err := s.SignInMember(ctx, Identity{Provider: "oidc", Subject: string(rune('a'+round)) + string(rune('0'+i))}, "M", "")
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = m.ID
		}
		shared := Identity{Provider: "github", Subject: "shared" + string(rune('0'+round))}
		var won, taken atomic.Int32
		var winner atomic.Value
		storetest.Together(2, func(i int) {
			err := []*Store{a, b}[i].LinkIdentity(ctx, ids[i], shared)
			switch {
			case err == nil:
				won.Add(1)
				winner.Store(ids[i])
			case errors.Is(err, ErrIdentityTaken):
				taken.Add(1)
			default:
				t.Error(err)
			}
		})
		if won.Load() != 1 || taken.Load() != 1 {
			t.Fatalf("round %d: %d links won, %d refused; want one each", round, won.Load(), taken.Load())
		}
		m, err := b.MemberByIdentity(ctx, shared.Provider, shared.Subject)
		if err != nil || m.ID != winner.Load().(string) {
			t.Fatalf("round %d: sign-in found %v (%v), want the winner", round, m, err)
		}
		n, err := db.Collection(colMembers).CountDocuments(ctx, bson.M{"identity_keys": identityKey(shared.Provider, shared.Subject)})
		if err != nil || n != 1 {
			t.Fatalf("round %d: %d members carry the identity (%v)", round, n, err)
		}
	}
}

// First sign-ins of one identity through two servers at once make one
// member, reported as created once.
func TestFirstSignInAcrossServers(t *testing.T) {
	db := storetest.New(t).DB
	a, b := NewStore(db), NewStore(db)
	ctx := context.Background()
	var created atomic.Int32
	var got [8]string
	storetest.Together(8, func(i int) {
		m, c, err := []*Store{a, b}[i%2].SignInMember(ctx, Identity{Provider: "oidc", Subject: "newcomer"}, "New", "new@example.org")
		if err != nil {
			t.Error(err)
			return
		}
		if c {
			created.Add(1)
		}
		got[i] = m.ID
	})
	if created.Load() != 1 {
		t.Fatalf("%d sign-ins created the member, want 1", created.Load())
	}
	for _, id := range got {
		if id != got[0] {
			t.Fatalf("sign-ins got different members: %v", got)
		}
	}
	if n, err := db.Collection(colMembers).CountDocuments(ctx, bson.M{}); err != nil || n != 1 {
		t.Fatalf("%d members (%v), want 1", n, err)
	}
}

// A claim whose member was never inserted (its server stopped between the
// two inserts) is completed by the next sign-in under the claimed ID.
func TestSignInCompletesAnOrphanClaim(t *testing.T) {
	db := storetest.New(t).DB
	s := NewStore(db)
	ctx := context.Background()
	key := identityKey("oidc", "orphan")
	if _, err := db.Collection(colIdentities).InsertOne(ctx, identityDoc{Key: key, MemberID: "0123456789abcdef01234567"}); err != nil {
		t.Fatal(err)
	}
	m, created, err := s.SignInMember(ctx, Identity{Provider: "oidc", Subject: "orphan"}, "Orphan", "")
	if err != nil || !created || m.ID != "0123456789abcdef01234567" {
		t.Fatalf("sign-in: %+v created=%v %v; want the claimed ID, created", m, created, err)
	}
	if again, created, err := s.SignInMember(ctx, Identity{Provider: "oidc", Subject: "orphan"}, "Orphan", ""); err != nil || created || again.ID != m.ID {
		t.Fatalf("second sign-in: %+v created=%v %v", again, created, err)
	}
}

// Erasure removes the identity claims (personal data) and the export still
// lists the identities before it; the identity may then sign up afresh.
func TestErasureDropsIdentityClaims(t *testing.T) {
	db := storetest.New(t).DB
	s := NewStore(db)
	ctx := context.Background()
	m, _, err := s.SignInMember(ctx, Identity{Provider: "oidc", Subject: "leaver"}, "Leaver", "leaver@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.LinkIdentity(ctx, m.ID, Identity{Provider: "github", Subject: "leaver"}); err != nil {
		t.Fatal(err)
	}
	var profile func(context.Context, string) (any, error)
	var erase func(context.Context, string) error
	for _, src := range s.PrivacySources() {
		if src.Name == "profile" {
			profile, erase = src.Export, src.Erase
		}
	}
	out, err := profile(ctx, m.ID)
	if err != nil || len(out.(*Member).Identities) != 2 {
		t.Fatalf("export: %+v %v; want both identities", out, err)
	}
	if n, _ := db.Collection(colIdentities).CountDocuments(ctx, bson.M{"member_id": m.ID}); n != 2 {
		t.Fatalf("%d identity claims before erasure, want 2", n)
	}
	if err := erase(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if err := erase(ctx, m.ID); err != nil { // run again: nothing left to do
		t.Fatal(err)
	}
	if n, err := db.Collection(colIdentities).CountDocuments(ctx, bson.M{}); err != nil || n != 0 {
		t.Fatalf("%d identity claims after erasure (%v), want 0", n, err)
	}
	if _, err := s.MemberByIdentity(ctx, "oidc", "leaver"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the erased identity still signs in: %v", err)
	}
	again, created, err := s.SignInMember(ctx, Identity{Provider: "oidc", Subject: "leaver"}, "Back", "")
	if err != nil || !created || again.ID == m.ID {
		t.Fatalf("signing up again: %+v created=%v %v", again, created, err)
	}
}

// A member an older release made during a rolling upgrade carries the
// identity in identity_keys but has no claim: its sign-in finds it (the
// insert of a new member collides with its key) and claims the identity
// for it, so the next sign-in reads the claim.
func TestSignInClaimsForAnOlderReleasesMember(t *testing.T) {
	st := storetest.New(t)
	db := st.DB
	s := NewStore(db)
	ctx := context.Background()
	if err := st.EnsureIndexes(ctx, Indexes()); err != nil { // the unique identity_keys index
		t.Fatal(err)
	}
	key := identityKey("oidc", "old")
	if _, err := db.Collection(colMembers).InsertOne(ctx, bson.M{"_id": "old-member", "name": "Old", "status": StatusApproved,
		"identities": bson.A{bson.M{"provider": "oidc", "subject": "old"}}, "identity_keys": bson.A{key}}); err != nil {
		t.Fatal(err)
	}
	m, created, err := s.SignInMember(ctx, Identity{Provider: "oidc", Subject: "old"}, "Old", "")
	if err != nil || created || m.ID != "old-member" {
		t.Fatalf("sign-in: %+v created=%v %v; want the older member", m, created, err)
	}
	if owner, err := s.identityOwner(ctx, key); err != nil || owner != "old-member" {
		t.Fatalf("claim after the sign-in: %q %v", owner, err)
	}
	if n, _ := db.Collection(colMembers).CountDocuments(ctx, bson.M{}); n != 1 {
		t.Fatalf("%d members, want 1", n)
	}
}
