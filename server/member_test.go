package server

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/mail"
	"github.com/circularfairict/portal/mail/mailtest"
	"github.com/circularfairict/portal/workshops"
)

func validProfile() url.Values {
	return url.Values{"name": {"Nora Visser"}, "organisation": {"Province of Utrecht"}, "org_type": {"region"},
		"country": {"NL"}, "languages": {"nl", "en"}, "job_title": {"Lead category manager for laptops"}, "buyer": {"buyer"}, "conduct": {"yes"}}
}

// The whole membership lifecycle through the pages: a newcomer completes the
// profile, waits, a coordinator approves with a message, the member is told
// on the page and by e-mail in their language.
func TestMembershipLifecycle(t *testing.T) {
	smtp := mailtest.Start(t)
	s, _ := newTestServer(t, opts{mail: &mail.SMTP{Host: smtp.Host, Port: smtp.Port, From: "portal@example.org", TLS: mail.TLSNone}})
	ctx := context.Background()

	newcomer := newClient(t, s)
	newcomer.get("/signin")
	res, _ := newcomer.post("/auth/demo", url.Values{"persona": {"newcomer"}})
	if res.StatusCode != 303 || res.Header.Get("Location") != "/profile" {
		t.Fatalf("newcomer sign-in: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, page := newcomer.get("/profile")
	if !strings.Contains(page, "complete your profile") {
		t.Fatal("pending member is not asked to complete the profile")
	}
	// Pending members see only their profile.
	for _, p := range []string{"/members", "/profile/tokens", "/admin/members"} {
		res, body := newcomer.get(p)
		if res.StatusCode != 403 || !strings.Contains(body, "waiting for approval") {
			t.Fatalf("pending member on %s: %d", p, res.StatusCode)
		}
	}

	// Invalid input: 400, every problem named, the input kept.
	bad := validProfile()
	bad.Set("name", "N")
	bad.Set("org_type", "supplier") // a supplier cannot be a public buyer
	bad.Del("conduct")
	bad.Set("country", "XX")
	res, body := newcomer.post("/profile", bad)
	if res.StatusCode != 400 {
		t.Fatalf("invalid profile: %d", res.StatusCode)
	}
	for _, want := range []string{"Enter a display name", "Suppliers and NGOs join as supporting organisations", "accept the code of conduct",
		"Choose your country", `value="Province of Utrecht"`, `value="nl" checked`, `aria-invalid="true"`} {
		if !strings.Contains(body, want) {
			t.Errorf("invalid profile page lacks %q", want)
		}
	}
	me := currentMemberOf(t, s, newcomer)
	if me.Organisation != "" || !me.ProfileCompletedAt.IsZero() {
		t.Fatal("invalid profile was partly saved")
	}

	newcomer.header.Set("Accept-Language", "nl")
	newcomer.post("/language", url.Values{"lang": {"nl"}})
	res, _ = newcomer.post("/profile", validProfile())
	if res.StatusCode != 303 {
		t.Fatalf("valid profile: %d", res.StatusCode)
	}
	me = currentMemberOf(t, s, newcomer)
	if me.Status != auth.StatusPending || me.ProfileCompletedAt.IsZero() || me.Name != "Nora Visser" || !me.PublicBuyer {
		t.Fatalf("profile not stored: %+v", me)
	}

	coordinator := newClient(t, s)
	coordinator.signIn("coordinator")
	_, queue := coordinator.get("/admin/members")
	if !strings.Contains(queue, "Nora Visser") || !strings.Contains(queue, "Tomasz Nowak") {
		t.Fatal("applicant not in the review queue")
	}
	res, _ = coordinator.post("/admin/members/"+me.ID+"/decision", url.Values{"decision": {"approve"}, "message": {"Welkom in de groep!"}})
	if res.StatusCode != 303 {
		t.Fatalf("approve: %d", res.StatusCode)
	}
	// Deciding twice is refused with a clear message.
	res, body = coordinator.post("/admin/members/"+me.ID+"/decision", url.Values{"decision": {"reject"}})
	if res.StatusCode != 400 || !strings.Contains(body, "already decided") {
		t.Fatalf("second decision: %d", res.StatusCode)
	}

	res, page = newcomer.get("/profile")
	if !strings.Contains(page, "Welkom in de groep!") || !strings.Contains(page, "Goedgekeurd") {
		t.Fatalf("member not told on the page: %d", res.StatusCode)
	}
	if res, _ := newcomer.get("/members"); res.StatusCode != 200 {
		t.Fatalf("approved member refused: %d", res.StatusCode)
	}
	msgs := smtp.Wait(t, 1, 10*time.Second)
	if msgs[0].To != me.Email || !strings.HasSuffix(me.Email, "@example.org") || !strings.Contains(msgs[0].Body, "is goedgekeurd") || !strings.Contains(msgs[0].Body, "Welkom in de groep!") {
		t.Fatalf("decision e-mail: %+v", msgs[0])
	}

	// Audit: sign-in, profile, approval, each with the request ID.
	entries, err := s.auth.AuditLog(ctx, me.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if e.RequestID == "" {
			t.Fatalf("audit entry without request ID: %+v", e)
		}
		seen[e.Action] = true
	}
	for _, a := range []string{auth.AuditSignIn, auth.AuditProfile, auth.AuditApprove} {
		if !seen[a] {
			t.Errorf("audit entry %s missing (have %v)", a, seen)
		}
	}
	_, auditPage := coordinator.get("/admin/audit")
	if !strings.Contains(auditPage, "Member approved") || !strings.Contains(auditPage, "Nora Visser") {
		t.Fatal("audit page does not show the approval")
	}
}

func currentMemberOf(t *testing.T, s *Server, c *client) *auth.Member {
	t.Helper()
	m, err := s.auth.SessionMember(context.Background(), c.cookies[s.sessionCookieName()])
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRejectionShownToMember(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	applicant := newMember(t, s, "Rita Applicant", auth.StatusPending, auth.RoleMember)
	a := newClient(t, s)
	a.signInAs(applicant.ID)
	a.post("/profile", validProfile())
	admin := newClient(t, s)
	admin.signIn("coordinator")
	if res, _ := admin.post("/admin/members/"+applicant.ID+"/decision", url.Values{"decision": {"reject"}, "message": {"Suppliers cannot join as buyers."}}); res.StatusCode != 303 {
		t.Fatalf("reject: %d", res.StatusCode)
	}
	_, page := a.get("/profile")
	if !strings.Contains(page, "was not approved") || !strings.Contains(page, "Suppliers cannot join as buyers.") {
		t.Fatal("rejected member does not see the decision")
	}
	if res, _ := a.get("/members"); res.StatusCode != 403 {
		t.Fatalf("rejected member sees the directory: %d", res.StatusCode)
	}
}

func TestReviewRights(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	applicant := newMember(t, s, "Queue Person", auth.StatusPending, auth.RoleMember)
	coord := newMember(t, s, "Group Coordinator", auth.StatusApproved, auth.RoleMember)
	g, err := s.auth.GroupBySlug(ctx, "transparency-cop")
	if err != nil {
		t.Fatal(err)
	}
	g.Coordinators = append(g.Coordinators, coord.ID)
	if _, err := s.auth.PutGroup(ctx, *g); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		login  func(c *client)
		review int // GET /admin/members
		role   int // POST role change
	}{
		{"member", func(c *client) { c.signIn("buyer") }, 403, 403},
		{"facilitator", func(c *client) { c.signIn("facilitator") }, 403, 403},
		{"group coordinator", func(c *client) { c.signInAs(coord.ID) }, 200, 403},
		{"admin", func(c *client) { c.signIn("coordinator") }, 200, 303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, s)
			tt.login(c)
			if res, _ := c.get("/admin/members"); res.StatusCode != tt.review {
				t.Fatalf("review page: %d, want %d", res.StatusCode, tt.review)
			}
			if res, _ := c.post("/admin/members/"+applicant.ID+"/role", url.Values{"role": {"facilitator"}}); res.StatusCode != tt.role {
				t.Fatalf("role change: %d, want %d", res.StatusCode, tt.role)
			}
		})
	}
	// An administrator cannot demote or deactivate themselves.
	admin := newClient(t, s)
	admin.signIn("coordinator")
	self := currentMemberOf(t, s, admin)
	if res, _ := admin.post("/admin/members/"+self.ID+"/deactivate", nil); res.StatusCode != 403 {
		t.Fatalf("self-deactivation: %d", res.StatusCode)
	}
}

