// Package auth owns who is who: members and their identities (provider plus
// subject, never e-mail), roles and statuses, groups, API tokens and
// server-side sessions, and the policy functions that decide rights.
package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/circularfairict/portal/store"
)

// ErrNotFound is returned when a member, group, token or session is unknown.
var ErrNotFound = fmt.Errorf("auth: %w", store.ErrNotFound)

// ErrInvalid marks input that fails validation; wrap it with the reason.
var ErrInvalid = errors.New("auth: invalid input")

// Role is a portal-wide role. Coordinators are per group (Group.Coordinators).
type Role string

const (
	RoleMember      Role = "member"
	RoleFacilitator Role = "facilitator"
	RoleModerator   Role = "moderator"
	RoleAdmin       Role = "admin"
)

// Roles lists the roles in increasing order of rights.
var Roles = []Role{RoleMember, RoleFacilitator, RoleModerator, RoleAdmin}

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("%w: role %q is not one of member, facilitator, moderator, admin", ErrInvalid, s)
}

// Status is where a member stands in the membership lifecycle.
type Status string

const (
	StatusPending     Status = "pending"
	StatusApproved    Status = "approved"
	StatusRejected    Status = "rejected"
	StatusDeactivated Status = "deactivated"
)

// OrgType is the kind of organisation a member works for.
type OrgType string

// Organisation types; suppliers and NGOs join as supporting organisations.
const (
	OrgMinistry     OrgType = "ministry"
	OrgRegion       OrgType = "region"
	OrgMunicipality OrgType = "municipality"
	OrgCPB          OrgType = "central_purchasing_body"
	OrgUniversity   OrgType = "university"
	OrgHospital     OrgType = "hospital"
	OrgAgency       OrgType = "agency"
	OrgNGO          OrgType = "ngo"
	OrgSupplier     OrgType = "supplier"
	OrgOther        OrgType = "other"
)

// Identity links a member to one sign-in provider's stable subject.
type Identity struct {
	Provider string    `bson:"provider" json:"provider"`
	Subject  string    `bson:"subject" json:"subject"`
	Email    string    `bson:"email,omitempty" json:"email,omitempty"`
	LinkedAt time.Time `bson:"linked_at" json:"linked_at"`
}

// Member is a person with an account.
type Member struct {
	ID         string     `bson:"_id" json:"id"`
	Name       string     `bson:"name" json:"name"`
	Email      string     `bson:"email,omitempty" json:"email,omitempty"`
	Identities []Identity `bson:"identities" json:"identities"`
	// IdentityKeys mirrors Identities as "provider\x00subject" for lookups.
	IdentityKeys []string `bson:"identity_keys" json:"-"`
	Role         Role     `bson:"role" json:"role"`
	Status       Status   `bson:"status" json:"status"`
	Organisation string   `bson:"organisation,omitempty" json:"organisation,omitempty"`
	OrgType      OrgType  `bson:"org_type,omitempty" json:"org_type,omitempty"`
	Country      string   `bson:"country,omitempty" json:"country,omitempty"`
	Languages    []string `bson:"languages,omitempty" json:"languages,omitempty"`
	JobTitle     string   `bson:"job_title,omitempty" json:"job_title,omitempty"`
	PublicBuyer  bool     `bson:"public_buyer" json:"public_buyer"`
	// Locale is the member's chosen UI language; empty follows the browser.
	Locale string `bson:"locale,omitempty" json:"locale,omitempty"`
	// TimeZone is the member's IANA zone, for e-mails and calendars; pages
	// use the browser's. Empty: PORTAL_TIME_ZONE.
	TimeZone  string    `bson:"time_zone,omitempty" json:"time_zone,omitempty"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt time.Time `bson:"updated_at" json:"updated_at"`
	// Persona marks the demo's sign-in personas.
	Persona string `bson:"persona,omitempty" json:"persona,omitempty"`

	ConductAcceptedAt time.Time `bson:"conduct_accepted_at,omitempty" json:"conduct_accepted_at,omitempty"`
	// ConductVersion is the version of the code of conduct accepted then.
	ConductVersion     int       `bson:"conduct_version,omitempty" json:"conduct_version,omitempty"`
	ProfileCompletedAt time.Time `bson:"profile_completed_at,omitempty" json:"profile_completed_at,omitempty"`
	// Review is the latest membership decision, shown to the member.
	Review *Review `bson:"review,omitempty" json:"review,omitempty"`
}

// Approved reports whether the member may use the portal beyond their profile.
func (m *Member) Approved() bool { return m != nil && m.Status == StatusApproved }

// CanSignIn reports whether the member may hold a session or use a token.
// Rejected members may, to read the decision; deactivated and deleted
// accounts may not.
func (m *Member) CanSignIn() bool {
	return m != nil && m.Status != StatusDeactivated && m.Status != StatusDeleted
}

// HasRole reports whether the member's role is r or a higher one.
func (m *Member) HasRole(r Role) bool {
	if m == nil {
		return false
	}
	return rank(m.Role) >= rank(r)
}

func rank(r Role) int {
	for i, x := range Roles {
		if x == r {
			return i
		}
	}
	return -1
}

// DemoProvider is the identity provider of the demo community's members; its
// personas sign in without any external provider, in demo mode only.
const DemoProvider = "demo"
