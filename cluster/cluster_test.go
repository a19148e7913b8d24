package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/circularfairict/portal/auth"
)

// A session made on one replica is valid on the other, and signing out on
// one ends it on both: sessions live in the shared database and cookies
// are signed with the shared PORTAL_SESSION_KEY.
func TestSessionHoldsOnBothReplicas(t *testing.T) {
	c := newCluster(t, nil)
	m := c.member("Sara Session", auth.RoleMember)
	cl := c.signIn(m)
	for i := range 8 {
		var me struct {
			Name string `json:"name"`
		}
		res, err := cl.json("GET", "/api/v1/me", nil, &me)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK || me.Name != m.Name {
			t.Fatalf("request %d, answered by %s: %d %q", i, res.instance, res.StatusCode, res.body)
		}
	}
	requireBoth(t, cl.servedBy())

	if res, err := cl.postForm("/auth/logout", nil); err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %v %v", res, err)
	}
	seen := map[string]int{}
	for range 6 {
		res, err := cl.json("GET", "/api/v1/me", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		seen[res.instance]++
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("after signing out, %s still knows the session: %d", res.instance, res.StatusCode)
		}
	}
	requireBoth(t, seen)
}

// An upload through one replica is downloaded byte-identical through the
// other: files are in the shared database (GridFS), not on a replica's
// disk.
func TestUploadDownloadsIdenticalThroughTheOther(t *testing.T) {
	c := newCluster(t, nil)
	cl := c.signIn(c.member("Ulla Upload", auth.RoleMember))
	var data bytes.Buffer
	rng := rand.New(rand.NewPCG(1, 2))
	for data.Len() < 3<<20 { // several GridFS chunks, and nginx streams it
		fmt.Fprintf(&data, "clause %d: the supplier discloses its factories, row %x\n", data.Len(), rng.Uint64())
	}
	res, err := cl.upload("Disclosure clauses", "clauses.txt", data.Bytes(), "")
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", res.StatusCode, res.body)
	}
	var r struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(res.body, &r); err != nil || r.ID == "" {
		t.Fatalf("upload answer: %s", res.body)
	}
	uploadedOn := res.instance
	other := false
	for i := 0; i < 6 && !other; i++ {
		got := cl.do("GET", "/api/v1/resources/"+r.ID+"/file", nil, nil)
		if got.StatusCode != http.StatusOK || !bytes.Equal(got.body, data.Bytes()) {
			t.Fatalf("download %d through %s (uploaded through %s): status %d, %d bytes, identical %v",
				i, got.instance, uploadedOn, got.StatusCode, len(got.body), bytes.Equal(got.body, data.Bytes()))
		}
		other = got.instance != uploadedOn
	}
	if !other {
		t.Fatalf("every download went to %s, which took the upload", uploadedOn)
	}
	if !strings.HasPrefix(uploadedOn, "portal-") {
		t.Fatalf("no instance header on the upload's answer: %q", uploadedOn)
	}
}

// The proxy keeps each replica's /metrics to the network inside
// (deploy/nginx-portal.conf.template); the replicas still answer it.
func TestProxyDoesNotPublishMetrics(t *testing.T) {
	c := newCluster(t, nil)
	cl := c.newClient()
	if res := cl.do("GET", "/metrics", nil, nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("/metrics through the proxy: %d", res.StatusCode)
	}
	res, err := http.Get(c.state["replica_a_url"] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/metrics of portal-a: %d", res.StatusCode)
	}
}
