// Package workshops schedules online workshops: the workshops themselves,
// registrations with a waiting list, calendars (.ics and private feeds).
// The live room engine is in workshops/live.
package workshops

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/store"
)

// ErrNotFound is returned for an unknown workshop or registration.
var ErrNotFound = fmt.Errorf("workshops: %w", store.ErrNotFound)

// Format is the kind of workshop.
type Format string

// Formats offered.
const (
	FormatCaseClinic     Format = "case_clinic"
	FormatPeerExchange   Format = "peer_exchange"
	FormatMarketDialogue Format = "market_dialogue"
	FormatWebinar        Format = "webinar"
	FormatWorkingSession Format = "working_session"
)

// Formats lists the formats in display order.
var Formats = []Format{FormatCaseClinic, FormatPeerExchange, FormatMarketDialogue, FormatWebinar, FormatWorkingSession}

// AgendaItem is one step of the agenda.
type AgendaItem struct {
	Title   string `bson:"title" json:"title"`
	Minutes int    `bson:"minutes" json:"minutes"`
}

// Poll is a poll prepared before the workshop.
type Poll struct {
	Question  string   `bson:"question" json:"question"`
	Options   []string `bson:"options" json:"options"`
	Multiple  bool     `bson:"multiple" json:"multiple"`
	Anonymous bool     `bson:"anonymous" json:"anonymous"`
}

// Workshop is one scheduled session.
type Workshop struct {
	ID          string `bson:"_id" json:"id"`
	Title       string `bson:"title" json:"title"`
	Description string `bson:"description" json:"description"`
	Format      Format `bson:"format" json:"format"`
	// GroupID is the group it belongs to; empty means open to all members.
	GroupID  string    `bson:"group_id,omitempty" json:"group,omitempty"`
	StartsAt time.Time `bson:"starts_at" json:"starts_at"`
	EndsAt   time.Time `bson:"ends_at" json:"ends_at"`
	// TimeZone is the IANA zone the facilitator planned in.
	TimeZone  string       `bson:"time_zone" json:"time_zone"`
	Capacity  int          `bson:"capacity" json:"capacity"` // 0: no limit
	Languages []string     `bson:"languages" json:"languages"`
	Agenda    []AgendaItem `bson:"agenda" json:"agenda"`
	Polls     []Poll       `bson:"polls" json:"polls"`
	// Series names the workshops that follow one another (free text, the
	// same name on each): the next one shows the open action items of the
	// previous one's published outcome.
	Series string `bson:"series,omitempty" json:"series,omitempty"`
	// RunSheet is the facilitator's prepared sequence of steps.
	RunSheet []Step `bson:"run_sheet,omitempty" json:"run_sheet,omitempty"`
	// Facilitators are member IDs; the first created the workshop.
	Facilitators []string `bson:"facilitators" json:"facilitators"`
	VideoURL     string   `bson:"video_url,omitempty" json:"video_url,omitempty"`
	Materials    []string `bson:"materials" json:"materials"`
	// WaitingRoom: participants who come before the room opens wait in
	// it and are let in when it opens; WaitingChat: they may chat there.
	WaitingRoom bool      `bson:"waiting_room,omitempty" json:"waiting_room,omitempty"`
	WaitingChat bool      `bson:"waiting_chat,omitempty" json:"waiting_chat,omitempty"`
	CreatedAt   time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt   time.Time `bson:"updated_at" json:"updated_at"`
	// RemindedAt is when the reminder e-mail went out (claimed once).
	RemindedAt *time.Time `bson:"reminded_at,omitempty" json:"-"`
}

// IsFacilitator reports whether memberID runs the workshop.
func (w *Workshop) IsFacilitator(memberID string) bool {
	for _, id := range w.Facilitators {
		if id == memberID {
			return true
		}
	}
	return false
}

// Past reports whether the workshop has ended at now.
func (w *Workshop) Past(now time.Time) bool { return !now.Before(w.EndsAt) }

