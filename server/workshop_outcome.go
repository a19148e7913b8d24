package server

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/workshops"
	"github.com/circularfairict/portal/workshops/live"
)

// maxOutcomeRunes bounds the outcome document a facilitator may publish.
const maxOutcomeRunes = 100000

// outcomeVisibilities are the audiences an outcome may be published to:
// the workshop's group (only when it has one), all members, or everyone.
func outcomeVisibilities(w *workshops.Workshop) []string {
	if w.GroupID != "" {
		return []string{string(resources.VisibilityGroup), string(resources.VisibilityMembers), string(resources.VisibilityPublic)}
	}
	return []string{string(resources.VisibilityMembers), string(resources.VisibilityPublic)}
}

func defaultOutcomeVisibility(w *workshops.Workshop) string { return outcomeVisibilities(w)[0] }

func validOutcomeVisibility(w *workshops.Workshop, v string) bool {
	for _, x := range outcomeVisibilities(w) {
		if x == v {
			return true
		}
	}
	return false
}

// outcomeLabels gives the document's words in lang.
func (s *Server) outcomeLabels(ctx context.Context, lang string, w *workshops.Workshop) (workshops.Labels, error) {
	t := func(key string, args ...any) string { return s.catalog.T(lang, key, args...) }
	regions := display.Regions(language.Make(lang))
	l := workshops.Labels{T: t,
		Country: func(code string) string {
			if code == "" {
				return t("outcome.md.not_given")
			}
			if r, err := language.ParseRegion(code); err == nil && regions.Name(r) != "" {
				return regions.Name(r)
			}
			return code
		},
		Language: func(code string) string {
			if n := display.Languages(language.Make(lang)).Name(language.Make(code)); n != "" {
				return n
			}
			return code
		},
		OrgType: func(code string) string {
			if code == "" {
				return t("outcome.md.not_given")
			}
			return t("orgtype." + code)
		},
		Format: func(f workshops.Format) string { return t("format." + string(f)) },
	}
	if w.GroupID != "" {
		g, err := s.auth.Group(ctx, w.GroupID)
		if err != nil && !errors.Is(err, auth.ErrNotFound) {
			return l, err
		}
		if g != nil {
			l.Group = g.Name
		}
	}
	return l, nil
}

// assembleOutcome rebuilds the room from its stored events and stores the
// draft made from it; lang is the language of the document's headings.
func (s *Server) assembleOutcome(ctx context.Context, lang string, w *workshops.Workshop, by string) (*workshops.OutcomeDraft, error) {
	o, err := s.live.Outcome(ctx, w.ID)
	if err != nil {
		return nil, err
	}
	return s.storeOutcome(ctx, lang, w, by, o)
}

// storeOutcome turns a room's outcome, the workshop and its attendance
// into the draft: counts for everyone, names only with consent.
func (s *Server) storeOutcome(ctx context.Context, lang string, w *workshops.Workshop, by string, o live.Outcome) (*workshops.OutcomeDraft, error) {
	normaliseOutcome(&o)
	att, err := s.workshops.Attendees(ctx, w.ID)
	if err != nil {
		return nil, err
	}
	consent, err := s.workshops.NamedMembers(ctx, w.ID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(att))
	for _, a := range att {
		ids = append(ids, a.MemberID)
	}
	members, err := s.auth.MembersByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	var named []workshops.NamedRef
	counts := workshops.CountAttendance(ids,
		func(id string) string {
			if m := members[id]; m != nil {
				return m.Country
			}
			return ""
		},
		func(id string) string {
			if m := members[id]; m != nil {
				return string(m.OrgType)
			}
			return ""
		},
		func(id string) (string, bool) {
			m := members[id]
			if m == nil || !consent[id] || m.Status == auth.StatusDeleted {
				return "", false
			}
			named = append(named, workshops.NamedRef{ID: id, Name: m.Name})
			return m.Name, true
		})
	labels, err := s.outcomeLabels(ctx, lang, w)
	if err != nil {
		return nil, err
	}
	data := workshops.OutcomeData{Outcome: o, Attendance: counts, ActionItems: workshops.ActionItems(o, labels)}
	md := workshops.RenderOutcome(w, data, labels)
	return s.workshops.SaveAssembled(ctx, w.ID, by, md, data, named, defaultOutcomeVisibility(w))
}

// normaliseOutcome makes empty parts empty lists, not nulls, for scripts.
func normaliseOutcome(o *live.Outcome) {
	if o.Agenda == nil {
		o.Agenda = []live.AgendaItem{}
	}
	if o.Polls == nil {
		o.Polls = []live.PollView{}
	}
	if o.Questions == nil {
		o.Questions = []live.QuestionView{}
	}
	if o.Boards == nil {
		o.Boards = []live.BoardView{}
	}
	if o.Breakouts == nil {
		o.Breakouts = []live.BreakoutView{}
	}
}