// Deactivation ends every session, stops tokens and closes open sockets at once.
func TestDeactivation(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	target := newMember(t, s, "Dora Deactivated", auth.StatusApproved, auth.RoleMember)
	tab1, tab2 := newClient(t, s), newClient(t, s)
	tab1.signInAs(target.ID)
	tab2.signInAs(target.ID)
	token, _, err := s.auth.CreateToken(ctx, target.ID, "script", nil)
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan string, 2)
	yes := func(context.Context, bool) (bool, time.Time) { return true, time.Time{} }
	s.conns.add(connInfo{Member: target.ID, Kind: connRoom}, yes, func() { closed <- "room" })
	s.conns.add(connInfo{Member: target.ID, Kind: connStream}, yes, func() { closed <- "thread" })
	other := make(chan string, 1)
	s.conns.add(connInfo{Member: "someone-else", Kind: connRoom}, yes, func() { other <- "x" })

	admin := newClient(t, s)
	admin.signIn("coordinator")
	// Deactivation asks for a confirmation: without it nothing happens.
	_, list := admin.get("/admin/members")
	if !strings.Contains(list, `<details class="row-menu">`) || !strings.Contains(list, `name="confirm" value="1" required`) {
		t.Error("the member list's actions are not behind a row menu with a confirmed deactivation")
	}
	if res, body := admin.post("/admin/members/"+target.ID+"/deactivate", nil); res.StatusCode != 400 || !strings.Contains(body, "tick the confirmation box") {
		t.Fatalf("unconfirmed deactivate: %d", res.StatusCode)
	}
	if m, _ := s.auth.Member(context.Background(), target.ID); m.Status != auth.StatusApproved {
		t.Fatalf("an unconfirmed deactivation changed the status to %s", m.Status)
	}
	if res, _ := admin.post("/admin/members/"+target.ID+"/deactivate", url.Values{"confirm": {"1"}}); res.StatusCode != 303 {
		t.Fatalf("deactivate: %d", res.StatusCode)
	}
	for i := 0; i < 2; i++ {
		select {
		case <-closed:
		case <-time.After(2 * time.Second):
			t.Fatal("socket not closed")
		}
	}
	select {
	case <-other:
		t.Fatal("another member's socket was closed")
	default:
	}
	if n, _ := s.store.DB.Collection("sessions").CountDocuments(ctx, bson.M{"member_id": target.ID}); n != 0 {
		t.Fatalf("%d sessions left", n)
	}
	for _, tab := range []*client{tab1, tab2} {
		if res, _ := tab.get("/members"); res.StatusCode != 303 {
			t.Fatalf("deactivated session still works: %d", res.StatusCode)
		}
	}
	req := httptest.NewRequest("GET", "/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if res, _ := newClient(t, s).do(req); res.StatusCode != 401 {
		t.Fatalf("token of a deactivated member: %d", res.StatusCode)
	}
	// Reactivation restores access.
	if res, _ := admin.post("/admin/members/"+target.ID+"/reactivate", nil); res.StatusCode != 303 {
		t.Fatalf("reactivate: %d", res.StatusCode)
	}
	entries, _ := s.auth.AuditLog(ctx, target.ID, 0, 10)
	if len(entries) < 2 || entries[1].Action != auth.AuditDeactivate || entries[1].Details["closed_connections"] != "2" {
		t.Fatalf("audit: %+v", entries)
	}
}

