package auth

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/store"
)

// Collections for group membership workflows.
const (
	colGroupRequests    = "group_requests"
	colGroupInvitations = "group_invitations"
)

// Limits on what members type and coordinators choose.
const (
	MaxGroupMessage      = 1000 // runes in a join request or a decision reply
	MaxInvitationDays    = 90
	MaxInvitationUses    = 500
	invitationSecretSize = 32 // random bytes; 43 characters of URL-safe base64
)

// Errors of the group workflows. They are fault errors: the server shows
// their message keys as they are.
var (
	// ErrLastCoordinator refuses to leave a group without a coordinator.
	ErrLastCoordinator = fault.New(fault.Invalid, "group.error.last_coordinator")
	// ErrInvitationExpired and ErrInvitationUsedUp describe invitation links
	// that exist but no longer work; unknown links are ErrNotFound.
	ErrInvitationExpired = fault.New(fault.Invalid, "invitation.error.expired")
	ErrInvitationUsedUp  = fault.New(fault.Invalid, "invitation.error.used_up")
)

// MemberIDs returns everyone in the group, coordinators first, each once.
func (g *Group) MemberIDs() []string {
	seen := make(map[string]bool, len(g.Coordinators)+len(g.Members))
	out := make([]string, 0, len(g.Coordinators)+len(g.Members))
	for _, list := range [][]string{g.Coordinators, g.Members} {
		for _, id := range list {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// Size is the number of people in the group, coordinators included.
func (g *Group) Size() int { return len(g.MemberIDs()) }

// GroupJoin is one recorded join, for a group's recent activity.
type GroupJoin struct {
	MemberID string
	At       time.Time
}

// RecentJoins returns up to n recorded joins of current members, newest first.
func (g *Group) RecentJoins(n int) []GroupJoin {
	out := make([]GroupJoin, 0, len(g.Joined))
	for id, at := range g.Joined {
		if g.HasMember(id) {
			out = append(out, GroupJoin{MemberID: id, At: at})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.After(out[j].At)
		}
		return out[i].MemberID < out[j].MemberID
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// Group returns the group with id.
func (s *Store) Group(ctx context.Context, id string) (*Group, error) {
	return s.findGroup(ctx, bson.M{"_id": id})
}

// GroupBySlug returns the group with the given slug.
func (s *Store) GroupBySlug(ctx context.Context, slug string) (*Group, error) {
	return s.findGroup(ctx, bson.M{"slug": slug})
}

func (s *Store) findGroup(ctx context.Context, filter bson.M) (*Group, error) {
	var g Group
	if err := s.col(colGroups).FindOne(ctx, filter).Decode(&g); err != nil {
		if store.IsNoDocuments(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("auth: group: %w", err)
	}
	return &g, nil
}

// JoinGroup adds memberID to the group and records the join date. It
// reports false when the member already belonged to the group (nothing
// changes then, not even the join date). Policy is the caller's business.
//
// Every read and write names the group by _id alone, the one filter the
// embedded database answers from an index (a filter on members as well
// read every group, and made joining the slowest step of seeding a large
// community). The group's lock is what keeps two writers of the group
// apart, so the read under it decides; see "Correct with several
// replicas" in docs/architecture.md.
func (s *Store) JoinGroup(ctx context.Context, groupID, memberID string) (bool, error) {
	if memberID == "" || strings.ContainsAny(memberID, ".$") { // it becomes a field name in "joined"
		return false, fmt.Errorf("%w: member id %q", ErrInvalid, memberID)
	}
	ctx, unlock, err := s.lock(ctx, colGroups, groupID)
	if err != nil {
		return false, err
	}
	defer unlock()
	g, err := s.Group(ctx, groupID)
	if err != nil {
		return false, err
	}
	if g.HasMember(memberID) {
		return false, nil
	}
	// Listed with the member first: a server that stops before the group
	// write leaves a group too many in the list, which GroupsOf checks
	// against the group, never one too few.
	if err := s.setMemberGroup(ctx, memberID, groupID, true); err != nil {
		return false, err
	}
	upd := bson.M{"$addToSet": bson.M{"members": memberID}, "$set": bson.M{"joined." + memberID: s.now()}}
	if g.Members == nil {
		// A group stored without members has null, not [], and $addToSet
		// refuses null.
		upd = bson.M{"$set": bson.M{"members": bson.A{memberID}, "joined." + memberID: s.now()}}
	}
	res, err := s.col(colGroups).UpdateOne(ctx, bson.M{"_id": groupID}, upd)
	if err != nil {
		return false, fmt.Errorf("auth: join group: %w", err)
	}
	if res.MatchedCount != 1 {
		return false, ErrNotFound
	}
	if err := s.groupsChanged(ctx); err != nil {
		return true, err
	}
	// A request still waiting is moot now (an invitation was quicker).
	if err := s.dropPendingRequest(ctx, groupRequestID(groupID, memberID)); err != nil {
		return true, fmt.Errorf("auth: join group: %w", err)
	}
	return true, nil
}

// dropPendingRequest deletes a join request if it is still pending. Most
// joins have none, and finding that out is one lookup by _id; the
// decision's lock keeps a coordinator's reply from being deleted with it.
func (s *Store) dropPendingRequest(ctx context.Context, id string) error {
	pending := func(ctx context.Context) (bool, error) {
		var r GroupRequest
		err := s.col(colGroupRequests).FindOne(ctx, bson.M{"_id": id}).Decode(&r)
		if store.IsNoDocuments(err) {
			return false, nil
		}
		return err == nil && r.Pending(), err
	}
	if ok, err := pending(ctx); err != nil || !ok {
		return err
	}
	return s.locked(ctx, colGroupRequests, id, func(ctx context.Context) error {
		if ok, err := pending(ctx); err != nil || !ok {
			return err
		}
		_, err := s.col(colGroupRequests).DeleteOne(ctx, bson.M{"_id": id})
		return err
	})
}

// LeaveGroup takes memberID out of the group. The last coordinator cannot
// leave: a group always has someone to run it.
func (s *Store) LeaveGroup(ctx context.Context, groupID, memberID string) error {
	return s.removeFromGroup(ctx, groupID, memberID)
}

// RemoveGroupMember takes a member out of a group on a coordinator's or an
// administrator's decision; the last coordinator cannot be removed either.
func (s *Store) RemoveGroupMember(ctx context.Context, groupID, memberID string) error {
	return s.removeFromGroup(ctx, groupID, memberID)
}

// removeFromGroup reads and writes the group by _id under its lock: every
// writer of the coordinators holds it, so the count read here is the one
// the write changes, and two coordinators leaving at once leave one.
func (s *Store) removeFromGroup(ctx context.Context, groupID, memberID string) error {
	ctx, unlock, err := s.lock(ctx, colGroups, groupID)
	if err != nil {
		return err
	}
	defer unlock()
	g, err := s.Group(ctx, groupID)
	if err != nil {
		return err
	}
	if !g.HasMember(memberID) {
		return ErrNotFound
	}
	if g.IsCoordinator(memberID) && len(uniq(g.Coordinators)) < 2 {
		return ErrLastCoordinator
	}
	// Pull only from the lists that hold the member: $pull refuses a
	// list stored as null.
	pull := bson.M{}
	if slices.Contains(g.Members, memberID) {
		pull["members"] = memberID
	}
	if slices.Contains(g.Coordinators, memberID) {
		pull["coordinators"] = memberID
	}
	res, err := s.col(colGroups).UpdateOne(ctx, bson.M{"_id": groupID}, bson.M{"$pull": pull, "$unset": bson.M{"joined." + memberID: ""}})
	if err != nil {
		return fmt.Errorf("auth: leave group: %w", err)
	}
	if res.MatchedCount != 1 {
		return ErrNotFound
	}
	if err := s.groupsChanged(ctx); err != nil {
		return err
	}
	// After the group write: a stop in between leaves a group too many in
	// the member's list, never one too few.
	if err := s.setMemberGroup(ctx, memberID, groupID, false); err != nil {
		return err
	}
	// The request that once let the member in has served its purpose.
	if _, err := s.col(colGroupRequests).DeleteOne(ctx, bson.M{"_id": groupRequestID(groupID, memberID)}); err != nil {
		return fmt.Errorf("auth: leave group: %w", err)
	}
	return nil
}

func uniq(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// RequestStatus is where a join request stands.
type RequestStatus string

const (
	RequestPending  RequestStatus = "pending"
	RequestApproved RequestStatus = "approved"
	RequestRejected RequestStatus = "rejected"
)

// GroupRequest asks a group's coordinators to let a member in. There is one
// per member and group: asking again while pending changes nothing, and
// asking after a decision starts a new request. A decided request stays so
// the member can read the coordinator's reply.
type GroupRequest struct {
	ID        string        `bson:"_id" json:"id"`
	GroupID   string        `bson:"group" json:"group"`
	MemberID  string        `bson:"member" json:"member"`
	Message   string        `bson:"message,omitempty" json:"message,omitempty"`
	Status    RequestStatus `bson:"status" json:"status"`
	CreatedAt time.Time     `bson:"created_at" json:"created_at"`
	DecidedAt *time.Time    `bson:"decided_at,omitempty" json:"decided_at,omitempty"`
	DecidedBy string        `bson:"decided_by,omitempty" json:"-"`
	Reply     string        `bson:"reply,omitempty" json:"reply,omitempty"`
}

// Pending reports whether the request still waits for a decision.
func (r *GroupRequest) Pending() bool { return r != nil && r.Status == RequestPending }

// groupRequestID makes the pair (group, member) the primary key, so "one
// request per member and group" is enforced by the _id index, the one
// index the embedded database uses.
func groupRequestID(groupID, memberID string) string { return groupID + "-" + memberID }

func checkMessage(field, msg string) (string, error) {
	msg = strings.TrimSpace(msg)
	if utf8.RuneCountInString(msg) > MaxGroupMessage {
		return "", fault.New(fault.Invalid, "group.error.message_long", MaxGroupMessage).OnField(field)
	}
	return msg, nil
}

// CreateGroupRequest records memberID's wish to join the group, with an optional
// message. It is idempotent: while a request is pending, asking again
// returns it unchanged and created is false.
func (s *Store) CreateGroupRequest(ctx context.Context, groupID, memberID, message string) (r *GroupRequest, created bool, err error) {
	message, err = checkMessage("message", message)
	if err != nil {
		return nil, false, err
	}
	r = &GroupRequest{ID: groupRequestID(groupID, memberID), GroupID: groupID, MemberID: memberID, Message: message,
		Status: RequestPending, CreatedAt: s.now()}
	_, err = s.col(colGroupRequests).InsertOne(ctx, r)
	switch {
	case err == nil:
		return r, true, nil
	case !store.IsDuplicateKey(err):
		return nil, false, fmt.Errorf("auth: request join: %w", err)
	}
	// A request exists: a decided one is replaced by this new one.
	ctx, unlock, err := s.lock(ctx, colGroupRequests, r.ID)
	if err != nil {
		return nil, false, err
	}
	defer unlock()
	res, err := s.col(colGroupRequests).ReplaceOne(ctx, bson.M{"_id": r.ID, "status": bson.M{"$ne": RequestPending}}, r)
	if err != nil {
		return nil, false, fmt.Errorf("auth: request join: %w", err)
	}
	if res.MatchedCount == 1 {
		return r, true, nil
	}
	existing, err := s.GroupRequestOf(ctx, groupID, memberID)
	return existing, false, err
}

// GroupRequestOf returns memberID's request to join the group, in any state.
func (s *Store) GroupRequestOf(ctx context.Context, groupID, memberID string) (*GroupRequest, error) {
	var r GroupRequest
	if err := s.col(colGroupRequests).FindOne(ctx, bson.M{"_id": groupRequestID(groupID, memberID)}).Decode(&r); err != nil {
		if store.IsNoDocuments(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("auth: join request: %w", err)
	}
	return &r, nil
}

// PendingGroupRequests lists a group's undecided requests, oldest first.
func (s *Store) PendingGroupRequests(ctx context.Context, groupID string) ([]*GroupRequest, error) {
	cur, err := s.col(colGroupRequests).Find(ctx, bson.M{"group": groupID, "status": RequestPending},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("auth: join requests: %w", err)
	}
	var rs []*GroupRequest
	if err := cur.All(ctx, &rs); err != nil {
		return nil, fmt.Errorf("auth: join requests: %w", err)
	}
	return rs, nil
}

// DecideGroupRequest approves (adding the member to the group) or rejects a
// pending request, with an optional reply the requester reads on the group
// page. A request that is unknown, of another group or already decided is
// ErrNotFound, so two coordinators deciding at once decide only once.
func (s *Store) DecideGroupRequest(ctx context.Context, groupID, requestID, deciderID string, approve bool, reply string) (*GroupRequest, error) {
	reply, err := checkMessage("reply", reply)
	if err != nil {
		return nil, err
	}
	status := RequestRejected
	if approve {
		status = RequestApproved
	}
	now := s.now()
	set := bson.M{"status": status, "decided_at": now, "decided_by": deciderID, "reply": reply}
	lctx, unlock, err := s.lock(ctx, colGroupRequests, requestID)
	if err != nil {
		return nil, err
	}
	res, err := store.UpdateByIDIf(lctx, s.col(colGroupRequests), requestID,
		bson.M{"group": groupID, "status": RequestPending}, bson.M{"$set": set}, s.byID)
	unlock()
	if err != nil {
		return nil, fmt.Errorf("auth: decide join request: %w", err)
	}
	if res.MatchedCount == 0 {
		return nil, ErrNotFound
	}
	var r GroupRequest
	if err := s.col(colGroupRequests).FindOne(ctx, bson.M{"_id": requestID}).Decode(&r); err != nil {
		return nil, fmt.Errorf("auth: decide join request: %w", err)
	}
	if approve {
		if _, err := s.JoinGroup(ctx, groupID, r.MemberID); err != nil {
			// Give the decision back so it can be taken again.
			_, _ = s.col(colGroupRequests).UpdateOne(ctx, bson.M{"_id": requestID},
				bson.M{"$set": bson.M{"status": RequestPending}, "$unset": bson.M{"decided_at": "", "decided_by": "", "reply": ""}})
			return nil, err
		}
	}
	return &r, nil
}

// Invitation is a link that lets approved members join a group, whatever
// its join policy, until it expires or has been used MaxUses times. Only a
// hash of its secret is stored.
type Invitation struct {
	ID        string    `bson:"_id" json:"id"`
	Hash      string    `bson:"hash" json:"-"`
	GroupID   string    `bson:"group" json:"group"`
	CreatedBy string    `bson:"created_by" json:"-"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	ExpiresAt time.Time `bson:"expires_at" json:"expires_at"`
	MaxUses   int       `bson:"max_uses" json:"max_uses"`
	Uses      int       `bson:"uses" json:"uses"`
	// ClaimedUses is set on invitations whose uses are claim documents
	// from the first (claimInvitationUse); on older ones, Uses counted them.
	ClaimedUses bool `bson:"claimed_uses,omitempty" json:"-"`
}

// Expired reports whether the invitation no longer works at now.
func (i *Invitation) Expired(now time.Time) bool { return !now.Before(i.ExpiresAt) }

// UsedUp reports whether every use has been taken.
func (i *Invitation) UsedUp() bool { return i.Uses >= i.MaxUses }

// InvitationPath is where an invitation's secret is used.
func InvitationPath(secret string) string { return "/groups/invite/" + secret }

// CreateInvitation makes an invitation to the group valid for days days and
// maxUses uses. It returns the secret, which is shown once and never stored.
func (s *Store) CreateInvitation(ctx context.Context, groupID, creatorID string, days, maxUses int) (string, *Invitation, error) {
	if days < 1 || days > MaxInvitationDays {
		return "", nil, fault.New(fault.Invalid, "invitation.error.days", MaxInvitationDays).OnField("days")
	}
	if maxUses < 1 || maxUses > MaxInvitationUses {
		return "", nil, fault.New(fault.Invalid, "invitation.error.uses", MaxInvitationUses).OnField("max_uses")
	}
	secret := randomToken(invitationSecretSize)
	now := s.now()
	h := hashSecret(secret)
	inv := &Invitation{ID: h[:24], Hash: h, GroupID: groupID, CreatedBy: creatorID, CreatedAt: now,
		ExpiresAt: now.Add(time.Duration(days) * 24 * time.Hour), MaxUses: maxUses, ClaimedUses: true}
	if _, err := s.col(colGroupInvitations).InsertOne(ctx, inv); err != nil {
		return "", nil, fmt.Errorf("auth: create invitation: %w", err)
	}
	return secret, inv, nil
}

// Invitations lists a group's invitations, newest first.
func (s *Store) Invitations(ctx context.Context, groupID string, limit int) ([]*Invitation, error) {
	cur, err := s.col(colGroupInvitations).Find(ctx, bson.M{"group": groupID},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("auth: invitations: %w", err)
	}
	var is []*Invitation
	if err := cur.All(ctx, &is); err != nil {
		return nil, fmt.Errorf("auth: invitations: %w", err)
	}
	return is, nil
}

// InvitationBySecret returns the invitation behind a secret, also when it
// has expired or been used up; malformed and unknown secrets are ErrNotFound.
func (s *Store) InvitationBySecret(ctx context.Context, secret string) (*Invitation, error) {
	if !wellFormedSecret(secret) {
		return nil, ErrNotFound
	}
	h := hashSecret(secret)
	var inv Invitation
	if err := s.col(colGroupInvitations).FindOne(ctx, bson.M{"_id": h[:24], "hash": h}).Decode(&inv); err != nil {
		if store.IsNoDocuments(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("auth: invitation: %w", err)
	}
	return &inv, nil
}

// UseInvitation lets memberID join the invitation's group. A member who
// already belongs to the group uses nothing (joined is false). Each use is
// claimed (claimInvitationUse), so members using a link at the same time
// never exceed its count.
func (s *Store) UseInvitation(ctx context.Context, secret, memberID string) (inv *Invitation, g *Group, joined bool, err error) {
	inv, err = s.InvitationBySecret(ctx, secret)
	if err != nil {
		return nil, nil, false, err
	}
	if g, err = s.Group(ctx, inv.GroupID); err != nil {
		return nil, nil, false, err
	}
	if g.HasMember(memberID) {
		return inv, g, false, nil
	}
	now := s.now()
	if inv.Expired(now) {
		return inv, g, false, ErrInvitationExpired
	}
	slot, err := s.claimInvitationUse(ctx, inv, now)
	if err != nil {
		return nil, nil, false, err
	}
	if slot == "" {
		return inv, g, false, ErrInvitationUsedUp
	}
	// uses is a count for display: the claimed slots decide. The lock
	// keeps two $inc from undoing each other on the embedded database.
	if err := s.countInvitationUse(ctx, inv.ID, 1); err != nil {
		_ = store.Release(ctx, s.db, slot)
		return nil, nil, false, fmt.Errorf("auth: use invitation: %w", err)
	}
	giveBack := func() { s.releaseInvitationUse(ctx, inv, slot) }
	joined, err = s.JoinGroup(ctx, g.ID, memberID)
	if err != nil || !joined { // failed, or the member got in another way meanwhile
		giveBack()
		return inv, g, false, err
	}
	inv.Uses++
	return inv, g, true, nil
}

// claimInvitationUse claims one of the invitation's MaxUses uses and
// returns its claim id, or "" when all are taken. Each use is a claim
// document "invitation:ID:k" (store.Claim), so members using a link at the
// same time on any number of servers never exceed its count: a conditional
// increment of uses would not hold on the embedded database, which applies
// it read-then-write. One query by _id finds the free slots; a slot taken
// meanwhile fails its insert and the next is tried.
func (s *Store) claimInvitationUse(ctx context.Context, inv *Invitation, now time.Time) (string, error) {
	from := 0
	if !inv.ClaimedUses {
		// Made before claims: the uses it counted are not claimed, so its
		// slots start after them (a few uses given back later stay lost).
		from = min(inv.Uses, inv.MaxUses)
	}
	var ids []string
	for k := from; k < inv.MaxUses; k++ {
		ids = append(ids, fmt.Sprintf("invitation:%s:%d", inv.ID, k))
	}
	if len(ids) == 0 {
		return "", nil
	}
	cur, err := s.db.Collection(store.ColClaims).Find(ctx, bson.M{"_id": bson.M{"$in": ids}}, options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return "", fmt.Errorf("auth: use invitation: %w", err)
	}
	var taken []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &taken); err != nil {
		return "", fmt.Errorf("auth: use invitation: %w", err)
	}
	used := map[string]bool{}
	for _, t := range taken {
		used[t.ID] = true
	}
	for _, id := range ids {
		if used[id] {
			continue
		}
		ok, err := store.Claim(ctx, s.db, id, now)
		if err != nil {
			return "", fmt.Errorf("auth: use invitation: %w", err)
		}
		if ok {
			return id, nil
		}
	}
	return "", nil
}

// releaseInvitationUse gives a claimed use back (the join failed).
func (s *Store) releaseInvitationUse(ctx context.Context, inv *Invitation, slot string) {
	_ = store.Release(ctx, s.db, slot)
	_ = s.countInvitationUse(ctx, inv.ID, -1)
}

func (s *Store) countInvitationUse(ctx context.Context, id string, by int) error {
	ctx, unlock, err := s.lock(ctx, colGroupInvitations, id)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := s.col(colGroupInvitations).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$inc": bson.M{"uses": by}}); err != nil {
		return fmt.Errorf("auth: use invitation: %w", err)
	}
	return nil
}

// wellFormedSecret accepts only strings shaped like our own secrets, so a
// forged link never reaches a database query.
func wellFormedSecret(s string) bool {
	if len(s) != 43 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// MemberGroupData returns a member's join requests and the invitations they
// created, for "Download my data".
func (s *Store) MemberGroupData(ctx context.Context, memberID string) (requests []*GroupRequest, invitations []*Invitation, err error) {
	cur, err := s.col(colGroupRequests).Find(ctx, bson.M{"member": memberID})
	if err != nil {
		return nil, nil, fmt.Errorf("auth: member group data: %w", err)
	}
	if err := cur.All(ctx, &requests); err != nil {
		return nil, nil, fmt.Errorf("auth: member group data: %w", err)
	}
	cur, err = s.col(colGroupInvitations).Find(ctx, bson.M{"created_by": memberID})
	if err != nil {
		return nil, nil, fmt.Errorf("auth: member group data: %w", err)
	}
	if err := cur.All(ctx, &invitations); err != nil {
		return nil, nil, fmt.Errorf("auth: member group data: %w", err)
	}
	return requests, invitations, nil
}

// EraseMemberGroupData deletes a member's join requests and forgets who
// created invitations and decided requests (links and decisions stay for
// the group). Idempotent.
func (s *Store) EraseMemberGroupData(ctx context.Context, memberID string) error {
	if _, err := s.col(colGroupRequests).DeleteMany(ctx, bson.M{"member": memberID}); err != nil {
		return fmt.Errorf("auth: erase group data: %w", err)
	}
	if _, err := s.col(colGroupInvitations).UpdateMany(ctx, bson.M{"created_by": memberID}, bson.M{"$set": bson.M{"created_by": ""}}); err != nil {
		return fmt.Errorf("auth: erase group data: %w", err)
	}
	if _, err := s.col(colGroupRequests).UpdateMany(ctx, bson.M{"decided_by": memberID}, bson.M{"$set": bson.M{"decided_by": ""}}); err != nil {
		return fmt.Errorf("auth: erase group data: %w", err)
	}
	return nil
}
