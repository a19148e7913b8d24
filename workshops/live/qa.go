package live

import (
	"encoding/json"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of the Q&A.
const (
	MaxAnswer    = 500  // characters of a facilitator's written answer
	MaxQuestions = 1000 // questions in one room
)

// qaState is the room's questions and answers.
type qaState struct {
	list []*question // in the order they were asked
}

type question struct {
	ID        string
	Text      string
	Author    Person // kept for the audit; shown only when not anonymous
	Anonymous bool
	At        time.Time
	Answered  bool
	Answer    string
	Pinned    bool
	Hidden    bool
	voters    map[string]bool
}

func (q *qaState) get(id string) *question {
	for _, x := range q.list {
		if x.ID == id {
			return x
		}
	}
	return nil
}

// Payloads of the Q&A commands.
type (
	askData struct {
		Text      string `json:"text"`
		Anonymous bool   `json:"anonymous"`
	}
	upvoteData struct {
		Question string `json:"question"`
		On       bool   `json:"on"`
	}
	answerData struct {
		Question string `json:"question"`
		Answered bool   `json:"answered"`
		Text     string `json:"text"`
	}
	pinData struct {
		Question string `json:"question"`
		Pinned   bool   `json:"pinned"`
	}
	hideData struct {
		Question string `json:"question"`
		Hidden   bool   `json:"hidden"`
	}
)

// questionView is a question on the wire. Author is absent when the
// question is anonymous, except in the asker's own frames, which also
// carry mine; voted is in the frames of the person it is about only.
type questionView struct {
	ID        string  `json:"id"`
	Text      string  `json:"text,omitempty"`
	Author    *Person `json:"author,omitempty"`
	Anonymous bool    `json:"anonymous"`
	At        string  `json:"at,omitempty"`
	Votes     int     `json:"votes"`
	Answered  bool    `json:"answered"`
	Answer    string  `json:"answer,omitempty"`
	Pinned    bool    `json:"pinned"`
	Hidden    bool    `json:"hidden"`
	Mine      bool    `json:"mine,omitempty"`
	Voted     *bool   `json:"voted,omitempty"`
}

func (x *question) view(viewer Person) questionView {
	v := questionView{ID: x.ID, Text: x.Text, Anonymous: x.Anonymous, At: x.At.UTC().Format(time.RFC3339Nano),
		Votes: len(x.voters), Answered: x.Answered, Answer: x.Answer, Pinned: x.Pinned, Hidden: x.Hidden}
	mine := viewer.ID != "" && viewer.ID == x.Author.ID
	if !x.Anonymous || mine {
		a := x.Author
		v.Author = &a
	}
	v.Mine = mine
	return v
}

// ranked orders questions as everyone sees them: pinned first, then by
// votes, then the oldest first.
func ranked(list []*question) []*question {
	out := append([]*question(nil), list...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Pinned != b.Pinned {
			return a.Pinned
		}
		return len(a.voters) > len(b.voters)
	})
	return out
}

// validRef checks the id of a question, board or note a command names.
func validRef(id string) bool { return id != "" && len(id) <= 64 }

func validText(t string, max int, empty bool) bool {
	return (empty || t != "") && utf8.ValidString(t) && utf8.RuneCountInString(t) <= max
}

