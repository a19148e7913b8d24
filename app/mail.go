package app

import (
	"context"
	"log/slog"
	netmail "net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/frontend"
	"github.com/circularfairict/portal/mail"
	"github.com/circularfairict/portal/workshops"
)

// newMailer returns the SMTP sender when configured, else one that discards.
func (a *App) newMailer() mail.Sender {
	c := a.cfg.SMTP
	if !c.Enabled() {
		return mail.Discard{}
	}
	return &mail.SMTP{Host: c.Host, Port: c.Port, Username: c.Username, Password: c.Password, From: c.From, TLS: c.TLS}
}

// newOutbox queues every e-mail in the database; Message-IDs take the
// domain of the sender address.
func (a *App) newOutbox() *mail.Outbox {
	domain := a.cfg.SMTP.From
	if ad, err := netmail.ParseAddress(domain); err == nil {
		domain = ad.Address
	}
	if i := strings.LastIndex(domain, "@"); i >= 0 {
		domain = domain[i+1:]
	} else if u, err := url.Parse(a.cfg.BaseURL); err == nil {
		domain = u.Hostname()
	}
	return mail.NewOutbox(a.store.DB, a.mailer, mail.OutboxOptions{RetryFor: a.cfg.MailRetryFor, Domain: domain, Logger: a.log})
}

type requestIDKey struct{}

// WithRequestID names the request a workflow runs for: what it logs
// carries the ID, so a failure can be found from the error page's reference.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// logFor is the logger for work done under ctx.
func (a *App) logFor(ctx context.Context) *slog.Logger {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok && id != "" {
		return a.log.With("request_id", id)
	}
	return a.log
}

// MemberLang is the language to write to a member in.
func MemberLang(m *auth.Member) string {
	if frontend.Supported(m.Locale) {
		return m.Locale
	}
	for _, l := range m.Languages {
		if frontend.Supported(l) {
			return l
		}
	}
	return frontend.Languages[0]
}

// SendMail queues m in the outbox: the caller waits for the database, not
// for the mail server, and the worker retries until it is delivered.
func (a *App) SendMail(ctx context.Context, m mail.Message) {
	if err := a.outbox.Enqueue(ctx, m); err != nil {
		a.logFor(ctx).Error("mail not queued", "err", err)
	}
}

// NotifyDecision tells a member by e-mail that their membership was
// decided; the profile page tells them too.
func (a *App) NotifyDecision(ctx context.Context, m *auth.Member, approved bool, message string) {
	lang := MemberLang(m)
	key := "mail.decision.rejected"
	if approved {
		key = "mail.decision.approved"
	}
	var body strings.Builder
	body.WriteString(a.catalog.T(lang, "mail.greeting", m.Name) + "\n\n")
	body.WriteString(a.catalog.T(lang, key) + "\n\n")
	if message != "" {
		body.WriteString(a.catalog.T(lang, "profile.review_message") + "\n" + message + "\n\n")
	}
	body.WriteString(a.catalog.T(lang, "mail.decision.link", a.cfg.BaseURL+"/profile") + "\n")
	a.SendMail(ctx, mail.Message{To: m.Email, Subject: a.catalog.T(lang, key+".subject"), Body: body.String(), Lang: lang, MemberID: m.ID})
}

// notifyPromoted tells members moved from the waiting list to a seat.
// A registration outlives the right that allowed it, so members who may no
// longer see the workshop are not told its title.
func (a *App) notifyPromoted(ctx context.Context, w *workshops.Workshop, memberIDs []string) {
	if len(memberIDs) == 0 {
		return
	}
	title, workshopID := w.Title, w.ID
	ms, err := a.auth.MembersByID(ctx, memberIDs)
	if err != nil {
		a.logFor(ctx).Warn("promoted members not notified", "err", err)
		return
	}
	can, err := a.WorkshopPolicy(ctx)
	if err != nil {
		a.logFor(ctx).Warn("promoted members not notified", "err", err)
		return
	}
	for _, m := range ms {
		if !can(m, w) {
			continue
		}
		lang := MemberLang(m)
		body := a.catalog.T(lang, "mail.greeting", m.Name) + "\n\n" +
			a.catalog.T(lang, "mail.workshop_promoted", title, a.cfg.BaseURL+"/workshops/"+workshopID) + "\n"
		a.SendMail(ctx, mail.Message{To: m.Email, Subject: a.catalog.T(lang, "mail.workshop_promoted.subject", title), Body: body, Lang: lang, MemberID: m.ID})
	}
}

// MemberZone is where the portal writes a member's times when no browser
// does (e-mails, calendars): the member's own zone, else PORTAL_TIME_ZONE.
func (a *App) MemberZone(m *auth.Member) *time.Location {
	for _, tz := range []string{memberTimeZone(m), a.cfg.TimeZone} {
		if tz != "" && auth.ValidTimeZone(tz) {
			if loc, err := time.LoadLocation(tz); err == nil {
				return loc
			}
		}
	}
	return time.UTC
}

func memberTimeZone(m *auth.Member) string {
	if m == nil {
		return ""
	}
	return m.TimeZone
}
