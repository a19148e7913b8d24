package server

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/workshops"
)

// runRow is one step of the run-sheet form, as typed.
type runRow struct {
	N                                                                   int
	Agenda, Kind, Poll, Prompt, Votes, Minutes, Mode, Size, Count, Attr string
	Text                                                                string
	Hidden                                                              bool
}

type runSheetPageData struct {
	W       *workshops.Workshop
	Rows    []runRow
	Kinds   []string
	Modes   []string
	Attrs   []string
	Polls   []string // prepared poll questions, numbered from 1 in the form
	Error   string
	Field   string
	Invalid int // the step the error is about, 0 for none
}

func rowOf(n int, st workshops.Step) runRow {
	num := func(v int) string {
		if v == 0 {
			return ""
		}
		return strconv.Itoa(v)
	}
	return runRow{N: n, Agenda: strconv.Itoa(st.Agenda + 1), Kind: st.Kind, Poll: num(st.Poll), Prompt: st.Prompt, Votes: num(st.Votes),
		Minutes: num(st.Minutes), Mode: st.Mode, Size: num(st.Size), Count: num(st.Count), Attr: st.Attribute, Text: st.Text, Hidden: st.Hidden}
}

func (s *Server) renderRunSheet(c *fiber.Ctx, status int, w *workshops.Workshop, rows []runRow, ferr error) error {
	d := runSheetPageData{W: w, Rows: rows, Kinds: workshops.StepKinds, Modes: workshops.BreakoutModes, Attrs: workshops.BreakoutAttributes}
	for _, p := range w.Polls {
		d.Polls = append(d.Polls, p.Question)
	}
	if fe, ok := fault.As(ferr); ok {
		d.Error, d.Field = s.T(c, fe.Key, fe.Args...), fe.Field
		if len(fe.Args) == 1 {
			d.Invalid, _ = fe.Args[0].(int)
		}
	}
	return s.render(c, status, "workshop_runsheet", s.newPage(c, s.T(c, "runsheet.title", w.Title), "workshops", d))
}

// blankRows are offered after the prepared steps for new ones.
const blankRows = 3

// showRunSheet is GET /workshops/:id/runsheet for facilitators.
func (s *Server) showRunSheet(c *fiber.Ctx) error {
	w, err := s.facilitatedWorkshop(c)
	if err != nil {
		return err
	}
	var rows []runRow
	for i, st := range w.RunSheet {
		rows = append(rows, rowOf(i+1, st))
	}
	for len(rows) < len(w.RunSheet)+blankRows && len(rows) < workshops.MaxSteps {
		rows = append(rows, runRow{N: len(rows) + 1, Agenda: "1"})
	}
	return s.renderRunSheet(c, fiber.StatusOK, w, rows, nil)
}

// saveRunSheet is POST /workshops/:id/runsheet: rows whose kind is empty
// are dropped; an invalid step brings the form back as typed, with the
// step's number in the message.
func (s *Server) saveRunSheet(c *fiber.Ctx) error {
	w, err := s.facilitatedWorkshop(c)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(formValue(c, "rows"))
	if n < 0 || n > workshops.MaxSteps {
		return fault.New(fault.Invalid, "runsheet.error.too_many", workshops.MaxSteps).OnField("runsheet")
	}
	var rows []runRow
	var steps []workshops.Step
	atoi := func(v string) int { i, _ := strconv.Atoi(strings.TrimSpace(v)); return i }
	for i := 1; i <= n; i++ {
		f := func(name string) string { return formValue(c, "step-"+strconv.Itoa(i)+"-"+name) }
		r := runRow{Agenda: f("agenda"), Kind: f("kind"), Poll: f("poll"), Prompt: f("prompt"), Votes: f("votes"), Minutes: f("minutes"),
			Mode: f("mode"), Size: f("size"), Count: f("count"), Attr: f("attribute"), Text: f("text"), Hidden: f("hidden") == "1"}
		if r.Kind == "" {
			continue
		}
		r.N = len(rows) + 1
		rows = append(rows, r)
		steps = append(steps, workshops.Step{Agenda: atoi(r.Agenda) - 1, Kind: r.Kind, Poll: atoi(r.Poll), Prompt: r.Prompt, Votes: atoi(r.Votes),
			Hidden: r.Hidden, Minutes: atoi(r.Minutes), Mode: r.Mode, Size: atoi(r.Size), Count: atoi(r.Count), Attribute: r.Attr, Text: r.Text})
	}
	if _, err := s.workshops.SetRunSheet(c.UserContext(), w, steps); err != nil {
		if fe, ok := fault.As(err); ok && fe.Kind == fault.Invalid {
			for len(rows) < workshops.MaxSteps && len(rows) < len(steps)+blankRows {
				rows = append(rows, runRow{N: len(rows) + 1, Agenda: "1"})
			}
			return s.renderRunSheet(c, fiber.StatusUnprocessableEntity, w, rows, fe)
		}
		return err
	}
	return s.redirectWithFlash(c, "/workshops/"+w.ID+"/runsheet", "flash.runsheet_saved")
}

// runStep is a run-sheet step as the room shows it: what it does in words
// and the command frame its button sends.
type runStep struct {
	N      int
	Agenda int // -1: no agenda move
	Label  string
	Frame  string // JSON of the client frame
}

// runSteps describes a workshop's run-sheet for the room.
func (s *Server) runSteps(c *fiber.Ctx, w *workshops.Workshop) []runStep {
	var out []runStep
	for i, st := range w.RunSheet {
		var frame map[string]any
		var label string
		switch st.Kind {
		case workshops.StepPoll:
			q := ""
			if st.Poll >= 1 && st.Poll <= len(w.Polls) {
				q = w.Polls[st.Poll-1].Question
			}
			frame = map[string]any{"type": "poll.open", "poll": st.PollID()}
			label = s.T(c, "runsheet.step.poll", q)
		case workshops.StepBoard:
			frame = map[string]any{"type": "board.open", "prompt": st.Prompt, "votes": st.Votes, "hidden": st.Hidden, "seconds": st.Minutes * 60}
			label = s.T(c, "runsheet.step.board", st.Prompt, st.Votes)
		case workshops.StepBreakout:
			frame = map[string]any{"type": "breakout.start", "mode": st.Mode, "seconds": st.Minutes * 60}
			switch st.Mode {
			case "random":
				frame["size"] = st.Size
			case "attribute":
				frame["attribute"] = st.Attribute
			case "choice":
				frame["count"] = st.Count
			}
			label = s.T(c, "runsheet.step.breakout", s.T(c, "runsheet.mode."+st.Mode), st.Minutes)
		case workshops.StepTimer:
			frame = map[string]any{"type": "timer", "seconds": st.Minutes * 60}
			label = s.T(c, "runsheet.step.timer", st.Minutes)
		case workshops.StepAnnounce:
			frame = map[string]any{"type": "announce", "text": st.Text}
			label = s.T(c, "runsheet.step.announce", st.Text)
		default:
			continue
		}
		b, _ := json.Marshal(frame)
		out = append(out, runStep{N: i + 1, Agenda: st.Agenda, Label: label, Frame: string(b)})
	}
	return out
}
