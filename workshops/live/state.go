package live

import (
	"encoding/json"
	"slices"
	"sort"
	"time"
)

// Person is who did something, as stored with the event (so a later rename
// does not rewrite history) and as shown in presence and the hand queue.
type Person struct {
	ID           string `json:"id" bson:"id"`
	Name         string `json:"name" bson:"name"`
	Organisation string `json:"organisation,omitempty" bson:"organisation,omitempty"`
	Role         string `json:"role" bson:"role"` // RoleFacilitator or RoleParticipant
	// From the member's profile, for breakout groups by attribute.
	Country  string `json:"country,omitempty" bson:"country,omitempty"`
	Language string `json:"language,omitempty" bson:"language,omitempty"`
	// Waiting: in the waiting room, not yet let in (presence only; never
	// stored with an event).
	Waiting bool `json:"waiting,omitempty" bson:"-"`
}

// Roles a person has in a room.
const (
	RoleFacilitator = "facilitator"
	RoleParticipant = "participant"
)

// Event is one stored, state-changing room event. Data holds the command's
// arguments; applying events in seq order rebuilds the room exactly.
type Event struct {
	Room  string          `bson:"room" json:"-"`
	Seq   int64           `bson:"seq" json:"seq"`
	Key   string          `bson:"key" json:"-"` // actor ID + "/" + client idempotency key
	Type  string          `bson:"type" json:"type"`
	Actor Person          `bson:"actor" json:"actor"`
	Data  json.RawMessage `bson:"data" json:"data"`
	At    time.Time       `bson:"at" json:"at"`
}

// RoomInfo is what the engine needs to know about a workshop.
type RoomInfo struct {
	Title      string
	StartsAt   time.Time
	EndsAt     time.Time
	Agenda     []AgendaItem
	VideoURL   string
	Polls      []PollDraft // prepared before the workshop
	EarlyEntry time.Duration
	// WaitingRoom lets participants who come before the room opens wait
	// in it (waiting.go) instead of being turned away; WaitingChat lets
	// them chat there, with each other and the facilitators.
	WaitingRoom bool
	WaitingChat bool
}

// AgendaItem is one step of the workshop.
type AgendaItem struct {
	Title   string `json:"title"`
	Minutes int    `json:"minutes"`
}

// PollDraft is a poll prepared before the workshop.
type PollDraft struct {
	Question  string   `json:"question"`
	Options   []string `json:"options"`
	Multiple  bool     `json:"multiple"`
	Anonymous bool     `json:"anonymous"`
}

// Poll states.
const (
	PollDraftState = "draft"
	PollOpen       = "open"
	PollClosed     = "closed"
)

type poll struct {
	ID        string
	Question  string
	Options   []string
	Multiple  bool
	Anonymous bool
	State     string
	Published bool
	votes     map[string][]int  // member -> choices
	voters    map[string]Person // member -> who (non-anonymous polls only)
	order     []string          // members in first-vote order, for stable voter lists
}

// chatEntry is one chat message as the room sent it.
type chatEntry struct {
	seq   int64
	scope string // its breakout audience ("": everyone)
	frame []byte // the chat frame
}

type hand struct {
	Person Person    `json:"person"`
	At     time.Time `json:"at"`
	Group  string    `json:"group,omitempty"` // the breakout group it was raised in
	scope  string    // its audience (see breakoutState.audience)
}

// Room open states: auto follows the schedule; facilitators may override.
const (
	OpenAuto   = "auto"
	OpenOpen   = "open"
	OpenClosed = "closed"
)

// state is a room's durable state; only the room's goroutine touches it.
type state struct {
	info      RoomInfo
	seq       int64
	open      string
	agenda    int
	timerEnd  time.Time
	announce  string
	announceT time.Time
	muted     bool
	hands     []hand
	removed   map[string]bool
	polls     []*poll

	// now is the room's clock when a tool's check runs (a vote after a
	// board's voting time is refused before it is stored); apply never
	// reads it, it decides from the event's own time.
	now time.Time

	// The facilitation tools' parts, each owned by its tool's file.
	qa        qaState
	boards    boardState
	breakouts breakoutState
	notes     notesState
	// stage is the tool the room's stage shows (stage.go).
	stage string

	// chat is every chat message, in seq order, for the history a member
	// gets on entering (the snapshot's last page, then chat.history pages
	// further back). Each frame is encoded once, when applied.
	chat []chatEntry
	// chatPage is the number of messages in a snapshot or a history page.
	chatPage int

	// handScope is the audience of the hand event just applied, for render.
	handScope string
	// present lists the people in the room now. Only checks use it (a
	// breakout assignment is computed from it and stored); apply never.
	present func() []Person
}

func newState(info RoomInfo) *state {
	s := &state{info: info, open: OpenAuto, removed: map[string]bool{}, chatPage: 50}
	for i, d := range info.Polls {
		s.polls = append(s.polls, &poll{ID: "prep" + itoa(i+1), Question: d.Question, Options: d.Options, Multiple: d.Multiple,
			Anonymous: d.Anonymous, State: PollDraftState, votes: map[string][]int{}, voters: map[string]Person{}})
	}
	return s
}

