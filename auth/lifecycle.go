package auth

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/store"
)

// OrgTypes lists the organisation types offered in forms, in display order.
var OrgTypes = []OrgType{OrgMinistry, OrgRegion, OrgMunicipality, OrgCPB, OrgUniversity, OrgHospital, OrgAgency, OrgNGO, OrgSupplier, OrgOther}

// Profile is what a member fills in; the same struct carries the form back
// with the member's input when validation fails.
type Profile struct {
	Name         string
	Organisation string
	OrgType      string
	Country      string
	Languages    []string
	JobTitle     string
	// Buyer is "buyer" for a public buyer, "supporting" for a supporting
	// organisation (suppliers and NGOs can only be supporting).
	Buyer   string
	Conduct bool
	// TimeZone is an IANA zone name, for what the portal writes without a
	// browser (e-mails, calendars); empty: the portal's default.
	TimeZone string
}

// ProfileOf fills a form from a member.
func ProfileOf(m *Member) Profile {
	p := Profile{Name: m.Name, Organisation: m.Organisation, OrgType: string(m.OrgType), Country: m.Country,
		Languages: m.Languages, JobTitle: m.JobTitle, Conduct: !m.ConductAcceptedAt.IsZero(), TimeZone: m.TimeZone}
	if m.Organisation != "" {
		p.Buyer = "supporting"
		if m.PublicBuyer {
			p.Buyer = "buyer"
		}
	}
	return p
}

// ValidTimeZone accepts an empty zone (the portal's default) or an IANA
// name the Go time zone database knows ("Europe/Brussels", "UTC"); "Local"
// and file paths are refused.
func ValidTimeZone(tz string) bool {
	if tz == "" {
		return true
	}
	if tz == "Local" || len(tz) > 64 || strings.Contains(tz, "..") || strings.HasPrefix(tz, "/") {
		return false
	}
	_, err := time.LoadLocation(tz)
	return err == nil
}

var (
	countryRe  = regexp.MustCompile(`^[A-Z]{2}$`)
	languageRe = regexp.MustCompile(`^[a-z]{2,3}$`)
)

// FieldErrors maps a form field to the message key that says what to fix.
type FieldErrors map[string]string

// FieldError is one entry of an error summary.
type FieldError struct{ Field, Key string }

// InOrder lists the errors in the order the fields appear in the form, for
// an error summary that reads like the form.
func (e FieldErrors) InOrder(fields ...string) []FieldError {
	var out []FieldError
	for _, f := range fields {
		if k, ok := e[f]; ok {
			out = append(out, FieldError{f, k})
		}
	}
	return out
}

// ProfileFields are the profile form's fields in display order.
var ProfileFields = []string{"name", "organisation", "org_type", "buyer", "job_title", "country", "languages", "time_zone", "conduct"}

// Validate normalises the profile and returns what to fix, field by field.
func (p *Profile) Validate() FieldErrors {
	errs := FieldErrors{}
	p.Name = strings.TrimSpace(p.Name)
	p.Organisation = strings.TrimSpace(p.Organisation)
	p.JobTitle = strings.TrimSpace(p.JobTitle)
	p.Country = strings.ToUpper(strings.TrimSpace(p.Country))
	p.TimeZone = strings.TrimSpace(p.TimeZone)
	if !ValidTimeZone(p.TimeZone) {
		errs["time_zone"] = "profile.error.time_zone"
	}
	if n := len([]rune(p.Name)); n < 2 || n > 100 {
		errs["name"] = "profile.error.name"
	}
	if n := len([]rune(p.Organisation)); n < 2 || n > 200 {
		errs["organisation"] = "profile.error.organisation"
	}
	if len([]rune(p.JobTitle)) > 120 {
		errs["job_title"] = "profile.error.job_title"
	}
	valid := false
	for _, t := range OrgTypes {
		if string(t) == p.OrgType {
			valid = true
		}
	}
	if !valid {
		errs["org_type"] = "profile.error.org_type"
	}
	if !countryRe.MatchString(p.Country) {
		errs["country"] = "profile.error.country"
	}
	var langs []string
	seen := map[string]bool{}
	for _, l := range p.Languages {
		l = strings.ToLower(strings.TrimSpace(l))
		if l == "" || seen[l] {
			continue
		}
		if !languageRe.MatchString(l) {
			errs["languages"] = "profile.error.languages"
			break
		}
		seen[l] = true
		langs = append(langs, l)
	}
	p.Languages = langs
	if len(langs) == 0 || len(langs) > 12 {
		errs["languages"] = "profile.error.languages"
	}
	switch p.Buyer {
	case "buyer":
		if p.OrgType == string(OrgSupplier) || p.OrgType == string(OrgNGO) {
			errs["buyer"] = "profile.error.buyer_org"
		}
	case "supporting":
	default:
		errs["buyer"] = "profile.error.buyer"
	}
	if !p.Conduct {
		errs["conduct"] = "profile.error.conduct"
	}
	return errs
}

