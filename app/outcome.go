package app

import (
	"context"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/workshops"
	"github.com/circularfairict/portal/workshops/live"
)

// MaxOutcomeRunes bounds the outcome document a facilitator may publish.
const MaxOutcomeRunes = 100000

// OutcomeVisibilities are the audiences an outcome may be published to:
// the workshop's group (only when it has one), all members, or everyone.
func OutcomeVisibilities(w *workshops.Workshop) []string {
	if w.GroupID != "" {
		return []string{string(resources.VisibilityGroup), string(resources.VisibilityMembers), string(resources.VisibilityPublic)}
	}
	return []string{string(resources.VisibilityMembers), string(resources.VisibilityPublic)}
}

func defaultOutcomeVisibility(w *workshops.Workshop) string { return OutcomeVisibilities(w)[0] }

func validOutcomeVisibility(w *workshops.Workshop, v string) bool {
	for _, x := range OutcomeVisibilities(w) {
		if x == v {
			return true
		}
	}
	return false
}

// outcomeLabels gives the document's words in lang.
func (a *App) outcomeLabels(ctx context.Context, lang string, w *workshops.Workshop) (workshops.Labels, error) {
	t := func(key string, args ...any) string { return a.catalog.T(lang, key, args...) }
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
		g, err := a.auth.Group(ctx, w.GroupID)
		if err != nil && !errors.Is(err, auth.ErrNotFound) {
			return l, err
		}
		if g != nil {
			l.Group = g.Name
		}
	}
	return l, nil
}

// AssembleOutcome rebuilds the room from its stored events and stores the
// draft made from it; lang is the language of the document's headings.
func (a *App) AssembleOutcome(ctx context.Context, lang string, w *workshops.Workshop, by string) (*workshops.OutcomeDraft, error) {
	o, err := a.live.Outcome(ctx, w.ID)
	if err != nil {
		return nil, err
	}
	return a.StoreOutcome(ctx, lang, w, by, o)
}

// StoreOutcome turns a room's outcome, the workshop and its attendance
// into the draft: counts for everyone, names only with consent.
func (a *App) StoreOutcome(ctx context.Context, lang string, w *workshops.Workshop, by string, o live.Outcome) (*workshops.OutcomeDraft, error) {
	NormaliseOutcome(&o)
	att, err := a.workshops.Attendees(ctx, w.ID)
	if err != nil {
		return nil, err
	}
	consent, err := a.workshops.NamedMembers(ctx, w.ID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(att))
	for _, a := range att {
		ids = append(ids, a.MemberID)
	}
	members, err := a.auth.MembersByID(ctx, ids)
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
	labels, err := a.outcomeLabels(ctx, lang, w)
	if err != nil {
		return nil, err
	}
	data := workshops.OutcomeData{Outcome: o, Attendance: counts, ActionItems: workshops.ActionItems(o, labels)}
	md := workshops.RenderOutcome(w, data, labels)
	return a.workshops.SaveAssembled(ctx, w.ID, by, md, data, named, defaultOutcomeVisibility(w))
}

