package auth

import (
	"context"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/store"
)

// tokenPrefix makes portal tokens recognisable to secret scanners.
const tokenPrefix = "cfp_"

// APIToken is a personal access token; only its hash is stored.
type APIToken struct {
	ID        string     `bson:"_id" json:"id"`
	MemberID  string     `bson:"member_id" json:"-"`
	Name      string     `bson:"name" json:"name"`
	Hash      string     `bson:"hash" json:"-"`
	CreatedAt time.Time  `bson:"created_at" json:"created_at"`
	ExpiresAt *time.Time `bson:"expires_at,omitempty" json:"expires_at,omitempty"`
	LastUsed  *time.Time `bson:"last_used,omitempty" json:"last_used,omitempty"`
}

// CreateToken makes a new token for memberID and returns the plain secret,
// which is shown once and never stored.
func (s *Store) CreateToken(ctx context.Context, memberID, name string, expires *time.Time) (string, *APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil, fmt.Errorf("%w: token name is required", ErrInvalid)
	}
	secret := tokenPrefix + randomToken(32)
	t := &APIToken{ID: store.NewID(), MemberID: memberID, Name: name, Hash: hashSecret(secret), CreatedAt: s.now(), ExpiresAt: expires}
	// The hash doubles as the primary key so lookups use the _id index,
	// the only index the embedded database uses.
	t.ID = t.Hash[:24]
	if _, err := s.col(colTokens).InsertOne(ctx, t); err != nil {
		return "", nil, fmt.Errorf("auth: create token: %w", err)
	}
	return secret, t, nil
}

// MemberByToken resolves a bearer token to its member; unknown, expired and
// malformed tokens are ErrNotFound.
func (s *Store) MemberByToken(ctx context.Context, secret string) (*Member, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 200 {
		return nil, ErrNotFound
	}
	h := hashSecret(secret)
	var t APIToken
	// Look up by _id alone and compare the hash here: the embedded
	// database uses its index only for a filter that is just _id equality,
	// and {_id, hash} scanned every token (a quarter second per request
	// with 3,000 tokens).
	if err := s.col(colTokens).FindOne(ctx, bson.M{"_id": h[:24]}).Decode(&t); err != nil {
		if store.IsNoDocuments(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("auth: token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(t.Hash), []byte(h)) != 1 {
		return nil, ErrNotFound
	}
	now := s.now()
	if t.ExpiresAt != nil && now.After(*t.ExpiresAt) {
		return nil, ErrNotFound
	}
	// The token list shows the day of last use: recording it at most once
	// a minute spares a database write on nearly every API request.
	if t.LastUsed == nil || now.Sub(*t.LastUsed) >= time.Minute {
		_, _ = s.col(colTokens).UpdateOne(ctx, bson.M{"_id": t.ID}, bson.M{"$set": bson.M{"last_used": now}})
	}
	return s.Member(ctx, t.MemberID)
}

// Tokens lists a member's tokens, newest first.
func (s *Store) Tokens(ctx context.Context, memberID string) ([]*APIToken, error) {
	cur, err := s.col(colTokens).Find(ctx, bson.M{"member_id": memberID}, options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}}))
	if err != nil {
		return nil, fmt.Errorf("auth: tokens: %w", err)
	}
	var ts []*APIToken
	if err := cur.All(ctx, &ts); err != nil {
		return nil, fmt.Errorf("auth: tokens: %w", err)
	}
	return ts, nil
}

// RevokeToken deletes one of a member's tokens.
func (s *Store) RevokeToken(ctx context.Context, memberID, tokenID string) error {
	res, err := s.col(colTokens).DeleteOne(ctx, bson.M{"_id": tokenID, "member_id": memberID})
	if err != nil {
		return fmt.Errorf("auth: revoke token: %w", err)
	}
	if res.DeletedCount == 0 {
		return ErrNotFound
	}
	return nil
}
