package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/privacy"
	"github.com/circularfairict/portal/store"
)

// The outbox keeps every message in the database until it is delivered, so
// a mail server that is down for a while delays mail instead of losing it.
//
// Sending is claimed per attempt: before attempt n of message M a worker
// inserts the claim document {_id: "M:n"}. An _id insert is the one write
// that is atomic on every backend (FerretDB applies even conditional updates
// read-then-write), so of two workers on two replicas exactly one holds an
// attempt. A claim carries a lease: a worker that died mid-send leaves a
// claim whose lease runs out, and the next worker counts that attempt as
// lost and claims the next one. A send is bounded well inside the lease, so
// a live worker never overlaps a taker-over. The Message-ID is fixed when
// the message is queued: if a dead worker had in fact handed the message
// over, the receiving side sees the same Message-ID twice and can drop one.
const (
	colOutbox = "mail_outbox"
	colClaims = "mail_claims"
)

// Outbox message states.
const (
	StatusQueued    = "queued"
	StatusSent      = "sent"
	StatusFailed    = "failed" // gave up after RetryFor; an administrator may retry
	StatusDiscarded = "discarded"
)

// ErrNotFound is returned for an unknown message, or one in a state the
// action does not apply to.
var ErrNotFound = fmt.Errorf("mail: %w", store.ErrNotFound)

// OutboxOptions tune the worker; zero values take the defaults.
type OutboxOptions struct {
	// RetryFor is how long a message is retried before it fails
	// (PORTAL_MAIL_RETRY_FOR, default 48 h).
	RetryFor time.Duration
	// Backoff is the wait after the first failure, doubled after each
	// further one up to MaxBackoff (defaults 30 s and 1 h).
	Backoff, MaxBackoff time.Duration
	// Lease is how long a claim protects an attempt (default 5 min); a
	// send is cut off at half of it.
	Lease time.Duration
	// Poll is how often the queue is read for mail queued on other
	// replicas and for retries that fell due (default 15 s).
	Poll time.Duration
	// Keep is how long sent, discarded and failed messages stay visible
	// (default 7 days).
	Keep time.Duration
	// Domain is the right-hand side of Message-IDs.
	Domain string
	Logger *slog.Logger
}

// Queued is a message in the outbox.
type Queued struct {
	ID         string            `bson:"_id"`
	To         string            `bson:"to"`
	Lang       string            `bson:"lang,omitempty"`
	MemberID   string            `bson:"member_id,omitempty"`
	Subject    string            `bson:"subject"`
	Body       string            `bson:"body"`
	Headers    map[string]string `bson:"headers,omitempty"`
	MessageID  string            `bson:"message_id"`
	Status     string            `bson:"status"`
	Attempts   int               `bson:"attempts"`
	NextAt     time.Time         `bson:"next_at"`
	RetryUntil time.Time         `bson:"retry_until"`
	LastError  string            `bson:"last_error,omitempty"`
	CreatedAt  time.Time         `bson:"created_at"`
	UpdatedAt  time.Time         `bson:"updated_at"`
	SentAt     time.Time         `bson:"sent_at,omitempty"`
}

type claim struct {
	ID        string    `bson:"_id"`
	Message   string    `bson:"message"`
	Worker    string    `bson:"worker"`
	ExpiresAt time.Time `bson:"expires_at"`
}

// Outbox queues messages in the database and delivers them through sender.
type Outbox struct {
	out, claims *mongo.Collection
	sender      Sender
	o           OutboxOptions
	worker      string
	wake        chan struct{}
	lastSweep   time.Time
}

// OutboxIndexes are the outbox's indexes (used on MongoDB; the embedded
// database scans the collection, which stays small: delivered mail is
// removed after Keep).
func OutboxIndexes() []store.Index {
	return []store.Index{
		{Collection: colOutbox, Name: "status_next", Keys: bson.D{{Key: "status", Value: 1}, {Key: "next_at", Value: 1}}},
		{Collection: colClaims, Name: "message", Keys: bson.D{{Key: "message", Value: 1}}},
	}
}

