package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/store"
)

// ErrIdentityTaken means the identity already belongs to another member.
var ErrIdentityTaken = fault.New(fault.Conflict, "profile.link.taken")

// SignInMember returns the member linked to the identity, creating a pending
// member on first sign-in. Nothing is ever matched on e-mail: a provider
// account is only ever its (provider, subject).
func (s *Store) SignInMember(ctx context.Context, id Identity, name, email string) (*Member, bool, error) {
	m, err := s.MemberByIdentity(ctx, id.Provider, id.Subject)
	if err == nil {
		return m, false, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, false, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = strings.TrimSpace(email)
	}
	if name == "" {
		name = id.Provider + " " + id.Subject
	}
	now := s.now()
	id.LinkedAt = now
	if id.Email == "" {
		id.Email = email
	}
	m = &Member{
		ID: store.NewID(), Name: name, Email: strings.ToLower(strings.TrimSpace(email)),
		Identities: []Identity{id}, IdentityKeys: []string{identityKey(id.Provider, id.Subject)},
		Role: RoleMember, Status: StatusPending, CreatedAt: now, UpdatedAt: now,
	}
	if _, err := s.col(colMembers).InsertOne(ctx, m); err != nil {
		if store.IsDuplicateKey(err) { // a concurrent first sign-in won
			m, err := s.MemberByIdentity(ctx, id.Provider, id.Subject)
			return m, false, err
		}
		return nil, false, fmt.Errorf("auth: create member: %w", err)
	}
	return m, true, nil
}

// LinkIdentity adds a second sign-in provider to a member's account. An
// identity that belongs to another member is refused.
func (s *Store) LinkIdentity(ctx context.Context, memberID string, id Identity) error {
	key := identityKey(id.Provider, id.Subject)
	other, err := s.MemberByIdentity(ctx, id.Provider, id.Subject)
	switch {
	case err == nil && other.ID == memberID:
		return nil // already linked
	case err == nil:
		return ErrIdentityTaken
	case !errors.Is(err, ErrNotFound):
		return err
	}
	id.LinkedAt = s.now()
	ctx, unlock, err := s.lock(ctx, colMembers, memberID)
	if err != nil {
		return err
	}
	defer unlock()
	res, err := s.col(colMembers).UpdateOne(ctx, bson.M{"_id": memberID}, bson.M{
		"$push": bson.M{"identities": id, "identity_keys": key},
		"$set":  bson.M{"updated_at": s.now()},
	})
	if err != nil {
		if store.IsDuplicateKey(err) {
			return ErrIdentityTaken
		}
		return fmt.Errorf("auth: link identity: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}
