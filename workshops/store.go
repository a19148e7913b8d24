package workshops

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/store"
)

// Collections owned by this package.
const (
	colWorkshops     = "workshops"
	colRegistrations = "workshop_registrations"
	colFeeds         = "calendar_feeds"
	colAttendance    = "workshop_attendance"
	colOutcomes      = "workshop_outcomes"
)

// Indexes lists what this package needs.
func Indexes() []store.Index {
	return []store.Index{
		{Collection: colWorkshops, Name: "starts_at", Keys: bson.D{{Key: "starts_at", Value: 1}}},
		{Collection: colWorkshops, Name: "group_starts", Keys: bson.D{{Key: "group_id", Value: 1}, {Key: "starts_at", Value: 1}}},
		{Collection: colRegistrations, Name: "workshop", Keys: bson.D{{Key: "workshop_id", Value: 1}, {Key: "created_at", Value: 1}}},
		{Collection: colRegistrations, Name: "member", Keys: bson.D{{Key: "member_id", Value: 1}}},
		{Collection: colFeeds, Name: "member", Keys: bson.D{{Key: "member_id", Value: 1}}},
		{Collection: colWorkshops, Name: "series_starts", Keys: bson.D{{Key: "series", Value: 1}, {Key: "starts_at", Value: 1}}},
		{Collection: colAttendance, Name: "workshop", Keys: bson.D{{Key: "workshop_id", Value: 1}}},
		{Collection: colAttendance, Name: "member", Keys: bson.D{{Key: "member_id", Value: 1}}},
	}
}

// Store persists workshops and registrations.
type Store struct {
	db  *mongo.Database
	now func() time.Time
	// byID reads workshops and registrations named by _id one lookup each
	// (ReadByID).
	byID bool
	// This server's copies of the schedule and the texts, checked against
	// their stamps on every read (store.StampCache): the readers that only
	// list (List, Running) use them; the writers read the documents
	// themselves under their locks and move the stamps after writing.
	sched *store.StampCache[[]scheduleEntry]
	texts *store.StampCache[map[string]string]
}

// ReadByID makes ByIDs and the registration lists read each document by
// _id instead of one $in query, which the embedded database answers by
// reading the whole collection (see store.FindByIDs). The application
// calls it on the embedded database.
func (s *Store) ReadByID() *Store {
	s.byID = true
	return s
}

// NewStore returns a Store on db.
func NewStore(db *mongo.Database) *Store {
	s := &Store{db: db, now: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }}
	s.sched = store.NewStampCache(db, store.StampWorkshopSchedule, s.schedule, slices.Clone[[]scheduleEntry])
	s.texts = store.NewStampCache(db, store.StampWorkshopTexts, s.readTexts, maps.Clone[map[string]string])
	return s
}

func (s *Store) col(n string) *mongo.Collection { return s.db.Collection(n) }

// Create validates and stores a new workshop; creator becomes its first
// facilitator.
func (s *Store) Create(ctx context.Context, creator string, in Input) (*Workshop, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	w := &Workshop{ID: store.NewID(), Title: in.Title, Description: in.Description, Format: in.Format, GroupID: in.GroupID,
		StartsAt: in.StartsAt.UTC(), EndsAt: in.EndsAt.UTC(), TimeZone: in.TimeZone, Capacity: in.Capacity,
		Languages: nonNil(in.Languages), Agenda: in.Agenda, Polls: in.Polls, Series: in.Series, VideoURL: in.VideoURL, Materials: nonNil(in.Materials),
		WaitingRoom: in.WaitingRoom, WaitingChat: in.WaitingChat, CreatedAt: now, UpdatedAt: now}
	if w.Agenda == nil {
		w.Agenda = []AgendaItem{}
	}
	if w.Polls == nil {
		w.Polls = []Poll{}
	}
	w.Facilitators = []string{creator}
	for _, f := range in.Facilitators {
		if !w.IsFacilitator(f) && f != "" {
			w.Facilitators = append(w.Facilitators, f)
		}
	}
	if err := s.enter(ctx, w); err != nil {
		return nil, err
	}
	if err := s.enterText(ctx, w); err != nil {
		return nil, err
	}
	if _, err := s.col(colWorkshops).InsertOne(ctx, w); err != nil {
		return nil, fmt.Errorf("workshops: create: %w", err)
	}
	return w, nil
}