// NormaliseOutcome makes empty parts empty lists, not nulls, for scripts.
func NormaliseOutcome(o *live.Outcome) {
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

// OutcomeDraft returns the stored draft, assembling it first if the
// workshop was never closed.
func (a *App) OutcomeDraft(ctx context.Context, lang string, w *workshops.Workshop, by string) (*workshops.OutcomeDraft, error) {
	d, err := a.workshops.Outcome(ctx, w.ID)
	if errors.Is(err, workshops.ErrNotFound) {
		return a.AssembleOutcome(ctx, lang, w, by)
	}
	return d, err
}

// CheckOutcomeEdit validates what a facilitator sends for the draft.
func CheckOutcomeEdit(w *workshops.Workshop, markdown, visibility string) error {
	if utf8.RuneCountInString(markdown) > MaxOutcomeRunes {
		return fault.New(fault.TooLarge, "outcome.error.too_long", MaxOutcomeRunes).OnField("markdown")
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
func (a *App) PublishOutcome(ctx context.Context, lang string, w *workshops.Workshop, m *auth.Member) (string, error) {
	d, err := a.OutcomeDraft(ctx, lang, w, m.ID)
	if err != nil {
		return "", err
	}
	if err := CheckOutcomeEdit(w, d.Markdown, d.Visibility); err != nil {
		return "", err
	}
	t := func(key string, args ...any) string { return a.catalog.T(lang, key, args...) }
	title := t("outcome.resource_title", w.Title)
	if utf8.RuneCountInString(title) > 200 {
		title = string([]rune(title)[:199]) + "…"
	}
	meta := resources.Meta{Title: title, Summary: t("outcome.resource_summary", w.Title, w.StartsAt.UTC().Format("2006-01-02")),
		Type: "workshop_outcome", Licence: "cc_by", Visibility: resources.Visibility(d.Visibility), Year: w.StartsAt.Year()}
	for _, l := range w.Languages {
		if a.lib.Tax.Has(resources.VocLanguage, l) {
			meta.Languages = append(meta.Languages, l)
		}
	}
	if len(meta.Languages) == 0 {
		meta.Languages = []string{lang}
	}
	if meta.Visibility == resources.VisibilityGroup {
		meta.GroupID = w.GroupID
	}
	sp, err := a.lib.Receive(ctx, strings.NewReader(d.Markdown), "outcome-"+w.ID+".md")
	if err != nil {
		return "", err
	}
	defer sp.Close()

	var r *resources.Resource
	if d.ResourceID != "" {
		if r, err = a.lib.Resource(ctx, d.ResourceID); err != nil && !errors.Is(err, resources.ErrNotFound) {
			return "", err
		}
	}
	if r == nil {
		// The resource's identity is the workshop: a retried first
		// publication, or two facilitators publishing at the same moment,
		// get the same resource instead of a second one.
		if r, _, err = a.lib.CreateShared(ctx, m.ID, meta, sp, t("outcome.version_note"), "workshop-outcome:"+w.ID); err != nil {
			return "", err
		}
	} else {
		if r.Current().BlobID != sp.SHA256 {
			if r, err = a.lib.AddVersion(ctx, r.ID, m.ID, sp, t("outcome.version_note")); err != nil {
				return "", err
			}
		}
		upd := r.Meta
		upd.Visibility, upd.GroupID = meta.Visibility, meta.GroupID
		if _, err = a.lib.Update(ctx, r.ID, upd); err != nil {
			return "", err
		}
	}
	if err := a.lib.AddLink(ctx, r.ID, resources.Link{Kind: resources.LinkProducedBy, Target: w.ID}); err != nil {
		return "", err
	}
	if err := a.workshops.MarkPublished(ctx, w.ID, r.ID); err != nil {
		return "", err
	}
	return r.ID, nil
}

// PublishedText reads the Markdown of a published outcome's latest version.
func (a *App) PublishedText(ctx context.Context, r *resources.Resource) (string, error) {
	v := r.Current()
	if v.Kind != resources.KindMarkdown {
		return "", nil
	}
	f, err := a.lib.OpenVersion(ctx, v)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	return string(b), err
}

// SeedOutcome publishes an outcome for a workshop whose room left no
// events (the demo's past workshop): the room's outcome is given, and the
// rest (attendance, consent, rendering, the library resource and its link)
// goes through the same path as a closed room's. It returns the resource.
func (a *App) SeedOutcome(ctx context.Context, workshopID, facilitatorID string, o live.Outcome, visibility string) (string, error) {
	w, err := a.workshops.Workshop(ctx, workshopID)
	if err != nil {
		return "", err
	}
	m, err := a.auth.Member(ctx, facilitatorID)
	if err != nil {
		return "", err
	}
	d, err := a.StoreOutcome(ctx, "en", w, m.ID, o)
	if err != nil {
		return "", err
	}
	if visibility != "" {
		if err := a.workshops.SaveEdit(ctx, w.ID, m.ID, d.Markdown, visibility); err != nil {
			return "", err
		}
	}
	return a.PublishOutcome(ctx, "en", w, m)
}
