package auth

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store/storetest"
)

// TestMeasureSignInLookup times the sign-in lookup on n members
// (PORTAL_MEASURE_SIGNIN_MEMBERS=n; skipped otherwise): the filter on
// identity_keys that sign-in used before schema 4, then the identity claim
// and the member read by _id, with the _id lookup index the server adds.
// Figures are in docs/benchmarks.md.
func TestMeasureSignInLookup(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("PORTAL_MEASURE_SIGNIN_MEMBERS"))
	if n == 0 {
		t.Skip()
	}
	st := storetest.New(t)
	db := st.DB
	s := NewStore(db)
	ctx := context.Background()
	for from := 0; from < n; from += 500 {
		var batch []NewMember
		for i := from; i < min(n, from+500); i++ {
			batch = append(batch, NewMember{Identity: Identity{Provider: "oidc", Subject: "m" + strconv.Itoa(i)},
				Member: Member{Name: "Member " + strconv.Itoa(i), Email: fmt.Sprintf("m%d@example.org", i), Organisation: "Org", JobTitle: "Buyer", Languages: []string{"en", "fr"}}})
		}
		if _, err := s.ImportMembers(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.IndexIDLookups(ctx); err != nil {
		t.Fatal(err)
	}
	// Members spread over the whole collection.
	measure := func(f func(i int) error) (time.Duration, time.Duration) {
		return measureRuns(t, func(r int) error { return f(r * n / measuredRuns) })
	}
	oldMed, oldP := measure(func(i int) error {
		var m Member
		return db.Collection(colMembers).FindOne(ctx, bson.M{"identity_keys": identityKey("oidc", "m"+strconv.Itoa(i))}).Decode(&m)
	})
	newMed, newP := measure(func(i int) error {
		_, err := s.MemberByIdentity(ctx, "oidc", "m"+strconv.Itoa(i))
		return err
	})
	t.Logf("members=%d old identity_keys filter: median %v p95 %v; new claim by _id + member by _id: median %v p95 %v", n, oldMed, oldP, newMed, newP)
}

// measuredRuns is how many times measureRuns times an operation.
const measuredRuns = 21

// measureRuns times f(0) to f(measuredRuns-1) and returns the median and
// the second slowest (a p95 of 21), for the measurements of this package.
func measureRuns(t *testing.T, f func(r int) error) (median, p95 time.Duration) {
	t.Helper()
	var ds []time.Duration
	for r := range measuredRuns {
		start := time.Now()
		if err := f(r); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	return ds[measuredRuns/2], ds[measuredRuns-2]
}