// Input is what a facilitator fills in.
type Input struct {
	Title        string       `json:"title"`
	Description  string       `json:"description"`
	Format       Format       `json:"format"`
	GroupID      string       `json:"group"`
	StartsAt     time.Time    `json:"starts_at"`
	EndsAt       time.Time    `json:"ends_at"`
	TimeZone     string       `json:"time_zone"`
	Capacity     int          `json:"capacity"`
	Languages    []string     `json:"languages"`
	Agenda       []AgendaItem `json:"agenda"`
	Polls        []Poll       `json:"polls"`
	Series       string       `json:"series"`
	Facilitators []string     `json:"facilitators"`
	VideoURL     string       `json:"video_url"`
	Materials    []string     `json:"materials"`
	WaitingRoom  bool         `json:"waiting_room"`
	WaitingChat  bool         `json:"waiting_chat"`
}

func invalid(field, key string) error { return fault.New(fault.Invalid, key).OnField(field) }

// Validate checks the input and normalises it.
func (in *Input) Validate() error {
	in.Title = strings.TrimSpace(in.Title)
	in.WaitingChat = in.WaitingChat && in.WaitingRoom // the chat is the waiting room's
	if in.Title == "" || utf8.RuneCountInString(in.Title) > 200 {
		return invalid("title", "workshops.error.title")
	}
	if utf8.RuneCountInString(in.Description) > 10000 {
		return invalid("description", "workshops.error.description")
	}
	if in.Format == "" {
		in.Format = FormatWorkingSession
	}
	ok := false
	for _, f := range Formats {
		ok = ok || f == in.Format
	}
	if !ok {
		return invalid("format", "workshops.error.format")
	}
	if in.StartsAt.IsZero() || in.EndsAt.IsZero() || !in.EndsAt.After(in.StartsAt) || in.EndsAt.Sub(in.StartsAt) > 14*24*time.Hour {
		return invalid("ends_at", "workshops.error.times")
	}
	if in.TimeZone == "" {
		in.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(in.TimeZone); err != nil {
		return invalid("time_zone", "workshops.error.timezone")
	}
	if in.Capacity < 0 || in.Capacity > 100000 {
		return invalid("capacity", "workshops.error.capacity")
	}
	if len(in.Agenda) > 50 {
		return invalid("agenda", "workshops.error.agenda")
	}
	for i := range in.Agenda {
		in.Agenda[i].Title = strings.TrimSpace(in.Agenda[i].Title)
		if in.Agenda[i].Title == "" || utf8.RuneCountInString(in.Agenda[i].Title) > 200 || in.Agenda[i].Minutes < 0 || in.Agenda[i].Minutes > 24*60 {
			return invalid("agenda", "workshops.error.agenda")
		}
	}
	for _, p := range in.Polls {
		if strings.TrimSpace(p.Question) == "" || len(p.Options) < 2 || len(p.Options) > 10 {
			return invalid("polls", "workshops.error.poll")
		}
	}
	if in.VideoURL != "" && !httpURL(in.VideoURL) {
		return invalid("video_url", "workshops.error.url")
	}
	if len(in.Materials) > 30 {
		return invalid("materials", "workshops.error.url")
	}
	for _, m := range in.Materials {
		if !httpURL(m) {
			return invalid("materials", "workshops.error.url")
		}
	}
	if len(in.Languages) > 10 {
		return invalid("languages", "workshops.error.languages")
	}
	in.Series = strings.Join(strings.Fields(in.Series), " ")
	if utf8.RuneCountInString(in.Series) > 120 {
		return invalid("series", "workshops.error.series")
	}
	return nil
}

// httpURL accepts absolute http(s) URLs only: no javascript: or data:.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && len(s) <= 2000
}

// RegistrationStatus is where a member stands.
type RegistrationStatus string

// Registration statuses.
const (
	Registered RegistrationStatus = "registered"
	Waitlisted RegistrationStatus = "waitlisted"
	Cancelled  RegistrationStatus = "cancelled"
)

// Registration links a member to a workshop; _id is workshop/member.
type Registration struct {
	ID         string             `bson:"_id" json:"-"`
	WorkshopID string             `bson:"workshop_id" json:"workshop"`
	MemberID   string             `bson:"member_id" json:"member"`
	Status     RegistrationStatus `bson:"status" json:"status"`
	// ShowName is the member's consent to be named in the outcome.
	ShowName bool `bson:"show_name" json:"show_name"`
	// Position orders the waiting list; it is the registration time.
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt time.Time `bson:"updated_at" json:"updated_at"`
}
