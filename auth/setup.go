package auth

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/store"
)

// First run: a portal started on a database without an administrator offers
// a one-time set-up link; whoever opens it and signs in with a configured
// provider becomes the first administrator.
//
// Links are stored only as hashes. Several replicas starting at once may
// each offer a link; exactly one claim can succeed anywhere, because a
// claim inserts the document whose _id is setupClaimID (the unique _id is
// the only primitive atomic on every backend, see docs/architecture.md).
// `portal user add --role admin` inserts the same claim, so a link printed
// before an administrator was made on the command line dies with it.
const (
	colSetupLinks  = "setup_links"
	colSetupClaims = "setup_claims"
	setupClaimID   = "first_administrator"
	// SetupLinkTTL is how long a set-up link works.
	SetupLinkTTL = time.Hour
)

// Errors of the set-up link, shown as they are.
var (
	ErrSetupExpired = fault.New(fault.Invalid, "setup.error.expired")
	ErrSetupDone    = fault.New(fault.Conflict, "setup.error.done")
)

// SetupLink is an offer to become the first administrator.
type SetupLink struct {
	ID        string    `bson:"_id"`
	Hash      string    `bson:"hash"`
	CreatedAt time.Time `bson:"created_at"`
	ExpiresAt time.Time `bson:"expires_at"`
}

// SetupPath is where a set-up link's secret is used.
func SetupPath(secret string) string { return "/setup/" + secret }

// HasAdministrator reports whether the portal has an approved administrator,
// or has had its first administrator claimed.
func (s *Store) HasAdministrator(ctx context.Context) (bool, error) {
	n, err := s.col(colSetupClaims).CountDocuments(ctx, bson.M{"_id": setupClaimID})
	if err != nil {
		return false, fmt.Errorf("auth: setup claim: %w", err)
	}
	if n > 0 {
		return true, nil
	}
	// Read once at start-up and when a link is used, never on a hot path.
	n, err = s.col(colMembers).CountDocuments(ctx, bson.M{"role": RoleAdmin, "status": StatusApproved})
	if err != nil {
		return false, fmt.Errorf("auth: administrators: %w", err)
	}
	return n > 0, nil
}

// CreateSetupLink offers a set-up link valid for SetupLinkTTL and returns its
// secret, which is never stored. It refuses once an administrator exists.
func (s *Store) CreateSetupLink(ctx context.Context) (string, *SetupLink, error) {
	if has, err := s.HasAdministrator(ctx); err != nil || has {
		if err == nil {
			err = ErrSetupDone
		}
		return "", nil, err
	}
	secret := randomToken(invitationSecretSize)
	h := hashSecret(secret)
	now := s.now()
	l := &SetupLink{ID: h[:24], Hash: h, CreatedAt: now, ExpiresAt: now.Add(SetupLinkTTL)}
	if _, err := s.col(colSetupLinks).InsertOne(ctx, l); err != nil {
		return "", nil, fmt.Errorf("auth: create setup link: %w", err)
	}
	return secret, l, nil
}

// SetupLinkBySecret returns the working link behind secret: once an
// administrator exists every secret is ErrSetupDone; before, unknown and
// malformed secrets are ErrNotFound and old ones ErrSetupExpired.
func (s *Store) SetupLinkBySecret(ctx context.Context, secret string) (*SetupLink, error) {
	h := hashSecret(secret)
	if !wellFormedSecret(secret) {
		h = "-" // matches nothing, after the administrator check
	}
	return s.setupLink(ctx, bson.M{"_id": h[:min(24, len(h))], "hash": h})
}

func (s *Store) setupLink(ctx context.Context, filter bson.M) (*SetupLink, error) {
	if has, err := s.HasAdministrator(ctx); err != nil || has {
		if err == nil {
			// Used links are deleted: whatever the secret, the answer is
			// that set-up is over (no secret to guess is confirmed).
			err = ErrSetupDone
		}
		return nil, err
	}
	var l SetupLink
	if err := s.col(colSetupLinks).FindOne(ctx, filter).Decode(&l); err != nil {
		if store.IsNoDocuments(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("auth: setup link: %w", err)
	}
	if !s.now().Before(l.ExpiresAt) {
		return nil, ErrSetupExpired
	}
	return &l, nil
}

// ClaimSetup makes memberID the first administrator through the link
// linkID, once: the claim document's _id lets one claim win on every
// replica. All set-up links are deleted afterwards. Deactivated and
// rejected members cannot claim.
func (s *Store) ClaimSetup(ctx context.Context, linkID, memberID string) error {
	if _, err := s.setupLink(ctx, bson.M{"_id": linkID}); err != nil {
		return err
	}
	m, err := s.Member(ctx, memberID)
	if err != nil {
		return err
	}
	if m.Status == StatusDeactivated || m.Status == StatusRejected {
		return fault.New(fault.Forbidden, "error.403.deactivated")
	}
	claim := bson.M{"_id": setupClaimID, "member": memberID, "link": linkID, "at": s.now()}
	if _, err := s.col(colSetupClaims).InsertOne(ctx, claim); err != nil {
		if store.IsDuplicateKey(err) {
			return ErrSetupDone
		}
		return fmt.Errorf("auth: claim setup: %w", err)
	}
	for _, set := range []func() error{
		func() error { return s.SetRole(ctx, memberID, RoleAdmin) },
		func() error { return s.SetStatus(ctx, memberID, StatusApproved) },
	} {
		if err := set(); err != nil {
			// Give the claim back: a portal without an administrator must
			// keep a way in (a new link at the next start, or the CLI).
			_, _ = s.col(colSetupClaims).DeleteOne(ctx, bson.M{"_id": setupClaimID, "member": memberID})
			return err
		}
	}
	if _, err := s.col(colSetupLinks).DeleteMany(ctx, bson.M{}); err != nil {
		return fmt.Errorf("auth: claim setup: %w", err)
	}
	return nil
}

// MarkAdministratorMade records that an administrator exists (the command
// line made one), so no set-up link works any more. Idempotent.
func (s *Store) MarkAdministratorMade(ctx context.Context, memberID string) error {
	_, err := s.col(colSetupClaims).InsertOne(ctx, bson.M{"_id": setupClaimID, "member": memberID, "at": s.now()})
	if err != nil && !store.IsDuplicateKey(err) {
		return fmt.Errorf("auth: mark administrator: %w", err)
	}
	if _, err := s.col(colSetupLinks).DeleteMany(ctx, bson.M{}); err != nil {
		return fmt.Errorf("auth: mark administrator: %w", err)
	}
	return nil
}