// Put stores a workshop as given (the demo seed uses it; keyed by ID).
func (s *Store) Put(ctx context.Context, w *Workshop) error {
	if _, err := s.col(colWorkshops).ReplaceOne(ctx, bson.M{"_id": w.ID}, w, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("workshops: put: %w", err)
	}
	if err := s.enter(ctx, w); err != nil {
		return err
	}
	return s.enterText(ctx, w)
}

// PutRegistration stores a registration as given, past workshops too (the
// demo seed uses it for its past workshop's attendees).
func (s *Store) PutRegistration(ctx context.Context, r Registration) error {
	r.ID = regID(r.WorkshopID, r.MemberID)
	if err := s.listRegistration(ctx, r.WorkshopID, r.MemberID); err != nil {
		return err
	}
	if _, err := s.col(colRegistrations).ReplaceOne(ctx, bson.M{"_id": r.ID}, r, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("workshops: put registration: %w", err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Workshop returns one workshop.
func (s *Store) Workshop(ctx context.Context, id string) (*Workshop, error) {
	var w Workshop
	if err := s.col(colWorkshops).FindOne(ctx, bson.M{"_id": id}).Decode(&w); err != nil {
		if store.IsNoDocuments(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("workshops: workshop: %w", err)
	}
	return &w, nil
}

// Filter selects workshops for a list.
type Filter struct {
	Past    bool   // ended before now, newest first; else upcoming and running, soonest first
	GroupID string // only this group's
	Limit   int
	// Match, when set, keeps the workshops whose Text it accepts among
	// the Limit picked; their texts come from one document, so only the
	// accepted workshops are read.
	Match func(text string) bool
}

// ByIDs returns workshops by ID, soonest first: one $in query, or one
// lookup per _id on the embedded database (ReadByID).
func (s *Store) ByIDs(ctx context.Context, ids []string) ([]*Workshop, error) {
	ws, err := store.FindByIDs[*Workshop](ctx, s.col(colWorkshops), ids, nil, s.byID)
	if err != nil {
		return nil, fmt.Errorf("workshops: by ids: %w", err)
	}
	sort.Slice(ws, func(i, j int) bool {
		if !ws[i].StartsAt.Equal(ws[j].StartsAt) {
			return ws[i].StartsAt.Before(ws[j].StartsAt)
		}
		return ws[i].ID < ws[j].ID
	})
	return ws, nil
}

func regID(workshopID, memberID string) string { return workshopID + "/" + memberID }

// Register signs a member up, or puts them on the waiting list when the
// workshop is full. Without transactions, the rule is settled afterwards:
// the first Capacity active registrations by (time, id) hold the seats.
func (s *Store) Register(ctx context.Context, w *Workshop, memberID string) (*Registration, error) {
	if w.Past(s.now()) {
		return nil, fault.New(fault.Conflict, "workshops.error.past")
	}
	now := s.now()
	r := Registration{ID: regID(w.ID, memberID), WorkshopID: w.ID, MemberID: memberID, Status: Registered, CreatedAt: now, UpdatedAt: now}
	if err := s.listRegistration(ctx, w.ID, memberID); err != nil {
		return nil, err
	}
	_, err := s.col(colRegistrations).InsertOne(ctx, r)
	if store.IsDuplicateKey(err) {
		// Registering again after cancelling rejoins at the end of the list.
		_, err = store.UpdateByIDIf(ctx, s.col(colRegistrations), r.ID, bson.M{"status": Cancelled},
			bson.M{"$set": bson.M{"status": Registered, "created_at": now, "updated_at": now}}, s.byID)
	}
	if err != nil {
		return nil, fmt.Errorf("workshops: register: %w", err)
	}
	if _, err := s.Settle(ctx, w); err != nil {
		return nil, err
	}
	return s.Registration(ctx, w.ID, memberID)
}

// Cancel withdraws a registration; the waiting list moves up. It returns
// the members promoted to a seat.
func (s *Store) Cancel(ctx context.Context, w *Workshop, memberID string) ([]string, error) {
	res, err := s.col(colRegistrations).UpdateOne(ctx, bson.M{"_id": regID(w.ID, memberID)},
		bson.M{"$set": bson.M{"status": Cancelled, "updated_at": s.now()}})
	if err != nil {
		return nil, fmt.Errorf("workshops: cancel: %w", err)
	}
	if res.MatchedCount == 0 {
		return nil, ErrNotFound
	}
	return s.Settle(ctx, w)
}

// Settle gives the seats to the earliest active registrations and returns
// the members moved from the waiting list to a seat. It is idempotent, so
// concurrent callers converge on the same result.
func (s *Store) Settle(ctx context.Context, w *Workshop) ([]string, error) {
	regs, err := s.Registrations(ctx, w.ID)
	if err != nil {
		return nil, err
	}
	var promoted []string
	seat := 0
	for _, r := range regs {
		if r.Status == Cancelled {
			continue
		}
		want := Registered
		if w.Capacity > 0 && seat >= w.Capacity {
			want = Waitlisted
		}
		seat++
		if r.Status == want {
			continue
		}
		if _, err := store.UpdateByIDIf(ctx, s.col(colRegistrations), r.ID, bson.M{"status": r.Status},
			bson.M{"$set": bson.M{"status": want, "updated_at": s.now()}}, s.byID); err != nil {
			return nil, fmt.Errorf("workshops: settle: %w", err)
		}
		if want == Registered {
			promoted = append(promoted, r.MemberID)
		}
	}
	return promoted, nil
}

// Registration returns one member's registration.
func (s *Store) Registration(ctx context.Context, workshopID, memberID string) (*Registration, error) {
	var r Registration
	if err := s.col(colRegistrations).FindOne(ctx, bson.M{"_id": regID(workshopID, memberID)}).Decode(&r); err != nil {
		if store.IsNoDocuments(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("workshops: registration: %w", err)
	}
	return &r, nil
}

// Registrations returns a workshop's registrations in list order: the
// workshop's list by _id, then each registration it names by _id.
func (s *Store) Registrations(ctx context.Context, workshopID string) ([]*Registration, error) {
	members, err := s.listed(ctx, workshopListID(workshopID))
	if err != nil || len(members) == 0 {
		return nil, err
	}
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = regID(workshopID, m)
	}
	rs, err := s.registrationsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	sort.Slice(rs, func(i, j int) bool {
		if !rs[i].CreatedAt.Equal(rs[j].CreatedAt) {
			return rs[i].CreatedAt.Before(rs[j].CreatedAt)
		}
		return rs[i].ID < rs[j].ID
	})
	return rs, nil
}

// MemberRegistrations returns a member's active registrations: the
// member's list by _id, then each registration it names by _id.
func (s *Store) MemberRegistrations(ctx context.Context, memberID string) ([]*Registration, error) {
	workshops, err := s.listed(ctx, memberListID(memberID))
	if err != nil || len(workshops) == 0 {
		return nil, err
	}
	ids := make([]string, len(workshops))
	for i, w := range workshops {
		ids[i] = regID(w, memberID)
	}
	rs, err := s.registrationsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(rs, func(r *Registration) bool { return r.Status == Cancelled }), nil
}

// DeleteMemberRegistrations removes all of a member's registrations
// (privacy erasure) and settles the workshops they held seats in. Erasure
// must not miss one a list lost, so it finds them by member_id.
func (s *Store) DeleteMemberRegistrations(ctx context.Context, memberID string) (int64, error) {
	var regs []*Registration
	cur, err := s.col(colRegistrations).Find(ctx, bson.M{"member_id": memberID})
	if err == nil {
		err = cur.All(ctx, &regs)
	}
	if err != nil {
		return 0, fmt.Errorf("workshops: delete registrations: %w", err)
	}
	res, err := s.col(colRegistrations).DeleteMany(ctx, bson.M{"member_id": memberID})
	if err != nil {
		return 0, fmt.Errorf("workshops: delete registrations: %w", err)
	}
	listed, err := s.listed(ctx, memberListID(memberID))
	if err != nil {
		return 0, err
	}
	for _, r := range regs {
		if !slices.Contains(listed, r.WorkshopID) {
			listed = append(listed, r.WorkshopID)
		}
	}
	if err := s.unlistMember(ctx, memberID, listed); err != nil {
		return 0, err
	}
	for _, r := range regs {
		if r.Status == Cancelled {
			continue
		}
		if w, err := s.Workshop(ctx, r.WorkshopID); err == nil {
			_, _ = s.Settle(ctx, w)
		}
	}
	_, _ = s.col(colFeeds).DeleteMany(ctx, bson.M{"member_id": memberID})
	return res.DeletedCount, nil
}

type feedDoc struct {
	ID        string    `bson:"_id"` // SHA-256 of the secret
	MemberID  string    `bson:"member_id"`
	CreatedAt time.Time `bson:"created_at"`
}

// NewFeedToken revokes a member's calendar feed URL and returns a new
// secret for it; only its hash is stored.
func (s *Store) NewFeedToken(ctx context.Context, memberID string) (string, error) {
	if err := s.RevokeFeed(ctx, memberID); err != nil {
		return "", err
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	secret := base64.RawURLEncoding.EncodeToString(b)
	if _, err := s.col(colFeeds).InsertOne(ctx, feedDoc{ID: hashSecret(secret), MemberID: memberID, CreatedAt: s.now()}); err != nil {
		return "", fmt.Errorf("workshops: feed token: %w", err)
	}
	return secret, nil
}

// RevokeFeed makes a member's calendar feed URL stop working.
func (s *Store) RevokeFeed(ctx context.Context, memberID string) error {
	if _, err := s.col(colFeeds).DeleteMany(ctx, bson.M{"member_id": memberID}); err != nil {
		return fmt.Errorf("workshops: revoke feed: %w", err)
	}
	return nil
}

// HasFeed reports whether a member has a feed URL.
func (s *Store) HasFeed(ctx context.Context, memberID string) (bool, error) {
	n, err := s.col(colFeeds).CountDocuments(ctx, bson.M{"member_id": memberID})
	if err != nil {
		return false, fmt.Errorf("workshops: feed: %w", err)
	}
	return n > 0, nil
}

// FeedMember resolves a feed secret to its member ID.
func (s *Store) FeedMember(ctx context.Context, secret string) (string, error) {
	if len(secret) != 32 {
		return "", ErrNotFound
	}
	var d feedDoc
	if err := s.col(colFeeds).FindOne(ctx, bson.M{"_id": hashSecret(secret)}).Decode(&d); err != nil {
		if store.IsNoDocuments(err) {
			return "", ErrNotFound
		}
		return "", fmt.Errorf("workshops: feed: %w", err)
	}
	return d.MemberID, nil
}

func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// DueReminders returns workshops starting within the next `within` whose
// reminder has not gone out yet.
func (s *Store) DueReminders(ctx context.Context, within time.Duration) ([]*Workshop, error) {
	now := s.now()
	cur, err := s.col(colWorkshops).Find(ctx, bson.M{
		"starts_at":   bson.M{"$gt": now, "$lte": now.Add(within)},
		"reminded_at": bson.M{"$exists": false},
	}, options.Find().SetLimit(100))
	if err != nil {
		return nil, fmt.Errorf("workshops: due reminders: %w", err)
	}
	var ws []*Workshop
	if err := cur.All(ctx, &ws); err != nil {
		return nil, fmt.Errorf("workshops: due reminders: %w", err)
	}
	return ws, nil
}

// ClaimReminder claims a workshop's reminder and reports whether this
// caller claimed it, so that servers sharing a database send it once. The
// claim is a document whose _id names the reminder (store.Claim): a
// conditional update of the workshop would not do, since the embedded
// FerretDB applies it read-then-write and two servers could both match
// "reminded_at does not exist". reminded_at is then set for DueReminders;
// a reminder sent before the claims (reminded_at set) is never due again.
func (s *Store) ClaimReminder(ctx context.Context, id string) (bool, error) {
	ok, err := store.Claim(ctx, s.db, "reminder:"+id, s.now())
	if err != nil || !ok {
		return false, err
	}
	if _, err := s.col(colWorkshops).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"reminded_at": s.now()}}); err != nil {
		// Claimed all the same: the claim, not this field, decides.
		return true, fmt.Errorf("workshops: claim reminder: %w", err)
	}
	return true, nil
}
