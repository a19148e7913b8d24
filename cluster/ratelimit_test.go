package cluster

import (
	"net/http"
	"testing"
)

// The request limit (PORTAL_RATE_LIMIT a minute per client address) holds
// for the cluster, not per replica: a client that spreads its sign-in
// attempts over both replicas is still refused after the limit.
// With the limiter counting in each process (before the counts moved into
// the database, rate_windows) a client got the limit from each replica: 40
// answers for a limit of 20.
func TestSignInLimitHoldsAcrossReplicas(t *testing.T) {
	const limit = 20
	c := newCluster(t, map[string]string{"PORTAL_RATE_LIMIT": "20"})
	cl := c.newClient()
	cl.page("/signin") // the anonymous session a sign-in attempt is bound to
	allowed, served := 1, map[string]int{}
	for range 2 * limit {
		res := cl.do("GET", "/auth/oidc", nil, nil)
		switch res.StatusCode {
		case http.StatusTooManyRequests:
		case http.StatusSeeOther, http.StatusFound:
			allowed++
			served[res.instance]++
		default:
			t.Fatalf("sign-in start: %d", res.StatusCode)
		}
	}
	requireBoth(t, served)
	// Probes (the cluster script's readiness checks) run before the
	// limiter and are not counted.
	if allowed > limit {
		t.Fatalf("%d requests of one client answered within a minute, over both replicas %v; the limit is %d", allowed, served, limit)
	}
}