// outcomeDraft returns the stored draft, assembling it first if the
// workshop was never closed.
func (s *Server) outcomeDraft(ctx context.Context, lang string, w *workshops.Workshop, by string) (*workshops.OutcomeDraft, error) {
	d, err := s.workshops.Outcome(ctx, w.ID)
	if errors.Is(err, workshops.ErrNotFound) {
		return s.assembleOutcome(ctx, lang, w, by)
	}
	return d, err
}

// checkOutcomeEdit validates what a facilitator sends for the draft.
func checkOutcomeEdit(w *workshops.Workshop, markdown, visibility string) error {
	if utf8.RuneCountInString(markdown) > maxOutcomeRunes {
		return fault.New(fault.TooLarge, "outcome.error.too_long", maxOutcomeRunes).OnField("markdown")
	}
	if strings.TrimSpace(markdown) == "" {
		return fault.New(fault.Invalid, "outcome.error.empty").OnField("markdown")
	}
	if !validOutcomeVisibility(w, visibility) {
		return fault.New(fault.Invalid, "outcome.error.visibility").OnField("visibility")
	}
	return nil
}

// PublishOutcome publishes a workshop's outcome draft to the library as
// member m: the first time it creates a resource of type workshop outcome
// linked to the workshop (produced_by); afterwards it adds a version to
// that same resource and applies the chosen visibility. It returns the
// resource ID. The review page, the API and the demo seed all publish
// through here.
func (s *Server) PublishOutcome(ctx context.Context, lang string, w *workshops.Workshop, m *auth.Member) (string, error) {
	d, err := s.outcomeDraft(ctx, lang, w, m.ID)
	if err != nil {
		return "", err
	}
	if err := checkOutcomeEdit(w, d.Markdown, d.Visibility); err != nil {
		return "", err
	}
	t := func(key string, args ...any) string { return s.catalog.T(lang, key, args...) }
	title := t("outcome.resource_title", w.Title)
	if utf8.RuneCountInString(title) > 200 {
		title = string([]rune(title)[:199]) + "…"
	}
	meta := resources.Meta{Title: title, Summary: t("outcome.resource_summary", w.Title, w.StartsAt.UTC().Format("2006-01-02")),
		Type: "workshop_outcome", Licence: "cc_by", Visibility: resources.Visibility(d.Visibility), Year: w.StartsAt.Year()}
	for _, l := range w.Languages {
		if s.lib.Tax.Has(resources.VocLanguage, l) {
			meta.Languages = append(meta.Languages, l)
		}
	}
	if len(meta.Languages) == 0 {
		meta.Languages = []string{lang}
	}
	if meta.Visibility == resources.VisibilityGroup {
		meta.GroupID = w.GroupID
	}
	sp, err := s.lib.Receive(ctx, strings.NewReader(d.Markdown), "outcome-"+w.ID+".md")
	if err != nil {
		return "", err
	}
	defer sp.Close()

	var r *resources.Resource
	if d.ResourceID != "" {
		if r, err = s.lib.Resource(ctx, d.ResourceID); err != nil && !errors.Is(err, resources.ErrNotFound) {
			return "", err
		}
	}
	if r == nil {
		// The resource's identity is the workshop: a retried first
		// publication, or two facilitators publishing at the same moment,
		// get the same resource instead of a second one.
		if r, _, err = s.lib.CreateShared(ctx, m.ID, meta, sp, t("outcome.version_note"), "workshop-outcome:"+w.ID); err != nil {
			return "", err
		}
	} else {
		if r.Current().BlobID != sp.SHA256 {
			if r, err = s.lib.AddVersion(ctx, r.ID, m.ID, sp, t("outcome.version_note")); err != nil {
				return "", err
			}
		}
		upd := r.Meta
		upd.Visibility, upd.GroupID = meta.Visibility, meta.GroupID
		if _, err = s.lib.Update(ctx, r.ID, upd); err != nil {
			return "", err
		}
	}
	if err := s.lib.AddLink(ctx, r.ID, resources.Link{Kind: resources.LinkProducedBy, Target: w.ID}); err != nil {
		return "", err
	}
	if err := s.workshops.MarkPublished(ctx, w.ID, r.ID); err != nil {
		return "", err
	}
	return r.ID, nil
}

// facilitatedWorkshop loads a workshop the caller runs: 404 when unknown
// or hidden, 403 when the caller only takes part.
func (s *Server) facilitatedWorkshop(c *fiber.Ctx) (*workshops.Workshop, error) {
	w, acc, err := s.workshopFor(c, c.Params("id"))
	if err != nil {
		return nil, err
	}
	if !auth.CanFacilitate(currentMember(c), acc) {
		return nil, fault.New(fault.Forbidden, "error.403")
	}
	return w, nil
}

