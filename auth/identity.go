package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/store"
)

// ErrIdentityTaken means the identity already belongs to another member.
var ErrIdentityTaken = fault.New(fault.Conflict, "profile.link.taken")

// colIdentities holds one document per linked sign-in identity, keyed by
// identityKey: the claim that makes the identity one member's, and the
// lookup a sign-in makes by _id. The embedded database answers a filter on
// the members' identity_keys array only by reading every member.
const colIdentities = store.ColIdentities

// identityDoc is an identity's claim: the member it belongs to. Inserted
// once (an insert of a taken _id fails on every backend, so of two servers
// linking one identity at once exactly one wins) and only ever deleted
// after that (erasure, a failed link), never rewritten.
type identityDoc struct {
	Key      string    `bson:"_id"`
	MemberID string    `bson:"member_id"`
	At       time.Time `bson:"at"`
}

// claimIdentity claims key for memberID and returns the member the
// identity belongs to: memberID when this call made the claim, the
// earlier claimant's otherwise.
func (s *Store) claimIdentity(ctx context.Context, key, memberID string) (owner string, err error) {
	for range 3 {
		_, err := s.col(colIdentities).InsertOne(ctx, identityDoc{Key: key, MemberID: memberID, At: s.now()})
		if err == nil {
			return memberID, nil
		}
		if !store.IsDuplicateKey(err) {
			return "", fmt.Errorf("auth: claim identity: %w", err)
		}
		owner, err := s.identityOwner(ctx, key)
		if err == nil {
			return owner, nil
		}
		if !errors.Is(err, ErrNotFound) { // else erased meanwhile: claim again
			return "", err
		}
	}
	return "", fmt.Errorf("auth: claim identity: %q keeps changing", key)
}

// releaseIdentity gives back a claim this caller made for memberID and
// could not complete.
func (s *Store) releaseIdentity(ctx context.Context, key, memberID string) {
	ctx = context.WithoutCancel(ctx)
	_, _ = store.DeleteByIDIf(ctx, s.col(colIdentities), key, bson.M{"member_id": memberID}, s.byID)
}

// identityOwner returns the ID of the member the identity key belongs to.
func (s *Store) identityOwner(ctx context.Context, key string) (string, error) {
	var d identityDoc
	if err := s.col(colIdentities).FindOne(ctx, bson.M{"_id": key}).Decode(&d); err != nil {
		if store.IsNoDocuments(err) {
			return "", ErrNotFound
		}
		return "", fmt.Errorf("auth: identity: %w", err)
	}
	return d.MemberID, nil
}

// createMember makes a new member with identity id: it claims the
// identity for a fresh member ID, then inserts the member. created is
// false when another sign-in claimed the identity first; its member is
// returned. A claim whose member is missing (its server stopped between
// the two inserts, or is about to insert it) is completed here under the
// claimed ID: the member's _id is then the claim, so whichever of the two
// inserts it first wins and the other reads it.
func (s *Store) createMember(ctx context.Context, id Identity, m Member) (*Member, bool, error) {
	for range 3 {
		got, created, err := s.createMemberOnce(ctx, id, m)
		if !errors.Is(err, errIdentityMoved) {
			return got, created, err
		}
	}
	return nil, false, fmt.Errorf("auth: create member: identity %s keeps changing", id.Provider)
}

// errIdentityMoved: the member an identity seemed to belong to gave it up
// (erased) while it was being claimed; the creation starts again.
var errIdentityMoved = errors.New("auth: identity moved")

