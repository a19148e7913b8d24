package live

import (
	"encoding/json"
	"html"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on what a client may send.
const (
	MaxChat      = 2000 // characters of one chat message
	MaxAnnounce  = 500
	MaxQuestion  = 300
	MaxOption    = 120
	MaxOptions   = 10
	MaxKey       = 64
	MaxTimerSecs = 4 * 3600
)

// Reactions is the fixed set of reactions a participant may send: the
// discussions' own (forum.Reactions), so the room shows the same icons
// with the same words.
var Reactions = []string{"like", "thanks", "insightful", "agree"}

// inFrame is any client frame; unused fields stay zero.
type inFrame struct {
	Type      string   `json:"type"`
	Key       string   `json:"key"`
	Text      string   `json:"text"`
	Raised    *bool    `json:"raised"`
	Member    string   `json:"member"`
	Item      *int     `json:"item"`
	Seconds   *int     `json:"seconds"`
	Muted     *bool    `json:"muted"`
	Poll      string   `json:"poll"`
	Choices   []int    `json:"choices"`
	Question  string   `json:"question"`
	Options   []string `json:"options"`
	Multiple  bool     `json:"multiple"`
	Anonymous bool     `json:"anonymous"`
	Reaction  string   `json:"reaction"` // react: one of Reactions
	After     string   `json:"after"`    // people: the cursor of the page before
	Follow    *bool    `json:"follow"`   // people: send me who joins and leaves
	Before    int64    `json:"before"`   // chat.history: the seq of the oldest message held

	raw []byte // the whole frame, for tools that decode their own fields
}

// facilitatorOnly lists the commands only facilitators may send.
var facilitatorOnly = map[string]bool{
	"hand.clear": true, "agenda": true, "timer": true, "announce": true, "mute": true, "remove": true,
	"poll.create": true, "poll.open": true, "poll.close": true, "poll.publish": true,
	"room.open": true, "room.close": true,
}

// durableTypes are the commands stored as events.
var durableTypes = map[string]bool{
	"chat": true, "hand": true, "hand.clear": true, "agenda": true, "timer": true, "announce": true, "mute": true,
	"remove": true, "poll.create": true, "poll.open": true, "poll.close": true, "poll.publish": true, "vote": true,
	"room.open": true, "room.close": true,
}

// ErrorCode is the machine-readable code of an error frame.
type ErrorCode string

// Error codes sent in {"type":"error"} frames.
const (
	ErrBadFrame    ErrorCode = "bad_frame"
	ErrForbidden   ErrorCode = "forbidden"
	ErrRateLimited ErrorCode = "rate_limited"
	ErrInvalid     ErrorCode = "invalid"
	ErrMuted       ErrorCode = "chat_muted"
	ErrRemoved     ErrorCode = "removed"
	ErrClosed      ErrorCode = "room_closed"
	ErrNotOpen     ErrorCode = "room_not_open" // before the schedule lets participants in
	ErrUnavailable ErrorCode = "unavailable"
	ErrSlow        ErrorCode = "too_slow"
	ErrShutdown    ErrorCode = "shutdown"
)

func errorFrame(code ErrorCode, ref string) []byte {
	return mustJSON(struct {
		Type string    `json:"type"`
		Code ErrorCode `json:"code"`
		Ref  string    `json:"ref,omitempty"` // the key of the frame refused, if any
	}{"error", code, ref})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("live: encode: " + err.Error()) // only our own value types are encoded
	}
	return b
}