func init() {
	qaRender := func(s *state, ev *Event) frames { return s.qa.render(ev) }
	register("question.ask", &tool{
		parse: func(raw []byte) (any, ErrorCode) {
			var d askData
			if json.Unmarshal(raw, &d) != nil {
				return nil, ErrBadFrame
			}
			d.Text = strings.TrimSpace(d.Text)
			if !validText(d.Text, MaxQuestion, false) {
				return nil, ErrInvalid
			}
			return d, ""
		},
		check: func(s *state, p Person, data any) ErrorCode {
			if len(s.qa.list) >= MaxQuestions {
				return ErrInvalid
			}
			return ""
		},
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[askData](ev)
			if !ok || len(s.qa.list) >= MaxQuestions {
				return false
			}
			s.qa.list = append(s.qa.list, &question{ID: "q" + itoa64(ev.Seq), Text: d.Text, Author: ev.Actor,
				Anonymous: d.Anonymous, At: ev.At, voters: map[string]bool{}})
			return true
		},
		render: qaRender,
	})
	register("question.upvote", &tool{
		parse: func(raw []byte) (any, ErrorCode) {
			var d upvoteData
			if json.Unmarshal(raw, &d) != nil {
				return nil, ErrBadFrame
			}
			if !validRef(d.Question) {
				return nil, ErrInvalid
			}
			return d, ""
		},
		check: func(s *state, p Person, data any) ErrorCode {
			d := data.(upvoteData)
			x := s.qa.get(d.Question)
			if x == nil || x.Hidden || x.Author.ID == p.ID || x.voters[p.ID] == d.On {
				return ErrInvalid
			}
			return ""
		},
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[upvoteData](ev)
			x := s.qa.get(d.Question)
			// One vote per member, never on one's own question: the same
			// rule as check, again here because two tabs may both pass it.
			if !ok || x == nil || x.Hidden || x.Author.ID == ev.Actor.ID || x.voters[ev.Actor.ID] == d.On {
				return false
			}
			if d.On {
				x.voters[ev.Actor.ID] = true
			} else {
				delete(x.voters, ev.Actor.ID)
			}
			return true
		},
		render: qaRender,
	})
	register("question.answer", &tool{
		facilitator: true,
		parse: func(raw []byte) (any, ErrorCode) {
			var d answerData
			if json.Unmarshal(raw, &d) != nil {
				return nil, ErrBadFrame
			}
			d.Text = strings.TrimSpace(d.Text)
			if !validRef(d.Question) || !validText(d.Text, MaxAnswer, true) {
				return nil, ErrInvalid
			}
			if !d.Answered {
				d.Text = ""
			}
			return d, ""
		},
		check: questionExists(func(data any) string { return data.(answerData).Question }),
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[answerData](ev)
			x := s.qa.get(d.Question)
			if !ok || x == nil {
				return false
			}
			x.Answered, x.Answer = d.Answered, d.Text
			return true
		},
		render: qaRender,
	})
	register("question.pin", &tool{
		facilitator: true,
		parse: func(raw []byte) (any, ErrorCode) {
			var d pinData
			if json.Unmarshal(raw, &d) != nil {
				return nil, ErrBadFrame
			}
			if !validRef(d.Question) {
				return nil, ErrInvalid
			}
			return d, ""
		},
		check: questionExists(func(data any) string { return data.(pinData).Question }),
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[pinData](ev)
			x := s.qa.get(d.Question)
			if !ok || x == nil {
				return false
			}
			x.Pinned = d.Pinned
			return true
		},
		render: qaRender,
	})
	register("question.hide", &tool{
		facilitator: true,
		parse: func(raw []byte) (any, ErrorCode) {
			var d hideData
			if json.Unmarshal(raw, &d) != nil {
				return nil, ErrBadFrame
			}
			if !validRef(d.Question) {
				return nil, ErrInvalid
			}
			return d, ""
		},
		check: questionExists(func(data any) string { return data.(hideData).Question }),
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[hideData](ev)
			x := s.qa.get(d.Question)
			if !ok || x == nil || x.Hidden == d.Hidden {
				return false
			}
			x.Hidden = d.Hidden
			return true
		},
		render: qaRender,
	})
	snapshotParts = append(snapshotParts, func(s *state, p Person, out map[string]any) {
		out["questions"] = s.qa.views(p)
	})
}

func questionExists(id func(data any) string) func(s *state, p Person, data any) ErrorCode {
	return func(s *state, p Person, data any) ErrorCode {
		if s.qa.get(id(data)) == nil {
			return ErrInvalid
		}
		return ""
	}
}

// views is the Q&A list for one person's snapshot, ranked. Participants
// do not get hidden questions; facilitators get them last.
func (q *qaState) views(p Person) []questionView {
	fac := p.Role == RoleFacilitator
	out := []questionView{}
	var hidden []questionView
	for _, x := range ranked(q.list) {
		v := x.view(p)
		voted := x.voters[p.ID]
		v.Voted = &voted
		switch {
		case !x.Hidden:
			out = append(out, v)
		case fac:
			hidden = append(hidden, v)
		}
	}
	return append(out, hidden...)
}

// render sends every Q&A change as the changed question: a client keeps
// the list and ranks it. The asker's own frames name them even for an
// anonymous question; a voter's own frames say whether they voted. A
// hidden question reaches participants once, as {id, hidden}, so they
// drop it; later changes to it reach them as a noop.
func (q *qaState) render(ev *Event) frames {
	var id string
	if ev.Type == "question.ask" {
		id = "q" + itoa64(ev.Seq)
	} else {
		var ref struct {
			Question string `json:"question"`
		}
		_ = json.Unmarshal(ev.Data, &ref)
		id = ref.Question
	}
	x := q.get(id)
	if x == nil {
		return noopFrame(ev.Seq)
	}
	frame := func(v questionView) []byte {
		return mustJSON(map[string]any{"type": "question", "change": ev.Type, "seq": ev.Seq,
			"at": ev.At.UTC().Format(time.RFC3339Nano), "question": v})
	}
	fac := frame(x.view(Person{}))
	var all []byte
	switch {
	case !x.Hidden:
		all = fac
	case ev.Type == "question.hide":
		all = frame(questionView{ID: x.ID, Hidden: true})
	default:
		all = noopFrame(ev.Seq).all
	}
	f := frames{seq: ev.Seq, all: all, fac: fac}
	switch ev.Type {
	case "question.ask", "question.upvote":
		if x.Hidden && ev.Actor.Role != RoleFacilitator {
			break
		}
		v := x.view(ev.Actor)
		voted := x.voters[ev.Actor.ID]
		v.Voted = &voted
		f.actor, f.own = ev.Actor.ID, frame(v)
	}
	return f
}

// outcome lists the questions that were not hidden, ranked, without the
// authors of anonymous ones.
func (q *qaState) outcome(o *Outcome) {
	for _, x := range ranked(q.list) {
		if x.Hidden {
			continue
		}
		v := QuestionView{ID: x.ID, Text: x.Text, Votes: len(x.voters), Answered: x.Answered, Answer: x.Answer, Pinned: x.Pinned}
		if !x.Anonymous {
			a := x.Author
			v.Author = &a
		}
		o.Questions = append(o.Questions, v)
	}
	if o.Questions == nil {
		o.Questions = []QuestionView{}
	}
}
