package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/circularfairict/portal/frontend"
	"github.com/circularfairict/portal/store"
)

// The operator's view reads every figure from the embedded database.
func TestAdminSystemPage(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	admin := newClient(t, s)
	admin.signIn("coordinator")
	res, body := admin.get("/admin/system")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("system page: %d", res.StatusCode)
	}
	for _, want := range []string{"<code>test</code>", `href="/admin/mail"`, `href="/admin/backups"`, "docs/operations.md"} {
		if !strings.Contains(body, want) {
			t.Errorf("system page lacks %q", want)
		}
	}
	for _, lang := range frontend.Languages {
		if strings.Contains(body, s.catalog.T(lang, "admin.system.unknown")) {
			t.Fatalf("a figure could not be read:\n%s", body)
		}
	}
	for _, lang := range frontend.Languages {
		if strings.Contains(body, s.catalog.T(lang, "admin.system.schema_value", store.CurrentSchema, store.CurrentSchema)) {
			return
		}
	}
	t.Errorf("the page does not show schema version %d", store.CurrentSchema)
}
