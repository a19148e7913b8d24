// Package demo seeds the demo community: every fictional group, member and,
// as features land, resource, thread and workshop lives here, in one place.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/circularfairict/portal/auth"
)

type person struct {
	key     string // identity subject; also the persona name for personas
	persona bool
	auth.Member
}

// people are fictional; organisations are generic descriptions, not real bodies.
var people = []person{
	{"buyer", true, auth.Member{Name: "Anna de Vries", Role: auth.RoleMember, Organisation: "Ministry of the Interior, ICT procurement", OrgType: auth.OrgMinistry, Country: "NL", Languages: []string{"nl", "en"}, JobTitle: "Senior ICT buyer", PublicBuyer: true}},
	{"facilitator", true, auth.Member{Name: "Lucas Martin", Role: auth.RoleFacilitator, Organisation: "Regional purchasing centre of Wallonia", OrgType: auth.OrgCPB, Country: "BE", Languages: []string{"fr", "en", "nl"}, JobTitle: "Sustainable procurement adviser", PublicBuyer: true}},
	{"coordinator", true, auth.Member{Name: "Sophie Keller", Role: auth.RoleAdmin, Organisation: "Federal procurement agency", OrgType: auth.OrgAgency, Country: "DE", Languages: []string{"de", "en"}, JobTitle: "Community coordinator", PublicBuyer: true}},
	{"pieter", false, auth.Member{Name: "Pieter Janssens", Role: auth.RoleMember, Organisation: "City of Ghent, IT department", OrgType: auth.OrgMunicipality, Country: "BE", Languages: []string{"nl", "en"}, JobTitle: "Category manager ICT", PublicBuyer: true}},
	{"claire", false, auth.Member{Name: "Claire Dubois", Role: auth.RoleModerator, Organisation: "Interministerial purchasing directorate", OrgType: auth.OrgCPB, Country: "FR", Languages: []string{"fr", "en"}, JobTitle: "Responsible purchasing lead", PublicBuyer: true}},
	{"jonas", false, auth.Member{Name: "Jonas Berg", Role: auth.RoleMember, Organisation: "Regional health authority", OrgType: auth.OrgHospital, Country: "SE", Languages: []string{"sv", "en"}, JobTitle: "Procurement officer", PublicBuyer: true}},
	{"aoife", false, auth.Member{Name: "Aoife Byrne", Role: auth.RoleMember, Organisation: "National university, procurement office", OrgType: auth.OrgUniversity, Country: "IE", Languages: []string{"en", "ga"}, JobTitle: "Procurement manager", PublicBuyer: true}},
	{"mateo", false, auth.Member{Name: "Mateo García", Role: auth.RoleMember, Organisation: "Autonomous community digital services", OrgType: auth.OrgRegion, Country: "ES", Languages: []string{"es", "en"}, JobTitle: "Head of ICT contracts", PublicBuyer: true}},
	{"lena", false, auth.Member{Name: "Lena Hofer", Role: auth.RoleFacilitator, Organisation: "Federal procurement company", OrgType: auth.OrgCPB, Country: "AT", Languages: []string{"de", "en"}, JobTitle: "Sustainability specialist", PublicBuyer: true}},
	{"mette", false, auth.Member{Name: "Mette Nielsen", Role: auth.RoleMember, Organisation: "Municipal IT shared service", OrgType: auth.OrgMunicipality, Country: "DK", Languages: []string{"da", "en"}, JobTitle: "IT buyer", PublicBuyer: true}},
	{"olivia", false, auth.Member{Name: "Olivia Tremblay", Role: auth.RoleMember, Organisation: "Provincial shared services", OrgType: auth.OrgRegion, Country: "CA", Languages: []string{"en", "fr"}, JobTitle: "Strategic sourcing advisor", PublicBuyer: true}},
	{"james", false, auth.Member{Name: "James Walker", Role: auth.RoleMember, Organisation: "State government ICT procurement", OrgType: auth.OrgAgency, Country: "AU", Languages: []string{"en"}, JobTitle: "Sourcing lead", PublicBuyer: true}},
	{"amara", false, auth.Member{Name: "Amara Okafor", Role: auth.RoleMember, Organisation: "Electronics supply-chain monitoring NGO", OrgType: auth.OrgNGO, Country: "NL", Languages: []string{"en", "fr"}, JobTitle: "Monitoring coordinator", PublicBuyer: false}},
	// An applicant waiting in the coordinators' review queue.
	{"tomasz", false, auth.Member{Name: "Tomasz Nowak", Role: auth.RoleMember, Status: auth.StatusPending, Organisation: "Regional office, IT procurement unit", OrgType: auth.OrgRegion, Country: "PL", Languages: []string{"pl", "en"}, JobTitle: "Procurement specialist", PublicBuyer: true}},
	{"elena", false, auth.Member{Name: "Elena Rossi", Role: auth.RoleMember, Organisation: "UN agency procurement division", OrgType: auth.OrgAgency, Country: "IT", Languages: []string{"it", "en", "fr"}, JobTitle: "Procurement officer", PublicBuyer: true}},
}

