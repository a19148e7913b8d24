package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/search"
	"github.com/circularfairict/portal/store"
)

// Collections owned by this package.
const (
	colMembers  = "members"
	colGroups   = "groups"
	colTokens   = "api_tokens"
	colSessions = "sessions"
)

// Indexes lists what this package needs; the server ensures them at start-up.
func Indexes() []store.Index {
	return []store.Index{
		{Collection: colMembers, Name: "identity", Keys: bson.D{{Key: "identity_keys", Value: 1}}, Unique: true},
		{Collection: colMembers, Name: "status_created", Keys: bson.D{{Key: "status", Value: 1}, {Key: "created_at", Value: -1}}},
		{Collection: colGroups, Name: "slug", Keys: bson.D{{Key: "slug", Value: 1}}, Unique: true},
		{Collection: colGroupRequests, Name: "group_status_created", Keys: bson.D{{Key: "group", Value: 1}, {Key: "status", Value: 1}, {Key: "created_at", Value: 1}}},
		{Collection: colGroupRequests, Name: "member", Keys: bson.D{{Key: "member", Value: 1}}},
		{Collection: colGroupInvitations, Name: "group_created", Keys: bson.D{{Key: "group", Value: 1}, {Key: "created_at", Value: -1}}},
		{Collection: colTokens, Name: "member", Keys: bson.D{{Key: "member_id", Value: 1}}},
		{Collection: colSessions, Name: "member", Keys: bson.D{{Key: "member_id", Value: 1}}},
		{Collection: colSessions, Name: "expires", Keys: bson.D{{Key: "expires_at", Value: 1}}},
		{Collection: colSessions, Name: "idle", Keys: bson.D{{Key: "idle_until", Value: 1}}},
		{Collection: colAudit, Name: "actor", Keys: bson.D{{Key: "actor", Value: 1}}},
		{Collection: colAudit, Name: "target", Keys: bson.D{{Key: "target", Value: 1}}},
	}
}

// Store persists this package's data in MongoDB.
type Store struct {
	db  *mongo.Database
	now func() time.Time
	// onChange hears which member records changed (see OnChange).
	onChange func(ctx context.Context, memberIDs []string)
	// index answers Directory (see SetIndex).
	index *search.Index
	// byID reads members named by _id one lookup each (see ReadByID).
	byID bool
	// groups is this server's copy of the groups collection, checked
	// against its stamp on every read (see Groups).
	groups *store.StampCache[[]*Group]
}

// OnChange registers fn, called after every write of a member record with
// its ID, so the directory's search index re-reads it (and drops it when
// the member is no longer approved).
func (s *Store) OnChange(fn func(ctx context.Context, memberIDs []string)) { s.onChange = fn }

func (s *Store) changed(ctx context.Context, ids ...string) {
	if s.onChange != nil && len(ids) > 0 {
		s.onChange(ctx, ids)
	}
}

// ReadByID makes MembersByID look each member up by _id instead of one
// $in query, which the embedded database answers by reading every member
// (see store.FindByIDs). The server calls it on the embedded database.
func (s *Store) ReadByID() *Store {
	s.byID = true
	return s
}

// NewStore returns a Store on db.
func NewStore(db *mongo.Database) *Store {
	s := &Store{db: db, now: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }}
	s.groups = store.NewStampCache(db, store.StampGroups, s.readGroups, cloneGroups)
	return s
}

func (s *Store) col(name string) *mongo.Collection { return s.db.Collection(name) }

