package app

import (
	"context"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/mail"
	"github.com/circularfairict/portal/mail/mailtest"
	"github.com/circularfairict/portal/workshops"
)

// Registered members get one reminder e-mail a day ahead, in their language;
// members on the waiting list, cancelled ones and later sweeps send nothing.
func TestWorkshopReminders(t *testing.T) {
	smtp := mailtest.Start(t)
	s, _ := newTestApp(t, &mail.SMTP{Host: smtp.Host, Port: smtp.Port, From: "portal@example.org", TLS: mail.TLSNone})
	ctx := context.Background()
	facilitator := newMember(t, s, "Rem Facilitator", auth.StatusApproved, auth.RoleFacilitator)
	soon := time.Now().Add(3 * time.Hour).Truncate(time.Minute)
	w, err := s.workshops.Create(ctx, facilitator.ID, workshops.Input{Title: "Case clinic on repair clauses", StartsAt: soon, EndsAt: soon.Add(time.Hour), Capacity: 1, TimeZone: "Europe/Brussels"})
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(72 * time.Hour)
	if _, err := s.workshops.Create(ctx, facilitator.ID, workshops.Input{Title: "Later webinar", StartsAt: later, EndsAt: later.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	seated := newMember(t, s, "Rem Seated", auth.StatusApproved, auth.RoleMember)
	waiting := newMember(t, s, "Rem Waiting", auth.StatusApproved, auth.RoleMember)
	if err := s.auth.SetLocale(ctx, seated.ID, "fr"); err != nil {
		t.Fatal(err)
	}
	// The e-mail has no browser to convert the time: it is in the member's
	// zone, which it names.
	if err := s.auth.SetTimeZone(ctx, seated.ID, "America/Toronto"); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*auth.Member{seated, waiting} {
		if _, err := s.workshops.Register(ctx, w, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	toronto, err := time.LoadLocation("America/Toronto")
	if err != nil {
		t.Fatal(err)
	}
	s.SendReminders(ctx)
	s.SendReminders(ctx) // a second sweep sends nothing more
	drainMail(t, s)
	smtp.Wait(t, 1, 10*time.Second)
	time.Sleep(200 * time.Millisecond) // a second reminder would arrive by now
	if msgs := smtp.Messages(); len(msgs) != 1 {
		t.Fatalf("%d reminders, want 1: %+v", len(msgs), msgs)
	}
	msgs := smtp.Messages()
	if msgs[0].To != seated.Email || !strings.Contains(msgs[0].Body, "Rappel") || !strings.Contains(msgs[0].Body, "Case clinic on repair clauses") ||
		!strings.Contains(msgs[0].Body, "/workshops/"+w.ID) || !strings.Contains(msgs[0].Body, soon.In(toronto).Format("2006-01-02 15:04")+" E") ||
		!strings.Contains(msgs[0].Body, "(America/Toronto)") {
		t.Fatalf("reminder: %+v", msgs[0])
	}
}

// Cancelling a seat moves the first member of the waiting list up and
// tells them, in their language; a member who may no longer see the
// workshop is moved up but not told its title.
func TestCancelRegistrationPromotes(t *testing.T) {
	smtp := mailtest.Start(t)
	a, _ := newTestApp(t, &mail.SMTP{Host: smtp.Host, Port: smtp.Port, From: "portal@example.org", TLS: mail.TLSNone})
	ctx := context.Background()
	facilitator := newMember(t, a, "Cancel Facilitator", auth.StatusApproved, auth.RoleFacilitator)
	at := time.Now().Add(72 * time.Hour).Truncate(time.Minute)
	w, err := a.workshops.Create(ctx, facilitator.ID, workshops.Input{Title: "Clinic with one seat", StartsAt: at, EndsAt: at.Add(time.Hour), Capacity: 1, TimeZone: "Europe/Brussels"})
	if err != nil {
		t.Fatal(err)
	}
	seated := newMember(t, a, "Cancel Seated", auth.StatusApproved, auth.RoleMember)
	waiting := newMember(t, a, "Cancel Waiting", auth.StatusApproved, auth.RoleMember)
	if err := a.auth.SetLocale(ctx, waiting.ID, "nl"); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*auth.Member{seated, waiting} {
		if _, err := a.workshops.Register(ctx, w, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.CancelRegistration(ctx, w, seated.ID); err != nil {
		t.Fatal(err)
	}
	r, err := a.workshops.Registration(ctx, w.ID, waiting.ID)
	if err != nil || r.Status != workshops.Registered {
		t.Fatalf("waiting member after the cancellation: %+v, %v", r, err)
	}
	drainMail(t, a)
	smtp.Wait(t, 1, 10*time.Second)
	msgs := smtp.Messages()
	want := a.catalog.T("nl", "mail.workshop_promoted.subject", w.Title)
	if len(msgs) != 1 {
		t.Fatalf("%d mails, want 1: %+v", len(msgs), msgs)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msgs[0].Header.Get("Subject"))
	if err != nil || msgs[0].To != waiting.Email || subject != want || !strings.Contains(msgs[0].Body, "/workshops/"+w.ID) {
		t.Fatalf("promotion mail: %+v; want one to %s titled %q", msgs, waiting.Email, want)
	}
}
