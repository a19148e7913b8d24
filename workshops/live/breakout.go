package live

import (
	"encoding/json"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Breakout groups split the room without a second room: every event keeps
// the room's one seq, and group events (chat, hands, group notes) carry the
// group as their audience (frames.group), so only that group's members and
// the facilitators receive them, live and in replay.
//
// A round starts with breakout.start. The assignment is computed at check
// time from the people present and stored in the event, so applying it is
// deterministic. People who join later stay in the main room until a
// facilitator moves them or, in choice mode, they pick a group. A round's
// audiences are named round/group (round = the seq of its start), so a
// second round's g1 never sees the first round's g1. breakout.end brings
// everyone back; the last round's assignment stays as it was, so members
// can still read (not edit) their group's notes and a reconnecting member
// still gets the group's events in replay.
const (
	MaxGroups    = 200
	MaxGroupName = 60
)

type group struct {
	ID   string `json:"id"`
	Name string `json:"name"` // given by the facilitator; "" for none
	// By attribute: the attribute ("country", "language") and the
	// members' value ("NL", "fr"; "" for not given) the group gathers,
	// which pages and the outcome name in their own language ("Netherlands",
	// "French speakers"), never as a code.
	Attr    string   `json:"attr,omitempty"`
	Key     string   `json:"key,omitempty"`
	Members []Person `json:"members"` // when the round started; moves and picks are in breakoutState.of
}

type breakoutRound struct {
	Round  int64
	Groups []group
	Of     map[string]string
}

// breakoutState is the room's breakout groups.
type breakoutState struct {
	running bool
	round   int64 // seq of the current or last breakout.start; 0: never
	mode    string
	groups  []group
	of      map[string]string // member -> group id in this round ("" or missing: main room)
	people  map[string]Person // everyone ever assigned this round, for names
	endsAt  time.Time
	visit   map[string]string // facilitator -> group visited
	message string            // last broadcast to all groups
	msgAt   time.Time
	past    []breakoutRound // finished rounds, for the outcome
	// was lists, per participant, the audiences they were moved or picked
	// into or out of, in every round: their chat history holds those
	// audiences' messages, never another group's.
	was map[string]map[string]bool
}

type breakoutStartData struct {
	Mode      string   `json:"mode"`
	Size      int      `json:"size,omitempty"`
	Count     int      `json:"count,omitempty"`
	Attribute string   `json:"attribute,omitempty"`
	Names     []string `json:"names,omitempty"`
	Seconds   int      `json:"seconds,omitempty"`
	Groups    []group  `json:"groups"` // filled by check from the people present
}

type breakoutMoveData struct {
	Member string `json:"member"`
	Group  string `json:"group"`
	Person Person `json:"person"` // filled by check
}

type breakoutRenameData struct {
	Group string `json:"group"`
	Name  string `json:"name"`
}

type groupRef struct {
	Group string `json:"group"`
}

func (b *breakoutState) group(id string) *group {
	for i := range b.groups {
		if b.groups[i].ID == id {
			return &b.groups[i]
		}
	}
	return nil
}

// scope is the audience name of a group (or, with "", of the main room)
// in the current round.
func (b *breakoutState) scope(id string) string {
	return itoa64(b.round) + "/" + id
}

// audience is where a person's chat and hand go now: "" (everyone) when no
// round runs; otherwise their group, the group a facilitator visits, or
// the main room.
func (b *breakoutState) audience(p Person) string {
	if !b.running {
		return ""
	}
	if p.Role == RoleFacilitator {
		return b.scope(b.visit[p.ID])
	}
	return b.scope(b.of[p.ID])
}

// receives reports whether a participant gets a frame for audience scope.
// After a round ends the assignment stays, so group events still reach the
// group's members in a replay.
//
// It runs for every client and every group frame, so it compares scope
// with round + "/" + group in place rather than building that string.
func (b *breakoutState) receives(member, scope string) bool {
	if scope == "" {
		return true
	}
	if b.round <= 0 {
		return false
	}
	var buf [20]byte
	round := strconv.AppendInt(buf[:0], b.round, 10)
	g := b.of[member]
	n := len(round)
	return len(scope) == n+1+len(g) && scope[:n] == string(round) && scope[n] == '/' && scope[n+1:] == g
}

// saw reports whether a participant was part of audience scope (round/group):
// their group or the main room as the round left them, or one they moved
// through.
func (b *breakoutState) saw(member, scope string) bool {
	if b.was[member][scope] {
		return true
	}
	round, _, _ := strings.Cut(scope, "/")
	if round == itoa64(b.round) {
		return scope == b.scope(b.of[member])
	}
	for _, r := range b.past {
		if itoa64(r.Round) == round {
			return scope == round+"/"+r.Of[member]
		}
	}
	return false
}

// move takes a participant from their audience to a group ("": the main
// room) while a round runs; both audiences stay in their chat history.
func (b *breakoutState) move(p Person, id string) {
	b.mark(p.ID, b.scope(b.of[p.ID]))
	b.assign(p, id)
	b.mark(p.ID, b.scope(id))
}

func (b *breakoutState) mark(member, scope string) {
	if b.was == nil {
		b.was = map[string]map[string]bool{}
	}
	if b.was[member] == nil {
		b.was[member] = map[string]bool{}
	}
	b.was[member][scope] = true
}

func groupID(i int) string { return "g" + itoa(i+1) }

func (b *breakoutState) assign(p Person, id string) {
	if b.of == nil {
		b.of = map[string]string{}
	}
	if b.people == nil {
		b.people = map[string]Person{}
	}
	if id == "" {
		delete(b.of, p.ID)
	} else {
		b.of[p.ID] = id
	}
	b.people[p.ID] = p
}

// makeGroups computes a round's groups from the participants present.
func makeGroups(d *breakoutStartData, present []Person) {
	var ps []Person
	for _, p := range present {
		if p.Role != RoleFacilitator {
			ps = append(ps, p)
		}
	}
	var gs []group
	switch d.Mode {
	case "random":
		n := max(1, (len(ps)+d.Size-1)/d.Size)
		gs = make([]group, n)
		rand.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		for i, p := range ps { // round robin: sizes differ by one at most
			gs[i%n].Members = append(gs[i%n].Members, p)
		}
	case "attribute":
		idx := map[string]int{}
		var keys []string
		for _, p := range ps {
			v := p.Country
			if d.Attribute == "language" {
				v = p.Language
			}
			if _, ok := idx[v]; !ok {
				idx[v] = len(keys)
				keys = append(keys, v)
			}
		}
		sort.Strings(keys) // "" (not given) first
		for i, k := range keys {
			idx[k] = i
		}
		gs = make([]group, len(keys))
		for i, k := range keys {
			gs[i].Attr, gs[i].Key = d.Attribute, k
		}
		for _, p := range ps {
			v := p.Country
			if d.Attribute == "language" {
				v = p.Language
			}
			gs[idx[v]].Members = append(gs[idx[v]].Members, p)
		}
		if len(gs) == 0 {
			gs = make([]group, 1)
		}
	default: // manual and choice: empty groups, filled by moves and picks
		gs = make([]group, d.Count)
	}
	for i := range gs {
		gs[i].ID = groupID(i)
		if i < len(d.Names) && d.Names[i] != "" {
			gs[i].Name = d.Names[i]
		}
		if gs[i].Members == nil {
			gs[i].Members = []Person{}
		}
		sort.Slice(gs[i].Members, func(a, c int) bool { return gs[i].Members[a].ID < gs[i].Members[c].ID })
	}
	d.Groups = gs
}

func cleanText(s string, limit int) (string, bool) {
	s = strings.TrimSpace(s)
	return s, utf8.ValidString(s) && utf8.RuneCountInString(s) <= limit
}

func init() {
	register("breakout.start", &tool{facilitator: true,
		parse: func(raw []byte) (any, ErrorCode) {
			var d breakoutStartData
			if json.Unmarshal(raw, &d) != nil || d.Seconds < 0 || d.Seconds > MaxTimerSecs || len(d.Names) > MaxGroups {
				return nil, ErrInvalid
			}
			switch d.Mode {
			case "random":
				if d.Size < 1 || d.Size > 1000 {
					return nil, ErrInvalid
				}
				d.Count, d.Attribute = 0, ""
			case "attribute":
				if d.Attribute != "country" && d.Attribute != "language" {
					return nil, ErrInvalid
				}
				d.Size, d.Count = 0, 0
			case "manual", "choice":
				if d.Count < 1 || d.Count > MaxGroups {
					return nil, ErrInvalid
				}
				d.Size, d.Attribute = 0, ""
			default:
				return nil, ErrInvalid
			}
			for i, n := range d.Names {
				n, ok := cleanText(n, MaxGroupName)
				if !ok {
					return nil, ErrInvalid
				}
				d.Names[i] = n
			}
			d.Groups = nil // the server's to compute
			return &d, ""
		},
		check: func(s *state, p Person, data any) ErrorCode {
			if s.breakouts.running {
				return ErrInvalid
			}
			d := data.(*breakoutStartData)
			var present []Person
			if s.present != nil {
				present = s.present()
			}
			makeGroups(d, present)
			if len(d.Groups) > MaxGroups {
				return ErrInvalid
			}
			return ""
		},
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[breakoutStartData](ev)
			b := &s.breakouts
			if !ok || b.running || len(d.Groups) == 0 {
				return false
			}
			if b.round > 0 {
				b.past = append(b.past, breakoutRound{Round: b.round, Groups: b.groups, Of: b.of})
			}
			*b = breakoutState{running: true, round: ev.Seq, mode: d.Mode, groups: d.Groups, past: b.past, was: b.was}
			for _, g := range d.Groups {
				for _, p := range g.Members {
					b.assign(p, g.ID)
				}
			}
			if d.Seconds > 0 {
				b.endsAt = ev.At.Add(time.Duration(d.Seconds) * time.Second)
			}
			return true
		},
		render: func(s *state, ev *Event) frames {
			return breakoutFrame(s, ev, map[string]any{"breakouts": s.breakouts.view()})
		},
	})
	register("breakout.move", &tool{facilitator: true,
		parse: func(raw []byte) (any, ErrorCode) {
			var d breakoutMoveData
			if json.Unmarshal(raw, &d) != nil || d.Member == "" || len(d.Member) > 64 || len(d.Group) > 16 {
				return nil, ErrInvalid
			}
			d.Person = Person{}
			return &d, ""
		},
		check: func(s *state, _ Person, data any) ErrorCode {
			d := data.(*breakoutMoveData)
			b := &s.breakouts
			if !b.running || (d.Group != "" && b.group(d.Group) == nil) {
				return ErrInvalid
			}
			if p, ok := b.people[d.Member]; ok {
				d.Person = p
			} else if s.present != nil {
				for _, p := range s.present() {
					if p.ID == d.Member {
						d.Person = p
					}
				}
			}
			if d.Person.ID == "" || d.Person.Role == RoleFacilitator {
				return ErrInvalid
			}
			return ""
		},
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[breakoutMoveData](ev)
			b := &s.breakouts
			if !ok || !b.running || d.Person.ID != d.Member || (d.Group != "" && b.group(d.Group) == nil) {
				return false
			}
			s.moveHand(d.Member, b.scope(d.Group))
			b.move(d.Person, d.Group)
			return true
		},
		render: func(s *state, ev *Event) frames {
			d, _ := decodeTool[breakoutMoveData](ev)
			return breakoutFrame(s, ev, map[string]any{"member": d.Person, "group": d.Group})
		},
	})
	register("breakout.pick", &tool{
		parse: func(raw []byte) (any, ErrorCode) {
			var d groupRef
			if json.Unmarshal(raw, &d) != nil || d.Group == "" || len(d.Group) > 16 {
				return nil, ErrInvalid
			}
			return &d, ""
		},
		check: func(s *state, p Person, data any) ErrorCode {
			d := data.(*groupRef)
			b := &s.breakouts
			if !b.running || b.mode != "choice" || b.group(d.Group) == nil || p.Role == RoleFacilitator {
				return ErrInvalid
			}
			return ""
		},
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[groupRef](ev)
			b := &s.breakouts
			if !ok || !b.running || b.mode != "choice" || b.group(d.Group) == nil || ev.Actor.Role == RoleFacilitator {
				return false
			}
			s.moveHand(ev.Actor.ID, b.scope(d.Group))
			b.move(ev.Actor, d.Group)
			return true
		},
		render: func(s *state, ev *Event) frames {
			d, _ := decodeTool[groupRef](ev)
			return breakoutFrame(s, ev, map[string]any{"member": ev.Actor, "group": d.Group})
		},
	})
	register("breakout.visit", &tool{facilitator: true,
		parse: func(raw []byte) (any, ErrorCode) {
			var d groupRef
			if json.Unmarshal(raw, &d) != nil || len(d.Group) > 16 {
				return nil, ErrInvalid
			}
			return &d, ""
		},
		check: func(s *state, _ Person, data any) ErrorCode {
			d := data.(*groupRef)
			if !s.breakouts.running || (d.Group != "" && s.breakouts.group(d.Group) == nil) {
				return ErrInvalid
			}
			return ""
		},
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[groupRef](ev)
			b := &s.breakouts
			if !ok || !b.running || (d.Group != "" && b.group(d.Group) == nil) {
				return false
			}
			if b.visit == nil {
				b.visit = map[string]string{}
			}
			if d.Group == "" {
				delete(b.visit, ev.Actor.ID)
			} else {
				b.visit[ev.Actor.ID] = d.Group
			}
			return true
		},
		render: func(s *state, ev *Event) frames {
			d, _ := decodeTool[groupRef](ev)
			return breakoutFrame(s, ev, map[string]any{"member": ev.Actor, "group": d.Group})
		},
	})
	// A group's name is what the room and the outcome call it; a group
	// without one is "Group N" (its number, in each reader's language).
	// Facilitators may rename the groups of the current or last round.
	register("breakout.rename", &tool{facilitator: true,
		parse: func(raw []byte) (any, ErrorCode) {
			var d breakoutRenameData
			if json.Unmarshal(raw, &d) != nil || d.Group == "" || len(d.Group) > 16 {
				return nil, ErrInvalid
			}
			n, ok := cleanText(d.Name, MaxGroupName)
			if !ok {
				return nil, ErrInvalid
			}
			d.Name = n
			return &d, ""
		},
		check: func(s *state, _ Person, data any) ErrorCode {
			if s.breakouts.group(data.(*breakoutRenameData).Group) == nil {
				return ErrInvalid
			}
			return ""
		},
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[breakoutRenameData](ev)
			g := s.breakouts.group(d.Group)
			if !ok || g == nil {
				return false
			}
			g.Name = d.Name
			return true
		},
		render: func(s *state, ev *Event) frames {
			d, _ := decodeTool[breakoutRenameData](ev)
			return breakoutFrame(s, ev, map[string]any{"group": d.Group, "name": s.breakouts.group(d.Group).Name})
		},
	})
	register("breakout.broadcast", &tool{facilitator: true,
		parse: func(raw []byte) (any, ErrorCode) {
			var d textData
			if json.Unmarshal(raw, &d) != nil {
				return nil, ErrInvalid
			}
			t, ok := cleanText(d.Text, MaxAnnounce)
			if !ok || t == "" {
				return nil, ErrInvalid
			}
			return textData{Text: t}, ""
		},
		check: func(s *state, _ Person, _ any) ErrorCode {
			if !s.breakouts.running {
				return ErrInvalid
			}
			return ""
		},
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[textData](ev)
			if !ok || !s.breakouts.running {
				return false
			}
			s.breakouts.message, s.breakouts.msgAt = d.Text, ev.At
			return true
		},
		render: func(s *state, ev *Event) frames {
			return breakoutFrame(s, ev, map[string]any{"text": s.breakouts.message, "html": RenderLite(s.breakouts.message), "by": ev.Actor})
		},
	})
	register("breakout.end", &tool{facilitator: true,
		parse: func([]byte) (any, ErrorCode) { return struct{}{}, "" },
		check: func(s *state, _ Person, _ any) ErrorCode {
			if !s.breakouts.running {
				return ErrInvalid
			}
			return ""
		},
		apply: func(s *state, ev *Event) bool {
			b := &s.breakouts
			if !b.running {
				return false
			}
			b.running, b.visit, b.endsAt, b.message = false, nil, time.Time{}, ""
			// Hands raised in the groups join the main queue, in the order
			// they were raised.
			for i := range s.hands {
				s.hands[i].Group, s.hands[i].scope = "", ""
			}
			sort.SliceStable(s.hands, func(i, j int) bool { return s.hands[i].At.Before(s.hands[j].At) })
			return true
		},
		render: func(s *state, ev *Event) frames {
			return breakoutFrame(s, ev, map[string]any{"breakouts": s.breakouts.view(), "hands": s.handsView()})
		},
	})
	snapshotParts = append(snapshotParts, func(s *state, p Person, out map[string]any) {
		v := s.breakouts.view()
		v["mine"] = s.breakouts.of[p.ID]
		out["breakouts"] = v
		out["hands"] = s.handsFor(p)
	})
}

