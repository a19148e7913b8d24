package app

import (
	"context"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/mail"
	"github.com/circularfairict/portal/workshops"
)

// CancelRegistration cancels memberID's registration for w and tells
// whoever it moved up from the waiting list. The caller has checked that
// the member may see w.
func (a *App) CancelRegistration(ctx context.Context, w *workshops.Workshop, memberID string) error {
	promoted, err := a.workshops.Cancel(ctx, w, memberID)
	if err != nil {
		return err
	}
	a.notifyPromoted(ctx, w, promoted)
	return nil
}

// WorkshopPolicy is auth.CanSeeWorkshop for any member and workshop, with
// the groups read once (jobs that mail many members).
func (a *App) WorkshopPolicy(ctx context.Context) (func(*auth.Member, *workshops.Workshop) bool, error) {
	groups, err := a.auth.Groups(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*auth.Group, len(groups))
	for _, g := range groups {
		byID[g.ID] = g
	}
	return func(m *auth.Member, w *workshops.Workshop) bool {
		acc := auth.WorkshopAccess{Facilitators: w.Facilitators}
		if w.GroupID != "" {
			if acc.Group = byID[w.GroupID]; acc.Group == nil {
				return false // its group is gone: shown to nobody
			}
		}
		return auth.CanSeeWorkshop(m, acc)
	}, nil
}

// reminderLead is how long before a workshop its reminder goes out.
const reminderLead = 24 * time.Hour

// SendReminders e-mails registered members of workshops starting within a
// day, once per workshop across replicas (a claim per workshop). The
// sweeper calls it.
func (a *App) SendReminders(ctx context.Context) {
	if !a.outbox.Enabled() {
		return
	}
	ws, err := a.workshops.DueReminders(ctx, reminderLead)
	if err != nil {
		a.log.Warn("workshop reminders", "err", err)
		return
	}
	if len(ws) == 0 {
		return
	}
	can, err := a.WorkshopPolicy(ctx)
	if err != nil {
		a.log.Warn("workshop reminders", "err", err)
		return
	}
	for _, w := range ws {
		claimed, err := a.workshops.ClaimReminder(ctx, w.ID)
		if err != nil {
			a.log.Warn("workshop reminders", "err", err, "workshop", w.ID)
		}
		if !claimed {
			continue
		}
		regs, err := a.workshops.Registrations(ctx, w.ID)
		if err != nil {
			a.log.Warn("workshop reminders", "err", err, "workshop", w.ID)
			continue
		}
		var ids []string
		for _, r := range regs {
			if r.Status == workshops.Registered {
				ids = append(ids, r.MemberID)
			}
		}
		ms, err := a.auth.MembersByID(ctx, ids)
		if err != nil {
			a.log.Warn("workshop reminders", "err", err, "workshop", w.ID)
			continue
		}
		for _, m := range ms {
			// Registered while they could see it, perhaps no longer.
			if !m.Approved() || m.Email == "" || !can(m, w) {
				continue
			}
			lang := MemberLang(m)
			// An e-mail has no browser to convert the time: it is written in
			// the member's zone, named, so that it cannot be misread.
			loc := a.MemberZone(m)
			when := w.StartsAt.In(loc).Format("2006-01-02 15:04 MST") + " (" + loc.String() + ")"
			body := a.catalog.T(lang, "mail.greeting", m.Name) + "\n\n" +
				a.catalog.T(lang, "mail.workshop_reminder", w.Title, when, a.cfg.BaseURL+"/workshops/"+w.ID) + "\n"
			msg := mail.Message{To: m.Email, Subject: a.catalog.T(lang, "mail.workshop_reminder.subject", w.Title), Body: body, Lang: lang, MemberID: m.ID}
			if err := a.outbox.Enqueue(ctx, msg); err != nil {
				a.log.Error("reminder not queued", "err", err, "workshop", w.ID)
			}
		}
	}
}
