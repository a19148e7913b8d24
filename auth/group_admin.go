package auth

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/store"
)

// Limits of what administrators and coordinators type about a group.
const (
	MaxGroupName        = 120
	MaxGroupDescription = 2000
)

var (
	groupSlugRe = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$`)
	langCodeRe  = regexp.MustCompile(`^[a-z]{2,3}$`)
)

// GroupInput is what the group forms and the API set.
type GroupInput struct {
	Slug        string
	Name        string
	Description string
	// Names and Descriptions by language code; empty texts are dropped.
	Names, Descriptions map[string]string
	Visibility          Visibility
	JoinPolicy          JoinPolicy
	// Languages the group works in; nil keeps them on update.
	Languages []string
}

// GroupVisibilities are the visibilities a group can be given, widest first.
var GroupVisibilities = []Visibility{VisibilityPublic, VisibilityMembers, VisibilityGroup, VisibilityHidden}

// JoinPolicies are the join policies a group can be given.
var JoinPolicies = []JoinPolicy{JoinOpen, JoinRequest, JoinInvitation}

// ParseJoinPolicy accepts a join policy; "invite" (the API's word) is
// JoinInvitation.
func ParseJoinPolicy(s string) (JoinPolicy, bool) {
	if s == "invite" {
		return JoinInvitation, true
	}
	for _, p := range JoinPolicies {
		if string(p) == s {
			return p, true
		}
	}
	return "", false
}

// Validate trims and checks the input; errors name their field.
func (in *GroupInput) Validate() error {
	in.Slug = strings.TrimSpace(in.Slug)
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	if in.Name == "" {
		return fault.New(fault.Invalid, "group.error.name").OnField("name")
	}
	if utf8.RuneCountInString(in.Name) > MaxGroupName {
		return fault.New(fault.Invalid, "group.error.too_long", MaxGroupName).OnField("name")
	}
	if utf8.RuneCountInString(in.Description) > MaxGroupDescription {
		return fault.New(fault.Invalid, "group.error.too_long", MaxGroupDescription).OnField("description")
	}
	if !groupSlugRe.MatchString(in.Slug) || in.Slug == "invite" || in.Slug == "new" { // taken by routes
		return fault.New(fault.Invalid, "group.error.slug").OnField("slug")
	}
	for _, m := range []struct {
		texts map[string]string
		field string
		max   int
	}{{in.Names, "name", MaxGroupName}, {in.Descriptions, "description", MaxGroupDescription}} {
		for lang, t := range m.texts {
			t = strings.TrimSpace(t)
			if !langCodeRe.MatchString(lang) {
				return fault.New(fault.Invalid, "error.400").OnField(m.field)
			}
			if utf8.RuneCountInString(t) > m.max {
				return fault.New(fault.Invalid, "group.error.too_long", m.max).OnField(m.field + "_" + lang)
			}
			if t == "" {
				delete(m.texts, lang)
			} else {
				m.texts[lang] = t
			}
		}
	}
	visOK := false
	for _, v := range GroupVisibilities {
		visOK = visOK || v == in.Visibility
	}
	if !visOK {
		return fault.New(fault.Invalid, "group.error.visibility").OnField("visibility")
	}
	if _, ok := ParseJoinPolicy(string(in.JoinPolicy)); !ok {
		return fault.New(fault.Invalid, "group.error.join").OnField("join")
	}
	in.JoinPolicy, _ = ParseJoinPolicy(string(in.JoinPolicy))
	for _, l := range in.Languages {
		if !langCodeRe.MatchString(l) {
			return fault.New(fault.Invalid, "error.400").OnField("languages")
		}
	}
	return nil
}

// errSlugTaken is a fresh error each time: OnField must not change a shared value.
func errSlugTaken() error { return fault.New(fault.Invalid, "group.error.slug_taken").OnField("slug") }

// CreateGroup creates a group coordinated by coordinatorID. The unique slug
// index refuses a slug in use, atomically on every backend.
func (s *Store) CreateGroup(ctx context.Context, in GroupInput, coordinatorID string) (*Group, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if coordinatorID == "" {
		return nil, fault.New(fault.Invalid, "group.error.coordinator").OnField("coordinator")
	}
	if in.Languages == nil {
		in.Languages = []string{}
	}
	g := &Group{ID: store.NewID(), Slug: in.Slug, Name: in.Name, Description: in.Description, Names: in.Names,
		Descriptions: in.Descriptions, Languages: in.Languages, Visibility: in.Visibility, JoinPolicy: in.JoinPolicy,
		Coordinators: []string{coordinatorID}, Members: []string{}, CreatedAt: s.now()}
	// Listed first, as a join is: a group too many in a list is harmless.
	if err := s.setMemberGroup(ctx, coordinatorID, g.ID, true); err != nil {
		return nil, err
	}
	if _, err := s.col(colGroups).InsertOne(ctx, g); err != nil {
		_ = s.setMemberGroup(ctx, coordinatorID, g.ID, false)
		if store.IsDuplicateKey(err) {
			return nil, errSlugTaken()
		}
		return nil, fmt.Errorf("auth: create group: %w", err)
	}
	if err := s.groupsChanged(ctx); err != nil {
		return nil, err
	}
	return g, nil
}

// UpdateGroup changes a group's slug, names, descriptions, visibility and
// join policy; members, coordinators and archive state are left alone.
func (s *Store) UpdateGroup(ctx context.Context, id string, in GroupInput) (*Group, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	// The unique slug index guards the slug on every backend, but FerretDB
	// reports its violation by an update as an internal error, not as a
	// duplicate key: a slug in use is looked up first so it gets its message.
	if other, err := s.GroupBySlug(ctx, in.Slug); err == nil && other.ID != id {
		return nil, errSlugTaken()
	}
	set := bson.M{"slug": in.Slug, "name": in.Name, "description": in.Description, "names": in.Names,
		"descriptions": in.Descriptions, "visibility": in.Visibility, "join_policy": in.JoinPolicy}
	if in.Languages != nil {
		set["languages"] = in.Languages
	}
	lctx, unlock, err := s.lock(ctx, colGroups, id)
	if err != nil {
		return nil, err
	}
	res, err := s.col(colGroups).UpdateOne(lctx, bson.M{"_id": id}, bson.M{"$set": set})
	unlock()
	if err != nil {
		if store.IsDuplicateKey(err) {
			return nil, errSlugTaken()
		}
		return nil, fmt.Errorf("auth: update group: %w", err)
	}
	if res.MatchedCount == 0 {
		return nil, ErrNotFound
	}
	if err := s.groupsChanged(ctx); err != nil {
		return nil, err
	}
	return s.Group(ctx, id)
}

// AddCoordinator makes memberID a coordinator of the group (and so a member).
func (s *Store) AddCoordinator(ctx context.Context, groupID, memberID string) error {
	if memberID == "" || strings.ContainsAny(memberID, ".$") {
		return fmt.Errorf("%w: member id %q", ErrInvalid, memberID)
	}
	ctx, unlock, err := s.lock(ctx, colGroups, groupID)
	if err != nil {
		return err
	}
	defer unlock()
	g, err := s.Group(ctx, groupID)
	if err != nil {
		return err
	}
	if err := s.setMemberGroup(ctx, memberID, groupID, true); err != nil {
		return err
	}
	upd := bson.M{"$addToSet": bson.M{"coordinators": memberID}}
	if g.Coordinators == nil { // $addToSet refuses a list stored as null
		upd = bson.M{"$set": bson.M{"coordinators": bson.A{memberID}}}
	}
	if slices.Contains(g.Members, memberID) {
		upd["$pull"] = bson.M{"members": memberID}
	}
	res, err := s.col(colGroups).UpdateOne(ctx, bson.M{"_id": groupID}, upd)
	if err != nil {
		return fmt.Errorf("auth: add coordinator: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return s.groupsChanged(ctx)
}

// RemoveCoordinator makes a coordinator an ordinary member of the group. The
// last coordinator stays: a group always has someone to run it. Every
// writer of the coordinators holds the group's lock, so the count read
// under it is the one the write changes and two removals at once cannot
// leave none; both name the group by _id alone.
func (s *Store) RemoveCoordinator(ctx context.Context, groupID, memberID string) error {
	ctx, unlock, err := s.lock(ctx, colGroups, groupID)
	if err != nil {
		return err
	}
	defer unlock()
	g, err := s.Group(ctx, groupID)
	if err != nil {
		return err
	}
	if !g.IsCoordinator(memberID) {
		return ErrNotFound
	}
	if len(uniq(g.Coordinators)) < 2 {
		return ErrLastCoordinator
	}
	upd := bson.M{"$pull": bson.M{"coordinators": memberID}, "$addToSet": bson.M{"members": memberID}}
	if g.Members == nil { // $addToSet refuses a list stored as null
		upd = bson.M{"$pull": bson.M{"coordinators": memberID}, "$set": bson.M{"members": bson.A{memberID}}}
	}
	res, err := s.col(colGroups).UpdateOne(ctx, bson.M{"_id": groupID}, upd)
	if err != nil {
		return fmt.Errorf("auth: remove coordinator: %w", err)
	}
	if res.MatchedCount != 1 {
		return ErrNotFound
	}
	return s.groupsChanged(ctx)
}

// SetGroupArchived archives or restores a group. Nothing it owns is touched.
func (s *Store) SetGroupArchived(ctx context.Context, groupID string, archived bool) error {
	upd := bson.M{"$set": bson.M{"archived": true, "archived_at": s.now()}}
	if !archived {
		upd = bson.M{"$unset": bson.M{"archived": "", "archived_at": ""}}
	}
	ctx, unlock, err := s.lock(ctx, colGroups, groupID)
	if err != nil {
		return err
	}
	defer unlock()
	res, err := s.col(colGroups).UpdateOne(ctx, bson.M{"_id": groupID}, upd)
	if err != nil {
		return fmt.Errorf("auth: archive group: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return s.groupsChanged(ctx)
}