// breakoutFrame: breakout changes go to everyone, so each member knows
// where they and the others are.
func breakoutFrame(s *state, ev *Event, extra map[string]any) frames {
	out := map[string]any{"type": ev.Type, "seq": ev.Seq, "at": ev.At.UTC().Format(time.RFC3339Nano), "round": s.breakouts.round}
	for k, v := range extra {
		out[k] = v
	}
	b := mustJSON(out)
	return frames{seq: ev.Seq, all: b, fac: b}
}

// view is the round as clients see it: groups with their current members.
func (b *breakoutState) view() map[string]any {
	type gv struct {
		ID      string   `json:"id"`
		Name    string   `json:"name"`
		Attr    string   `json:"attr,omitempty"`
		Key     string   `json:"key,omitempty"`
		Members []Person `json:"members"`
	}
	gs := make([]gv, len(b.groups))
	idx := map[string]int{}
	for i, g := range b.groups {
		gs[i] = gv{ID: g.ID, Name: g.Name, Attr: g.Attr, Key: g.Key, Members: []Person{}}
		idx[g.ID] = i
	}
	ids := make([]string, 0, len(b.of))
	for id := range b.of {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if i, ok := idx[b.of[id]]; ok {
			gs[i].Members = append(gs[i].Members, b.people[id])
		}
	}
	visits := b.visit
	if visits == nil {
		visits = map[string]string{}
	}
	msg := map[string]any(nil)
	if b.message != "" {
		msg = map[string]any{"text": b.message, "html": RenderLite(b.message), "at": b.msgAt.UTC().Format(time.RFC3339Nano)}
	}
	return map[string]any{"running": b.running, "round": b.round, "mode": b.mode, "groups": gs,
		"ends_at": timeOrNil(b.endsAt), "visits": visits, "message": msg}
}

