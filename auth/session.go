package auth

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store"
)

// Session is a signed-in browser session. The cookie holds a random secret;
// the database holds its hash as the _id.
type Session struct {
	ID        string    `bson:"_id"`
	MemberID  string    `bson:"member_id"`
	CreatedAt time.Time `bson:"created_at"`
	ExpiresAt time.Time `bson:"expires_at"`
}

// NewSessionSecret returns a fresh random session secret for a cookie.
func NewSessionSecret() string { return randomToken(32) }

// CreateSession stores a session for memberID under secret.
func (s *Store) CreateSession(ctx context.Context, secret, memberID string, ttl time.Duration) error {
	now := s.now()
	_, err := s.col(colSessions).InsertOne(ctx, Session{ID: hashSecret(secret), MemberID: memberID, CreatedAt: now, ExpiresAt: now.Add(ttl)})
	if err != nil {
		return fmt.Errorf("auth: create session: %w", err)
	}
	return nil
}

// SessionMember returns the member of a live session.
func (s *Store) SessionMember(ctx context.Context, secret string) (*Member, error) {
	var sess Session
	if err := s.col(colSessions).FindOne(ctx, bson.M{"_id": hashSecret(secret)}).Decode(&sess); err != nil {
		if store.IsNoDocuments(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("auth: session: %w", err)
	}
	if s.now().After(sess.ExpiresAt) {
		return nil, ErrNotFound
	}
	return s.Member(ctx, sess.MemberID)
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, secret string) error {
	if _, err := s.col(colSessions).DeleteOne(ctx, bson.M{"_id": hashSecret(secret)}); err != nil {
		return fmt.Errorf("auth: delete session: %w", err)
	}
	return nil
}

// DeleteMemberSessions ends every session of a member.
func (s *Store) DeleteMemberSessions(ctx context.Context, memberID string) error {
	if _, err := s.col(colSessions).DeleteMany(ctx, bson.M{"member_id": memberID}); err != nil {
		return fmt.Errorf("auth: delete sessions: %w", err)
	}
	return nil
}

// SweepSessions deletes expired sessions. It replaces a TTL index, which the
// embedded database lacks; the server runs it periodically.
func (s *Store) SweepSessions(ctx context.Context) (int64, error) {
	res, err := s.col(colSessions).DeleteMany(ctx, bson.M{"expires_at": bson.M{"$lt": s.now()}})
	if err != nil {
		return 0, fmt.Errorf("auth: sweep sessions: %w", err)
	}
	return res.DeletedCount, nil
}
