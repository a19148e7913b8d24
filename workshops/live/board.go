package live

import (
	"encoding/json"
	"sort"
	"strings"
	"time"
)

// Limits of the boards.
const (
	MaxNote       = 280 // characters of a sticky note
	MaxPrompt     = 300 // characters of a board's prompt
	MaxCluster    = 60  // characters of a cluster's name
	MaxDots       = 20  // dots per member a board may give
	MaxBoards     = 50  // boards in one room
	MaxBoardNotes = 1000
)

// NoteColours is the palette of sticky notes. Clients show a colour's name
// with it: colour alone carries no meaning.
var NoteColours = []string{"yellow", "blue", "green", "pink", "orange"}

// Error codes of the boards.
const (
	ErrNoDots       ErrorCode = "no_dots_left"  // a dot beyond the board's dots per member
	ErrVotingClosed ErrorCode = "voting_closed" // the board's voting time is over, or it is closed
	ErrBoardClosed  ErrorCode = "board_closed"  // the board is read-only
)

// boardState is the room's boards of sticky notes with dot voting.
type boardState struct {
	list []*board // in the order they were opened
}

type board struct {
	ID       string
	Prompt   string
	Dots     int // per member; 0: no voting
	Hidden   bool
	Revealed bool
	Closed   bool
	Ends     time.Time // end of voting; zero: untimed
	notes    []*note   // in the order they were added
	dots     map[string]map[string]int
}

// note is one sticky note. Its owner is kept to allow edits; the wire
// shows to each person only whether a note is their own.
type note struct {
	ID      string
	Text    string
	Colour  string
	Cluster string
	Owner   string
	votes   int
}

func (b *boardState) get(id string) *board {
	for _, x := range b.list {
		if x.ID == id {
			return x
		}
	}
	return nil
}

func (b *board) note(id string) (int, *note) {
	for i, n := range b.notes {
		if n.ID == id {
			return i, n
		}
	}
	return -1, nil
}

// used is how many dots a member has placed on the board.
func (b *board) used(member string) int {
	n := 0
	for _, c := range b.dots[member] {
		n += c
	}
	return n
}

// votingAt reports whether dots may be placed or taken back at t.
func (b *board) votingAt(t time.Time) bool {
	return b.Dots > 0 && !b.Closed && (b.Ends.IsZero() || t.Before(b.Ends))
}

// countsFor reports whether a person sees the notes' votes: facilitators
// always; participants unless the votes are hidden and not yet revealed.
func (b *board) countsFor(facilitator bool) bool {
	return facilitator || !b.Hidden || b.Revealed
}

// Payloads of the board commands.
type (
	boardOpenData struct {
		Prompt  string `json:"prompt"`
		Votes   int    `json:"votes"`
		Hidden  bool   `json:"hidden"`
		Seconds int    `json:"seconds"`
	}
	boardNoteData struct {
		Board  string `json:"board"`
		Note   string `json:"note,omitempty"` // edits only
		Text   string `json:"text"`
		Colour string `json:"colour"`
	}
	boardNoteRef struct {
		Board string `json:"board"`
		Note  string `json:"note"`
	}
	boardVoteData struct {
		Board string `json:"board"`
		Note  string `json:"note"`
		On    bool   `json:"on"`
	}
	boardClusterData struct {
		Board   string `json:"board"`
		Note    string `json:"note"`
		Cluster string `json:"cluster"`
	}
	boardRef struct {
		Board string `json:"board"`
	}
)

// Wire views. Votes is absent where the person may not see counts; Mine,
// Dots and Left are the person's own and only in their own frames.
type (
	boardView struct {
		ID       string     `json:"id"`
		Prompt   string     `json:"prompt"`
		Dots     int        `json:"dots"` // per member
		Hidden   bool       `json:"hidden"`
		Revealed bool       `json:"revealed"`
		Closed   bool       `json:"closed"`
		EndsAt   any        `json:"ends_at"`
		Notes    []noteView `json:"notes"`
		Left     *int       `json:"left,omitempty"`
	}
	noteView struct {
		ID      string `json:"id"`
		Text    string `json:"text"`
		Colour  string `json:"colour"`
		Cluster string `json:"cluster"`
		Votes   *int   `json:"votes,omitempty"`
		Mine    bool   `json:"mine,omitempty"`
		Dots    *int   `json:"dots,omitempty"`
	}
)

