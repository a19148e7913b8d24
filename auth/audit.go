package auth

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/store"
)

const colAudit = "audit_log"

// Audit actions. The audit log answers "who did what to whom, when, in which
// request" for sign-ins and membership decisions.
const (
	AuditSignIn         = "signin"
	AuditSignInFailed   = "signin_failed"
	AuditSignOut        = "signout"
	AuditLink           = "identity_linked"
	AuditProfile        = "profile_completed"
	AuditApprove        = "member_approved"
	AuditReject         = "member_rejected"
	AuditRoleChange     = "role_changed"
	AuditDeactivate     = "member_deactivated"
	AuditReactivate     = "member_reactivated"
	AuditDelete         = "account_deleted"
	AuditTokenCreate    = "token_created"
	AuditTokenRevoke    = "token_revoked"
	AuditSessionEnd     = "session_ended"
	AuditGroupJoin      = "group_joined"
	AuditGroupLeave     = "group_left"
	AuditGroupRequest   = "group_join_requested"
	AuditGroupDecide    = "group_request_decided"
	AuditGroupRemove    = "group_member_removed"
	AuditInvite         = "group_invitation_created"
	AuditInviteUse      = "group_invitation_used"
	AuditExport         = "data_exported"
	AuditSetupClaimed   = "setup_claimed"
	AuditGroupCreate    = "group_created"
	AuditGroupUpdate    = "group_updated"
	AuditCoordAdd       = "group_coordinator_added"
	AuditCoordRemove    = "group_coordinator_removed"
	AuditGroupArchive   = "group_archived"
	AuditGroupRestore   = "group_restored"
	AuditMailRetry      = "mail_retried"
	AuditMailDiscard    = "mail_discarded"
	AuditBackupStart    = "backup_started"
	AuditBackupDownload = "backup_downloaded"
)

// AuditEntry is one line of the audit log. Actor and Target are member IDs
// (empty for the system or an anonymous caller).
type AuditEntry struct {
	ID        string            `bson:"_id" json:"id"`
	At        time.Time         `bson:"at" json:"at"`
	Actor     string            `bson:"actor,omitempty" json:"actor,omitempty"`
	Action    string            `bson:"action" json:"action"`
	Target    string            `bson:"target,omitempty" json:"target,omitempty"`
	RequestID string            `bson:"request_id,omitempty" json:"request_id,omitempty"`
	Details   map[string]string `bson:"details,omitempty" json:"details,omitempty"`
}

// Audit appends an entry; the ID and time are set here.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	e.ID, e.At = store.NewID(), s.now()
	if _, err := s.col(colAudit).InsertOne(ctx, e); err != nil {
		return fmt.Errorf("auth: audit: %w", err)
	}
	return nil
}

// AuditLog returns entries newest first, optionally only those about one
// member (as actor or target), skipping the first skip entries.
func (s *Store) AuditLog(ctx context.Context, memberID string, skip, limit int) ([]*AuditEntry, error) {
	filter := bson.M{}
	if memberID != "" {
		filter = bson.M{"$or": bson.A{bson.M{"actor": memberID}, bson.M{"target": memberID}}}
	}
	cur, err := s.col(colAudit).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetSkip(int64(skip)).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("auth: audit log: %w", err)
	}
	var es []*AuditEntry
	if err := cur.All(ctx, &es); err != nil {
		return nil, fmt.Errorf("auth: audit log: %w", err)
	}
	return es, nil
}