// Hands during a round: each hand belongs to the audience it was raised in;
// a participant sees their group's queue, facilitators see every queue
// (each hand carries its group).

// handsFor is the hand queue one person sees.
func (s *state) handsFor(p Person) []hand {
	if p.Role == RoleFacilitator || s.breakouts.round == 0 {
		return s.handsView()
	}
	out := []hand{}
	for _, h := range s.hands {
		if s.breakouts.receives(p.ID, h.scope) {
			out = append(out, h)
		}
	}
	return out
}

// handsIn is the queue of one audience.
func (s *state) handsIn(scope string) []hand {
	out := []hand{}
	for _, h := range s.hands {
		if h.scope == scope {
			out = append(out, h)
		}
	}
	return out
}

// moveHand takes a member's raised hand along to their new group.
func (s *state) moveHand(member, scope string) {
	if i := s.handIndex(member); i >= 0 {
		s.hands[i].scope = scope
		s.hands[i].Group = groupOfScope(scope)
	}
}

func groupOfScope(scope string) string {
	_, g, _ := strings.Cut(scope, "/")
	return g
}

func (b *breakoutState) outcome(o *Outcome, notes *notesState) {
	rounds := b.past
	if b.round > 0 {
		rounds = append(rounds[:len(rounds):len(rounds)], breakoutRound{Round: b.round, Groups: b.groups, Of: b.of})
	}
	for _, r := range rounds {
		count := map[string]int{}
		for _, g := range r.Of {
			count[g]++
		}
		for _, g := range r.Groups {
			o.Breakouts = append(o.Breakouts, BreakoutView{ID: g.ID, Name: g.Name, Attr: g.Attr, Key: g.Key, Members: count[g.ID],
				Notes: notes.text(itoa64(r.Round) + "/" + g.ID)})
		}
	}
}