func (b *board) noteView(n *note, counts bool) noteView {
	v := noteView{ID: n.ID, Text: n.Text, Colour: n.Colour, Cluster: n.Cluster}
	if counts {
		c := n.votes
		v.Votes = &c
	}
	return v
}

// personal adds what only p sees of a note: whether it is theirs and
// their dots on it.
func (b *board) personal(v *noteView, n *note, p Person) {
	v.Mine = n.Owner == p.ID
	if b.Dots > 0 {
		d := b.dots[p.ID][n.ID]
		v.Dots = &d
	}
}

// view is the whole board for p; personal adds p's own marks.
func (b *board) view(p Person, personal bool) boardView {
	counts := b.countsFor(p.Role == RoleFacilitator)
	v := boardView{ID: b.ID, Prompt: b.Prompt, Dots: b.Dots, Hidden: b.Hidden, Revealed: b.Revealed, Closed: b.Closed,
		EndsAt: timeOrNil(b.Ends), Notes: make([]noteView, 0, len(b.notes))}
	for _, n := range b.notes {
		nv := b.noteView(n, counts)
		if personal {
			b.personal(&nv, n, p)
		}
		v.Notes = append(v.Notes, nv)
	}
	if personal && b.Dots > 0 {
		left := b.Dots - b.used(p.ID)
		v.Left = &left
	}
	return v
}

func parseJSON[T any](raw []byte, valid func(*T) bool) (any, ErrorCode) {
	var d T
	if json.Unmarshal(raw, &d) != nil {
		return nil, ErrBadFrame
	}
	if !valid(&d) {
		return nil, ErrInvalid
	}
	return d, ""
}

func validColour(c string) bool {
	if c == "" {
		return true
	}
	for _, x := range NoteColours {
		if x == c {
			return true
		}
	}
	return false
}

func validNote(d *boardNoteData) bool {
	d.Text = strings.TrimSpace(d.Text)
	return validRef(d.Board) && validText(d.Text, MaxNote, false) && validColour(d.Colour)
}

// boardFor finds the board a payload names; a closed board refuses
// changes with board_closed.
func (s *state) boardFor(id string, changing bool) (*board, ErrorCode) {
	b := s.boards.get(id)
	switch {
	case b == nil:
		return nil, ErrInvalid
	case changing && b.Closed:
		return nil, ErrBoardClosed
	}
	return b, ""
}

// noteRights is the rule for editing and deleting a note: its owner may;
// a facilitator may delete any note.
func noteRights(b *board, noteID string, p Person, deleting bool) ErrorCode {
	_, n := b.note(noteID)
	switch {
	case n == nil:
		return ErrInvalid
	case n.Owner == p.ID, deleting && p.Role == RoleFacilitator:
		return ""
	}
	return ErrForbidden
}

// voteRule is the rule for a dot, at time t: voting must be open, the
// note there, a new dot within the member's dots, a dot taken back one
// the member placed on that note.
func voteRule(b *board, d boardVoteData, member string, t time.Time) ErrorCode {
	_, n := b.note(d.Note)
	switch {
	case b.Dots == 0 || n == nil:
		return ErrInvalid
	case !b.votingAt(t):
		return ErrVotingClosed
	case d.On && b.used(member) >= b.Dots:
		return ErrNoDots
	case !d.On && b.dots[member][d.Note] == 0:
		return ErrInvalid
	}
	return ""
}