// isOpen reports whether participants may be in the room at t.
func (s *state) isOpen(t time.Time) bool {
	switch s.open {
	case OpenOpen:
		return true
	case OpenClosed:
		return false
	}
	early := s.info.EarlyEntry
	return !t.Before(s.info.StartsAt.Add(-early)) && t.Before(s.info.EndsAt)
}

// notYetOpen reports whether participants are kept out at t only because
// the room follows its schedule and it has not begun (as opposed to closed
// by a facilitator or over).
func (s *state) notYetOpen(t time.Time) bool {
	return s.open == OpenAuto && t.Before(s.info.StartsAt.Add(-s.info.EarlyEntry))
}

// closedCode is the refusal a participant gets while the room is shut.
func (s *state) closedCode(t time.Time) ErrorCode {
	if s.notYetOpen(t) {
		return ErrNotOpen
	}
	return ErrClosed
}

func (s *state) poll(id string) *poll {
	for _, p := range s.polls {
		if p.ID == id {
			return p
		}
	}
	return nil
}

func (s *state) handIndex(member string) int {
	for i, h := range s.hands {
		if h.Person.ID == member {
			return i
		}
	}
	return -1
}

// Command payloads (the "data" of events; also the client frames' fields).
type (
	chatData struct {
		Text string `json:"text"`
	}
	handData struct {
		Raised bool `json:"raised"`
	}
	memberData struct {
		Member string `json:"member"`
	}
	agendaData struct {
		Item int `json:"item"`
	}
	timerData struct {
		Seconds int `json:"seconds"`
	}
	textData struct {
		Text string `json:"text"`
	}
	muteData struct {
		Muted bool `json:"muted"`
	}
	pollCreateData struct {
		ID        string   `json:"id"` // assigned by the server: "live" + seq
		Question  string   `json:"question"`
		Options   []string `json:"options"`
		Multiple  bool     `json:"multiple"`
		Anonymous bool     `json:"anonymous"`
	}
	pollRef struct {
		Poll string `json:"poll"`
	}
	voteData struct {
		Poll    string `json:"poll"`
		Choices []int  `json:"choices"`
	}
)

// validVote checks choices against a poll: in range, no repeats, one
// choice unless the poll allows several.
func validVote(p *poll, choices []int) bool {
	if len(choices) == 0 || (!p.Multiple && len(choices) > 1) || len(choices) > len(p.Options) {
		return false
	}
	seen := map[int]bool{}
	for _, c := range choices {
		if c < 0 || c >= len(p.Options) || seen[c] {
			return false
		}
		seen[c] = true
	}
	return true
}

// apply changes the state by one event, deterministically: the same events
// in the same order give the same state on every server and after a
// restart. An event that no longer fits (a vote on a poll closed by an
// earlier event) changes nothing and reports false.
func (s *state) apply(ev *Event) bool {
	if ev.Seq > s.seq {
		s.seq = ev.Seq
	}
	s.handScope = ""
	ok := s.applyEvent(ev)
	if ok {
		if st := stageAfter(ev.Type); st != "" {
			s.stage = st
		}
	}
	return ok
}

