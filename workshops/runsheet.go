package workshops

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/fault"
)

// Step kinds of a run-sheet; each sends one room command.
const (
	StepPoll     = "poll"     // poll.open of a prepared poll
	StepBoard    = "board"    // board.open
	StepBreakout = "breakout" // breakout.start
	StepTimer    = "timer"    // timer
	StepAnnounce = "announce" // announce
)

// StepKinds lists the kinds in the form's order.
var StepKinds = []string{StepPoll, StepBoard, StepBreakout, StepTimer, StepAnnounce}

// Breakout modes a run-sheet may prepare, and the attributes to split by.
var (
	BreakoutModes      = []string{"random", "attribute", "choice"}
	BreakoutAttributes = []string{"country", "language"}
)

// MaxSteps bounds a run-sheet.
const MaxSteps = 50

// Step is one prepared action of a run-sheet. Agenda is the agenda item's
// index (0-based; -1 when the workshop has no agenda); the other fields are
// the command's settings, those of other kinds left zero.
type Step struct {
	Agenda    int    `bson:"agenda" json:"agenda"`
	Kind      string `bson:"kind" json:"kind"`
	Poll      int    `bson:"poll,omitempty" json:"poll,omitempty"`       // prepared poll, 1-based
	Prompt    string `bson:"prompt,omitempty" json:"prompt,omitempty"`   // board
	Votes     int    `bson:"votes,omitempty" json:"votes,omitempty"`     // board: dots per member
	Hidden    bool   `bson:"hidden,omitempty" json:"hidden,omitempty"`   // board: votes hidden until reveal
	Minutes   int    `bson:"minutes,omitempty" json:"minutes,omitempty"` // board, breakout, timer
	Mode      string `bson:"mode,omitempty" json:"mode,omitempty"`       // breakout
	Size      int    `bson:"size,omitempty" json:"size,omitempty"`       // breakout random: people per group
	Count     int    `bson:"count,omitempty" json:"count,omitempty"`     // breakout choice: groups
	Attribute string `bson:"attribute,omitempty" json:"attribute,omitempty"`
	Text      string `bson:"text,omitempty" json:"text,omitempty"` // announcement
}

// PollID is the room's ID of the step's prepared poll (see the engine's
// newState: prepared polls are prep1, prep2, ...).
func (st Step) PollID() string { return fmt.Sprintf("prep%d", st.Poll) }

func stepError(n int, key string) error {
	return fault.New(fault.Invalid, "runsheet.error."+key, n).OnField("runsheet")
}

func oneOf(v string, list []string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// ValidateRunSheet checks steps against the workshop (its agenda and
// prepared polls), normalises them and clears the fields their kind does
// not use. Errors name the step by its number.
func ValidateRunSheet(w *Workshop, steps []Step) ([]Step, error) {
	if len(steps) > MaxSteps {
		return nil, fault.New(fault.Invalid, "runsheet.error.too_many", MaxSteps).OnField("runsheet")
	}
	out := make([]Step, 0, len(steps))
	for i, st := range steps {
		n := i + 1
		clean := Step{Agenda: st.Agenda, Kind: st.Kind}
		if len(w.Agenda) == 0 {
			clean.Agenda = -1
		} else if st.Agenda < 0 || st.Agenda >= len(w.Agenda) {
			return nil, stepError(n, "agenda")
		}
		switch st.Kind {
		case StepPoll:
			if st.Poll < 1 || st.Poll > len(w.Polls) {
				return nil, stepError(n, "poll")
			}
			clean.Poll = st.Poll
		case StepBoard:
			clean.Prompt = strings.TrimSpace(st.Prompt)
			if clean.Prompt == "" || utf8.RuneCountInString(clean.Prompt) > 300 {
				return nil, stepError(n, "prompt")
			}
			if st.Votes < 0 || st.Votes > 20 {
				return nil, stepError(n, "votes")
			}
			if st.Minutes < 0 || st.Minutes > 240 {
				return nil, stepError(n, "minutes")
			}
			clean.Votes, clean.Hidden, clean.Minutes = st.Votes, st.Hidden, st.Minutes
		case StepBreakout:
			if !oneOf(st.Mode, BreakoutModes) {
				return nil, stepError(n, "mode")
			}
			clean.Mode = st.Mode
			switch st.Mode {
			case "random":
				if st.Size < 2 || st.Size > 50 {
					return nil, stepError(n, "size")
				}
				clean.Size = st.Size
			case "attribute":
				if !oneOf(st.Attribute, BreakoutAttributes) {
					return nil, stepError(n, "attribute")
				}
				clean.Attribute = st.Attribute
			case "choice":
				if st.Count < 2 || st.Count > 100 {
					return nil, stepError(n, "count")
				}
				clean.Count = st.Count
			}
			if st.Minutes < 0 || st.Minutes > 240 {
				return nil, stepError(n, "minutes")
			}
			clean.Minutes = st.Minutes
		case StepTimer:
			if st.Minutes < 1 || st.Minutes > 240 {
				return nil, stepError(n, "minutes")
			}
			clean.Minutes = st.Minutes
		case StepAnnounce:
			clean.Text = strings.TrimSpace(st.Text)
			if clean.Text == "" || utf8.RuneCountInString(clean.Text) > 500 {
				return nil, stepError(n, "text")
			}
		default:
			return nil, stepError(n, "kind")
		}
		out = append(out, clean)
	}
	return out, nil
}

// SetRunSheet validates and stores a workshop's run-sheet.
func (s *Store) SetRunSheet(ctx context.Context, w *Workshop, steps []Step) ([]Step, error) {
	steps, err := ValidateRunSheet(w, steps)
	if err != nil {
		return nil, err
	}
	res, err := s.col(colWorkshops).UpdateOne(ctx, bson.M{"_id": w.ID}, bson.M{"$set": bson.M{"run_sheet": steps, "updated_at": s.now()}})
	if err != nil {
		return nil, fmt.Errorf("workshops: run-sheet: %w", err)
	}
	if res.MatchedCount == 0 {
		return nil, ErrNotFound
	}
	w.RunSheet = steps
	return steps, nil
}