// NewOutbox returns an outbox on db that delivers through sender.
func NewOutbox(db *mongo.Database, sender Sender, o OutboxOptions) *Outbox {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.RetryFor, 48*time.Hour)
	def(&o.Backoff, 30*time.Second)
	def(&o.MaxBackoff, time.Hour)
	def(&o.Lease, 5*time.Minute)
	def(&o.Poll, 15*time.Second)
	def(&o.Keep, 7*24*time.Hour)
	if o.Domain == "" {
		o.Domain = "portal.invalid"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Outbox{out: db.Collection(colOutbox), claims: db.Collection(colClaims), sender: sender, o: o,
		worker: randomHex(6), wake: make(chan struct{}, 1)}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Enabled reports whether queued mail goes anywhere.
func (o *Outbox) Enabled() bool {
	_, off := o.sender.(Discard)
	return !off
}

// Enqueue stores m for delivery and wakes this process's worker. Without an
// SMTP server nothing is stored: it would never leave.
func (o *Outbox) Enqueue(ctx context.Context, m Message) error {
	if !o.Enabled() || m.To == "" {
		return nil
	}
	now := time.Now().UTC()
	id := store.NewID()
	q := Queued{ID: id, To: m.To, Lang: m.Lang, MemberID: m.MemberID, Subject: m.Subject, Body: m.Body, Headers: m.Headers,
		MessageID: "<" + id + "." + randomHex(4) + "@" + o.o.Domain + ">", Status: StatusQueued,
		NextAt: now, RetryUntil: now.Add(o.o.RetryFor), CreatedAt: now, UpdatedAt: now}
	if _, err := o.out.InsertOne(ctx, q); err != nil {
		return fmt.Errorf("mail: queue: %w", err)
	}
	o.Wake()
	return nil
}

// Wake asks the worker to read the queue now.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run delivers queued mail until ctx ends. A send in flight when ctx ends
// is finished (it is bounded by half the lease), so stopping never leaves a
// claimed attempt behind.
func (o *Outbox) Run(ctx context.Context) {
	if !o.Enabled() {
		return // nothing is queued without a mail server
	}
	t := time.NewTicker(o.o.Poll)
	defer t.Stop()
	for {
		o.Deliver(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-o.wake:
		}
	}
}

// Deliver makes one pass over the due messages and returns how many it
// sent. Run calls it; tests may too.
func (o *Outbox) Deliver(ctx context.Context) int {
	now := time.Now().UTC()
	if now.Sub(o.lastSweep) > time.Hour {
		o.lastSweep = now
		o.sweep(ctx, now)
	}
	cur, err := o.out.Find(ctx, bson.M{"status": StatusQueued, "next_at": bson.M{"$lte": now}},
		options.Find().SetSort(bson.D{{Key: "next_at", Value: 1}}).SetLimit(200))
	if err != nil {
		if ctx.Err() == nil {
			o.o.Logger.Warn("mail outbox: read queue", "err", err)
		}
		return 0
	}
	var due []Queued
	if err := cur.All(ctx, &due); err != nil {
		return 0
	}
	sent := 0
	for _, q := range due {
		if ctx.Err() != nil {
			break
		}
		if o.attempt(ctx, q) {
			sent++
		}
	}
	return sent
}

// attempt claims attempt q.Attempts of q and sends it.
func (o *Outbox) attempt(ctx context.Context, q Queued) bool {
	now := time.Now().UTC()
	claimID := fmt.Sprintf("%s:%d", q.ID, q.Attempts)
	_, err := o.claims.InsertOne(ctx, claim{ID: claimID, Message: q.ID, Worker: o.worker, ExpiresAt: now.Add(o.o.Lease)})
	if store.IsDuplicateKey(err) {
		var c claim
		if err := o.claims.FindOne(ctx, bson.M{"_id": claimID}).Decode(&c); err != nil || c.ExpiresAt.After(now) {
			return false // another worker is on it (or has finished it)
		}
		// Its worker died mid-send. Count that attempt and offer the next
		// one now; $set (not $inc) keeps two takers-over in agreement, and
		// only one of them will hold the next claim.
		_, err := o.out.UpdateOne(ctx, bson.M{"_id": q.ID, "status": StatusQueued, "attempts": q.Attempts},
			bson.M{"$set": bson.M{"attempts": q.Attempts + 1, "next_at": now, "updated_at": now, "last_error": "interrupted: the sending worker stopped"}})
		if err == nil {
			o.o.Logger.Warn("mail outbox: attempt interrupted, retrying", "message", q.ID, "attempt", q.Attempts+1)
			o.Wake()
		}
		return false
	}
	if err != nil {
		o.o.Logger.Warn("mail outbox: claim", "err", err, "message", q.ID)
		return false
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.o.Lease/2)
	m := Message{To: q.To, Subject: q.Subject, Body: q.Body, Headers: q.Headers, MessageID: q.MessageID}
	sendErr := o.sender.Send(sctx, m)
	cancel()
	// The outcome is recorded even when ctx has ended: a delivered message
	// left "queued" would be sent again after the lease.
	wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer wcancel()
	now = time.Now().UTC()
	set := bson.M{"attempts": q.Attempts + 1, "updated_at": now}
	if sendErr == nil {
		set["status"], set["sent_at"], set["last_error"] = StatusSent, now, ""
	} else {
		set["last_error"] = sendErr.Error()
		if now.After(q.RetryUntil) {
			set["status"] = StatusFailed
		} else {
			set["next_at"] = now.Add(o.backoff(q.Attempts + 1))
		}
	}
	if _, err := o.out.UpdateOne(wctx, bson.M{"_id": q.ID}, bson.M{"$set": set}); err != nil {
		o.o.Logger.Error("mail outbox: record attempt", "err", err, "message", q.ID)
	}
	if sendErr != nil {
		o.o.Logger.Warn("mail outbox: not sent", "err", sendErr, "message", q.ID, "attempt", q.Attempts+1)
		return false
	}
	return true
}

// backoff is the wait after the n-th failed attempt.
func (o *Outbox) backoff(n int) time.Duration {
	d := o.o.Backoff
	for i := 1; i < n && d < o.o.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, o.o.MaxBackoff)
}