func init() {
	render := func(s *state, ev *Event) frames { return s.boards.render(ev) }
	register("board.open", &tool{
		facilitator: true,
		parse: func(raw []byte) (any, ErrorCode) {
			return parseJSON(raw, func(d *boardOpenData) bool {
				d.Prompt = strings.TrimSpace(d.Prompt)
				if d.Votes == 0 {
					d.Hidden, d.Seconds = false, 0
				}
				return validText(d.Prompt, MaxPrompt, false) && d.Votes >= 0 && d.Votes <= MaxDots &&
					d.Seconds >= 0 && d.Seconds <= MaxTimerSecs
			})
		},
		check: func(s *state, p Person, data any) ErrorCode {
			if len(s.boards.list) >= MaxBoards {
				return ErrInvalid
			}
			return ""
		},
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[boardOpenData](ev)
			if !ok || len(s.boards.list) >= MaxBoards {
				return false
			}
			b := &board{ID: "board" + itoa64(ev.Seq), Prompt: d.Prompt, Dots: d.Votes, Hidden: d.Hidden,
				dots: map[string]map[string]int{}}
			if d.Seconds > 0 {
				b.Ends = ev.At.Add(time.Duration(d.Seconds) * time.Second)
			}
			s.boards.list = append(s.boards.list, b)
			return true
		},
		render: render,
	})
	register("board.note", &tool{
		parse: func(raw []byte) (any, ErrorCode) {
			return parseJSON(raw, func(d *boardNoteData) bool { d.Note = ""; return validNote(d) })
		},
		check: func(s *state, p Person, data any) ErrorCode {
			b, code := s.boardFor(data.(boardNoteData).Board, true)
			if code == "" && len(b.notes) >= MaxBoardNotes {
				code = ErrInvalid
			}
			return code
		},
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[boardNoteData](ev)
			b, code := s.boardFor(d.Board, true)
			if !ok || code != "" || len(b.notes) >= MaxBoardNotes {
				return false
			}
			// Each note is its own event with its own id: notes added at
			// the same moment by many members never overwrite each other.
			b.notes = append(b.notes, &note{ID: "n" + itoa64(ev.Seq), Text: d.Text, Colour: d.Colour, Owner: ev.Actor.ID})
			return true
		},
		render: render,
	})
	register("board.note.edit", &tool{
		parse: func(raw []byte) (any, ErrorCode) {
			return parseJSON(raw, func(d *boardNoteData) bool { return validRef(d.Note) && validNote(d) })
		},
		check: func(s *state, p Person, data any) ErrorCode {
			d := data.(boardNoteData)
			b, code := s.boardFor(d.Board, true)
			if code != "" {
				return code
			}
			return noteRights(b, d.Note, p, false)
		},
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[boardNoteData](ev)
			b, code := s.boardFor(d.Board, true)
			if !ok || code != "" || noteRights(b, d.Note, ev.Actor, false) != "" {
				return false
			}
			_, n := b.note(d.Note)
			n.Text, n.Colour = d.Text, d.Colour
			return true
		},
		render: render,
	})
	register("board.note.delete", &tool{
		parse: func(raw []byte) (any, ErrorCode) {
			return parseJSON(raw, func(d *boardNoteRef) bool { return validRef(d.Board) && validRef(d.Note) })
		},
		check: func(s *state, p Person, data any) ErrorCode {
			d := data.(boardNoteRef)
			b, code := s.boardFor(d.Board, true)
			if code != "" {
				return code
			}
			return noteRights(b, d.Note, p, true)
		},
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[boardNoteRef](ev)
			b, code := s.boardFor(d.Board, true)
			if !ok || code != "" || noteRights(b, d.Note, ev.Actor, true) != "" {
				return false
			}
			i, _ := b.note(d.Note)
			b.notes = append(b.notes[:i], b.notes[i+1:]...)
			for _, mine := range b.dots { // the dots on it go back to their members
				delete(mine, d.Note)
			}
			return true
		},
		render: render,
	})
	register("board.vote", &tool{
		parse: func(raw []byte) (any, ErrorCode) {
			return parseJSON(raw, func(d *boardVoteData) bool { return validRef(d.Board) && validRef(d.Note) })
		},
		check: func(s *state, p Person, data any) ErrorCode {
			d := data.(boardVoteData)
			b := s.boards.get(d.Board)
			if b == nil {
				return ErrInvalid
			}
			return voteRule(b, d, p.ID, s.now)
		},
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[boardVoteData](ev)
			b := s.boards.get(d.Board)
			// The limit and the time are decided again here, from the
			// event: a burst of dots may pass check together, and every
			// server must agree on the last dot in time.
			if !ok || b == nil || voteRule(b, d, ev.Actor.ID, ev.At) != "" {
				return false
			}
			_, n := b.note(d.Note)
			mine := b.dots[ev.Actor.ID]
			if mine == nil {
				mine = map[string]int{}
				b.dots[ev.Actor.ID] = mine
			}
			if d.On {
				mine[d.Note]++
				n.votes++
			} else {
				mine[d.Note]--
				n.votes--
				if mine[d.Note] == 0 {
					delete(mine, d.Note)
				}
			}
			return true
		},
		render: render,
	})
	register("board.cluster", &tool{
		facilitator: true,
		parse: func(raw []byte) (any, ErrorCode) {
			return parseJSON(raw, func(d *boardClusterData) bool {
				d.Cluster = strings.TrimSpace(d.Cluster)
				return validRef(d.Board) && validRef(d.Note) && validText(d.Cluster, MaxCluster, true)
			})
		},
		check: func(s *state, p Person, data any) ErrorCode {
			d := data.(boardClusterData)
			b, code := s.boardFor(d.Board, true)
			if code == "" {
				if _, n := b.note(d.Note); n == nil {
					code = ErrInvalid
				}
			}
			return code
		},
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[boardClusterData](ev)
			b, code := s.boardFor(d.Board, true)
			if !ok || code != "" {
				return false
			}
			_, n := b.note(d.Note)
			if n == nil || n.Cluster == d.Cluster {
				return false
			}
			n.Cluster = d.Cluster
			return true
		},
		render: render,
	})
	register("board.reveal", &tool{
		facilitator: true,
		parse: func(raw []byte) (any, ErrorCode) {
			return parseJSON(raw, func(d *boardRef) bool { return validRef(d.Board) })
		},
		check: func(s *state, p Person, data any) ErrorCode {
			b := s.boards.get(data.(boardRef).Board)
			if b == nil || !b.Hidden || b.Revealed {
				return ErrInvalid
			}
			return ""
		},
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[boardRef](ev)
			b := s.boards.get(d.Board)
			if !ok || b == nil || !b.Hidden || b.Revealed {
				return false
			}
			b.Revealed = true
			return true
		},
		render: render,
	})
	register("board.close", &tool{
		facilitator: true,
		parse: func(raw []byte) (any, ErrorCode) {
			return parseJSON(raw, func(d *boardRef) bool { return validRef(d.Board) })
		},
		check: func(s *state, p Person, data any) ErrorCode {
			_, code := s.boardFor(data.(boardRef).Board, true)
			return code
		},
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[boardRef](ev)
			b, code := s.boardFor(d.Board, true)
			if !ok || code != "" {
				return false
			}
			b.Closed = true
			return true
		},
		render: render,
	})
	snapshotParts = append(snapshotParts, func(s *state, p Person, out map[string]any) {
		views := make([]boardView, 0, len(s.boards.list))
		for _, b := range s.boards.list {
			views = append(views, b.view(p, true))
		}
		out["boards"] = views
	})
}

