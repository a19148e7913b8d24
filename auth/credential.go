package auth

import (
	"context"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store"
)

// Credential names what authenticated a long-lived connection (a live room
// socket, a discussion stream) by its stored identifier, never its secret,
// so the connection can be ended when that credential ends and re-checked
// against the database while it stays open.
type Credential struct {
	Session string // the session's stored ID (SessionID), for a browser
	Token   string // the API token's ID, for a bearer client
	// ExpiresAt is the credential's fixed end (a session's lifetime, a
	// token's expiry); zero when it has none. A session may end earlier
	// when idle; re-checking finds that.
	ExpiresAt time.Time
}

// SessionCredential describes the live session behind a cookie secret;
// ErrNotFound when it has ended.
func (s *Store) SessionCredential(ctx context.Context, secret string) (Credential, error) {
	var sess Session
	if err := s.col(colSessions).FindOne(ctx, bson.M{"_id": hashSecret(secret)}).Decode(&sess); err != nil {
		if store.IsNoDocuments(err) {
			return Credential{}, ErrNotFound
		}
		return Credential{}, fmt.Errorf("auth: session credential: %w", err)
	}
	return Credential{Session: sess.ID, ExpiresAt: sess.ExpiresAt}, nil
}

// TokenCredential describes the API token behind a bearer secret, looked up
// as MemberByToken does (by _id, the hash compared here); ErrNotFound when
// it is unknown or expired.
func (s *Store) TokenCredential(ctx context.Context, secret string) (Credential, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 200 {
		return Credential{}, ErrNotFound
	}
	h := hashSecret(secret)
	t, err := s.tokenByID(ctx, h[:24])
	if err != nil {
		return Credential{}, err
	}
	if subtle.ConstantTimeCompare([]byte(t.Hash), []byte(h)) != 1 {
		return Credential{}, ErrNotFound
	}
	c := Credential{Token: t.ID}
	if t.ExpiresAt != nil {
		c.ExpiresAt = *t.ExpiresAt
	}
	return c, nil
}

// CredentialMember returns the member behind a credential if the
// credential is still valid now: the session exists and has neither
// expired nor idled out, or the token exists and has not expired.
// Anything else is ErrNotFound. With use, the session's use is recorded as
// for a request (a frame the member sent); a connection that only listens
// does not keep a session from idling out. The caller still checks the
// member's status and object rights.
func (s *Store) CredentialMember(ctx context.Context, c Credential, use bool) (*Member, error) {
	switch {
	case c.Session != "":
		return s.sessionMember(ctx, c.Session, use)
	case c.Token != "":
		t, err := s.tokenByID(ctx, c.Token)
		if err != nil {
			return nil, err
		}
		if t.ExpiresAt != nil && s.now().After(*t.ExpiresAt) {
			return nil, ErrNotFound
		}
		return s.Member(ctx, t.MemberID)
	}
	return nil, ErrNotFound
}

func (s *Store) tokenByID(ctx context.Context, id string) (*APIToken, error) {
	var t APIToken
	if err := s.col(colTokens).FindOne(ctx, bson.M{"_id": id}).Decode(&t); err != nil {
		if store.IsNoDocuments(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("auth: token: %w", err)
	}
	return &t, nil
}