// Member returns the member with id.
func (s *Store) Member(ctx context.Context, id string) (*Member, error) {
	var m Member
	if err := s.col(colMembers).FindOne(ctx, bson.M{"_id": id}).Decode(&m); err != nil {
		if store.IsNoDocuments(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("auth: member: %w", err)
	}
	return &m, nil
}

// MemberByIdentity returns the member linked to provider and subject: two
// reads by _id, the identity's claim and then its member, which every
// backend answers from an index.
func (s *Store) MemberByIdentity(ctx context.Context, provider, subject string) (*Member, error) {
	owner, err := s.identityOwner(ctx, identityKey(provider, subject))
	if err != nil {
		return nil, err
	}
	return s.Member(ctx, owner)
}

// MembersByID returns the members with the given ids in one query, keyed by id.
func (s *Store) MembersByID(ctx context.Context, ids []string) (map[string]*Member, error) {
	out := make(map[string]*Member, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ms, err := store.FindByIDs[*Member](ctx, s.col(colMembers), ids, nil, s.byID)
	if err != nil {
		return nil, fmt.Errorf("auth: members: %w", err)
	}
	for _, m := range ms {
		out[m.ID] = m
	}
	return out, nil
}

// RecentMembers returns up to limit approved members, newest first.
func (s *Store) RecentMembers(ctx context.Context, limit int) ([]*Member, error) {
	return s.MembersByStatus(ctx, StatusApproved, limit)
}

// UpsertByIdentity creates a member for the identity, or updates the existing
// one's profile fields, and returns it. The identity is the key; e-mail is
// only a contact detail.
func (s *Store) UpsertByIdentity(ctx context.Context, id Identity, m Member) (*Member, error) {
	m.Name = strings.TrimSpace(m.Name)
	if m.Name == "" {
		return nil, fmt.Errorf("%w: name is required", ErrInvalid)
	}
	if id.Provider == "" || id.Subject == "" {
		return nil, fmt.Errorf("%w: identity needs a provider and a subject", ErrInvalid)
	}
	now := s.now()
	existing, err := s.MemberByIdentity(ctx, id.Provider, id.Subject)
	switch {
	case err == nil:
		set := bson.M{"name": m.Name, "role": m.Role, "status": m.Status, "updated_at": now}
		if m.Email != "" {
			set["email"] = m.Email
		}
		if err := s.locked(ctx, colMembers, existing.ID, func(ctx context.Context) error {
			_, err := s.col(colMembers).UpdateOne(ctx, bson.M{"_id": existing.ID}, bson.M{"$set": set})
			return err
		}); err != nil {
			return nil, fmt.Errorf("auth: update member: %w", err)
		}
		s.changed(ctx, existing.ID)
		if existing.Role != m.Role || existing.Status != m.Status {
			if err := s.rightsChanged(ctx, existing.ID); err != nil {
				return nil, err
			}
		}
		return s.Member(ctx, existing.ID)
	case !errors.Is(err, ErrNotFound):
		return nil, err
	}
	created, _, err := s.createMember(ctx, id, m)
	return created, err
}

// newMember is the document of a member created with identity id.
func newMember(id Identity, m Member, now time.Time) Member {
	if m.ID == "" {
		m.ID = store.NewID()
	}
	id.LinkedAt = now
	m.Identities = []Identity{id}
	m.IdentityKeys = []string{identityKey(id.Provider, id.Subject)}
	if m.CreatedAt.IsZero() { // imports and the demo seed may date a member
		m.CreatedAt = now
	}
	m.UpdatedAt = now
	return m
}

// NewMember is a member to create with its identity (ImportMembers).
type NewMember struct {
	Identity Identity
	Member   Member
}

// ImportMembers creates members whose identities are new, in one ordered
// insert, each written as UpsertByIdentity writes a new member. It is for
// seeding and imports of many members at once: UpsertByIdentity looks the
// identity up first, which on the embedded database reads every member,
// so creating n members one by one costs n passes over a growing
// collection. The identities are claimed first, in one ordered insert: one
// that exists makes it fail with a duplicate key, returned as an error,
// and the claims made before it are given back.
func (s *Store) ImportMembers(ctx context.Context, ms []NewMember) ([]*Member, error) {
	now := s.now()
	docs := make([]any, len(ms))
	out := make([]*Member, len(ms))
	for i, nm := range ms {
		nm.Member.Name = strings.TrimSpace(nm.Member.Name)
		if nm.Member.Name == "" || nm.Identity.Provider == "" || nm.Identity.Subject == "" {
			return nil, fmt.Errorf("%w: a member needs a name and an identity", ErrInvalid)
		}
		m := newMember(nm.Identity, nm.Member, now)
		docs[i], out[i] = m, &m
	}
	if len(docs) == 0 {
		return out, nil
	}
	claims := make([]any, len(out))
	for i, m := range out {
		claims[i] = identityDoc{Key: m.IdentityKeys[0], MemberID: m.ID, At: now}
	}
	if _, err := s.col(colIdentities).InsertMany(ctx, claims); err != nil {
		// Each release deletes only a claim naming this import's member.
		for _, m := range out {
			s.releaseIdentity(ctx, m.IdentityKeys[0], m.ID)
		}
		return nil, fmt.Errorf("auth: import members: %w", err)
	}
	if _, err := s.col(colMembers).InsertMany(ctx, docs); err != nil {
		for _, m := range out {
			s.releaseIdentity(ctx, m.IdentityKeys[0], m.ID)
		}
		return nil, fmt.Errorf("auth: import members: %w", err)
	}
	ids := make([]string, len(out))
	for i, m := range out {
		ids[i] = m.ID
	}
	s.changed(ctx, ids...)
	return out, nil
}

// SetLocale stores a member's UI language choice.
func (s *Store) SetLocale(ctx context.Context, memberID, locale string) error {
	return s.setMember(ctx, memberID, "locale", locale)
}

// SetTimeZone stores the member's IANA zone ("" for the portal's default);
// an unknown zone is refused.
func (s *Store) SetTimeZone(ctx context.Context, memberID, tz string) error {
	if !ValidTimeZone(tz) {
		return fault.New(fault.Invalid, "profile.error.time_zone").OnField("time_zone")
	}
	return s.setMember(ctx, memberID, "time_zone", tz)
}

// AdoptTimeZone stores tz as the member's zone only while the member has
// none: the zone a browser reports on a first visit must not overwrite
// one the member chose. It reports whether tz was stored.
func (s *Store) AdoptTimeZone(ctx context.Context, memberID, tz string) (bool, error) {
	if tz == "" || !ValidTimeZone(tz) {
		return false, fault.New(fault.Invalid, "profile.error.time_zone").OnField("time_zone")
	}
	adopted := false
	err := s.locked(ctx, colMembers, memberID, func(ctx context.Context) error {
		m, err := s.Member(ctx, memberID)
		if err != nil {
			return err
		}
		if m.TimeZone != "" {
			return nil
		}
		if _, err := s.col(colMembers).UpdateOne(ctx, bson.M{"_id": memberID}, bson.M{"$set": bson.M{"time_zone": tz, "updated_at": s.now()}}); err != nil {
			return fmt.Errorf("auth: set time_zone: %w", err)
		}
		adopted = true
		return nil
	})
	if adopted {
		s.changed(ctx, memberID)
	}
	return adopted, err
}

// SetStatus moves a member through the lifecycle.
func (s *Store) SetStatus(ctx context.Context, memberID string, st Status) error {
	return s.setMember(ctx, memberID, "status", st)
}

// SetRole changes a member's portal-wide role.
func (s *Store) SetRole(ctx context.Context, memberID string, r Role) error {
	return s.setMember(ctx, memberID, "role", r)
}

// setMember sets one field of a member; an unknown member is ErrNotFound.
func (s *Store) setMember(ctx context.Context, memberID, field string, value any) error {
	ctx, unlock, err := s.lock(ctx, colMembers, memberID)
	if err != nil {
		return err
	}
	defer unlock()
	res, err := s.col(colMembers).UpdateOne(ctx, bson.M{"_id": memberID}, bson.M{"$set": bson.M{field: value, "updated_at": s.now()}})
	if err != nil {
		return fmt.Errorf("auth: set %s: %w", field, err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	s.changed(ctx, memberID)
	if field == "status" || field == "role" {
		return s.rightsChanged(ctx, memberID)
	}
	return nil
}

// PutGroup inserts or replaces a group by slug and returns its id.
func (s *Store) PutGroup(ctx context.Context, g Group) (string, error) {
	// Empty lists are stored as arrays, never null: FerretDB refuses
	// $addToSet and $pull on a null field.
	for _, l := range []*[]string{&g.Members, &g.Coordinators, &g.Languages} {
		if *l == nil {
			*l = []string{}
		}
	}
	var old Group
	err := s.col(colGroups).FindOne(ctx, bson.M{"slug": g.Slug}).Decode(&old)
	switch {
	case err == nil:
		g.ID, g.CreatedAt = old.ID, old.CreatedAt
	case store.IsNoDocuments(err):
		if g.ID == "" {
			g.ID = store.NewID()
		}
		if g.CreatedAt.IsZero() {
			g.CreatedAt = s.now()
		}
	default:
		return "", fmt.Errorf("auth: group: %w", err)
	}
	if _, err := s.col(colGroups).ReplaceOne(ctx, bson.M{"_id": g.ID}, g, options.Replace().SetUpsert(true)); err != nil {
		return "", fmt.Errorf("auth: put group: %w", err)
	}
	if err := s.groupsChanged(ctx); err != nil {
		return "", err
	}
	var was *Group
	if old.ID != "" {
		was = &old
	}
	if err := s.listGroupMembers(ctx, &g, was); err != nil {
		return "", fmt.Errorf("auth: put group: %w", err)
	}
	return g.ID, nil
}

// Groups returns all groups sorted by name. Nearly every page asks, and on
// the embedded database reading them is a pass over the collection with
// every member list (734 KB at community scale), so the answer comes from
// this server's copy, read again when the groups' stamp has moved (one
// lookup by _id) or the copy is store.StampMaxAge old; see "Stamped
// copies" in docs/architecture.md. The groups are the caller's own.
func (s *Store) Groups(ctx context.Context) ([]*Group, error) {
	if gs, ok, err := memoGroups(ctx, s.groups.Shared); ok {
		return gs, err
	}
	return s.groups.Get(ctx)
}

// groupsChanged moves the groups' stamp: every write of a group calls it
// right after the write, so every server's next read sees the write.
func (s *Store) groupsChanged(ctx context.Context) error {
	if err := s.groups.Touch(ctx); err != nil {
		return fmt.Errorf("auth: groups changed: %w", err)
	}
	return nil
}

func (s *Store) readGroups(ctx context.Context) ([]*Group, error) {
	cur, err := s.col(colGroups).Find(ctx, bson.M{}, options.Find().SetSort(bson.D{{Key: "name", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("auth: groups: %w", err)
	}
	var gs []*Group
	if err := cur.All(ctx, &gs); err != nil {
		return nil, fmt.Errorf("auth: groups: %w", err)
	}
	return gs, nil
}

// identityKey flattens (provider, subject) into one string so a unique
// multikey index can guard it; FerretDB 1.24 cannot $elemMatch sub-fields.
func identityKey(provider, subject string) string { return provider + "\x00" + subject }

// randomToken returns n random bytes as URL-safe base64.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error()) // the OS is broken; nothing is safe
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret stores secrets (tokens, session IDs) only as SHA-256 digests, so
// a database dump does not hand out working credentials.
func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Personas returns the demo's sign-in personas in the order they were seeded.
func (s *Store) Personas(ctx context.Context) ([]*Member, error) {
	return s.findMembers(ctx, bson.M{"persona": bson.M{"$exists": true, "$ne": ""}}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

// MemberByEmail returns the member with this e-mail address (for the
// command line, which names people by address).
func (s *Store) MemberByEmail(ctx context.Context, email string) (*Member, error) {
	var m Member
	if err := s.col(colMembers).FindOne(ctx, bson.M{"email": strings.ToLower(strings.TrimSpace(email))}).Decode(&m); err != nil {
		if store.IsNoDocuments(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("auth: member by e-mail: %w", err)
	}
	return &m, nil
}