func (s *state) applyEvent(ev *Event) bool {
	if t := tools[ev.Type]; t != nil {
		return t.apply(s, ev)
	}
	switch ev.Type {
	case "chat":
		var d chatData
		if json.Unmarshal(ev.Data, &d) != nil || d.Text == "" {
			return false // erased (privacy): its seq stays, its message goes
		}
		scope := s.breakouts.audience(ev.Actor)
		out := map[string]any{"type": "chat", "seq": ev.Seq, "at": ev.At.UTC().Format(time.RFC3339Nano), "from": ev.Actor,
			"text": d.Text, "html": RenderLite(d.Text)}
		if scope != "" {
			out["group"] = groupOfScope(scope)
		}
		s.chat = append(s.chat, chatEntry{seq: ev.Seq, scope: scope, frame: mustJSON(out)})
		return true
	case "hand":
		var d handData
		_ = json.Unmarshal(ev.Data, &d)
		i := s.handIndex(ev.Actor.ID)
		switch {
		case d.Raised && i < 0:
			s.handScope = s.breakouts.audience(ev.Actor)
			s.hands = append(s.hands, hand{Person: ev.Actor, At: ev.At, scope: s.handScope, Group: groupOfScope(s.handScope)})
		case !d.Raised && i >= 0:
			s.handScope = s.hands[i].scope
			s.hands = append(s.hands[:i], s.hands[i+1:]...)
		default:
			return false
		}
		return true
	case "hand.clear":
		var d memberData
		_ = json.Unmarshal(ev.Data, &d)
		if i := s.handIndex(d.Member); i >= 0 {
			s.handScope = s.hands[i].scope
			s.hands = append(s.hands[:i], s.hands[i+1:]...)
			return true
		}
		return false
	case "agenda":
		var d agendaData
		_ = json.Unmarshal(ev.Data, &d)
		if d.Item < 0 || d.Item >= len(s.info.Agenda) {
			return false
		}
		s.agenda = d.Item
		return true
	case "timer":
		var d timerData
		_ = json.Unmarshal(ev.Data, &d)
		if d.Seconds <= 0 {
			s.timerEnd = time.Time{}
		} else {
			s.timerEnd = ev.At.Add(time.Duration(d.Seconds) * time.Second)
		}
		return true
	case "announce":
		var d textData
		_ = json.Unmarshal(ev.Data, &d)
		s.announce, s.announceT = d.Text, ev.At
		return true
	case "mute":
		var d muteData
		_ = json.Unmarshal(ev.Data, &d)
		s.muted = d.Muted
		return true
	case "remove":
		var d memberData
		_ = json.Unmarshal(ev.Data, &d)
		s.removed[d.Member] = true
		s.handScope = s.breakouts.audience(Person{ID: d.Member, Role: RoleParticipant})
		if i := s.handIndex(d.Member); i >= 0 {
			s.hands = append(s.hands[:i], s.hands[i+1:]...)
		}
		return true
	case "room.open":
		s.open = OpenOpen
		return true
	case "room.close":
		s.open = OpenClosed
		return true
	case "poll.create":
		var d pollCreateData
		_ = json.Unmarshal(ev.Data, &d)
		d.ID = "live" + itoa64(ev.Seq)
		s.polls = append(s.polls, &poll{ID: d.ID, Question: d.Question, Options: d.Options, Multiple: d.Multiple,
			Anonymous: d.Anonymous, State: PollDraftState, votes: map[string][]int{}, voters: map[string]Person{}})
		return true
	case "poll.open", "poll.close", "poll.publish":
		var d pollRef
		_ = json.Unmarshal(ev.Data, &d)
		p := s.poll(d.Poll)
		if p == nil {
			return false
		}
		switch ev.Type {
		case "poll.open":
			p.State = PollOpen
		case "poll.close":
			p.State = PollClosed
		case "poll.publish":
			p.Published = true
		}
		return true
	case "vote":
		var d voteData
		_ = json.Unmarshal(ev.Data, &d)
		p := s.poll(d.Poll)
		if p == nil || p.State != PollOpen || !validVote(p, d.Choices) {
			return false
		}
		if _, ok := p.votes[ev.Actor.ID]; !ok {
			p.order = append(p.order, ev.Actor.ID)
		}
		c := append([]int(nil), d.Choices...)
		sort.Ints(c)
		p.votes[ev.Actor.ID] = c
		if !p.Anonymous {
			p.voters[ev.Actor.ID] = ev.Actor
		}
		return true
	}
	return false
}

// PollView is a poll as a client sees it. Counts and Voters are present
// only for those allowed to see results; Voters never for anonymous polls.
type PollView struct {
	ID        string     `json:"id"`
	Question  string     `json:"question"`
	Options   []string   `json:"options"`
	Multiple  bool       `json:"multiple"`
	Anonymous bool       `json:"anonymous"`
	State     string     `json:"state"`
	Published bool       `json:"published"`
	Total     int        `json:"total"`
	Counts    []int      `json:"counts,omitempty"`
	Voters    [][]Person `json:"voters,omitempty"`
	Mine      []int      `json:"mine,omitempty"` // only in a person's own snapshot
}

func (p *poll) view(facilitator bool) PollView {
	v := PollView{ID: p.ID, Question: p.Question, Options: p.Options, Multiple: p.Multiple, Anonymous: p.Anonymous,
		State: p.State, Published: p.Published, Total: len(p.votes)}
	if facilitator || p.Published {
		v.Counts = make([]int, len(p.Options))
		if !p.Anonymous {
			v.Voters = make([][]Person, len(p.Options))
		}
		for _, m := range p.order {
			for _, c := range p.votes[m] {
				v.Counts[c]++
				if !p.Anonymous {
					v.Voters[c] = append(v.Voters[c], p.voters[m])
				}
			}
		}
	}
	return v
}

// seesChat reports whether p may read a chat message sent to scope:
// everyone's chat, and during breakouts the audiences p was part of
// (facilitators read every group's).
func (s *state) seesChat(p Person, scope string) bool {
	return scope == "" || p.Role == RoleFacilitator || s.breakouts.saw(p.ID, scope)
}

// chatBefore returns up to s.chatPage of the messages p may read whose seq
// is below before, oldest first, and whether p may read earlier ones.
func (s *state) chatBefore(p Person, before int64) ([]json.RawMessage, bool) {
	i := sort.Search(len(s.chat), func(i int) bool { return s.chat[i].seq >= before })
	out := []json.RawMessage{}
	for i--; i >= 0; i-- {
		if !s.seesChat(p, s.chat[i].scope) {
			continue
		}
		if len(out) == s.chatPage {
			slices.Reverse(out)
			return out, true
		}
		out = append(out, s.chat[i].frame)
	}
	slices.Reverse(out)
	return out, false
}

func itoa(n int) string { return itoa64(int64(n)) }

func itoa64(n int64) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
