package auth

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store"
)

// colMemberGroups holds one document per member who belongs to a group
// (_id: the member's ID) listing those groups' IDs. Pages ask for a
// member's groups several times per request; the group documents can
// answer only through a filter on members, which the embedded database
// answers by reading and decoding every group with all its members, and
// this is one lookup by _id.
//
// The groups stay the truth: the list may name a group too many (a server
// stopped between the two writes), never one too few, and GroupsOf keeps
// only the groups that hold the member. The entry of one group is written
// under that group's lock, right after (leave) or before (join) the group
// write, so the writes of one group and member come in the group's order;
// the member's own lock keeps the entries of different groups, written at
// once, from undoing each other. Locks are taken group first, then member.
const colMemberGroups = store.ColMemberGroups

// memberGroupIDs returns the group IDs listed for a member: one lookup.
func (s *Store) memberGroupIDs(ctx context.Context, memberID string) ([]string, error) {
	ids, err := store.ListedIDs(ctx, s.col(colMemberGroups), memberID)
	if err != nil {
		return nil, fmt.Errorf("auth: member groups: %w", err)
	}
	return ids, nil
}

// setMemberGroup lists (in) or unlists the group for the member. The
// caller holds the group's lock.
func (s *Store) setMemberGroup(ctx context.Context, memberID, groupID string, in bool) error {
	if err := store.SetListed(ctx, s.col(colMemberGroups), memberID, groupID, in); err != nil {
		return fmt.Errorf("auth: member groups: %w", err)
	}
	return nil
}

// GroupsOf returns the groups memberID belongs to or coordinates, sorted by
// name: the member's list by _id, then each group it names by _id.
func (s *Store) GroupsOf(ctx context.Context, memberID string) ([]*Group, error) {
	if all, ok, err := memoGroups(ctx, s.groups.Shared); ok {
		if err != nil {
			return nil, err
		}
		// The request read every group already: filter that (sorted by name).
		var gs []*Group
		for _, g := range all {
			if g.HasMember(memberID) {
				gs = append(gs, g)
			}
		}
		return gs, nil
	}
	ids, err := s.memberGroupIDs(ctx, memberID)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	listed, err := store.FindByIDs[*Group](ctx, s.col(colGroups), ids, nil, s.byID)
	if err != nil {
		return nil, fmt.Errorf("auth: groups of member: %w", err)
	}
	var gs []*Group
	for _, g := range listed {
		if g.HasMember(memberID) {
			gs = append(gs, g)
		}
	}
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].Name < gs[j].Name })
	return gs, nil
}

// listGroupMembers brings the lists of everyone in g, and of those in old
// (the group as it was before a replacement) no longer in g, in line with
// g. The caller wrote g.
func (s *Store) listGroupMembers(ctx context.Context, g *Group, old *Group) error {
	for _, id := range g.MemberIDs() {
		if err := s.setMemberGroup(ctx, id, g.ID, true); err != nil {
			return err
		}
	}
	if old != nil {
		for _, id := range old.MemberIDs() {
			if !g.HasMember(id) {
				if err := s.setMemberGroup(ctx, id, g.ID, false); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// RepairMemberGroups brings the members' lists of groups in line with the
// groups, once a day from the sweeper: a replica of the release before
// schema 5 (during a rolling upgrade) changes groups without the lists,
// and a server that stopped between a group write and a list write leaves
// a group too many. It reads the groups and the lists once each and, for
// each difference, decides under the group's lock from the group as it is
// then; it returns how many entries it changed.
func (s *Store) RepairMemberGroups(ctx context.Context) (int, error) {
	groups, err := s.readGroups(ctx)
	if err != nil {
		return 0, err
	}
	var lists []store.IDList
	cur, err := s.col(colMemberGroups).Find(ctx, bson.M{})
	if err == nil {
		err = cur.All(ctx, &lists)
	}
	if err != nil {
		return 0, fmt.Errorf("auth: repair member groups: %w", err)
	}
	type pair struct{ member, group string }
	listed := map[pair]bool{}
	for _, l := range lists {
		for _, g := range l.IDs {
			listed[pair{l.ID, g}] = true
		}
	}
	var check []pair
	for _, g := range groups {
		for _, m := range g.MemberIDs() {
			if !listed[pair{m, g.ID}] {
				check = append(check, pair{m, g.ID})
			}
			delete(listed, pair{m, g.ID})
		}
	}
	for p := range listed { // listed, but not in the group as read
		check = append(check, p)
	}
	n := 0
	for _, p := range check {
		err := s.locked(ctx, colGroups, p.group, func(ctx context.Context) error {
			g, err := s.Group(ctx, p.group)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			return s.setMemberGroup(ctx, p.member, p.group, err == nil && g.HasMember(p.member))
		})
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