type outcomeOption struct {
	Value, Label string
	Selected     bool
}

type outcomePageData struct {
	W          *workshops.Workshop
	Markdown   string
	Visibility []outcomeOption
	Preview    template.HTML
	ResourceID string
	Error      string
	Field      string
}

func (s *Server) renderOutcomePage(c *fiber.Ctx, status int, w *workshops.Workshop, markdown, visibility, resourceID string, ferr error) error {
	d := outcomePageData{W: w, Markdown: markdown, ResourceID: resourceID,
		// The preview is the same sanitising renderer the library's printable page uses.
		Preview: template.HTML(s.forum.Renderer().HTML(markdown))} // #nosec G203 -- sanitised by bluemonday
	for _, v := range outcomeVisibilities(w) {
		d.Visibility = append(d.Visibility, outcomeOption{Value: v, Label: s.T(c, "outcome.visibility."+v), Selected: v == visibility})
	}
	if fe, ok := fault.As(ferr); ok {
		d.Error, d.Field = s.T(c, fe.Key, fe.Args...), fe.Field
	}
	return s.render(c, status, "workshop_outcome", s.newPage(c, s.T(c, "outcome.title", w.Title), "workshops", d))
}

// showOutcome is GET /workshops/:id/outcome: the facilitator's review page.
func (s *Server) showOutcome(c *fiber.Ctx) error {
	w, err := s.facilitatedWorkshop(c)
	if err != nil {
		return err
	}
	d, err := s.outcomeDraft(c.UserContext(), s.lang(c), w, currentMember(c).ID)
	if err != nil {
		return err
	}
	return s.renderOutcomePage(c, fiber.StatusOK, w, d.Markdown, d.Visibility, d.ResourceID, nil)
}

// saveOutcome is POST /workshops/:id/outcome: action "save" keeps the
// edited text, "reassemble" rebuilds it from the room (the edits go),
// "publish" saves and publishes. Invalid input comes back with what the
// facilitator typed.
func (s *Server) saveOutcome(c *fiber.Ctx) error {
	w, err := s.facilitatedWorkshop(c)
	if err != nil {
		return err
	}
	ctx, m, lang := c.UserContext(), currentMember(c), s.lang(c)
	action := formValue(c, "action")
	if action == "reassemble" {
		if _, err := s.assembleOutcome(ctx, lang, w, m.ID); err != nil {
			return err
		}
		return s.redirectWithFlash(c, "/workshops/"+w.ID+"/outcome", "flash.outcome_reassembled")
	}
	if action != "save" && action != "publish" {
		return fault.New(fault.Invalid, "error.400")
	}
	d, err := s.outcomeDraft(ctx, lang, w, m.ID)
	if err != nil {
		return err
	}
	markdown := strings.ReplaceAll(formValue(c, "markdown"), "\r\n", "\n")
	visibility := formValue(c, "visibility")
	if err := checkOutcomeEdit(w, markdown, visibility); err != nil {
		if fe, ok := fault.As(err); ok && fe.Kind == fault.Invalid {
			return s.renderOutcomePage(c, fiber.StatusUnprocessableEntity, w, markdown, visibility, d.ResourceID, fe)
		}
		return err
	}
	if err := s.workshops.SaveEdit(ctx, w.ID, m.ID, markdown, visibility); err != nil {
		return err
	}
	if action == "save" {
		return s.redirectWithFlash(c, "/workshops/"+w.ID+"/outcome", "flash.outcome_saved")
	}
	id, err := s.PublishOutcome(ctx, lang, w, m)
	if err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/library/"+id, "flash.outcome_published")
}

// outcomeJSON is the API's view of an outcome.
type outcomeJSON struct {
	Markdown   string                `json:"markdown"`
	Outcome    workshops.OutcomeData `json:"outcome"`
	Visibility string                `json:"visibility"`
	Published  *string               `json:"published"`
}

func toOutcomeJSON(d *workshops.OutcomeDraft) outcomeJSON {
	out := outcomeJSON{Markdown: d.Markdown, Outcome: d.Data, Visibility: d.Visibility}
	normaliseOutcome(&out.Outcome.Outcome)
	if out.Outcome.ActionItems == nil {
		out.Outcome.ActionItems = []workshops.ActionItem{}
	}
	if d.ResourceID != "" {
		id := d.ResourceID
		out.Published = &id
	}
	return out
}