func TestAPITokens(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	c.signIn("buyer")
	res, body := c.post("/profile/tokens", url.Values{"name": {""}, "expires_in": {"90"}})
	if res.StatusCode != 400 || !strings.Contains(body, "Give the token a name") {
		t.Fatalf("nameless token: %d", res.StatusCode)
	}
	res, body = c.post("/profile/tokens", url.Values{"name": {"report script"}, "expires_in": {"30"}, "scope": {"admin"}})
	if res.StatusCode != 400 || !strings.Contains(body, "Choose one of the scopes offered") {
		t.Fatalf("admin scope for a member who administers nothing: %d", res.StatusCode)
	}
	res, body = c.post("/profile/tokens", url.Values{"name": {"report script"}, "expires_in": {"30"}, "scope": {"read"}})
	if res.StatusCode != 201 || !strings.Contains(body, "Scope: Read.") {
		t.Fatalf("create: %d", res.StatusCode)
	}
	i := strings.Index(body, `value="cfp_`)
	if i < 0 {
		t.Fatal("new token not shown")
	}
	secret := body[i+7 : i+7+strings.Index(body[i+7:], `"`)]
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Fatal("page with a secret may be cached")
	}
	_, list := c.get("/profile/tokens")
	if strings.Contains(list, secret) || !strings.Contains(list, "report script") {
		t.Fatal("token list shows the secret again or lacks the token")
	}
	api := func(tok string) int {
		req := httptest.NewRequest("GET", "/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, _ := newClient(t, s).do(req)
		return res.StatusCode
	}
	if api(secret) != 200 {
		t.Fatal("new token refused")
	}
	toks, _ := s.auth.Tokens(context.Background(), currentMemberOf(t, s, c).ID)
	// Another member cannot revoke it.
	other := newClient(t, s)
	other.signIn("facilitator")
	if res, _ := other.post("/profile/tokens/"+toks[0].ID+"/revoke", nil); res.StatusCode != 404 {
		t.Fatalf("foreign revoke: %d", res.StatusCode)
	}
	if res, _ := c.post("/profile/tokens/"+toks[0].ID+"/revoke", nil); res.StatusCode != 303 {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	if api(secret) != 401 {
		t.Fatal("revoked token still works")
	}
	past := time.Now().Add(-time.Hour)
	expired, _, _ := s.auth.CreateToken(context.Background(), toks[0].MemberID, "old", &past)
	if api(expired) != 401 {
		t.Fatal("expired token works")
	}
}

func TestDirectory(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	c.signIn("buyer")
	tests := []struct {
		query       string
		want, avoid []string
	}{
		{"", []string{"Jonas Berg", "Claire Dubois"}, []string{"Tomasz Nowak"}}, // pending members are not listed
		{"q=dubois", []string{"Claire Dubois"}, []string{"Jonas Berg"}},
		{"q=health+authority", []string{"Jonas Berg"}, []string{"Claire Dubois"}},
		{"country=BE", []string{"Pieter Janssens", "Lucas Martin"}, []string{"Jonas Berg"}},
		{"org_type=ngo", []string{"Amara Okafor"}, []string{"Jonas Berg"}},
		{"language=de", []string{"Sophie Keller", "Lena Hofer"}, []string{"Mateo García"}},
		{"group=transparency-cop", []string{"Mateo García", "Lena Hofer"}, []string{"Jonas Berg"}},
		{"q=.*", nil, []string{"Jonas Berg"}},                     // a pattern is searched as text
		{"country[$ne]=XX", []string{"Jonas Berg"}, nil},          // operators are not accepted
		{"q=%5B%22%24where%22%5D", nil, []string{"Jonas Berg"}},   // nor JSON
		{"country=ZZ&org_type=king", []string{"Jonas Berg"}, nil}, // unknown values are ignored
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res, body := c.get("/members?" + tt.query)
			if res.StatusCode != 200 {
				t.Fatalf("status %d", res.StatusCode)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("missing %s", w)
				}
			}
			for _, a := range tt.avoid {
				if strings.Contains(body, ">"+a+"<") {
					t.Errorf("unexpected %s", a)
				}
			}
		})
	}
	// Profile pages: approved members only; others are 404.
	ms, _ := s.auth.MembersByStatus(context.Background(), auth.StatusPending, 10)
	if res, _ := c.get("/members/" + ms[0].ID); res.StatusCode != 404 {
		t.Fatalf("pending member's page: %d", res.StatusCode)
	}
	if res, _ := c.get("/members/nonexistent"); res.StatusCode != 404 {
		t.Fatalf("unknown member: %d", res.StatusCode)
	}
}

