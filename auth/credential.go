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
	h, err := s.CredentialHolder(ctx, c, use)
	if err != nil {
		return nil, err
	}
	return s.Member(ctx, h.Member)
}

// Holder is what a valid credential's own document says of its member:
// who they are, and the stamp of the last change of their standing made
// through this store (see RightsStamp).
type Holder struct {
	Member string
	// Rights is the credential's copy of the member's rights stamp: it
	// changes whenever the member's status or role is changed through the
	// store (empty until the first such change since the credential was
	// made).
	Rights string
}

// CredentialHolder is CredentialMember without reading the member: one
// lookup by _id, the credential's own, with the same validity rules and
// the same record of use. A live connection re-checks its credential with
// it and reads the member again only when the holder's rights stamp says
// the member's standing changed (or its copy of the member is old).
func (s *Store) CredentialHolder(ctx context.Context, c Credential, use bool) (Holder, error) {
	switch {
	case c.Session != "":
		sess, err := s.liveSession(ctx, c.Session, use)
		if err != nil {
			return Holder{}, err
		}
		return Holder{Member: sess.MemberID, Rights: sess.Rights}, nil
	case c.Token != "":
		t, err := s.tokenByID(ctx, c.Token)
		if err != nil {
			return Holder{}, err
		}
		if t.ExpiresAt != nil && s.now().After(*t.ExpiresAt) {
			return Holder{}, ErrNotFound
		}
		return Holder{Member: t.MemberID, Rights: t.Rights}, nil
	}
	return Holder{}, ErrNotFound
}

// rightsChanged gives every session and API token of a member a new rights
// stamp, after a change of the member's status or role has been written:
// a live connection that finds its credential's stamp changed reads the
// member again at its next check (docs/security.md, "Live room rights
// re-checks: the member read only when its standing changed"). The member
// is written first, the stamp after: a check that reads the stamp before it
// changes may reuse the member as it was, which is the state before the
// change, and the next check (within the bound) meets the new stamp. One
// write per collection, by member_id (on the embedded database a pass over
// the collection): standing changes are rare administrative acts.
func (s *Store) rightsChanged(ctx context.Context, memberID string) error {
	set := bson.M{"$set": bson.M{"rights": randomToken(9)}}
	if _, err := s.col(colSessions).UpdateMany(ctx, bson.M{"member_id": memberID}, set); err != nil {
		return fmt.Errorf("auth: rights stamp on sessions: %w", err)
	}
	if _, err := s.col(colTokens).UpdateMany(ctx, bson.M{"member_id": memberID}, set); err != nil {
		return fmt.Errorf("auth: rights stamp on tokens: %w", err)
	}
	return nil
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