type group struct {
	auth.Group
	coordinators []string // person keys
	members      []string
}

var groups = []group{
	{auth.Group{Slug: "national-buyers", Name: "National ICT buyer group", Description: "Public ICT buyers of one country comparing framework agreements, criteria and supplier answers. Over eighty members from ministries, municipalities, universities and hospitals.", Languages: []string{"nl", "en"}, Visibility: auth.VisibilityMembers, JoinPolicy: auth.JoinRequest},
		[]string{"coordinator"}, []string{"buyer", "pieter", "mette", "aoife", "amara"}},
	{auth.Group{Slug: "ethics-working-group", Name: "International working group on ethics in ICT procurement", Description: "Buyers and supporting organisations working on labour rights, conflict minerals and human-rights due diligence clauses in ICT contracts.", Languages: []string{"en", "fr", "de"}, Visibility: auth.VisibilityPublic, JoinPolicy: auth.JoinRequest},
		[]string{"claire"}, []string{"buyer", "facilitator", "jonas", "olivia", "james", "amara", "elena"}},
	{auth.Group{Slug: "transparency-cop", Name: "Community of practice on transparency and due diligence", Description: "Peers who ask suppliers for factory lists, map supply chains and follow up on findings, sharing questionnaires and experiences.", Languages: []string{"en", "nl", "fr", "de"}, Visibility: auth.VisibilityMembers, JoinPolicy: auth.JoinOpen},
		[]string{"lena"}, []string{"buyer", "facilitator", "coordinator", "mateo", "pieter", "elena"}},
}

// Seed creates the demo community on first start. Members are keyed on their
// demo identity and groups on their slug; what exists is left alone, so a
// restart keeps what visitors did (approvals, joins, deactivations).
func Seed(ctx context.Context, a *auth.Store) error {
	now := time.Now().UTC().Truncate(time.Hour)
	ids := map[string]string{}
	for i, p := range people {
		if m, err := a.MemberByIdentity(ctx, auth.DemoProvider, p.key); err == nil {
			ids[p.key] = m.ID
			continue
		} else if !errors.Is(err, auth.ErrNotFound) {
			return fmt.Errorf("demo: member %s: %w", p.key, err)
		}
		m := p.Member
		// Members joined over the past months, the personas first.
		m.CreatedAt = now.Add(-time.Duration(len(people)-i) * 9 * 24 * time.Hour)
		m.ConductAcceptedAt, m.ProfileCompletedAt = m.CreatedAt, m.CreatedAt
		if m.Status == "" {
			m.Status = auth.StatusApproved
		}
		if p.persona {
			m.Persona = p.key
		}
		saved, err := a.UpsertByIdentity(ctx, auth.Identity{Provider: auth.DemoProvider, Subject: p.key}, m)
		if err != nil {
			return fmt.Errorf("demo: member %s: %w", p.key, err)
		}
		ids[p.key] = saved.ID
	}
	// Groups are made the way an administrator makes them in the admin
	// area (the same validated service calls), so the demo proves that path.
	for _, g := range groups {
		if _, err := a.GroupBySlug(ctx, g.Slug); err == nil {
			continue
		} else if !errors.Is(err, auth.ErrNotFound) {
			return fmt.Errorf("demo: group %s: %w", g.Slug, err)
		}
		coords := resolve(ids, g.coordinators)
		created, err := a.CreateGroup(ctx, auth.GroupInput{Slug: g.Slug, Name: g.Name, Description: g.Description,
			Languages: g.Languages, Visibility: g.Visibility, JoinPolicy: g.JoinPolicy}, coords[0])
		if err != nil {
			return fmt.Errorf("demo: group %s: %w", g.Slug, err)
		}
		gid := created.ID
		for _, id := range coords[1:] {
			if err := a.AddCoordinator(ctx, gid, id); err != nil {
				return fmt.Errorf("demo: group %s: %w", g.Slug, err)
			}
		}
		for _, id := range resolve(ids, g.members) {
			if _, err := a.JoinGroup(ctx, gid, id); err != nil {
				return fmt.Errorf("demo: group %s: %w", g.Slug, err)
			}
		}
		if g.Slug == "national-buyers" { // a request waits for the coordinator persona, to show the coordinator tools
			if _, _, err := a.CreateGroupRequest(ctx, gid, ids["jonas"],
				"I buy ICT for our hospitals and would like to compare framework agreements and supplier answers with you."); err != nil {
				return fmt.Errorf("demo: join request: %w", err)
			}
		}
	}
	return nil
}

func resolve(ids map[string]string, keys []string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, ids[k])
	}
	return out
}
