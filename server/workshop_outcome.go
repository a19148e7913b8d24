package server

import (
	"encoding/json"
	"errors"
	"html/template"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/app"
	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/workshops"
)

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
	for _, v := range app.OutcomeVisibilities(w) {
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
	d, err := s.core.OutcomeDraft(c.UserContext(), s.lang(c), w, currentMember(c).ID)
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
		if _, err := s.core.AssembleOutcome(ctx, lang, w, m.ID); err != nil {
			return err
		}
		return s.redirectWithFlash(c, "/workshops/"+w.ID+"/outcome", "flash.outcome_reassembled")
	}
	if action != "save" && action != "publish" {
		return fault.New(fault.Invalid, "error.400")
	}
	d, err := s.core.OutcomeDraft(ctx, lang, w, m.ID)
	if err != nil {
		return err
	}
	markdown := strings.ReplaceAll(formValue(c, "markdown"), "\r\n", "\n")
	visibility := formValue(c, "visibility")
	if err := app.CheckOutcomeEdit(w, markdown, visibility); err != nil {
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
	id, err := s.core.PublishOutcome(ctx, lang, w, m)
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
	app.NormaliseOutcome(&out.Outcome.Outcome)
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
		d, err := s.core.OutcomeDraft(ctx, s.lang(c), w, m.ID)
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
	v, _, err := s.core.ViewerOf(ctx, m)
	if err != nil {
		return err
	}
	if !v.CanSee(r) {
		return fault.New(fault.Forbidden, "error.403")
	}
	// Others get what was published, not the draft: the facilitator may
	// have edited names or notes out of the document after assembling it,
	// and may have edited the draft again since publishing.
	md, err := s.core.PublishedText(ctx, r)
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
	d, err := s.core.OutcomeDraft(ctx, lang, w, m.ID)
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
		if err := app.CheckOutcomeEdit(w, md, vis); err != nil {
			return err
		}
		if err := s.workshops.SaveEdit(ctx, w.ID, m.ID, md, vis); err != nil {
			return err
		}
	}
	id, err := s.core.PublishOutcome(ctx, lang, w, m)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"id": id})
}
