package cluster

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/mail/mailtest"
)

// Both replicas run the sweeper that sends workshop reminders and
// discussion digests, at start and every ten minutes. Restarted together,
// twice, they race for the same due reminders and digests (enough of them
// that the two sweeps overlap): each member gets each reminder and each
// digest exactly once (each is claimed by a unique _id in the shared
// database).
func TestRemindersAndDigestsGoOutOnceFromTwoReplicas(t *testing.T) {
	smtp := mailtest.Start(t)
	c := newCluster(t, map[string]string{"PORTAL_SMTP_HOST": smtp.Host, "PORTAL_SMTP_PORT": smtp.Port,
		"PORTAL_SMTP_FROM": "portal@example.org", "PORTAL_SMTP_TLS": "none"})
	ctx := context.Background()
	const workshops, authors = 8, 6

	// Workshops starting within the reminder's lead (a day), each with the
	// same registered members.
	fac := c.signIn(c.member("Fiona Facilitator", auth.RoleFacilitator))
	var regs []*client
	registered := map[string]bool{}
	for _, name := range []string{"Rene Registrant", "Rana Registrant", "Remi Registrant"} {
		m := c.member(name, auth.RoleMember)
		regs = append(regs, c.signIn(m))
		registered[m.Email] = true
	}
	start := time.Now().UTC().Add(3 * time.Hour)
	for i := range workshops {
		var w struct {
			ID string `json:"id"`
		}
		if res, err := fac.json("POST", "/api/v1/workshops", map[string]any{"title": fmt.Sprintf("Reminder clinic %d", i),
			"starts_at": start.Format(time.RFC3339), "ends_at": start.Add(time.Hour).Format(time.RFC3339), "capacity": 50,
			"agenda": []map[string]any{{"title": "Cases", "minutes": 60}}}, &w); err != nil || res.StatusCode != http.StatusCreated {
			t.Fatalf("create workshop: %v %v", res, err)
		}
		for _, cl := range regs {
			if res, err := cl.json("POST", "/api/v1/workshops/"+w.ID+"/registrations", map[string]any{}, nil); err != nil || res.StatusCode >= 300 {
				t.Fatalf("register: %v %v", res, err)
			}
		}
	}

	// Members with unread activity whose daily digest is due.
	replier := c.signIn(c.member("Ria Reply", auth.RoleMember))
	digestFor := map[string]bool{}
	for i := range authors {
		author := c.member(fmt.Sprintf("Dora Digest %d", i), auth.RoleMember)
		var th struct {
			Thread struct {
				ID string `json:"id"`
			} `json:"thread"`
		}
		if res, err := c.signIn(author).json("POST", "/api/v1/threads", map[string]string{"category": "general",
			"title": fmt.Sprintf("Sharing audit costs between buyers, %d", i), "body": "Who shares audit costs?"}, &th); err != nil || res.StatusCode != http.StatusCreated {
			t.Fatalf("thread: %v %v", res, err)
		}
		if res, err := replier.json("POST", "/api/v1/threads/"+th.Thread.ID+"/posts", map[string]string{"body": "We do."}, nil); err != nil || res.StatusCode != http.StatusCreated {
			t.Fatalf("reply: %v %v", res, err)
		}
		if err := forum.NewStore(c.store.DB).SetLastDigest(ctx, author.ID, time.Now().UTC().Add(-25*time.Hour)); err != nil {
			t.Fatal(err)
		}
		digestFor[author.Email] = true
	}

	want := len(registered)*workshops + authors
	for round := range 2 {
		c.restartBoth()
		if round == 0 {
			smtp.Wait(t, want, 60*time.Second)
		}
		// Time for a duplicate to arrive: the outbox sends within a second.
		time.Sleep(3 * time.Second)
	}

	reminders, digests := map[string]int{}, map[string]int{}
	for _, m := range smtp.Messages() {
		switch subject := m.Header.Get("Subject"); {
		case strings.Contains(subject, "Reminder clinic"):
			reminders[m.To+" "+subject]++
		case digestFor[m.To]:
			digests[m.To]++
		}
	}
	if len(reminders) != len(registered)*workshops {
		t.Errorf("%d distinct reminders, want %d: %v", len(reminders), len(registered)*workshops, reminders)
	}
	for k, n := range reminders {
		if n != 1 || !registered[strings.Fields(k)[0]] {
			t.Errorf("%s: sent %d times", k, n)
		}
	}
	for email := range digestFor {
		if digests[email] != 1 {
			t.Errorf("%s got %d digests", email, digests[email])
		}
	}
}