// showOutcomeAPI is GET /api/v1/workshops/:id/outcome. Facilitators get
// the draft at any time (assembled now if the workshop was never closed).
// Other members who may see the workshop get it once it is published and
// only if they may see the library resource; before that, 403.
func (s *Server) showOutcomeAPI(c *fiber.Ctx) error {
	w, acc, err := s.workshopFor(c, c.Params("id"))
	if err != nil {
		return err
	}
	ctx, m := c.UserContext(), currentMember(c)
	c.Set(fiber.HeaderCacheControl, "no-store")
	if auth.CanFacilitate(m, acc) {
		d, err := s.outcomeDraft(ctx, s.lang(c), w, m.ID)
		if err != nil {
			return err
		}
		return c.JSON(toOutcomeJSON(d))
	}
	d, err := s.workshops.Outcome(ctx, w.ID)
	if errors.Is(err, workshops.ErrNotFound) || (err == nil && !d.Published()) {
		return fault.New(fault.Forbidden, "error.403")
	}
	if err != nil {
		return err
	}
	r, err := s.lib.Resource(ctx, d.ResourceID)
	if err != nil {
		return fault.New(fault.Forbidden, "error.403")
	}
	v, _, err := s.viewerOf(ctx, m)
	if err != nil {
		return err
	}
	if !v.CanSee(r) {
		return fault.New(fault.Forbidden, "error.403")
	}
	// Others get what was published, not the draft: the facilitator may
	// have edited names or notes out of the document after assembling it,
	// and may have edited the draft again since publishing.
	md, err := s.publishedText(ctx, r)
	if err != nil {
		return err
	}
	items := d.OpenActionItems()
	if items == nil {
		items = []workshops.ActionItem{}
	}
	return c.JSON(publishedOutcomeJSON{Markdown: md, OpenActionItems: items, Visibility: string(r.Visibility), Published: r.ID})
}

// publishedOutcomeJSON is a published outcome as members other than its
// facilitators get it from the API: the library document and the open
// action items the next workshop of the series shows.
type publishedOutcomeJSON struct {
	Markdown        string                 `json:"markdown"`
	OpenActionItems []workshops.ActionItem `json:"open_action_items"`
	Visibility      string                 `json:"visibility"`
	Published       string                 `json:"published"`
}

// publishedText reads the Markdown of a published outcome's latest version.
func (s *Server) publishedText(ctx context.Context, r *resources.Resource) (string, error) {
	v := r.Current()
	if v.Kind != resources.KindMarkdown {
		return "", nil
	}
	f, err := s.lib.OpenVersion(ctx, v)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	return string(b), err
}

// publishOutcomeAPI is POST /api/v1/workshops/:id/outcome/publish for
// facilitators; an optional JSON body {markdown, visibility} replaces the
// draft's text or audience first.
func (s *Server) publishOutcomeAPI(c *fiber.Ctx) error {
	w, err := s.facilitatedWorkshop(c)
	if err != nil {
		return err
	}
	ctx, m, lang := c.UserContext(), currentMember(c), s.lang(c)
	var req struct {
		Markdown   *string `json:"markdown"`
		Visibility *string `json:"visibility"`
	}
	if body := c.Body(); len(strings.TrimSpace(string(body))) > 0 {
		if !strings.HasPrefix(string(c.Request().Header.ContentType()), fiber.MIMEApplicationJSON) {
			return fault.New(fault.Invalid, "outcome.error.json")
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return fault.Wrap(fault.Invalid, err, "outcome.error.json")
		}
	}
	d, err := s.outcomeDraft(ctx, lang, w, m.ID)
	if err != nil {
		return err
	}
	if req.Markdown != nil || req.Visibility != nil {
		md, vis := d.Markdown, d.Visibility
		if req.Markdown != nil {
			md = strings.ReplaceAll(*req.Markdown, "\r\n", "\n")
		}
		if req.Visibility != nil {
			vis = *req.Visibility
		}
		if err := checkOutcomeEdit(w, md, vis); err != nil {
			return err
		}
		if err := s.workshops.SaveEdit(ctx, w.ID, m.ID, md, vis); err != nil {
			return err
		}
	}
	id, err := s.PublishOutcome(ctx, lang, w, m)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"id": id})
}

// SeedOutcome publishes an outcome for a workshop whose room left no
// events (the demo's past workshop): the room's outcome is given, and the
// rest (attendance, consent, rendering, the library resource and its link)
// goes through the same path as a closed room's. It returns the resource.
func (s *Server) SeedOutcome(ctx context.Context, workshopID, facilitatorID string, o live.Outcome, visibility string) (string, error) {
	w, err := s.workshops.Workshop(ctx, workshopID)
	if err != nil {
		return "", err
	}
	m, err := s.auth.Member(ctx, facilitatorID)
	if err != nil {
		return "", err
	}
	d, err := s.storeOutcome(ctx, "en", w, m.ID, o)
	if err != nil {
		return "", err
	}
	if visibility != "" {
		if err := s.workshops.SaveEdit(ctx, w.ID, m.ID, d.Markdown, visibility); err != nil {
			return "", err
		}
	}
	return s.PublishOutcome(ctx, "en", w, m)
}