// render sends a board change as a "board" frame: the whole board when
// it opens, reveals or closes; otherwise the one note that changed. Dots
// placed while votes are hidden reach participants as a noop, except the
// voter, whose own frame carries their dots on the note and dots left.
func (bs *boardState) render(ev *Event) frames {
	var ref struct {
		Board string `json:"board"`
		Note  string `json:"note"`
	}
	_ = json.Unmarshal(ev.Data, &ref)
	if ev.Type == "board.open" {
		ref.Board = "board" + itoa64(ev.Seq)
	}
	b := bs.get(ref.Board)
	if b == nil {
		return noopFrame(ev.Seq)
	}
	base := func() map[string]any {
		return map[string]any{"type": "board", "change": ev.Type, "seq": ev.Seq, "at": ev.At.UTC().Format(time.RFC3339Nano), "board": b.ID}
	}
	fac, part := Person{Role: RoleFacilitator}, Person{Role: RoleParticipant}
	switch ev.Type {
	case "board.open", "board.reveal", "board.close":
		frame := func(p Person) []byte { m := base(); m["view"] = b.view(p, false); return mustJSON(m) }
		return frames{seq: ev.Seq, fac: frame(fac), all: frame(part)}
	case "board.note.delete":
		m := base()
		m["note"] = map[string]any{"id": ref.Note}
		m["deleted"] = true
		all := mustJSON(m)
		return frames{seq: ev.Seq, all: all, fac: all}
	}
	if ev.Type == "board.note" {
		ref.Note = "n" + itoa64(ev.Seq)
	}
	_, n := b.note(ref.Note)
	if n == nil {
		return noopFrame(ev.Seq)
	}
	frame := func(v noteView, left *int) []byte {
		m := base()
		m["note"] = v
		if left != nil {
			m["left"] = *left
		}
		return mustJSON(m)
	}
	f := frames{seq: ev.Seq, fac: frame(b.noteView(n, true), nil)}
	switch {
	case b.countsFor(false):
		f.all = frame(b.noteView(n, true), nil)
	case ev.Type == "board.vote":
		f.all = noopFrame(ev.Seq).all
	default:
		f.all = frame(b.noteView(n, false), nil)
	}
	switch ev.Type {
	case "board.note", "board.note.edit", "board.vote":
		v := b.noteView(n, b.countsFor(ev.Actor.Role == RoleFacilitator))
		b.personal(&v, n, ev.Actor)
		var left *int
		if b.Dots > 0 {
			l := b.Dots - b.used(ev.Actor.ID)
			left = &l
		}
		f.actor, f.own = ev.Actor.ID, frame(v, left)
	}
	return f
}

