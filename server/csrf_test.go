package server

import (
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

var paramRe = regexp.MustCompile(`:[a-z]+`)

// Every state-changing route, discovered from the route table, refuses a
// browser request without the session's CSRF token: no token, another
// session's token, and a token from before sign-in.
func TestCSRFOnEveryStateChangingRoute(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	victim := newClient(t, s)
	victim.get("/")
	preSignIn := victim.csrf
	victim.signIn("coordinator") // an administrator: the guard would let everything through
	attacker := newClient(t, s)
	attacker.get("/")

	n := 0
	for _, r := range s.Routes() {
		if isSafeMethod(r.Method) {
			continue
		}
		if r.NoCSRF { // signed-token routes: see TestForumMailDigestAndUnsubscribe
			if !strings.HasPrefix(r.Path, "/unsubscribe/") {
				t.Errorf("%s %s: only unsubscribe links may skip CSRF", r.Method, r.Path)
			}
			continue
		}
		n++
		path := paramRe.ReplaceAllString(r.Path, "x")
		for _, tc := range []struct{ name, token string }{
			{"no token", ""},
			{"another session's token", attacker.csrf},
			{"token from before sign-in", preSignIn},
		} {
			t.Run(r.Method+" "+r.Path+" "+tc.name, func(t *testing.T) {
				req := httptest.NewRequest(r.Method, path, strings.NewReader("_csrf="+tc.token))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Accept", fiber.MIMEApplicationJSON)
				res, body := victim.do(req)
				var eb errorBody
				_ = json.Unmarshal([]byte(body), &eb)
				if res.StatusCode != 403 || !strings.Contains(eb.Error.Message, "This form has expired") {
					t.Fatalf("status %d: %s", res.StatusCode, body)
				}
			})
		}
	}
	if n == 0 {
		t.Fatal("no state-changing routes found")
	}
	t.Logf("%d state-changing routes checked", n)
}