// The directory shows DirectoryPageSize members a page, with links to the
// neighbouring pages that keep the search and filters, and counts all of
// them; a page number that is not one shows the first page, never an error.
func TestDirectoryPages(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	const n = auth.DirectoryPageSize + 5
	for i := range n {
		name := fmt.Sprintf("Zed Paged %02d", i)
		m, err := s.auth.UpsertByIdentity(ctx, auth.Identity{Provider: "test", Subject: name}, auth.Member{Name: name, Role: auth.RoleMember, Status: auth.StatusApproved})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.auth.SaveProfile(ctx, m.ID, auth.Profile{Name: name, Organisation: "Paged office", OrgType: string(auth.OrgMinistry), Country: "LU",
			Languages: []string{"fr"}, Buyer: "buyer", Conduct: true}); err != nil {
			t.Fatal(err)
		}
	}
	c := newClient(t, s)
	c.signIn("buyer")
	shown := func(body string) int { return strings.Count(body, ">Zed Paged ") }
	res, body := c.get("/members?country=LU")
	if res.StatusCode != 200 || shown(body) != auth.DirectoryPageSize || !strings.Contains(body, "Members found: 55") ||
		!strings.Contains(body, "Page 1 of 2") || !strings.Contains(body, `rel="next" href="/members?country=LU&amp;page=2"`) ||
		strings.Contains(body, `rel="prev"`) || !strings.Contains(body, ">Zed Paged 00<") || strings.Contains(body, ">Zed Paged 50<") {
		t.Fatalf("first page: status %d, %d members shown:\n%s", res.StatusCode, shown(body), body)
	}
	res, body = c.get("/members?country=LU&page=2")
	if res.StatusCode != 200 || shown(body) != 5 || !strings.Contains(body, "Page 2 of 2") ||
		!strings.Contains(body, `rel="prev" href="/members?country=LU"`) || strings.Contains(body, `rel="next"`) || !strings.Contains(body, ">Zed Paged 54<") {
		t.Fatalf("second page: status %d, %d members shown", res.StatusCode, shown(body))
	}
	// The words searched stay on the links.
	if _, body = c.get("/members?q=paged&country=LU"); !strings.Contains(body, `href="/members?country=LU&amp;page=2&amp;q=paged"`) {
		t.Fatal("the next page's link lost the search")
	}
	for _, q := range []string{"page=abc", "page=-3", "page=0", "page=99999999999999999999"} {
		if res, body := c.get("/members?country=LU&" + q); res.StatusCode != 200 || shown(body) != auth.DirectoryPageSize {
			t.Fatalf("%s: status %d, %d members shown; want the first page", q, res.StatusCode, shown(body))
		}
	}
	// Past the last page: nothing listed, a way back, still counted.
	if res, body := c.get("/members?country=LU&page=7"); res.StatusCode != 200 || shown(body) != 0 ||
		!strings.Contains(body, `rel="prev" href="/members?country=LU&amp;page=2"`) || !strings.Contains(body, "Members found: 55") {
		t.Fatalf("past the end: status %d, %d shown", res.StatusCode, shown(body))
	}
}