// sweep removes finished messages older than Keep, and their claims.
func (o *Outbox) sweep(ctx context.Context, now time.Time) {
	cur, err := o.out.Find(ctx, bson.M{"status": bson.M{"$in": []string{StatusSent, StatusDiscarded, StatusFailed}},
		"updated_at": bson.M{"$lt": now.Add(-o.o.Keep)}}, options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return
	}
	var old []struct {
		ID string `bson:"_id"`
	}
	if cur.All(ctx, &old) != nil || len(old) == 0 {
		return
	}
	ids := make([]string, len(old))
	for i, d := range old {
		ids[i] = d.ID
	}
	_, _ = o.claims.DeleteMany(ctx, bson.M{"message": bson.M{"$in": ids}})
	_, _ = o.out.DeleteMany(ctx, bson.M{"_id": bson.M{"$in": ids}})
}

// Queue is what the administrators' page shows.
type Queue struct {
	Queued, Failed, Sent []Queued
}

// List returns queued and failed messages (oldest first) and those sent in
// the last day (newest first), at most limit of each.
func (o *Outbox) List(ctx context.Context, limit int) (*Queue, error) {
	since := time.Now().UTC().Add(-24 * time.Hour)
	cur, err := o.out.Find(ctx, bson.M{"$or": bson.A{
		bson.M{"status": bson.M{"$in": []string{StatusQueued, StatusFailed}}},
		bson.M{"status": StatusSent, "sent_at": bson.M{"$gte": since}},
	}})
	if err != nil {
		return nil, fmt.Errorf("mail: list outbox: %w", err)
	}
	var all []Queued
	if err := cur.All(ctx, &all); err != nil {
		return nil, fmt.Errorf("mail: list outbox: %w", err)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].CreatedAt.Before(all[j].CreatedAt) })
	q := &Queue{}
	for _, m := range all {
		switch m.Status {
		case StatusQueued:
			q.Queued = append(q.Queued, m)
		case StatusFailed:
			q.Failed = append(q.Failed, m)
		case StatusSent:
			q.Sent = append(q.Sent, m)
		}
	}
	sort.Slice(q.Sent, func(i, j int) bool { return q.Sent[i].SentAt.After(q.Sent[j].SentAt) })
	clip := func(l []Queued) []Queued { return l[:min(len(l), limit)] }
	q.Queued, q.Failed, q.Sent = clip(q.Queued), clip(q.Failed), clip(q.Sent)
	return q, nil
}

