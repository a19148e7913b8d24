package server

import (
	"bytes"
	"encoding/csv"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/workshops"
	"github.com/circularfairict/portal/workshops/live"
)

type workshopItem struct {
	W        *workshops.Workshop
	Group    *auth.Group
	Live     bool
	Duration int    // minutes
	Outcome  string // published outcome's library resource ID
}

type workshopsData struct {
	Past      bool
	Group     *auth.Group
	Items     []workshopItem
	CanCreate bool
	Feed      bool   // the member has a calendar feed
	FeedURL   string // shown once, right after it was made
}

// listWorkshops is GET /workshops: upcoming (default) or past (?when=past),
// optionally of one group (?group=slug), only those the member may see.
func (s *Server) listWorkshops(c *fiber.Ctx) error {
	ctx := c.UserContext()
	m := currentMember(c)
	d := workshopsData{Past: c.Query("when") == "past", CanCreate: auth.CanCreateWorkshop(m, nil)}
	f := workshops.Filter{Past: d.Past}
	if slug := c.Query("group"); slug != "" {
		g, err := s.auth.GroupBySlug(ctx, slug)
		if err != nil || !auth.CanSeeGroup(m, g) {
			return fault.New(fault.NotFound, "error.404")
		}
		d.Group, f.GroupID = g, g.ID
	}
	var err error
	if d.Items, err = s.visibleWorkshops(c, f); err != nil {
		return err
	}
	if m != nil {
		if d.Feed, err = s.workshops.HasFeed(ctx, m.ID); err != nil {
			return err
		}
	}
	return s.render(c, fiber.StatusOK, "workshops", s.newPage(c, s.T(c, "workshops.title"), "workshops", d))
}

// visibleWorkshops lists the workshops of a filter that the caller may see,
// with the published outcome linked only for those who may read it: the
// workshops page and the combined search show the same (the search narrows
// f by its words, f.Match).
func (s *Server) visibleWorkshops(c *fiber.Ctx, f workshops.Filter) ([]workshopItem, error) {
	ctx, m := c.UserContext(), currentMember(c)
	ws, err := s.workshops.List(ctx, f)
	if err != nil {
		return nil, err
	}
	groups, err := s.auth.Groups(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]*auth.Group{}
	for _, g := range groups {
		byID[g.ID] = g
	}
	now := time.Now()
	var items []workshopItem
	for _, w := range ws {
		acc := auth.WorkshopAccess{Group: byID[w.GroupID], Facilitators: w.Facilitators}
		if w.GroupID != "" && acc.Group == nil || !auth.CanSeeWorkshop(m, acc) {
			continue
		}
		items = append(items, workshopItem{W: w, Group: acc.Group, Live: !now.Before(w.StartsAt) && now.Before(w.EndsAt),
			Duration: int(w.EndsAt.Sub(w.StartsAt).Minutes())})
	}
	ids := make([]string, 0, len(items))
	for _, it := range items {
		ids = append(ids, it.W.ID)
	}
	outcomes, err := s.workshops.OutcomesByWorkshop(ctx, ids)
	if err != nil {
		return nil, err
	}
	// An outcome may be published to the workshop's group only, while
	// every member sees the workshop: link it to those who may read it.
	var rids []string
	for _, o := range outcomes {
		if o.Published() {
			rids = append(rids, o.ResourceID)
		}
	}
	rs, err := s.lib.ResourcesByID(ctx, rids)
	if err != nil {
		return nil, err
	}
	v, _, err := s.viewer(c)
	if err != nil {
		return nil, err
	}
	for i := range items {
		if o := outcomes[items[i].W.ID]; o.Published() && rs[o.ResourceID] != nil && v.CanSee(rs[o.ResourceID]) {
			items[i].Outcome = o.ResourceID
		}
	}
	return items, nil
}

type workshopData struct {
	W            *workshops.Workshop
	Group        *auth.Group
	Facilitators []*auth.Member
	Registration *workshops.Registration
	Facilitator  bool
	Attendees    []attendee
	Registered   int
	Waiting      int
	Past         bool
	// Outcome is the workshop's outcome draft, nil before the room closed.
	Outcome *workshops.OutcomeDraft
	// Previous is the workshop before this one in its series; PrevActions
	// the open action items of its published outcome.
	Previous    *workshops.Workshop
	PrevOutcome string
	PrevActions []workshops.ActionItem
	RunSheet    []runStep
	// Room is the live room's open state, nil when unknown (then the page
	// offers what it always did and the room tells once entered).
	Room *live.Status
}

