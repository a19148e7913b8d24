package server

import (
	"net/url"
	"strings"
	"testing"

	"github.com/circularfairict/portal/auth"
)

// A member's report reaches the curators' review queue; dismissing closes
// it, and withdrawing the resource answers the reports too.
func TestResourceReportsReachCurators(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	owner := newClient(t, s)
	owner.signIn("buyer")
	upload := func(title string) string {
		res, body := owner.upload("/api/v1/resources", metaFields(title), "case.md", []byte("# "+title+"\n"))
		if res.StatusCode != 201 {
			t.Fatalf("upload: %d %s", res.StatusCode, body)
		}
		return decodeResource(t, body).ID
	}
	kept, gone := upload("Refurbished desktops tender"), upload("Outdated criteria sheet")
	reporter := newClient(t, s)
	reporter.signIn("facilitator")
	for _, id := range []string{kept, gone} {
		reporter.get("/library/" + id)
		if res, _ := reporter.post("/library/"+id+"/report", url.Values{"reason": {"Figures from 2019 <b>stale</b>"}}); res.StatusCode != 303 {
			t.Fatalf("report: %d", res.StatusCode)
		}
	}
	mod := newClient(t, s)
	mod.signInAs(newMember(t, s, "Mo Moderator", auth.StatusApproved, auth.RoleModerator).ID)
	_, queue := mod.get("/discussions/review")
	for _, want := range []string{"Reported library resources", "Refurbished desktops tender", "Outdated criteria sheet", "Figures from 2019 &lt;b&gt;stale&lt;/b&gt;"} {
		if !strings.Contains(queue, want) {
			t.Fatalf("review queue lacks %q", want)
		}
	}
	if res, _ := reporter.post("/library/"+kept+"/reports/dismiss", url.Values{}); res.StatusCode != 403 {
		t.Fatalf("a member dismissing: %d, want 403", res.StatusCode)
	}
	if res, _ := mod.post("/library/"+kept+"/reports/dismiss", url.Values{}); res.StatusCode != 303 {
		t.Fatalf("dismiss: %d", res.StatusCode)
	}
	if res, _ := mod.post("/library/"+gone+"/withdraw", url.Values{"reason": {"Replaced by the 2026 criteria."}}); res.StatusCode != 303 {
		t.Fatalf("withdraw: %d", res.StatusCode)
	}
	if _, queue = mod.get("/discussions/review"); strings.Contains(queue, "Reported library resources") {
		t.Fatal("dealt-with reports are still in the queue")
	}
	if res, _ := mod.post("/library/unknown/reports/dismiss", url.Values{}); res.StatusCode != 404 {
		t.Fatalf("unknown resource: %d, want 404", res.StatusCode)
	}
}
