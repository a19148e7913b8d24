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
	const runs = 21
	measure := func(f func(i int) error) (time.Duration, time.Duration) {
		var ds []time.Duration
		for r := range runs {
			start := time.Now()
			if err := f(r * n / runs); err != nil {
				t.Fatal(err)
			}
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		return ds[runs/2], ds[runs-2]
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
