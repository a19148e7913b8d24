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

// TokenScope caps what a token may do, whatever its member's rights; the
// route table decides which scope each route needs (server/access.go).
type TokenScope string

const (
	ScopeRead  TokenScope = "read"  // reads only: GET and HEAD
	ScopeWrite TokenScope = "write" // also changes content; no administration
	ScopeAdmin TokenScope = "admin" // also the administration routes
)

// TokenScopes lists the scopes from least to most powerful.
var TokenScopes = []TokenScope{ScopeRead, ScopeWrite, ScopeAdmin}

// ParseTokenScope accepts exactly the names of TokenScopes.
func ParseTokenScope(s string) (TokenScope, bool) {
	for _, sc := range TokenScopes {
		if string(sc) == s {
			return sc, true
		}
	}
	return "", false
}

// APIToken is a personal access token; only its hash is stored.
type APIToken struct {
	ID       string `bson:"_id" json:"id"`
	MemberID string `bson:"member_id" json:"-"`
	Name     string `bson:"name" json:"name"`
	Hash     string `bson:"hash" json:"-"`
	// Scope is empty on tokens made before scopes existed: see EffectiveScope.
	Scope     TokenScope `bson:"scope,omitempty" json:"scope,omitempty"`
	CreatedAt time.Time  `bson:"created_at" json:"created_at"`
	ExpiresAt *time.Time `bson:"expires_at,omitempty" json:"expires_at,omitempty"`
	LastUsed  *time.Time `bson:"last_used,omitempty" json:"last_used,omitempty"`
	// Rights is the member's rights stamp as of the last change of their
	// standing (rightsChanged); empty before any.
	Rights string `bson:"rights,omitempty" json:"-"`
}

// EffectiveScope is the scope a token acts with. Tokens made before scopes
// existed could do everything their member could through the API, which in
// practice was reading and writing content: they keep write, not admin, so
// that no old token gains or keeps administration without its member
// choosing so. Token and account management need a browser session
// whatever the scope.
func (t *APIToken) EffectiveScope() TokenScope {
	if t.Scope == "" {
		return ScopeWrite
	}
	return t.Scope
}

// CreateToken makes a new write token (see CreateScopedToken).
func (s *Store) CreateToken(ctx context.Context, memberID, name string, expires *time.Time) (string, *APIToken, error) {
	return s.CreateScopedToken(ctx, memberID, name, ScopeWrite, expires)
}

// CreateScopedToken makes a new token for memberID and returns the plain
// secret, which is shown once and never stored.
func (s *Store) CreateScopedToken(ctx context.Context, memberID, name string, scope TokenScope, expires *time.Time) (string, *APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil, fmt.Errorf("%w: token name is required", ErrInvalid)
	}
	if _, ok := ParseTokenScope(string(scope)); !ok {
		return "", nil, fmt.Errorf("%w: unknown token scope %q", ErrInvalid, scope)
	}
	secret := tokenPrefix + randomToken(32)
	t := &APIToken{ID: store.NewID(), MemberID: memberID, Name: name, Hash: hashSecret(secret), Scope: scope, CreatedAt: s.now(), ExpiresAt: expires}
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
	t, err := s.Token(ctx, secret)
	if err != nil {
		return nil, err
	}
	return s.Member(ctx, t.MemberID)
}

// Token resolves a bearer token to the token itself (its member and scope);
// unknown, expired and malformed tokens are ErrNotFound.
func (s *Store) Token(ctx context.Context, secret string) (*APIToken, error) {
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
	return &t, nil
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
	res, err := store.DeleteByIDIf(ctx, s.col(colTokens), tokenID, bson.M{"member_id": memberID}, s.byID)
	if err != nil {
		return fmt.Errorf("auth: revoke token: %w", err)
	}
	if res.DeletedCount == 0 {
		return ErrNotFound
	}
	return nil
}
