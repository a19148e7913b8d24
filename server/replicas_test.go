package server

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/mail"
	"github.com/circularfairict/portal/mail/mailtest"
	"github.com/circularfairict/portal/store/storetest"
	"github.com/circularfairict/portal/workshops"
)

// Two servers on one database run their reminder and digest jobs at the
// same moment: each reminder and each digest goes out once.
func TestJobsOnceAcrossServers(t *testing.T) {
	smtp := mailtest.Start(t)
	sender := &mail.SMTP{Host: smtp.Host, Port: smtp.Port, From: "portal@example.org", TLS: mail.TLSNone}
	a, _ := newTestServer(t, opts{mail: sender})
	b, _ := newTestServer(t, opts{mail: sender, store: a.store})
	ctx := context.Background()

	facilitator := newMember(t, a, "Two Facilitator", auth.StatusApproved, auth.RoleFacilitator)
	soon := time.Now().Add(3 * time.Hour).Truncate(time.Minute)
	w, err := a.workshops.Create(ctx, facilitator.ID, workshops.Input{Title: "Clinic on two servers", StartsAt: soon, EndsAt: soon.Add(time.Hour), TimeZone: "Europe/Brussels"})
	if err != nil {
		t.Fatal(err)
	}
	seated := newMember(t, a, "Two Seated", auth.StatusApproved, auth.RoleMember)
	if _, err := a.workshops.Register(ctx, w, seated.ID); err != nil {
		t.Fatal(err)
	}

	author := newMember(t, a, "Two Author", auth.StatusApproved, auth.RoleMember)
	replier := newMember(t, a, "Two Replier", auth.StatusApproved, auth.RoleMember)
	ca := newClient(t, a)
	ca.signInAs(author.ID)
	tid := startThreadAs(t, ca, "A thread replied to on two servers", "Who answers?", nil)
	cb := newClient(t, b)
	cb.signInAs(replier.ID)
	replyAs(t, cb, tid, "I do, from the other server.")
	now := time.Now().UTC()
	a.core.SendDigestsAt(ctx, now) // the author's default daily digest starts counting

	storetest.Together(4, func(i int) {
		s := []*Server{a, b}[i%2]
		s.core.SendReminders(ctx)
		s.core.SendDigestsAt(ctx, now.Add(25*time.Hour))
	})
	drainMail(t, a) // one outbox for both servers: their workers share it
	// Every queued message has been sent (the outbox counts a message sent
	// once the SMTP server has it), by whichever server claimed it.
	got := map[string]int{}
	for _, m := range smtp.Messages() {
		got[m.To]++
	}
	if got[seated.Email] != 1 || got[author.Email] != 1 || len(smtp.Messages()) != 2 {
		t.Fatalf("mails per address %v; want one reminder to %s and one digest to %s", got, seated.Email, author.Email)
	}
}

// Two servers on one database spend one rate-limit budget: twenty sign-in
// page requests from one client, spread over both at the same moment, get
// exactly the limit through. Counted per process, each server let the
// limit through (twelve of twenty).
func TestRateLimitAcrossServers(t *testing.T) {
	const limit = 6
	a, _ := newTestServer(t, opts{rateLimit: limit, proxies: []string{"0.0.0.0"}})
	b, _ := newTestServer(t, opts{rateLimit: limit, proxies: []string{"0.0.0.0"}, store: a.store, empty: true})
	for run := 0; ; run++ {
		minute := time.Now().Truncate(time.Minute)
		var passed, refused atomic.Int32
		storetest.Together(20, func(i int) {
			c := newClient(t, []*Server{a, b}[i%2])
			c.header.Set("X-Forwarded-For", "198.51.100."+itoa(run+1)) // one client per run
			switch res, _ := c.get("/signin"); res.StatusCode {
			case 200:
				passed.Add(1)
			case 429:
				refused.Add(1)
			default:
				t.Errorf("status %d", res.StatusCode)
			}
		})
		if !time.Now().Truncate(time.Minute).Equal(minute) && run < 3 {
			continue // the window turned during the run: the budget was two
		}
		if passed.Load() != limit || refused.Load() != 20-limit {
			t.Fatalf("%d requests passed and %d were refused; want %d and %d", passed.Load(), refused.Load(), limit, 20-limit)
		}
		return
	}
}
