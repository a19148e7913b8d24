package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/workshops"
	"github.com/circularfairict/portal/workshops/live"
)

// OutcomePublisher is the application's outcome path (app.App's
// SeedOutcome): the demo hands it what the past clinic's room produced,
// and the application assembles the document with the attendance and
// consent seeded here, publishes it to the library and links it to the
// workshop.
type OutcomePublisher interface {
	SeedOutcome(ctx context.Context, workshopID, facilitatorID string, o live.Outcome, visibility string) (string, error)
}

// SeedOutcomes gives the past case clinic its attendance and a published
// outcome, once: a restart finds it published and leaves it (and any
// edits a visitor made) alone. The live clinic, next in the same series,
// then shows the outcome's open action items.
func SeedOutcomes(ctx context.Context, a *auth.Store, ws *workshops.Store, pub OutcomePublisher) error {
	if d, err := ws.Outcome(ctx, PastClinicID); err == nil && d.Published() {
		return nil
	} else if err != nil && !errors.Is(err, workshops.ErrNotFound) {
		return fmt.Errorf("demo: outcome: %w", err)
	}
	w, err := ws.Workshop(ctx, PastClinicID)
	if err != nil {
		return fmt.Errorf("demo: outcome: %w", err)
	}
	// Who came, and who agreed to be named in the outcome.
	attendees := map[string]bool{"facilitator": false, "buyer": true, "jonas": false, "olivia": true, "james": false, "amara": false, "elena": true, "claire": false}
	for key, named := range attendees {
		m, err := a.MemberByIdentity(ctx, auth.DemoProvider, key)
		if err != nil {
			return fmt.Errorf("demo: outcome attendee %s: %w", key, err)
		}
		if key != "facilitator" {
			r := workshops.Registration{WorkshopID: w.ID, MemberID: m.ID, Status: workshops.Registered, ShowName: named,
				CreatedAt: w.StartsAt.AddDate(0, 0, -7), UpdatedAt: w.StartsAt.AddDate(0, 0, -7)}
			if err := ws.PutRegistration(ctx, r); err != nil {
				return err
			}
		}
		if err := ws.RecordAttendance(ctx, w.ID, m.ID); err != nil {
			return err
		}
	}
	lucas, err := a.MemberByIdentity(ctx, auth.DemoProvider, "facilitator")
	if err != nil {
		return fmt.Errorf("demo: outcome: %w", err)
	}
	if _, err := pub.SeedOutcome(ctx, w.ID, lucas.ID, pastClinicRoom(w), "group"); err != nil {
		return fmt.Errorf("demo: outcome: %w", err)
	}
	return nil
}

// pastClinicRoom is what the past clinic's room produced: two polls, a
// board clustered by the facilitator with dot votes, questions, the shared
// notes with action items, and two breakout groups with theirs.
func pastClinicRoom(w *workshops.Workshop) live.Outcome {
	agenda := make([]live.AgendaItem, 0, len(w.Agenda))
	for _, a := range w.Agenda {
		agenda = append(agenda, live.AgendaItem{Title: a.Title, Minutes: a.Minutes})
	}
	return live.Outcome{Room: w.ID, Agenda: agenda, Seq: 214,
		Polls: []live.PollView{
			{ID: "prep1", Question: w.Polls[0].Question, Options: w.Polls[0].Options, State: live.PollClosed, Published: true, Total: 7, Counts: []int{2, 1, 4}},
			{ID: "prep2", Question: w.Polls[1].Question, Options: w.Polls[1].Options, Anonymous: true, State: live.PollClosed, Published: true, Total: 7, Counts: []int{5, 2, 0}},
		},
		Questions: []live.QuestionView{
			{ID: "q3", Text: "Did any bidder refuse to give the list, and what did you do?", Votes: 5, Answered: true, Answer: "One asked for a confidentiality clause; the list was then given under it."},
			{ID: "q9", Text: "Is a list of final assembly sites enough, or should we ask for component factories too?", Votes: 3},
		},
		Boards: []live.BoardView{{ID: "board41", Prompt: "What gets in the way of asking suppliers for factory lists?", Revealed: true, Clusters: []live.ClusterView{
			{Name: "Confidentiality", Notes: []live.BoardNoteView{
				{ID: "n1", Text: "Suppliers call the list a trade secret", Colour: "yellow", Votes: 6},
				{ID: "n4", Text: "Our legal team fears disclosure under freedom-of-information requests", Colour: "yellow", Votes: 3}}},
			{Name: "Capacity", Notes: []live.BoardNoteView{
				{ID: "n2", Text: "No one has time to check the answers", Colour: "blue", Votes: 5},
				{ID: "n6", Text: "We do not know which factories are high risk", Colour: "blue", Votes: 2}}},
			{Name: "Market", Notes: []live.BoardNoteView{
				{ID: "n3", Text: "Resellers do not know the factories themselves", Colour: "green", Votes: 4}}},
		}}},
		Notes: "The municipality's tender asked for final assembly sites at award; four of five bidders answered, one after a confidentiality clause was agreed.\n\n" +
			"- [ ] Share the municipality's disclosure clause and confidentiality annex in the library\n" +
			"- [ ] Draft a joint request for factory lists that several buyers can send\n" +
			"- [x] Collect the poll results for the working group",
		Breakouts: []live.BreakoutView{
			{ID: "g1", Name: "Ministries and agencies", Members: 4, Notes: "Framework agreements can require the list from all call-off suppliers.\n- [ ] Ask the national buyer group how their framework clause is worded"},
			{ID: "g2", Name: "Hospitals and universities", Members: 3, Notes: "Resellers are the bottleneck: ask them to pass the question to the manufacturer.\n- [x] Compare answers from two resellers"},
		},
	}
}