// outcome gives each board its clusters, the one with the most votes
// first and the unclustered notes last, and in each cluster its notes,
// most votes first. Votes are included whether or not they were revealed.
func (bs *boardState) outcome(o *Outcome) {
	for _, b := range bs.list {
		bv := BoardView{ID: b.ID, Prompt: b.Prompt, Revealed: b.Revealed || !b.Hidden, Clusters: []ClusterView{}}
		index := map[string]int{}
		for _, n := range b.notes {
			i, ok := index[n.Cluster]
			if !ok {
				i = len(bv.Clusters)
				index[n.Cluster] = i
				bv.Clusters = append(bv.Clusters, ClusterView{Name: n.Cluster})
			}
			c := &bv.Clusters[i]
			c.Notes = append(c.Notes, BoardNoteView{ID: n.ID, Text: n.Text, Colour: n.Colour, Votes: n.votes})
			c.Votes += n.votes
		}
		for i := range bv.Clusters {
			ns := bv.Clusters[i].Notes
			sort.SliceStable(ns, func(a, b int) bool { return ns[a].Votes > ns[b].Votes })
		}
		sort.SliceStable(bv.Clusters, func(i, j int) bool {
			a, b := bv.Clusters[i], bv.Clusters[j]
			if (a.Name == "") != (b.Name == "") {
				return b.Name == ""
			}
			return a.Votes > b.Votes
		})
		o.Boards = append(o.Boards, bv)
	}
	if o.Boards == nil {
		o.Boards = []BoardView{}
	}
}
