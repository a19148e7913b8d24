package auth

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/store"
)

// Session is a signed-in browser session. The cookie holds a random secret;
// the database holds its hash as the _id.
//
// A session ends at ExpiresAt (absolute lifetime) or at IdleUntil, which
// each use pushes forward by its Idle allowance: a browser left signed in
// on a shared computer stops working after the idle time, whatever the
// lifetime. The allowance is stored with the session so a change of
// configuration affects new sessions only.
type Session struct {
	ID        string        `bson:"_id"`
	MemberID  string        `bson:"member_id"`
	CreatedAt time.Time     `bson:"created_at"`
	ExpiresAt time.Time     `bson:"expires_at"`
	SeenAt    time.Time     `bson:"seen_at"`
	IdleUntil time.Time     `bson:"idle_until"`
	Idle      time.Duration `bson:"idle"`
	// Agent is a short description of the browser ("Firefox on Linux"),
	// shown to the member in their list of sessions; never the raw header.
	Agent string `bson:"agent,omitempty"`
	// Rights is the member's rights stamp as of the last change of their
	// standing (rightsChanged); empty before any.
	Rights string `bson:"rights,omitempty"`
}

// seenEvery bounds how often use of a session is written down: a page
// with many requests costs one write a minute, not one per request.
const seenEvery = time.Minute

// NewSessionSecret returns a fresh random session secret for a cookie.
func NewSessionSecret() string { return randomToken(32) }

// SessionID is the stored identifier of the session behind secret, as the
// member's list of sessions names it.
func SessionID(secret string) string { return hashSecret(secret) }

// CreateSession stores a session for memberID under secret, valid for ttl
// and ending earlier after idle without use.
func (s *Store) CreateSession(ctx context.Context, secret, memberID string, ttl, idle time.Duration, agent string) error {
	now := s.now()
	if idle <= 0 || idle > ttl {
		idle = ttl
	}
	sess := Session{ID: hashSecret(secret), MemberID: memberID, CreatedAt: now, ExpiresAt: now.Add(ttl),
		SeenAt: now, IdleUntil: now.Add(idle), Idle: idle, Agent: agent}
	if _, err := s.col(colSessions).InsertOne(ctx, sess); err != nil {
		return fmt.Errorf("auth: create session: %w", err)
	}
	return nil
}

// SessionMember returns the member of a live session and records its use.
func (s *Store) SessionMember(ctx context.Context, secret string) (*Member, error) {
	return s.sessionMember(ctx, hashSecret(secret), true)
}

// sessionMember is SessionMember by the session's stored identifier; use
// says whether to record a use.
func (s *Store) sessionMember(ctx context.Context, id string, use bool) (*Member, error) {
	sess, err := s.liveSession(ctx, id, use)
	if err != nil {
		return nil, err
	}
	return s.Member(ctx, sess.MemberID)
}

// liveSession is the session stored under id if it has neither expired nor
// idled out (else ErrNotFound); open live connections re-check their
// session by it (see CredentialHolder). use says whether to record a use.
func (s *Store) liveSession(ctx context.Context, id string, use bool) (*Session, error) {
	var sess Session
	if err := s.col(colSessions).FindOne(ctx, bson.M{"_id": id}).Decode(&sess); err != nil {
		if store.IsNoDocuments(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("auth: session: %w", err)
	}
	now := s.now()
	if now.After(sess.ExpiresAt) || !sess.IdleUntil.IsZero() && now.After(sess.IdleUntil) {
		return nil, ErrNotFound
	}
	if use && sess.Idle > 0 && now.Sub(sess.SeenAt) >= seenEvery {
		_, err := s.col(colSessions).UpdateOne(ctx, bson.M{"_id": sess.ID},
			bson.M{"$set": bson.M{"seen_at": now, "idle_until": now.Add(sess.Idle)}})
		if err != nil {
			return nil, fmt.Errorf("auth: session seen: %w", err)
		}
	}
	return &sess, nil
}

// Sessions lists a member's live sessions, most recently used first.
func (s *Store) Sessions(ctx context.Context, memberID string) ([]Session, error) {
	now := s.now()
	var all []Session
	opts := options.Find().SetSort(bson.D{{Key: "seen_at", Value: -1}})
	if err := s.findAll(ctx, colSessions, bson.M{"member_id": memberID}, opts, &all); err != nil {
		return nil, err
	}
	out := all[:0]
	for _, x := range all {
		if !now.After(x.ExpiresAt) && (x.IdleUntil.IsZero() || !now.After(x.IdleUntil)) {
			out = append(out, x)
		}
	}
	return out, nil
}

// EndSession ends one of a member's sessions by its stored identifier;
// ErrNotFound when the member has no such session.
func (s *Store) EndSession(ctx context.Context, memberID, id string) error {
	res, err := store.DeleteByIDIf(ctx, s.col(colSessions), id, bson.M{"member_id": memberID}, s.byID)
	if err != nil {
		return fmt.Errorf("auth: end session: %w", err)
	}
	if res.DeletedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// EndOtherSessions ends every session of a member except the one behind
// keepSecret, and reports how many ended.
func (s *Store) EndOtherSessions(ctx context.Context, memberID, keepSecret string) (int64, error) {
	res, err := s.col(colSessions).DeleteMany(ctx, bson.M{"member_id": memberID, "_id": bson.M{"$ne": hashSecret(keepSecret)}})
	if err != nil {
		return 0, fmt.Errorf("auth: end sessions: %w", err)
	}
	return res.DeletedCount, nil
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

// SweepSessions deletes expired and idle sessions. It replaces a TTL
// index, which the embedded database lacks; the server runs it
// periodically.
func (s *Store) SweepSessions(ctx context.Context) (int64, error) {
	now := s.now()
	res, err := s.col(colSessions).DeleteMany(ctx, bson.M{"$or": bson.A{
		bson.M{"expires_at": bson.M{"$lt": now}}, bson.M{"idle_until": bson.M{"$lt": now}}}})
	if err != nil {
		return 0, fmt.Errorf("auth: sweep sessions: %w", err)
	}
	return res.DeletedCount, nil
}