// SaveProfile stores a validated profile. A pending member's first complete
// profile puts them in the review queue (ProfileCompletedAt).
func (s *Store) SaveProfile(ctx context.Context, memberID string, p Profile) error {
	if errs := p.Validate(); len(errs) > 0 {
		return fault.New(fault.Invalid, "profile.error.summary")
	}
	now := s.now()
	set := bson.M{
		"name": p.Name, "organisation": p.Organisation, "org_type": p.OrgType, "country": p.Country,
		"languages": p.Languages, "job_title": p.JobTitle, "public_buyer": p.Buyer == "buyer", "time_zone": p.TimeZone, "updated_at": now,
	}
	ctx, unlock, err := s.lock(ctx, colMembers, memberID)
	if err != nil {
		return err
	}
	defer unlock()
	m, err := s.Member(ctx, memberID)
	if err != nil {
		return err
	}
	if m.ConductAcceptedAt.IsZero() {
		set["conduct_accepted_at"] = now
	}
	if m.ProfileCompletedAt.IsZero() {
		set["profile_completed_at"] = now
	}
	if _, err := s.col(colMembers).UpdateOne(ctx, bson.M{"_id": memberID}, bson.M{"$set": set}); err != nil {
		return fmt.Errorf("auth: save profile: %w", err)
	}
	s.changed(ctx, memberID)
	return nil
}

// ReviewQueue returns pending members who completed their profile, oldest
// first, so nobody waits longer than necessary.
func (s *Store) ReviewQueue(ctx context.Context) ([]*Member, error) {
	return s.findMembers(ctx, bson.M{"status": StatusPending, "profile_completed_at": bson.M{"$exists": true}},
		options.Find().SetSort(bson.D{{Key: "profile_completed_at", Value: 1}}))
}

// MembersByStatus lists members with a status, newest first.
func (s *Store) MembersByStatus(ctx context.Context, st Status, limit int) ([]*Member, error) {
	return s.findMembers(ctx, bson.M{"status": st}, options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}}).SetLimit(int64(limit)))
}

func (s *Store) findMembers(ctx context.Context, filter bson.M, o *options.FindOptions) ([]*Member, error) {
	cur, err := s.col(colMembers).Find(ctx, filter, o)
	if err != nil {
		return nil, fmt.Errorf("auth: members: %w", err)
	}
	var ms []*Member
	if err := cur.All(ctx, &ms); err != nil {
		return nil, fmt.Errorf("auth: members: %w", err)
	}
	return ms, nil
}

// Decide approves or rejects a pending member with an optional message shown
// to them. Only pending members can be decided, so two coordinators acting
// at once cannot overturn each other.
func (s *Store) Decide(ctx context.Context, memberID, reviewerID string, approve bool, message string) error {
	message = strings.TrimSpace(message)
	if len([]rune(message)) > 1000 {
		return fault.New(fault.Invalid, "review.error.message").OnField("message")
	}
	st := StatusRejected
	if approve {
		st = StatusApproved
	}
	// The status filter decides who wins; the lock (a claimed _id held
	// across servers) makes it hold on the embedded database too, whose
	// updates are read-then-write (see doclock.go).
	ctx, unlock, err := s.lock(ctx, colMembers, memberID)
	if err != nil {
		return err
	}
	defer unlock()
	res, err := store.UpdateByIDIf(ctx, s.col(colMembers), memberID, bson.M{"status": StatusPending}, bson.M{"$set": bson.M{
		"status": st, "review": Review{By: reviewerID, At: s.now(), Message: message, Approved: approve}, "updated_at": s.now(),
	}}, s.byID)
	if err != nil {
		return fmt.Errorf("auth: decide: %w", err)
	}
	if res.MatchedCount == 0 {
		if _, err := s.Member(ctx, memberID); err != nil {
			return err
		}
		return fault.New(fault.Conflict, "review.error.decided")
	}
	s.changed(ctx, memberID)
	return s.rightsChanged(ctx, memberID)
}

// Deactivate blocks a member and ends all their sessions. Their API tokens
// stop working too, because authentication checks the member's status.
func (s *Store) Deactivate(ctx context.Context, memberID string) error {
	if err := s.SetStatus(ctx, memberID, StatusDeactivated); err != nil {
		return err
	}
	return s.DeleteMemberSessions(ctx, memberID)
}

// Review is the coordinator's decision on a membership application.
type Review struct {
	By       string    `bson:"by" json:"by"`
	At       time.Time `bson:"at" json:"at"`
	Message  string    `bson:"message,omitempty" json:"message,omitempty"`
	Approved bool      `bson:"approved" json:"approved"`
}

// AcceptConduct records that the member accepted version of the code of
// conduct now.
func (s *Store) AcceptConduct(ctx context.Context, memberID string, version int) error {
	ctx, unlock, err := s.lock(ctx, colMembers, memberID)
	if err != nil {
		return err
	}
	defer unlock()
	now := s.now()
	res, err := s.col(colMembers).UpdateOne(ctx, bson.M{"_id": memberID},
		bson.M{"$set": bson.M{"conduct_accepted_at": now, "conduct_version": version, "updated_at": now}})
	if err != nil {
		return fmt.Errorf("auth: accept conduct: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}
