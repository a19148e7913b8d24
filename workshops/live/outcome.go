package live

import (
	"context"
	"time"
)

// Outcome is what a room produced, for the workshop's outcome document.
// Each tool fills its own part from its state (see the tools' files).
type Outcome struct {
	Room      string         `json:"room"`
	Agenda    []AgendaItem   `json:"agenda"`
	Polls     []PollView     `json:"polls"`     // polls that were opened, with their results
	Questions []QuestionView `json:"questions"` // Q&A, hidden ones left out, most votes first
	Boards    []BoardView    `json:"boards"`    // clusters with their notes and dot votes
	Notes     string         `json:"notes"`     // the room's shared notes
	Breakouts []BreakoutView `json:"breakouts"` // each group with its notes
	Seq       int64          `json:"seq"`       // the last event the outcome includes
}

// QuestionView is one question as the outcome and clients show it.
// Author is nil when the question was asked anonymously.
type QuestionView struct {
	ID       string  `json:"id"`
	Text     string  `json:"text"`
	Author   *Person `json:"author,omitempty"`
	Votes    int     `json:"votes"`
	Answered bool    `json:"answered"`
	Answer   string  `json:"answer,omitempty"`
	Pinned   bool    `json:"pinned,omitempty"`
	Hidden   bool    `json:"hidden,omitempty"`
}

// BoardView is one board: its prompt and its notes grouped in clusters.
// Notes outside any cluster are in a cluster with an empty name.
type BoardView struct {
	ID       string        `json:"id"`
	Prompt   string        `json:"prompt"`
	Revealed bool          `json:"revealed"`
	Clusters []ClusterView `json:"clusters"`
}

// ClusterView is a named group of notes on a board.
type ClusterView struct {
	Name  string          `json:"name"`
	Notes []BoardNoteView `json:"notes"`
	Votes int             `json:"votes"` // the dots on all its notes
}

// BoardNoteView is one sticky note with its dot votes.
type BoardNoteView struct {
	ID     string `json:"id"`
	Text   string `json:"text"`
	Colour string `json:"colour,omitempty"`
	Votes  int    `json:"votes"`
}

// BreakoutView is one breakout group as the outcome shows it.
type BreakoutView struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Attr    string `json:"attr,omitempty"` // by attribute: see group
	Key     string `json:"key,omitempty"`
	Members int    `json:"members"`
	Notes   string `json:"notes"`
}

func (s *state) outcome(room string) Outcome {
	o := Outcome{Room: room, Agenda: s.info.Agenda, Seq: s.seq}
	if o.Agenda == nil {
		o.Agenda = []AgendaItem{}
	}
	for _, p := range s.polls {
		if p.State != PollDraftState {
			v := p.view(true) // counts even if never published; names never
			v.Voters = nil
			o.Polls = append(o.Polls, v)
		}
	}
	s.qa.outcome(&o)
	s.boards.outcome(&o)
	s.notes.outcome(&o)
	s.breakouts.outcome(&o, &s.notes)
	return o
}

// Outcome rebuilds a room from its stored events, apart from any running
// room, and returns what it produced.
func (e *Engine) Outcome(ctx context.Context, roomID string) (Outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	info, err := e.o.Info(ctx, roomID)
	if err != nil {
		return Outcome{}, err
	}
	st := newState(info)
	evs, err := e.o.Store.Since(ctx, roomID, 0)
	if err != nil {
		return Outcome{}, err
	}
	for _, ev := range evs {
		st.apply(ev)
	}
	return st.outcome(roomID), nil
}
