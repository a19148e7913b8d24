package auth

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/privacy"
	"github.com/circularfairict/portal/store"
)

// Pending sign-ins with external providers: what the portal remembers
// between sending a browser to its provider and the provider sending it
// back. The HTTP flow (state, PKCE, nonce, token verification) is in
// server/auth_provider_*.go; the records are this package's, beside the
// sessions they turn into.

const (
	// SigninAttemptTTL bounds the time between leaving for the provider and
	// coming back; an eID broker with a second factor can take minutes.
	SigninAttemptTTL = 10 * time.Minute
	// colSigninAttempts holds pending sign-ins, keyed by the hash of the state.
	colSigninAttempts = "signin_attempts"
)

// SigninAttempt is one sign-in in progress. Its _id is the SHA-256 of the
// state, so the state itself is never stored and lookups use _id (the only
// index the embedded database uses). FerretDB has no TTL indexes: ExpiresAt
// is checked by the caller and expired attempts are swept.
type SigninAttempt struct {
	ID          string    `bson:"_id"`
	SessionHash string    `bson:"session_hash"` // SHA-256 of the pre-login session secret
	Provider    string    `bson:"provider"`
	Nonce       string    `bson:"nonce"`
	Verifier    string    `bson:"verifier"` // PKCE code verifier
	Next        string    `bson:"next"`
	MemberID    string    `bson:"member_id,omitempty"`  // set when linking to a signed-in account
	SetupLink   string    `bson:"setup_link,omitempty"` // set when signing in through a set-up link
	CreatedAt   time.Time `bson:"created_at"`
	ExpiresAt   time.Time `bson:"expires_at"`
}

// ErrNoSigninAttempt: no pending sign-in has this state (never made, already
// used, or swept).
var ErrNoSigninAttempt = fmt.Errorf("auth: sign-in attempt: %w", store.ErrNotFound)

// SigninAttemptID is the stored _id of the attempt of a state.
func SigninAttemptID(state string) string { return hashSecret(state) }

// SaveSigninAttempt stores a for state, valid for SigninAttemptTTL.
func (s *Store) SaveSigninAttempt(ctx context.Context, state string, a *SigninAttempt) error {
	now := s.now()
	a.ID, a.CreatedAt, a.ExpiresAt = SigninAttemptID(state), now, now.Add(SigninAttemptTTL)
	if _, err := s.col(colSigninAttempts).InsertOne(ctx, a); err != nil {
		return fmt.Errorf("auth: save sign-in attempt: %w", err)
	}
	return nil
}

// TakeSigninAttempt reads and deletes the attempt of a state, so a state
// works at most once even when two requests (or two servers) race. The
// attempt is read, then deleted by _id, and only the caller whose delete
// removed it gets it: FerretDB answers a FindOneAndDelete read-then-write
// (eight concurrent takes returned the attempt five times), but the delete
// of one row reports whether this caller removed it, on every backend.
func (s *Store) TakeSigninAttempt(ctx context.Context, state string) (*SigninAttempt, error) {
	var a SigninAttempt
	id := SigninAttemptID(state)
	if err := s.col(colSigninAttempts).FindOne(ctx, bson.M{"_id": id}).Decode(&a); err != nil {
		if store.IsNoDocuments(err) {
			return nil, ErrNoSigninAttempt
		}
		return nil, fmt.Errorf("auth: take sign-in attempt: %w", err)
	}
	res, err := s.col(colSigninAttempts).DeleteOne(ctx, bson.M{"_id": id})
	if err != nil {
		return nil, fmt.Errorf("auth: take sign-in attempt: %w", err)
	}
	if res.DeletedCount != 1 {
		return nil, ErrNoSigninAttempt // another request took it first
	}
	return &a, nil
}

// SweepSigninAttempts deletes attempts that were never completed and
// returns how many.
func (s *Store) SweepSigninAttempts(ctx context.Context) (int64, error) {
	res, err := s.col(colSigninAttempts).DeleteMany(ctx, bson.M{"expires_at": bson.M{"$lt": s.now()}})
	if err != nil {
		return 0, fmt.Errorf("auth: sweep sign-in attempts: %w", err)
	}
	return res.DeletedCount, nil
}

// signinAttemptSource declares the only personal data pending sign-ins hold:
// the member ID of an account being linked to a second provider.
func (s *Store) signinAttemptSource() privacy.Source {
	return privacy.Source{
		Name: "signin_attempts", Collections: []string{colSigninAttempts},
		Export: func(ctx context.Context, id string) (any, error) {
			out := []bson.M{}
			if err := s.findAll(ctx, colSigninAttempts, bson.M{"member_id": id}, options.Find().SetProjection(bson.M{"provider": 1, "created_at": 1, "expires_at": 1, "_id": 0}), &out); err != nil {
				return nil, err
			}
			return out, nil
		},
		Erase: func(ctx context.Context, id string) error {
			_, err := s.col(colSigninAttempts).DeleteMany(ctx, bson.M{"member_id": id})
			return err
		},
	}
}
