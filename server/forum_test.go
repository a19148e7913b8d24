package server

import (
	"strings"
	"testing"
)

func TestForumSmoke(t *testing.T) {
	s, logs := newTestServer(t, opts{})
	c := newClient(t, s)
	c.signIn("buyer")
	for _, p := range []string{"/discussions"} {
		res, _ := c.get(p)
		if res.StatusCode != 200 {
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, "request failed") {
					t.Log(l)
				}
			}
			t.Fatalf("%s: %d", p, res.StatusCode)
		}
	}
}
