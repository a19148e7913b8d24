package mail

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/mail/mailtest"
	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// fastOptions make the retry schedule milliseconds instead of minutes.
func fastOptions() OutboxOptions {
	return OutboxOptions{Backoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Poll: 20 * time.Millisecond,
		Lease: 10 * time.Second, Domain: "example.org"}
}

func smtpTo(srv *mailtest.Server) *SMTP {
	return &SMTP{Host: srv.Host, Port: srv.Port, From: "Portal <portal@example.org>", TLS: TLSNone}
}

// runWorker runs ob until the returned stop function is called; stop
// returns once the worker has returned.
func runWorker(ob *Outbox) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ob.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func outbox(t *testing.T, st *store.Store) []Queued {
	t.Helper()
	cur, err := st.DB.Collection(colOutbox).Find(context.Background(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var all []Queued
	if err := cur.All(context.Background(), &all); err != nil {
		t.Fatal(err)
	}
	return all
}

// waitFor polls the outbox until cond holds for it.
func waitFor(t *testing.T, st *store.Store, what string, cond func([]Queued) bool) []Queued {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		all := outbox(t, st)
		if cond(all) {
			return all
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox: still not %s: %+v", what, all)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func allSent(all []Queued) bool {
	for _, q := range all {
		if q.Status != StatusSent {
			return false
		}
	}
	return len(all) > 0
}

// deliveredOnce checks that every queued message arrived exactly once,
// under the Message-ID the outbox gave it.
func deliveredOnce(t *testing.T, srv *mailtest.Server, all []Queued) {
	t.Helper()
	want := map[string]bool{}
	for _, q := range all {
		want[q.MessageID] = true
	}
	got := map[string]int{}
	for _, m := range srv.Messages() {
		got[m.Header.Get("Message-ID")]++
	}
	if len(srv.Messages()) != len(all) {
		t.Errorf("delivered %d messages, want %d", len(srv.Messages()), len(all))
	}
	for id := range want {
		if got[id] != 1 {
			t.Errorf("message %s delivered %d times", id, got[id])
		}
	}
}

func TestOutboxDeliversOnceAfterTheMailServerComesBack(t *testing.T) {
	st := storetest.New(t)
	srv := mailtest.Start(t)
	srv.Down()
	ob := NewOutbox(st.DB, smtpTo(srv), fastOptions())
	ctx := context.Background()
	for i := range 5 {
		if err := ob.Enqueue(ctx, Message{To: fmt.Sprintf("m%d@example.org", i), Subject: "Approved", Body: "Welcome.", Lang: "en"}); err != nil {
			t.Fatal(err)
		}
	}
	stop := runWorker(ob)
	defer stop()
	// Every message is tried and backed off a few times while the server is down.
	waitFor(t, st, "retried", func(all []Queued) bool {
		for _, q := range all {
			if q.Status != StatusQueued || q.Attempts < 3 || q.LastError == "" {
				return false
			}
		}
		return len(all) == 5
	})
	srv.Up(t)
	all := waitFor(t, st, "sent", allSent)
	stop() // nothing can be sent after this
	deliveredOnce(t, srv, all)
}

func TestOutboxRetriesAnAttemptWhoseWorkerDied(t *testing.T) {
	st := storetest.New(t)
	srv := mailtest.Start(t)
	ob := NewOutbox(st.DB, smtpTo(srv), fastOptions())
	ctx := context.Background()
	if err := ob.Enqueue(ctx, Message{To: "anna@example.org", Subject: "Reminder", Body: "Tomorrow."}); err != nil {
		t.Fatal(err)
	}
	q := outbox(t, st)[0]
	// A worker claimed the first attempt and died before recording it.
	claims := st.DB.Collection(colClaims)
	if _, err := claims.InsertOne(ctx, claim{ID: q.ID + ":0", Message: q.ID, Worker: "dead", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if n := ob.Deliver(ctx); n != 0 || len(srv.Messages()) != 0 {
		t.Fatalf("sent %d (%d arrived) while the dead worker's lease holds", n, len(srv.Messages()))
	}
	if _, err := claims.UpdateOne(ctx, bson.M{"_id": q.ID + ":0"}, bson.M{"$set": bson.M{"expires_at": time.Now().Add(-time.Second)}}); err != nil {
		t.Fatal(err)
	}
	stop := runWorker(ob)
	all := waitFor(t, st, "sent", allSent)
	stop()
	deliveredOnce(t, srv, all)
	if all[0].MessageID != q.MessageID || all[0].Attempts != 2 {
		t.Errorf("after the takeover: Message-ID %s (queued as %s), attempts %d, want 2", all[0].MessageID, q.MessageID, all[0].Attempts)
	}
}

func TestOutboxTwoWorkersSendEachMessageOnce(t *testing.T) {
	st := storetest.New(t)
	srv := mailtest.Start(t)
	ctx := context.Background()
	// A second client on the same database stands in for a second replica.
	client, err := store.Connect(ctx, st.URI, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	a := NewOutbox(st.DB, smtpTo(srv), fastOptions())
	b := NewOutbox(client.Database(st.DB.Name()), smtpTo(srv), fastOptions())
	for i := range 30 {
		if err := a.Enqueue(ctx, Message{To: fmt.Sprintf("m%d@example.org", i), Subject: "Digest", Body: "News."}); err != nil {
			t.Fatal(err)
		}
	}
	stopA, stopB := runWorker(a), runWorker(b)
	all := waitFor(t, st, "sent", func(all []Queued) bool { return len(all) == 30 && allSent(all) })
	stopA()
	stopB()
	deliveredOnce(t, srv, all)
	for _, q := range all {
		if q.Attempts != 1 {
			t.Errorf("message %s: %d attempts, want 1", q.ID, q.Attempts)
		}
	}
}

func TestOutboxGivesUpThenRetriesOrDiscards(t *testing.T) {
	st := storetest.New(t)
	srv := mailtest.Start(t)
	srv.Down()
	o := fastOptions()
	o.RetryFor = 50 * time.Millisecond
	ob := NewOutbox(st.DB, smtpTo(srv), o)
	ctx := context.Background()
	for _, to := range []string{"keep@example.org", "drop@example.org"} {
		if err := ob.Enqueue(ctx, Message{To: to, Subject: "Approved", Body: "Welcome."}); err != nil {
			t.Fatal(err)
		}
	}
	stop := runWorker(ob)
	defer stop()
	all := waitFor(t, st, "failed", func(all []Queued) bool {
		return len(all) == 2 && all[0].Status == StatusFailed && all[1].Status == StatusFailed
	})
	q, err := ob.List(ctx, 10)
	if err != nil || len(q.Failed) != 2 || len(q.Queued) != 0 {
		t.Fatalf("list: %+v, %v", q, err)
	}
	srv.Up(t)
	keep, drop := all[0], all[1]
	if keep.To != "keep@example.org" {
		keep, drop = drop, keep
	}
	if err := ob.Discard(ctx, drop.ID); err != nil {
		t.Fatal(err)
	}
	if err := ob.Retry(ctx, drop.ID); err != ErrNotFound {
		t.Errorf("retry of a discarded message: %v, want ErrNotFound", err)
	}
	if err := ob.Retry(ctx, keep.ID); err != nil {
		t.Fatal(err)
	}
	srv.Wait(t, 1, 30*time.Second)
	waitFor(t, st, "sent", func(all []Queued) bool {
		for _, m := range all {
			if m.ID == keep.ID {
				return m.Status == StatusSent
			}
		}
		return false
	})
	stop()
	if got := srv.Messages(); len(got) != 1 || got[0].To != "keep@example.org" {
		t.Errorf("delivered %+v, want only the retried message", got)
	}
	if q, _ := ob.List(ctx, 10); len(q.Sent) != 1 || len(q.Failed) != 0 {
		t.Errorf("list after retry: %+v", q)
	}
}