func (s *Store) createMemberOnce(ctx context.Context, id Identity, m Member) (*Member, bool, error) {
	key := identityKey(id.Provider, id.Subject)
	m = newMember(id, m, s.now())
	owner, err := s.claimIdentity(ctx, key, m.ID)
	if err != nil {
		return nil, false, err
	}
	claimed := owner == m.ID
	if !claimed {
		if existing, err := s.Member(ctx, owner); !errors.Is(err, ErrNotFound) {
			return existing, false, err
		}
		m.ID = owner
	}
	if _, err := s.col(colMembers).InsertOne(ctx, m); err != nil {
		if !store.IsDuplicateKey(err) {
			if claimed { // a claim completed for another server keeps its ID
				s.releaseIdentity(ctx, key, m.ID)
			}
			return nil, false, fmt.Errorf("auth: create member: %w", err)
		}
		if existing, err := s.Member(ctx, m.ID); err == nil {
			return existing, false, nil // the claimant (or another completer) inserted it
		}
		// Another member holds the identity in its identity_keys without a
		// claim (made by a server of an older release during an upgrade):
		// that member is the one, and gets its claim now. A rare path, so
		// the whole-collection read is acceptable here.
		if claimed {
			s.releaseIdentity(ctx, key, m.ID)
		}
		var legacy Member
		if err := s.col(colMembers).FindOne(ctx, bson.M{"identity_keys": key}).Decode(&legacy); err != nil {
			if store.IsNoDocuments(err) { // erased meanwhile: start again
				return nil, false, errIdentityMoved
			}
			return nil, false, fmt.Errorf("auth: create member: %w", err)
		}
		// Under the member's lock, so an erasure under way (which drops
		// the claims, then the keys) is not undone by a claim made here.
		err := s.locked(ctx, colMembers, legacy.ID, func(ctx context.Context) error {
			m, err := s.Member(ctx, legacy.ID)
			if err != nil {
				return err
			}
			if !slices.Contains(m.IdentityKeys, key) {
				return errIdentityMoved
			}
			legacy = *m
			owner, err := s.claimIdentity(ctx, key, legacy.ID)
			if err == nil && owner != legacy.ID { // an orphan claim and an older member at once
				return ErrIdentityTaken
			}
			return err
		})
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, false, errIdentityMoved
			}
			return nil, false, err
		}
		return &legacy, false, nil
	}
	s.changed(ctx, m.ID)
	return &m, true, nil
}

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
	if id.Email == "" {
		id.Email = email
	}
	return s.createMember(ctx, id, Member{Name: name, Email: strings.ToLower(strings.TrimSpace(email)),
		Role: RoleMember, Status: StatusPending})
}

// LinkIdentity adds a second sign-in provider to a member's account. An
// identity that belongs to another member is refused.
func (s *Store) LinkIdentity(ctx context.Context, memberID string, id Identity) error {
	key := identityKey(id.Provider, id.Subject)
	owner, err := s.claimIdentity(ctx, key, memberID)
	if err != nil {
		return err
	}
	if owner != memberID {
		return ErrIdentityTaken
	}
	// Claimed now or by an earlier attempt of this link that stopped before
	// the member carried it: either way the member gets it once.
	id.LinkedAt = s.now()
	ctx, unlock, err := s.lock(ctx, colMembers, memberID)
	if err != nil {
		return err
	}
	defer unlock()
	m, err := s.Member(ctx, memberID)
	if err == nil && m.Status == StatusDeleted { // erased meanwhile: its claims are gone
		err = ErrNotFound
	}
	if err != nil {
		s.releaseIdentity(ctx, key, memberID)
		return err
	}
	if slices.Contains(m.IdentityKeys, key) {
		return nil // already linked
	}
	if _, err := s.col(colMembers).UpdateOne(ctx, bson.M{"_id": memberID}, bson.M{
		"$push": bson.M{"identities": id, "identity_keys": key},
		"$set":  bson.M{"updated_at": s.now()},
	}); err != nil {
		if store.IsDuplicateKey(err) { // an older release's member holds it unclaimed
			s.releaseIdentity(ctx, key, memberID)
			return ErrIdentityTaken
		}
		return fmt.Errorf("auth: link identity: %w", err)
	}
	return nil
}

// dropIdentities deletes the identity claims of a member (erasure): the
// identity keys are personal data, and the identities may then sign up
// again as new members.
func (s *Store) dropIdentities(ctx context.Context, memberID string, keys []string) error {
	for _, k := range keys {
		if _, err := store.DeleteByIDIf(ctx, s.col(colIdentities), k, bson.M{"member_id": memberID}, s.byID); err != nil {
			return fmt.Errorf("auth: drop identity: %w", err)
		}
	}
	return nil
}
