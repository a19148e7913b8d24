package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/workshops"
)

// The demo's workshop IDs: the live case clinic and the past one before it
// in the same series, whose outcome is in the library.
const (
	LiveWorkshopID = "00000000000000000000d001"
	PastClinicID   = "00000000000000000000d004"
	clinicSeries   = "Due diligence case clinics"
)

// SeedWorkshops adds the demo's four workshops: a case clinic that is
// live now (so a visitor can enter the room as the facilitator persona in
// one window and the buyer persona in another), with a prepared run-sheet;
// the clinic before it in the same series, held last month; a
// market-dialogue preparation next week and a webinar held last month.
// Fixed IDs keep it idempotent; times move with each start so the clinic
// is always live.
func SeedWorkshops(ctx context.Context, a *auth.Store, ws *workshops.Store) error {
	id := func(key string) (string, error) {
		m, err := a.MemberByIdentity(ctx, auth.DemoProvider, key)
		if err != nil {
			return "", fmt.Errorf("demo: workshop facilitator %s: %w", key, err)
		}
		return m.ID, nil
	}
	lucas, err := id("facilitator")
	if err != nil {
		return err
	}
	lena, err := id("lena")
	if err != nil {
		return err
	}
	group := func(slug string) string {
		gs, _ := a.Groups(ctx)
		for _, g := range gs {
			if g.Slug == slug {
				return g.ID
			}
		}
		return ""
	}
	now := time.Now().UTC().Truncate(time.Minute)
	list := []*workshops.Workshop{
		{ID: LiveWorkshopID, Title: "Case clinic: human-rights due diligence clauses in ICT contracts", Series: clinicSeries,
			Description: "Bring a contract clause on supply-chain due diligence that you used or plan to use. Two members present their case; peers ask questions and suggest improvements. Outcomes go to the library.",
			Format:      workshops.FormatCaseClinic, GroupID: group("ethics-working-group"), StartsAt: now.Add(-20 * time.Minute), EndsAt: now.Add(100 * time.Minute),
			TimeZone: "Europe/Brussels", Capacity: 25, Languages: []string{"en", "fr"}, Facilitators: []string{lucas},
			Agenda:   []workshops.AgendaItem{{Title: "Welcome and ground rules", Minutes: 10}, {Title: "Case 1: a ministry's framework agreement", Minutes: 35}, {Title: "Case 2: a hospital's device tender", Minutes: 35}, {Title: "What we take home", Minutes: 20}},
			Polls:    []workshops.Poll{{Question: "Does your current ICT contract require a supplier's due-diligence report?", Options: []string{"Yes, every year", "Yes, at award only", "No", "I do not know"}}, {Question: "Which remedy would you accept first?", Options: []string{"Corrective action plan", "Independent audit", "Price reduction", "Termination"}, Anonymous: true}},
			VideoURL: "https://meet.jit.si/cfict-demo-case-clinic", Materials: []string{"https://example.org/library/due-diligence-clause-set"},
			RunSheet: []workshops.Step{
				{Agenda: 0, Kind: workshops.StepAnnounce, Text: "Welcome! The shared notes and the board go into the outcome; names only with your consent."},
				{Agenda: 1, Kind: workshops.StepPoll, Poll: 1},
				{Agenda: 1, Kind: workshops.StepTimer, Minutes: 25},
				{Agenda: 2, Kind: workshops.StepBoard, Prompt: "What would make a supplier's due-diligence report useful to you?", Votes: 3, Hidden: true, Minutes: 10},
				{Agenda: 2, Kind: workshops.StepBreakout, Mode: "random", Size: 4, Minutes: 15},
				{Agenda: 3, Kind: workshops.StepPoll, Poll: 2},
			}},
		{ID: PastClinicID, Title: "Case clinic: asking suppliers for factory lists", Series: clinicSeries,
			Description: "A municipality presents its laptop tender, which asked bidders for the list of final assembly sites; peers discuss what got in the way and what to do next time.",
			Format:      workshops.FormatCaseClinic, GroupID: group("ethics-working-group"), StartsAt: now.Add(-35 * 24 * time.Hour), EndsAt: now.Add(-35*24*time.Hour + 90*time.Minute),
			TimeZone: "Europe/Brussels", Capacity: 25, Languages: []string{"en"}, Facilitators: []string{lucas},
			Agenda: []workshops.AgendaItem{{Title: "Welcome", Minutes: 10}, {Title: "Case: a municipality's laptop tender", Minutes: 30}, {Title: "Board: what gets in the way", Minutes: 20}, {Title: "Breakout groups", Minutes: 20}, {Title: "What we take home", Minutes: 10}},
			Polls:  []workshops.Poll{{Question: "Have you asked a supplier for its factory list?", Options: []string{"Yes, in a tender", "Yes, during the contract", "Not yet"}}, {Question: "Would you join a joint request with other buyers?", Options: []string{"Yes", "Maybe", "No"}, Anonymous: true}}},
		{ID: "00000000000000000000d002", Title: "Preparing a joint market dialogue with laptop makers",
			Description: "Buyers from five countries agree on the questions for a joint market dialogue on repairable, longer-lasting laptops and on disclosure of final assembly sites.",
			Format:      workshops.FormatMarketDialogue, GroupID: group("transparency-cop"), StartsAt: now.Add(7*24*time.Hour + 2*time.Hour), EndsAt: now.Add(7*24*time.Hour + 4*time.Hour),
			TimeZone: "Europe/Vienna", Capacity: 12, Languages: []string{"en", "de"}, Facilitators: []string{lena, lucas},
			Agenda: []workshops.AgendaItem{{Title: "What we want to learn from the market", Minutes: 30}, {Title: "Drafting the questions", Minutes: 60}, {Title: "Timeline and roles", Minutes: 30}}},
		{ID: "00000000000000000000d003", Title: "Webinar: the EU GPP criteria for computers, monitors, tablets and smartphones",
			Description: "A walk through the EU green public procurement criteria for computers and how members used them in tenders: extended warranties, spare parts, battery replacement and reporting.",
			Format:      workshops.FormatWebinar, StartsAt: now.Add(-30 * 24 * time.Hour), EndsAt: now.Add(-30*24*time.Hour + 90*time.Minute),
			TimeZone: "Europe/Paris", Capacity: 0, Languages: []string{"en"}, Facilitators: []string{lucas},
			Agenda: []workshops.AgendaItem{{Title: "The criteria in brief", Minutes: 30}, {Title: "Members' examples", Minutes: 40}, {Title: "Questions", Minutes: 20}}},
	}
	for _, w := range list {
		w.CreatedAt, w.UpdatedAt = now.Add(-10*24*time.Hour), now
		if w.RunSheet != nil {
			steps, err := workshops.ValidateRunSheet(w, w.RunSheet)
			if err != nil {
				return fmt.Errorf("demo: run-sheet of %s: %w", w.ID, err)
			}
			w.RunSheet = steps
		}
		if w.Polls == nil {
			w.Polls = []workshops.Poll{}
		}
		if w.Materials == nil {
			w.Materials = []string{}
		}
		if err := ws.Put(ctx, w); err != nil {
			return fmt.Errorf("demo: workshop: %w", err)
		}
	}
	buyer, err := id("buyer")
	if err != nil {
		return err
	}
	if _, err := ws.Register(ctx, list[0], buyer); err != nil {
		return fmt.Errorf("demo: registration: %w", err)
	}
	return nil
}
