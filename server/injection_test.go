package server

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/circularfairict/portal/auth"
)

// inputlessRoutes take nothing from the body, so an injection attempt there
// is simply ignored; every other state-changing route must refuse it.
var inputlessRoutes = map[string]string{
	"POST /auth/logout":                 "signs out whatever the body says",
	"POST /profile/export":              "exports the caller's own data",
	"POST /profile/sessions/others/end": "signs the caller out of their other browsers",
	"POST /workshops/feed":              "makes a new calendar feed address for the caller",
	"POST /workshops/feed/revoke":       "revokes the caller's calendar feed address",

	"POST /discussions/notifications/read": "marks the caller's own notifications read",
	"POST /library/:id/reports/dismiss":    "closes the reports of the resource in the path",
	"POST /conduct":                        "records that the caller accepts the current code of conduct (next is only ever a local path)",
	"POST /admin/settings/logo/remove":     "removes the community's logo, whatever the body says",
	"POST /admin/backups":                  "starts a backup, whatever the body says",
}

// MongoDB operators, keys starting with $ and dotted keys, sent as JSON and
// as form fields to every state-changing route, are answered with a 4xx and
// never reach a query: no 2xx, no 5xx.
func TestOperatorInjectionRefused(t *testing.T) {
	s, logs := newTestServer(t, opts{})
	admin := newMember(t, s, "Injection Admin", auth.StatusApproved, auth.RoleAdmin)
	token, _, err := s.auth.CreateScopedToken(context.Background(), admin.ID, "injection", auth.ScopeAdmin, nil)
	if err != nil {
		t.Fatal(err)
	}
	bodies := []struct{ contentType, body string }{
		{"application/json", `{"$where":"sleep(100)","name":{"$ne":null},"title":{"$gt":""},"a.b":"x","lang":{"$in":["en"]},"persona":{"$ne":"x"},"decision":{"$exists":true}}`},
		{"application/json", `[{"$match":{}}]`},
		{"application/x-www-form-urlencoded", `name[$ne]=&lang[$gt]=&$where=1&a.b=x&persona[$regex]=.*&decision[$ne]=x&role[$ne]=x`},
	}
	n := 0
	for _, r := range s.Routes() {
		key := r.Method + " " + r.Path
		if isSafeMethod(r.Method) {
			continue
		}
		if _, ok := inputlessRoutes[key]; ok {
			continue
		}
		n++
		path := paramRe.ReplaceAllString(r.Path, "x")
		for _, b := range bodies {
			t.Run(key+" "+b.contentType, func(t *testing.T) {
				req := httptest.NewRequest(r.Method, path, strings.NewReader(b.body))
				req.Header.Set("Content-Type", b.contentType)
				req.Header.Set("Accept", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				res, body := newClient(t, s).do(req)
				if res.StatusCode < 400 || res.StatusCode >= 500 {
					t.Fatalf("status %d: %s", res.StatusCode, body)
				}
			})
		}
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Fatal("an injection attempt caused a server error")
	}
	t.Logf("%d state-changing routes checked with %d bodies each", n, len(bodies))
}
