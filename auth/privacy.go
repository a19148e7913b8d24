package auth

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/privacy"
)

// StatusDeleted marks an account whose owner deleted it: the record stays,
// pseudonymised, so contributions keep an author ("Former member").
const StatusDeleted Status = "deleted"

// FormerMemberName replaces the name of a deleted member in the database;
// pages show the translated label instead.
const FormerMemberName = "Former member"

// PrivacySources declares what this package stores about a member.
func (s *Store) PrivacySources() []privacy.Source {
	return []privacy.Source{
		// The identities are exported with the profile (Member.Identities);
		// their claims hold nothing more and go with it.
		{Name: "profile", Collections: []string{colMembers, colIdentities}, Order: 100,
			Export: func(ctx context.Context, id string) (any, error) { return s.Member(ctx, id) },
			Erase:  s.pseudonymise},
		{Name: "sessions", Collections: []string{colSessions},
			Export: func(ctx context.Context, id string) (any, error) {
				var out []bson.M
				return out, s.findAll(ctx, colSessions, bson.M{"member_id": id}, options.Find().SetProjection(bson.M{"_id": 0, "created_at": 1, "expires_at": 1, "seen_at": 1, "agent": 1}), &out)
			},
			Erase: s.DeleteMemberSessions},
		{Name: "api_tokens", Collections: []string{colTokens},
			Export: func(ctx context.Context, id string) (any, error) { return s.Tokens(ctx, id) },
			Erase: func(ctx context.Context, id string) error {
				_, err := s.col(colTokens).DeleteMany(ctx, bson.M{"member_id": id})
				return err
			}},
		{Name: "groups", Collections: []string{colGroups, colMemberGroups},
			Export: func(ctx context.Context, id string) (any, error) {
				gs, err := s.GroupsOf(ctx, id)
				if err != nil {
					return nil, err
				}
				type membership struct {
					Group       string `json:"group"`
					Name        string `json:"name"`
					Coordinator bool   `json:"coordinator"`
				}
				out := []membership{}
				for _, g := range gs {
					out = append(out, membership{Group: g.Slug, Name: g.Name, Coordinator: g.IsCoordinator(id)})
				}
				return out, nil
			},
			Erase: s.leaveAllGroups},
		{Name: "group_requests_and_invitations", Collections: []string{colGroupRequests, colGroupInvitations},
			Export: func(ctx context.Context, id string) (any, error) {
				reqs, invs, err := s.MemberGroupData(ctx, id)
				type out struct {
					Requests    []*GroupRequest `json:"join_requests"`
					Invitations []*Invitation   `json:"invitations_created"`
				}
				return out{reqs, invs}, err
			},
			Erase: s.EraseMemberGroupData},
		{Name: "audit_log", Collections: []string{colAudit, colSetupClaims},
			// Audit entries (and the record of who claimed the first
			// administrator's set-up link) are kept for accountability; they
			// hold only member IDs, which after deletion point to no
			// personal data.
			Export: func(ctx context.Context, id string) (any, error) { return s.AuditLog(ctx, id, 0, 10000) }},
		s.signinAttemptSource(),
	}
}

// leaveAllGroups takes a member out of every group, one group document at
// a time under its lock (see doclock.go), then drops the member's list of
// groups. Erasure must not miss a group the list lost, so it reads every
// group rather than trust the list.
func (s *Store) leaveAllGroups(ctx context.Context, id string) error {
	all, err := s.readGroups(ctx)
	if err != nil {
		return err
	}
	for _, g := range all {
		if !g.HasMember(id) {
			continue
		}
		if err := s.locked(ctx, colGroups, g.ID, func(ctx context.Context) error {
			_, err := s.col(colGroups).UpdateOne(ctx, bson.M{"_id": g.ID},
				bson.M{"$pull": bson.M{"members": id, "coordinators": id}, "$unset": bson.M{"joined." + id: ""}})
			if err != nil {
				return err
			}
			if err := s.groupsChanged(ctx); err != nil {
				return err
			}
			return s.setMemberGroup(ctx, id, g.ID, false)
		}); err != nil {
			return fmt.Errorf("auth: leave groups: %w", err)
		}
	}
	return s.locked(ctx, colMemberGroups, id, func(ctx context.Context) error {
		_, err := s.col(colMemberGroups).DeleteOne(ctx, bson.M{"_id": id})
		return err
	})
}

func (s *Store) findAll(ctx context.Context, col string, filter bson.M, o *options.FindOptions, out any) error {
	cur, err := s.col(col).Find(ctx, filter, o)
	if err != nil {
		return fmt.Errorf("auth: %s: %w", col, err)
	}
	return cur.All(ctx, out)
}

// pseudonymise replaces the member's personal data: the record keeps its ID
// (contributions point to it) and nothing else that identifies the person.
// The identity claims go first, while the record still names them, so an
// erasure that stops half-way is completed by running it again.
func (s *Store) pseudonymise(ctx context.Context, id string) error {
	ctx, unlock, err := s.lock(ctx, colMembers, id)
	if err != nil {
		return err
	}
	defer unlock()
	m, err := s.Member(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.dropIdentities(ctx, id, m.IdentityKeys); err != nil {
		return err
	}
	_, err = s.col(colMembers).UpdateOne(ctx, bson.M{"_id": id}, bson.M{
		"$set": bson.M{
			"name": FormerMemberName, "status": StatusDeleted, "role": RoleMember,
			"identities": bson.A{}, "identity_keys": bson.A{"deleted\x00" + id}, // unique and anonymous
			"updated_at": s.now(),
		},
		"$unset": bson.M{
			"email": "", "organisation": "", "org_type": "", "country": "", "languages": "", "job_title": "",
			"locale": "", "time_zone": "", "persona": "", "review": "", "public_buyer": "",
		},
	})
	if err != nil {
		return fmt.Errorf("auth: pseudonymise: %w", err)
	}
	s.changed(ctx, id)
	return s.rightsChanged(ctx, id)
}