// Everything the portal stores about a member is in the export, and deleting
// the account leaves no personal data anywhere in the database.
func TestExportAndDeletion(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	m := newMember(t, s, "Petra Private", auth.StatusApproved, auth.RoleMember)
	c := newClient(t, s)
	c.signInAs(m.ID)
	c.post("/profile", validProfile()) // the name becomes Nora Visser
	c.post("/profile/tokens", url.Values{"name": {"export test"}, "expires_in": {"30"}})
	c.get("/")
	g, _ := s.auth.GroupBySlug(ctx, "transparency-cop")
	g.Members = append(g.Members, m.ID)
	if _, err := s.auth.PutGroup(ctx, *g); err != nil {
		t.Fatal(err)
	}
	// The member attended a workshop, agreed to be named, and its outcome
	// draft names them (attendance and outcome collections).
	facID := newMember(t, s, "Export Facilitator", auth.StatusApproved, auth.RoleFacilitator).ID
	start := time.Now().Add(time.Hour)
	ws, err := s.workshops.Create(ctx, facID, workshops.Input{Title: "Export clinic", StartsAt: start, EndsAt: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.workshops.Register(ctx, ws, m.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.workshops.SetShowName(ctx, ws.ID, m.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.workshops.RecordAttendance(ctx, ws.ID, m.ID); err != nil {
		t.Fatal(err)
	}
	if d, err := s.core.AssembleOutcome(ctx, "en", ws, facID); err != nil || !strings.Contains(d.Markdown, "Nora Visser") {
		t.Fatalf("outcome draft does not name the consenting member: %v", err)
	}

	res, body := c.post("/profile/export", nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/zip" || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %v", res.StatusCode, res.Header)
	}
	zr, err := zip.NewReader(bytes.NewReader([]byte(body)), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		files[f.Name] = string(b)
		if !json.Valid(b) {
			t.Fatalf("%s is not JSON", f.Name)
		}
	}
	for _, want := range []string{"manifest.json", "profile.json", "sessions.json", "api_tokens.json", "groups.json", "audit_log.json"} {
		if _, ok := files[want]; !ok {
			t.Errorf("export lacks %s", want)
		}
	}
	if !strings.Contains(files["profile.json"], "Province of Utrecht") || !strings.Contains(files["groups.json"], "transparency-cop") ||
		!strings.Contains(files["api_tokens.json"], "export test") || strings.Contains(files["api_tokens.json"], "cfp_") {
		t.Fatal("export content incomplete or leaks secrets")
	}

	// Every collection that mentions the member is covered by a source.
	covered := map[string]bool{}
	for _, col := range s.privacy.Collections() {
		covered[col] = true
	}
	for col, n := range mentions(t, s, m.ID) {
		if !covered[col] {
			t.Errorf("collection %s holds %d documents about the member but no privacy source covers it", col, n)
		}
	}

	// Deletion needs the confirmation.
	c.get("/profile/delete")
	if res, body := c.post("/profile/delete", nil); res.StatusCode != 400 || !strings.Contains(body, "Tick the box") {
		t.Fatalf("unconfirmed deletion: %d", res.StatusCode)
	}
	if res, _ := c.post("/profile/delete", url.Values{"confirm": {"yes"}}); res.StatusCode != 303 {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	for _, personal := range []string{"Nora Visser", "Petra Private", "petra.private@example.org", "Province of Utrecht", "Lead category manager for laptops"} {
		for col, n := range mentions(t, s, personal) {
			t.Errorf("after deletion, %q still appears in %d documents of %s", personal, n, col)
		}
	}
	after, err := s.auth.Member(ctx, m.ID)
	if err != nil || after.Name != auth.FormerMemberName || after.Status != auth.StatusDeleted {
		t.Fatalf("member record: %+v %v", after, err)
	}
	if res, _ := c.get("/profile"); res.StatusCode != 303 {
		t.Fatalf("deleted account still signed in: %d", res.StatusCode)
	}
	viewer := newClient(t, s)
	viewer.signIn("buyer")
	if _, page := viewer.get("/members/" + m.ID); !strings.Contains(page, "Former member") {
		t.Fatal("profile of a deleted member does not say Former member")
	}
}

// mentions counts, per collection, the documents whose JSON form contains s.
func mentions(t *testing.T, srv *Server, s string) map[string]int {
	t.Helper()
	ctx := context.Background()
	names, err := srv.store.DB.ListCollectionNames(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, col := range names {
		cur, err := srv.store.DB.Collection(col).Find(ctx, bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		var docs []bson.M
		if err := cur.All(ctx, &docs); err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			b, _ := bson.MarshalExtJSON(d, false, false)
			if strings.Contains(string(b), s) {
				out[col]++
			}
		}
	}
	return out
}

var _ = http.StatusOK
