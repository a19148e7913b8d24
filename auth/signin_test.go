package auth

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store/storetest"
)

// A pending sign-in is stored under the hash of its state, works once even
// when two servers take it at the same moment, and is swept once expired;
// the server's provider tests drive the whole flow through HTTP.
func TestSigninAttempts(t *testing.T) {
	db := storetest.New(t).DB
	a, b := NewStore(db), NewStore(db)
	ctx := context.Background()
	if err := a.SaveSigninAttempt(ctx, "state-1", &SigninAttempt{Provider: "oidc", Next: "/members", MemberID: "m1"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.Collection(colSigninAttempts).CountDocuments(ctx, bson.M{"_id": "state-1"}); n != 0 {
		t.Fatal("the state itself is stored")
	}
	var took atomic.Int32
	storetest.Together(8, func(i int) {
		got, err := []*Store{a, b}[i%2].TakeSigninAttempt(ctx, "state-1")
		switch {
		case err == nil:
			took.Add(1)
			if got.Provider != "oidc" || got.Next != "/members" || got.ExpiresAt.Sub(got.CreatedAt) != SigninAttemptTTL {
				t.Errorf("attempt: %+v", got)
			}
		case !errors.Is(err, ErrNoSigninAttempt):
			t.Error(err)
		}
	})
	if took.Load() != 1 {
		t.Fatalf("a state was taken %d times", took.Load())
	}

	if err := a.SaveSigninAttempt(ctx, "state-2", &SigninAttempt{Provider: "oidc"}); err != nil {
		t.Fatal(err)
	}
	if err := a.SaveSigninAttempt(ctx, "state-3", &SigninAttempt{Provider: "oidc"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection(colSigninAttempts).UpdateOne(ctx, bson.M{"_id": SigninAttemptID("state-2")}, bson.M{"$set": bson.M{"expires_at": time.Now().Add(-time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	if n, err := b.SweepSigninAttempts(ctx); err != nil || n != 1 {
		t.Fatalf("sweep removed %d (%v), want the expired one", n, err)
	}
	if _, err := a.TakeSigninAttempt(ctx, "state-3"); err != nil {
		t.Fatalf("the sweep took a live attempt: %v", err)
	}
}
