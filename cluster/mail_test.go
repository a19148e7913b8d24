package cluster

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/mail/mailtest"
)

// Both replicas run the sweeper that sends workshop reminders and
// discussion digests, at start and every ten minutes. Restarted together,
// twice, they race for the same due reminders and digests: each member
// gets each reminder and each digest exactly once (each is claimed by a
// unique _id in the shared database).
func TestRemindersAndDigestsGoOutOnceFromTwoReplicas(t *testing.T) {
	smtp := mailtest.Start(t)
	c := newCluster(t, map[string]string{"PORTAL_SMTP_HOST": smtp.Host, "PORTAL_SMTP_PORT": smtp.Port,
		"PORTAL_SMTP_FROM": "portal@example.org", "PORTAL_SMTP_TLS": "none"})
	ctx := context.Background()

	// A workshop starting within the reminder's lead (a day), with
	// registered members.
	fac := c.signIn(c.member("Fiona Facilitator", auth.RoleFacilitator))
	start := time.Now().UTC().Add(3 * time.Hour)
	var w struct {
		ID string `json:"id"`
	}
	if res, err := fac.json("POST", "/api/v1/workshops", map[string]any{"title": "Reminder clinic",
		"starts_at": start.Format(time.RFC3339), "ends_at": start.Add(time.Hour).Format(time.RFC3339), "capacity": 50,
		"agenda": []map[string]any{{"title": "Cases", "minutes": 60}}}, &w); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("create workshop: %v %v", res, err)
	}
	registered := map[string]bool{}
	for _, name := range []string{"Rene Registrant", "Rana Registrant", "Remi Registrant", "Rut Registrant"} {
		m := c.member(name, auth.RoleMember)
		res, err := c.signIn(m).json("POST", "/api/v1/workshops/"+w.ID+"/registrations", map[string]any{}, nil)
		if err != nil || res.StatusCode >= 300 {
			t.Fatalf("register: %v %v", res, err)
		}
		registered[m.Email] = true
	}

	// A member with unread activity whose daily digest is due.
	author := c.member("Dora Digest", auth.RoleMember)
	ca := c.signIn(author)
	var th struct {
		Thread struct {
			ID string `json:"id"`
		} `json:"thread"`
	}
	if res, err := ca.json("POST", "/api/v1/threads", map[string]string{"category": "general",
		"title": "Sharing audit costs between buyers", "body": "Who shares audit costs?"}, &th); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("thread: %v %v", res, err)
	}
	cr := c.signIn(c.member("Ria Reply", auth.RoleMember))
	for _, body := range []string{"We do.", "And a second reply."} {
		if res, err := cr.json("POST", "/api/v1/threads/"+th.Thread.ID+"/posts", map[string]string{"body": body}, nil); err != nil || res.StatusCode != http.StatusCreated {
			t.Fatalf("reply: %v %v", res, err)
		}
	}
	if err := forum.NewStore(c.store.DB).SetLastDigest(ctx, author.ID, time.Now().UTC().Add(-25*time.Hour)); err != nil {
		t.Fatal(err)
	}

	for round := range 2 {
		for _, r := range []string{"a", "b"} {
			c.stop(r)
		}
		var wg sync.WaitGroup
		for _, r := range []string{"a", "b"} {
			wg.Add(1)
			go func() { defer wg.Done(); c.start(r) }()
		}
		wg.Wait()
		if round == 0 {
			smtp.Wait(t, len(registered)+1, 30*time.Second)
		}
		// Time for a duplicate to arrive: the outbox sends within a second.
		time.Sleep(3 * time.Second)
	}

	reminders, digests := map[string]int{}, 0
	for _, m := range smtp.Messages() {
		switch {
		case strings.Contains(m.Header.Get("Subject"), "Reminder clinic"):
			reminders[m.To]++
		case m.To == author.Email:
			digests++
		}
	}
	for email := range registered {
		if reminders[email] != 1 {
			t.Errorf("%s got %d reminders", email, reminders[email])
		}
	}
	if len(reminders) != len(registered) {
		t.Errorf("reminders went to %v, registered are %v", reminders, registered)
	}
	if digests != 1 {
		t.Errorf("the digest went out %d times", digests)
	}
}