// parseCommand validates a client frame into an event payload. It checks
// shape and limits only; rights and state are the room's business.
func parseCommand(f *inFrame) (data any, code ErrorCode) {
	switch f.Type {
	case "chat":
		t := strings.TrimSpace(f.Text)
		if t == "" || utf8.RuneCountInString(t) > MaxChat || !utf8.ValidString(t) {
			return nil, ErrInvalid
		}
		return chatData{Text: f.Text}, ""
	case "hand":
		if f.Raised == nil {
			return nil, ErrInvalid
		}
		return handData{Raised: *f.Raised}, ""
	case "hand.clear", "remove":
		if f.Member == "" || len(f.Member) > 64 {
			return nil, ErrInvalid
		}
		return memberData{Member: f.Member}, ""
	case "agenda":
		if f.Item == nil {
			return nil, ErrInvalid
		}
		return agendaData{Item: *f.Item}, ""
	case "timer":
		if f.Seconds == nil || *f.Seconds < 0 || *f.Seconds > MaxTimerSecs {
			return nil, ErrInvalid
		}
		return timerData{Seconds: *f.Seconds}, ""
	case "announce":
		t := strings.TrimSpace(f.Text)
		if utf8.RuneCountInString(t) > MaxAnnounce || !utf8.ValidString(t) {
			return nil, ErrInvalid
		}
		return textData{Text: t}, ""
	case "mute":
		if f.Muted == nil {
			return nil, ErrInvalid
		}
		return muteData{Muted: *f.Muted}, ""
	case "poll.create":
		q := strings.TrimSpace(f.Question)
		if q == "" || utf8.RuneCountInString(q) > MaxQuestion || len(f.Options) < 2 || len(f.Options) > MaxOptions {
			return nil, ErrInvalid
		}
		opts := make([]string, len(f.Options))
		for i, o := range f.Options {
			o = strings.TrimSpace(o)
			if o == "" || utf8.RuneCountInString(o) > MaxOption {
				return nil, ErrInvalid
			}
			opts[i] = o
		}
		return pollCreateData{Question: q, Options: opts, Multiple: f.Multiple, Anonymous: f.Anonymous}, ""
	case "poll.open", "poll.close", "poll.publish":
		if f.Poll == "" {
			return nil, ErrInvalid
		}
		return pollRef{Poll: f.Poll}, ""
	case "vote":
		if f.Poll == "" || len(f.Choices) == 0 || len(f.Choices) > MaxOptions {
			return nil, ErrInvalid
		}
		return voteData{Poll: f.Poll, Choices: f.Choices}, ""
	case "room.open", "room.close":
		return struct{}{}, ""
	}
	if t := tools[f.Type]; t != nil {
		return t.parse(f.raw)
	}
	return nil, ErrBadFrame
}

// frames is one event rendered for the two audiences. When both see the
// same thing, fac and all are the same slice: encoded once.
type frames struct {
	seq int64
	all []byte
	fac []byte
	// own, when set, is what the connections of the member actor get
	// instead: the asker of an anonymous question is the only one who
	// sees it as theirs, a voter the only one who sees their own dots.
	actor string
	own   []byte
	// group, when set, limits the participants who get the frame to one
	// breakout audience (see breakoutState.receives); facilitators get
	// every group's frames.
	group string
	// waiting: participants in the waiting room get it too (the main
	// room's chat, when the waiting room has its chat); they get nothing
	// else of the room.
	waiting bool
}

func (f frames) for_(facilitator bool) []byte {
	if facilitator {
		return f.fac
	}
	return f.all
}

// to is the frame for one person's connections.
func (f frames) to(p Person) []byte {
	if f.own != nil && p.ID == f.actor {
		return f.own
	}
	return f.for_(p.Role == RoleFacilitator)
}

// render produces the frames for an applied event, from the state after it.
func (s *state) render(ev *Event) frames {
	out := map[string]any{"type": ev.Type, "seq": ev.Seq, "at": ev.At.UTC().Format(time.RFC3339Nano)}
	same := func() frames {
		b := mustJSON(out)
		return frames{seq: ev.Seq, all: b, fac: b}
	}
	switch ev.Type {
	case "chat":
		// apply encoded it (the history keeps the same frame).
		if n := len(s.chat); n > 0 && s.chat[n-1].seq == ev.Seq {
			c := s.chat[n-1]
			return frames{seq: ev.Seq, all: c.frame, fac: c.frame, group: c.scope, waiting: c.scope == "" && s.info.WaitingChat}
		}
	case "hand", "hand.clear", "remove":
		out["by"] = ev.Actor
		out["hands"] = s.handsView()
		if ev.Type != "hand" {
			var d memberData
			_ = json.Unmarshal(ev.Data, &d)
			out["member"] = d.Member
		}
		if g := s.handScope; g != "" {
			// During breakouts: the group's own queue to its members,
			// every queue to facilitators.
			fac := mustJSON(out)
			out["hands"] = s.handsIn(g)
			return frames{seq: ev.Seq, all: mustJSON(out), fac: fac, group: g}
		}
	case "agenda":
		out["item"] = s.agenda
	case "timer":
		out["ends_at"] = timeOrNil(s.timerEnd)
	case "announce":
		out["text"], out["html"], out["by"] = s.announce, RenderLite(s.announce), ev.Actor
	case "mute":
		out["muted"] = s.muted
	case "room.open", "room.close":
		out["open"] = s.open
	case "poll.create", "poll.open", "poll.close", "poll.publish", "vote":
		id := ""
		if ev.Type == "poll.create" {
			id = "live" + itoa64(ev.Seq)
		} else {
			var d pollRef
			_ = json.Unmarshal(ev.Data, &d)
			id = d.Poll
		}
		p := s.poll(id)
		if p == nil {
			return same()
		}
		out["type"] = "poll"
		out["change"] = ev.Type
		out["poll"] = p.view(false)
		all := mustJSON(out)
		if p.State == PollDraftState {
			// A draft is the facilitators' own: participants get only its
			// seq, so their stream has no gap.
			all = noopFrame(ev.Seq).all
		}
		out["poll"] = p.view(true)
		return frames{seq: ev.Seq, all: all, fac: mustJSON(out)}
	}
	if t := tools[ev.Type]; t != nil {
		return t.render(s, ev)
	}
	return same()
}

