package server

import (
	"context"
	netmail "net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/frontend"
	"github.com/circularfairict/portal/mail"
	"github.com/circularfairict/portal/workshops"
)

// newMailer returns the SMTP sender when configured, else one that discards.
func (s *Server) newMailer() mail.Sender {
	c := s.cfg.SMTP
	if !c.Enabled() {
		return mail.Discard{}
	}
	return &mail.SMTP{Host: c.Host, Port: c.Port, Username: c.Username, Password: c.Password, From: c.From, TLS: c.TLS}
}

// newOutbox queues every e-mail in the database; Message-IDs take the
// domain of the sender address.
func (s *Server) newOutbox() *mail.Outbox {
	domain := s.cfg.SMTP.From
	if a, err := netmail.ParseAddress(domain); err == nil {
		domain = a.Address
	}
	if i := strings.LastIndex(domain, "@"); i >= 0 {
		domain = domain[i+1:]
	} else if u, err := url.Parse(s.cfg.BaseURL); err == nil {
		domain = u.Hostname()
	}
	return mail.NewOutbox(s.store.DB, s.mailer, mail.OutboxOptions{RetryFor: s.cfg.MailRetryFor, Domain: domain, Logger: s.log})
}

// memberLang is the language to write to a member in.
func memberLang(m *auth.Member) string {
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

// sendMail queues m in the outbox: the request waits for the database, not
// for the mail server, and the worker retries until it is delivered.
func (s *Server) sendMail(c *fiber.Ctx, m mail.Message) {
	if err := s.outbox.Enqueue(c.UserContext(), m); err != nil {
		s.log.Error("mail not queued", "err", err, "request_id", requestID(c))
	}
}

// notifyDecision tells a member by e-mail that their membership was decided;
// the profile page tells them too.
func (s *Server) notifyDecision(c *fiber.Ctx, m *auth.Member, approved bool, message string) {
	lang := memberLang(m)
	key := "mail.decision.rejected"
	if approved {
		key = "mail.decision.approved"
	}
	var body strings.Builder
	body.WriteString(s.catalog.T(lang, "mail.greeting", m.Name) + "\n\n")
	body.WriteString(s.catalog.T(lang, key) + "\n\n")
	if message != "" {
		body.WriteString(s.catalog.T(lang, "profile.review_message") + "\n" + message + "\n\n")
	}
	body.WriteString(s.catalog.T(lang, "mail.decision.link", s.cfg.BaseURL+"/profile") + "\n")
	s.sendMail(c, mail.Message{To: m.Email, Subject: s.catalog.T(lang, key+".subject"), Body: body.String(), Lang: lang, MemberID: m.ID})
}

// notifyPromoted tells members moved from the waiting list to a seat.
// A registration outlives the right that allowed it, so members who may no
// longer see the workshop are not told its title.
func (s *Server) notifyPromoted(c *fiber.Ctx, w *workshops.Workshop, memberIDs []string) {
	if len(memberIDs) == 0 {
		return
	}
	title, workshopID := w.Title, w.ID
	ms, err := s.auth.MembersByID(c.UserContext(), memberIDs)
	if err != nil {
		s.log.Warn("promoted members not notified", "err", err, "request_id", requestID(c))
		return
	}
	can, err := s.workshopPolicy(c.UserContext())
	if err != nil {
		s.log.Warn("promoted members not notified", "err", err, "request_id", requestID(c))
		return
	}
	for _, m := range ms {
		if !can(m, w) {
			continue
		}
		lang := memberLang(m)
		body := s.catalog.T(lang, "mail.greeting", m.Name) + "\n\n" +
			s.catalog.T(lang, "mail.workshop_promoted", title, s.cfg.BaseURL+"/workshops/"+workshopID) + "\n"
		s.sendMail(c, mail.Message{To: m.Email, Subject: s.catalog.T(lang, "mail.workshop_promoted.subject", title), Body: body, Lang: lang, MemberID: m.ID})
	}
}

// reminderLead is how long before a workshop its reminder goes out.
const reminderLead = 24 * time.Hour

// sendReminders e-mails registered members of workshops starting within a
// day, once per workshop. The background sweeper calls it.
func (s *Server) sendReminders(ctx context.Context) {
	if !s.outbox.Enabled() {
		return
	}
	ws, err := s.workshops.DueReminders(ctx, reminderLead)
	if err != nil {
		s.log.Warn("workshop reminders", "err", err)
		return
	}
	if len(ws) == 0 {
		return
	}
	can, err := s.workshopPolicy(ctx)
	if err != nil {
		s.log.Warn("workshop reminders", "err", err)
		return
	}
	for _, w := range ws {
		claimed, err := s.workshops.ClaimReminder(ctx, w.ID)
		if err != nil {
			s.log.Warn("workshop reminders", "err", err, "workshop", w.ID)
		}
		if !claimed {
			continue
		}
		regs, err := s.workshops.Registrations(ctx, w.ID)
		if err != nil {
			s.log.Warn("workshop reminders", "err", err, "workshop", w.ID)
			continue
		}
		var ids []string
		for _, r := range regs {
			if r.Status == workshops.Registered {
				ids = append(ids, r.MemberID)
			}
		}
		ms, err := s.auth.MembersByID(ctx, ids)
		if err != nil {
			s.log.Warn("workshop reminders", "err", err, "workshop", w.ID)
			continue
		}
		for _, m := range ms {
			// Registered while they could see it, perhaps no longer.
			if !m.Approved() || m.Email == "" || !can(m, w) {
				continue
			}
			lang := memberLang(m)
			// An e-mail has no browser to convert the time: it is written in
			// the member's zone, named, so that it cannot be misread.
			loc := s.memberZone(m)
			when := w.StartsAt.In(loc).Format("2006-01-02 15:04 MST") + " (" + loc.String() + ")"
			body := s.catalog.T(lang, "mail.greeting", m.Name) + "\n\n" +
				s.catalog.T(lang, "mail.workshop_reminder", w.Title, when, s.cfg.BaseURL+"/workshops/"+w.ID) + "\n"
			msg := mail.Message{To: m.Email, Subject: s.catalog.T(lang, "mail.workshop_reminder.subject", w.Title), Body: body, Lang: lang, MemberID: m.ID}
			if err := s.outbox.Enqueue(ctx, msg); err != nil {
				s.log.Error("reminder not queued", "err", err, "workshop", w.ID)
			}
		}
	}
}

// memberZone is where the portal writes a member's times when no browser
// does (e-mails, calendars): the member's own zone, else PORTAL_TIME_ZONE.
func (s *Server) memberZone(m *auth.Member) *time.Location {
	for _, tz := range []string{memberTimeZone(m), s.cfg.TimeZone} {
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