// Reactions are the room's reactions, drawn as the discussions draw
// theirs (the "reaction-face" partial).
func (workshopData) Reactions() []reactionView {
	out := make([]reactionView, len(live.Reactions))
	for i, k := range live.Reactions {
		out[i] = reactionView{Key: k}
	}
	return out
}

// StageTools are the room's stage tools, for its "other activities"
// switcher.
func (workshopData) StageTools() []string { return live.StageOrder }

type attendee struct {
	Member *auth.Member
	Reg    *workshops.Registration
}

// showWorkshop is GET /workshops/:id: details, registration and the room.
func (s *Server) showWorkshop(c *fiber.Ctx) error {
	ctx := c.UserContext()
	w, acc, err := s.workshopFor(c, c.Params("id"))
	if err != nil {
		return err
	}
	m := currentMember(c)
	d := workshopData{W: w, Group: acc.Group, Facilitator: auth.CanFacilitate(m, acc), Past: w.Past(time.Now())}
	if r, err := s.workshops.Registration(ctx, w.ID, m.ID); err == nil && r.Status != workshops.Cancelled {
		d.Registration = r
	} else if err != nil && !errors.Is(err, workshops.ErrNotFound) {
		return err
	}
	regs, err := s.workshops.Registrations(ctx, w.ID)
	if err != nil {
		return err
	}
	ids := append([]string{}, w.Facilitators...)
	for _, r := range regs {
		ids = append(ids, r.MemberID)
		switch r.Status {
		case workshops.Registered:
			d.Registered++
		case workshops.Waitlisted:
			d.Waiting++
		}
	}
	members, err := s.auth.MembersByID(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range w.Facilitators {
		if fm := members[id]; fm != nil {
			d.Facilitators = append(d.Facilitators, fm)
		}
	}
	if d.Facilitator {
		for _, r := range regs {
			if r.Status != workshops.Cancelled && members[r.MemberID] != nil {
				d.Attendees = append(d.Attendees, attendee{Member: members[r.MemberID], Reg: r})
			}
		}
		d.RunSheet = s.runSteps(c, w)
	}
	if o, err := s.workshops.Outcome(ctx, w.ID); err == nil {
		d.Outcome = o
	} else if !errors.Is(err, workshops.ErrNotFound) {
		return err
	}
	if d.Outcome.Published() {
		// Published to the group only, perhaps: linked to its readers.
		if ok, err := s.canSeeResource(ctx, m, d.Outcome.ResourceID); err != nil {
			return err
		} else if !ok {
			d.Outcome = nil
		}
	}
	if err := s.previousInSeries(c, w, &d); err != nil {
		return err
	}
	if !d.Past {
		if st, err := s.live.Status(ctx, w.ID); err == nil {
			d.Room = &st
		} else {
			s.log.Warn("room status unknown", "err", err, "workshop", w.ID, "request_id", requestID(c))
		}
	}
	return s.render(c, fiber.StatusOK, "workshop", s.newPage(c, w.Title, "workshops", d))
}

// previousInSeries fills the previous workshop of w's series that the
// member may see, and its outcome's open action items only when the member
// may see the outcome in the library: the items are the outcome's content.
func (s *Server) previousInSeries(c *fiber.Ctx, w *workshops.Workshop, d *workshopData) error {
	ctx := c.UserContext()
	if w.Series == "" {
		return nil
	}
	seer, err := s.workshopSeer(ctx, currentMember(c))
	if err != nil {
		return err
	}
	if d.Previous, err = s.workshops.PreviousInSeries(ctx, w, seer); err != nil || d.Previous == nil {
		return err
	}
	po, err := s.workshops.Outcome(ctx, d.Previous.ID)
	if errors.Is(err, workshops.ErrNotFound) || (err == nil && !po.Published()) {
		return nil
	}
	if err != nil {
		return err
	}
	ok, err := s.canSeeResource(ctx, currentMember(c), po.ResourceID)
	if ok {
		d.PrevOutcome, d.PrevActions = po.ResourceID, po.OpenActionItems()
	}
	return err
}

// registerWorkshop is POST /workshops/:id/register.
func (s *Server) registerWorkshop(c *fiber.Ctx) error {
	w, acc, err := s.workshopFor(c, c.Params("id"))
	if err != nil {
		return err
	}
	if !auth.CanRegisterWorkshop(currentMember(c), acc) {
		return fault.New(fault.Forbidden, "error.403")
	}
	r, err := s.workshops.Register(c.UserContext(), w, currentMember(c).ID)
	if err != nil {
		return err
	}
	if err := s.workshops.SetShowName(c.UserContext(), w.ID, r.MemberID, formValue(c, "show_name") == "1"); err != nil {
		return err
	}
	flash := "flash.workshop_registered"
	if r.Status == workshops.Waitlisted {
		flash = "flash.workshop_waitlisted"
	}
	return s.redirectWithFlash(c, "/workshops/"+w.ID, flash)
}

// saveConsent is POST /workshops/:id/consent: a registered member agrees
// (show_name=1) or no longer agrees to be named in the outcome.
func (s *Server) saveConsent(c *fiber.Ctx) error {
	w, _, err := s.workshopFor(c, c.Params("id"))
	if err != nil {
		return err
	}
	if err := s.workshops.SetShowName(c.UserContext(), w.ID, currentMember(c).ID, formValue(c, "show_name") == "1"); err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/workshops/"+w.ID, "flash.consent_saved")
}

// cancelWorkshop is POST /workshops/:id/cancel.
func (s *Server) cancelWorkshop(c *fiber.Ctx) error {
	w, err := s.cancelRegistration(c)
	if err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/workshops/"+w.ID, "flash.workshop_cancelled")
}

// openRoom and closeRoom are the facilitator's buttons.
func (s *Server) openRoom(c *fiber.Ctx) error {
	if _, err := s.roomOpen(c, "room.open"); err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/workshops/"+c.Params("id"), "flash.room_opened")
}

func (s *Server) closeRoom(c *fiber.Ctx) error {
	if _, err := s.roomOpen(c, "room.close"); err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/workshops/"+c.Params("id"), "flash.room_closed")
}

// exportAttendees is GET /workshops/:id/attendees.csv for facilitators.
func (s *Server) exportAttendees(c *fiber.Ctx) error {
	ctx := c.UserContext()
	w, acc, err := s.workshopFor(c, c.Params("id"))
	if err != nil {
		return err
	}
	if !auth.CanFacilitate(currentMember(c), acc) {
		return fault.New(fault.Forbidden, "error.403")
	}
	regs, err := s.workshops.Registrations(ctx, w.ID)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(regs))
	for _, r := range regs {
		ids = append(ids, r.MemberID)
	}
	members, err := s.auth.MembersByID(ctx, ids)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write([]string{s.T(c, "attendees.name"), s.T(c, "attendees.organisation"), s.T(c, "attendees.country"), s.T(c, "attendees.email"), s.T(c, "attendees.status"), s.T(c, "attendees.registered_at")})
	for _, r := range regs {
		m := members[r.MemberID]
		if m == nil || r.Status == workshops.Cancelled {
			continue
		}
		_ = cw.Write([]string{workshops.CSVCell(m.Name), workshops.CSVCell(m.Organisation), m.Country, workshops.CSVCell(m.Email),
			s.T(c, "registration."+string(r.Status)), r.CreatedAt.UTC().Format(time.RFC3339)})
	}
	cw.Flush()
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="attendees-`+w.ID+`.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}

// workshopCalendar is GET /workshops/:id/calendar.ics.
func (s *Server) workshopCalendar(c *fiber.Ctx) error {
	w, _, err := s.workshopFor(c, c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="workshop-`+w.ID+`.ics"`)
	return c.Send(workshops.ICS(w.Title, s.cfg.BaseURL, s.core.MemberZone(currentMember(c)).String(), []*workshops.Workshop{w}, time.Now()))
}

// createFeed is POST /workshops/feed: a new private calendar feed URL
// (the old one stops working). The URL is shown once.
func (s *Server) createFeed(c *fiber.Ctx) error {
	secret, err := s.workshops.NewFeedToken(c.UserContext(), currentMember(c).ID)
	if err != nil {
		return err
	}
	base := strings.Replace(strings.Replace(s.cfg.BaseURL, "https://", "webcal://", 1), "http://", "webcal://", 1)
	d := workshopsData{Feed: true, FeedURL: base + "/calendar/" + secret + ".ics"}
	return s.render(c, fiber.StatusOK, "calendar_feed", s.newPage(c, s.T(c, "feed.title"), "workshops", d))
}

// revokeFeed is POST /workshops/feed/revoke.
func (s *Server) revokeFeed(c *fiber.Ctx) error {
	if err := s.workshops.RevokeFeed(c.UserContext(), currentMember(c).ID); err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/workshops", "flash.feed_revoked")
}

// showFeed is GET /calendar/:token.ics: the member's registered workshops,
// for calendar programs that cannot sign in; the secret is the credential.
func (s *Server) showFeed(c *fiber.Ctx) error {
	ctx := c.UserContext()
	secret := strings.TrimSuffix(c.Params("token"), ".ics")
	memberID, err := s.workshops.FeedMember(ctx, secret)
	if err != nil {
		return err
	}
	m, err := s.auth.Member(ctx, memberID)
	if err != nil || !m.Approved() {
		return fault.New(fault.NotFound, "error.404")
	}
	regs, err := s.workshops.MemberRegistrations(ctx, memberID)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(regs))
	for _, r := range regs {
		ids = append(ids, r.WorkshopID)
	}
	ws, err := s.workshops.ByIDs(ctx, ids)
	if err != nil {
		return err
	}
	// A registration outlives the right that allowed it (a member removed
	// from the workshop's group): the feed lists what the member may see now.
	seer, err := s.workshopSeer(ctx, m)
	if err != nil {
		return err
	}
	ws = slices.DeleteFunc(ws, func(w *workshops.Workshop) bool { return !seer(w) })
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "private, max-age=900")
	return c.Send(workshops.ICS(s.T(c, "feed.name"), s.cfg.BaseURL, s.core.MemberZone(m).String(), ws, time.Now()))
}

type workshopFormData struct {
	Form    map[string]string
	Error   string
	Field   string
	Formats []workshops.Format
	Groups  []*auth.Group
	Series  []string // series in use, offered as suggestions
	// CoFacilitators are the members who may be chosen: the approved
	// members of the groups offered, by name.
	CoFacilitators []coFacilitator
}

type coFacilitator struct {
	ID, Name, Organisation string
	Chosen                 bool
}

// newWorkshop is GET /workshops/new.
func (s *Server) newWorkshop(c *fiber.Ctx) error {
	if !auth.CanCreateWorkshop(currentMember(c), nil) {
		return fault.New(fault.Forbidden, "error.403")
	}
	return s.renderWorkshopForm(c, fiber.StatusOK, map[string]string{"time_zone": "Europe/Brussels", "format": string(workshops.FormatCaseClinic)}, nil)
}

func (s *Server) renderWorkshopForm(c *fiber.Ctx, status int, form map[string]string, ferr error) error {
	m := currentMember(c)
	groups, err := s.auth.Groups(c.UserContext())
	if err != nil {
		return err
	}
	d := workshopFormData{Form: form, Formats: workshops.Formats}
	seer, err := s.workshopSeer(c.UserContext(), m)
	if err != nil {
		return err
	}
	if d.Series, err = s.workshops.SeriesNames(c.UserContext(), seer); err != nil {
		return err
	}
	var ids []string
	for _, g := range groups {
		if auth.CanCreateWorkshop(m, g) {
			d.Groups = append(d.Groups, g)
			ids = append(ids, g.Members...)
			ids = append(ids, g.Coordinators...)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > 0 {
		found, err := s.auth.MembersByID(c.UserContext(), ids)
		if err != nil {
			return err
		}
		chosen := strings.Split(form["facilitators"], "\n")
		for _, id := range ids {
			if fm := found[id]; fm.Approved() && fm.ID != m.ID {
				d.CoFacilitators = append(d.CoFacilitators, coFacilitator{ID: fm.ID, Name: fm.Name, Organisation: fm.Organisation, Chosen: slices.Contains(chosen, fm.ID)})
			}
		}
		slices.SortFunc(d.CoFacilitators, func(a, b coFacilitator) int { return strings.Compare(a.Name, b.Name) })
	}
	if fe, ok := fault.As(ferr); ok {
		d.Error, d.Field = s.T(c, fe.Key, fe.Args...), fe.Field
	}
	return s.render(c, status, "workshop_form", s.newPage(c, s.T(c, "workshop.new"), "workshops", d))
}

// saveWorkshop is POST /workshops: Post/Redirect/Get; a failed form comes
// back with what the member typed and a translated message.
func (s *Server) saveWorkshop(c *fiber.Ctx) error {
	if !auth.CanCreateWorkshop(currentMember(c), nil) {
		return fault.New(fault.Forbidden, "error.403")
	}
	form := map[string]string{}
	for _, k := range []string{"title", "description", "format", "group", "starts_at", "ends_at", "time_zone", "capacity", "languages", "agenda", "video_url", "materials", "series", "waiting_room", "waiting_chat"} {
		form[k] = formValue(c, k)
	}
	// Kept one ID a line, so a refused form shows the same choice.
	form["facilitators"] = strings.Join(formValues(c, "facilitators"), "\n")
	in, err := parseWorkshopForm(form)
	if err == nil {
		var w *workshops.Workshop
		if w, err = s.createWorkshop(c, form["group"], in); err == nil {
			return s.redirectWithFlash(c, "/workshops/"+w.ID, "flash.workshop_created")
		}
	}
	if fe, ok := fault.As(err); ok && fe.Kind == fault.Invalid {
		return s.renderWorkshopForm(c, fiber.StatusUnprocessableEntity, form, fe)
	}
	return err
}

// parseWorkshopForm reads the form: local date-times in the chosen zone,
// agenda one item a line as "title | minutes", materials one URL a line.
func parseWorkshopForm(f map[string]string) (workshops.Input, error) {
	in := workshops.Input{Title: f["title"], Description: f["description"], Format: workshops.Format(f["format"]),
		TimeZone: strings.TrimSpace(f["time_zone"]), VideoURL: strings.TrimSpace(f["video_url"]), Series: f["series"],
		WaitingRoom: f["waiting_room"] == "1", WaitingChat: f["waiting_chat"] == "1"}
	loc, err := time.LoadLocation(in.TimeZone)
	if err != nil || in.TimeZone == "" {
		return in, fault.New(fault.Invalid, "workshops.error.timezone").OnField("time_zone")
	}
	for _, p := range []struct {
		k   string
		dst *time.Time
	}{{"starts_at", &in.StartsAt}, {"ends_at", &in.EndsAt}} {
		t, err := time.ParseInLocation("2006-01-02T15:04", f[p.k], loc)
		if err != nil {
			return in, fault.New(fault.Invalid, "workshops.error.times").OnField(p.k)
		}
		*p.dst = t
	}
	if v := strings.TrimSpace(f["capacity"]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return in, fault.New(fault.Invalid, "workshops.error.capacity").OnField("capacity")
		}
		in.Capacity = n
	}
	for _, l := range strings.Split(f["languages"], ",") {
		if l = strings.TrimSpace(l); l != "" {
			in.Languages = append(in.Languages, l)
		}
	}
	for _, l := range strings.Split(f["agenda"], "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		title, mins, _ := strings.Cut(l, "|")
		n, _ := strconv.Atoi(strings.TrimSpace(mins))
		in.Agenda = append(in.Agenda, workshops.AgendaItem{Title: strings.TrimSpace(title), Minutes: n})
	}
	for _, id := range strings.Split(f["facilitators"], "\n") {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(in.Facilitators, id) {
			in.Facilitators = append(in.Facilitators, id)
		}
	}
	if len(in.Facilitators) > 20 {
		return in, fault.New(fault.Invalid, "workshops.error.facilitators_many").OnField("facilitators")
	}
	for _, l := range strings.Split(f["materials"], "\n") {
		if l = strings.TrimSpace(l); l != "" {
			in.Materials = append(in.Materials, l)
		}
	}
	return in, nil
}