// noop renders an event that changed nothing, so its seq still reaches
// clients and replays stay gap-free.
func noopFrame(seq int64) frames {
	b := mustJSON(map[string]any{"type": "noop", "seq": seq})
	return frames{seq: seq, all: b, fac: b}
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func (s *state) handsView() []hand {
	if s.hands == nil {
		return []hand{}
	}
	return s.hands
}

// snapshot is the whole room for one person.
func (s *state) snapshot(p Person, now time.Time) []byte {
	fac := p.Role == RoleFacilitator
	polls := make([]PollView, 0, len(s.polls))
	for _, pl := range s.polls {
		if pl.State == PollDraftState && !fac {
			continue // prepared polls stay hidden until opened
		}
		v := pl.view(fac)
		v.Mine = pl.votes[p.ID]
		polls = append(polls, v)
	}
	agenda := s.info.Agenda
	if agenda == nil {
		agenda = []AgendaItem{}
	}
	ann := map[string]any(nil)
	if s.announce != "" {
		ann = map[string]any{"text": s.announce, "html": RenderLite(s.announce), "at": s.announceT.UTC().Format(time.RFC3339Nano)}
	}
	st := map[string]any{
		"title": s.info.Title, "starts_at": s.info.StartsAt.UTC().Format(time.RFC3339), "ends_at": s.info.EndsAt.UTC().Format(time.RFC3339),
		"open": s.open, "is_open": s.isOpen(now), "agenda": agenda, "agenda_item": s.agenda, "timer_ends_at": timeOrNil(s.timerEnd),
		"announcement": ann, "muted": s.muted, "hands": s.handsView(), "polls": polls, "video_url": s.info.VideoURL,
	}
	// The chat history's last page: a member who reloads or joins late
	// sees what was said; chat.history pages further back.
	st["chat"], st["chat_more"] = s.chatBefore(p, s.seq+1)
	for _, part := range snapshotParts {
		part(s, p, st)
	}
	return mustJSON(map[string]any{"type": "snapshot", "seq": s.seq, "state": st})
}

// Markdown-lite: the text is escaped first, then **strong**, *em*, _em_,
// [label](https://…) and bare http(s) links become markup. Nothing the
// member wrote survives as a tag or attribute of their own making.
var (
	liteLink   = regexp.MustCompile(`\[([^\[\]]{1,200})\]\((https?://[^\s()<>"]{1,500})\)`)
	liteBare   = regexp.MustCompile(`(^|[\s(])(https?://[^\s()<>"]{1,500})`)
	liteStrong = regexp.MustCompile(`\*\*([^*\n]{1,500})\*\*`)
	liteEm     = regexp.MustCompile(`(^|[\s(])[*_]([^*_\n]{1,500})[*_]`)
)

// RenderLite renders chat text to safe HTML.
func RenderLite(text string) string {
	s := html.EscapeString(strings.ReplaceAll(text, "\x00", "")) // escapes < > & ' "
	var links []string
	hold := func(a string) string {
		links = append(links, a)
		return "\x00" + itoa(len(links)-1) + "\x00"
	}
	s = liteLink.ReplaceAllStringFunc(s, func(m string) string {
		g := liteLink.FindStringSubmatch(m)
		return hold(`<a href="` + g[2] + `" rel="nofollow noopener noreferrer" target="_blank">` + g[1] + `</a>`)
	})
	s = liteBare.ReplaceAllStringFunc(s, func(m string) string {
		g := liteBare.FindStringSubmatch(m)
		return g[1] + hold(`<a href="`+g[2]+`" rel="nofollow noopener noreferrer" target="_blank">`+g[2]+`</a>`)
	})
	s = liteStrong.ReplaceAllString(s, "<strong>$1</strong>")
	s = liteEm.ReplaceAllString(s, "$1<em>$2</em>")
	for i, a := range links {
		s = strings.Replace(s, "\x00"+itoa(i)+"\x00", a, 1)
	}
	return strings.ReplaceAll(s, "\n", "<br>")
}