// Counts returns how many messages are queued and failed.
func (o *Outbox) Counts(ctx context.Context) (queued, failed int64, err error) {
	if queued, err = o.out.CountDocuments(ctx, bson.M{"status": StatusQueued}); err != nil {
		return 0, 0, fmt.Errorf("mail: count outbox: %w", err)
	}
	if failed, err = o.out.CountDocuments(ctx, bson.M{"status": StatusFailed}); err != nil {
		return 0, 0, fmt.Errorf("mail: count outbox: %w", err)
	}
	return queued, failed, nil
}

// Message returns one message of the outbox.
func (o *Outbox) Message(ctx context.Context, id string) (*Queued, error) {
	var q Queued
	if err := o.out.FindOne(ctx, bson.M{"_id": id}).Decode(&q); err != nil {
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("mail: outbox message: %w", err)
	}
	return &q, nil
}

// Retry sends a queued or failed message now, with a fresh RetryFor.
func (o *Outbox) Retry(ctx context.Context, id string) error {
	now := time.Now().UTC()
	res, err := o.out.UpdateOne(ctx, bson.M{"_id": id, "status": bson.M{"$in": []string{StatusQueued, StatusFailed}}},
		bson.M{"$set": bson.M{"status": StatusQueued, "next_at": now, "retry_until": now.Add(o.o.RetryFor), "updated_at": now}})
	if err != nil {
		return fmt.Errorf("mail: retry: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	o.Wake()
	return nil
}

// Discard gives up on a queued or failed message. An attempt already under
// way may still deliver it.
func (o *Outbox) Discard(ctx context.Context, id string) error {
	res, err := o.out.UpdateOne(ctx, bson.M{"_id": id, "status": bson.M{"$in": []string{StatusQueued, StatusFailed}}},
		bson.M{"$set": bson.M{"status": StatusDiscarded, "updated_at": time.Now().UTC()}})
	if err != nil {
		return fmt.Errorf("mail: discard: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// PrivacySource covers the e-mails queued for a member: exported with their
// subject and state, and deleted with the account (a message not yet sent
// is then never sent).
func (o *Outbox) PrivacySource() privacy.Source {
	return privacy.Source{Name: "emails", Collections: []string{colOutbox}, Order: 50,
		Export: func(ctx context.Context, memberID string) (any, error) {
			cur, err := o.out.Find(ctx, bson.M{"member_id": memberID}, options.Find().SetProjection(bson.M{"body": 0, "headers": 0}))
			if err != nil {
				return nil, fmt.Errorf("mail: export: %w", err)
			}
			out := []Queued{}
			if err := cur.All(ctx, &out); err != nil {
				return nil, fmt.Errorf("mail: export: %w", err)
			}
			return out, nil
		},
		Erase: func(ctx context.Context, memberID string) error {
			if _, err := o.out.DeleteMany(ctx, bson.M{"member_id": memberID}); err != nil {
				return fmt.Errorf("mail: erase: %w", err)
			}
			return nil
		},
	}
}
