package server

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
)

// apiCaller calls the JSON API with a personal token of member m, of the
// admin scope (creating a group is an administration route; the scope only
// narrows what the member may do).
func apiCaller(t *testing.T, s *Server, m *auth.Member) func(method, path, body string) (int, map[string]any) {
	t.Helper()
	secret, _, err := s.auth.CreateScopedToken(context.Background(), m.ID, "test", auth.ScopeAdmin, nil)
	if err != nil {
		t.Fatal(err)
	}
	return func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		useTestHost(s, req)
		res, err := s.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
}

func lastAudit(t *testing.T, s *Server) *auth.AuditEntry {
	t.Helper()
	es, err := s.auth.AuditLog(context.Background(), "", 0, 1)
	if err != nil || len(es) == 0 {
		t.Fatalf("audit log: %v", err)
	}
	return es[0]
}

// TestAdminGroups: an administrator creates a group from the admin area,
// its coordinator edits it (names per language, a visibility change that
// says what it does before it is saved), coordinators are added and
// removed but never the last, and an archived group keeps its content
// readable, leaves the lists and takes nothing new.
func TestAdminGroups(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	lead := newMember(t, s, "Group Lead", auth.StatusApproved, auth.RoleMember)
	second := newMember(t, s, "Second Lead", auth.StatusApproved, auth.RoleMember)
	outsider := newMember(t, s, "Group Outsider", auth.StatusApproved, auth.RoleMember)
	admin := newClient(t, s)
	admin.signIn("coordinator") // an administrator

	// A refused form keeps what was typed and says what is wrong.
	admin.get("/admin/groups/new")
	res, page := admin.post("/admin/groups", url.Values{"name": {""}, "description": {"Kept text"}, "name_fr": {"Nom gardé"},
		"visibility": {"public"}, "join": {"open"}})
	if res.StatusCode != 400 || !strings.Contains(page, `class="error-summary"`) || !strings.Contains(page, "Give the group a name.") ||
		!strings.Contains(page, "Kept text") || !strings.Contains(page, "Nom gardé") || !strings.Contains(page, `href="#g-name"`) {
		t.Fatalf("refused form: %d %.3000s", res.StatusCode, page)
	}
	if res, page := admin.post("/admin/groups", url.Values{"name": {"Ethics"}, "slug": {"transparency-cop"}, "visibility": {"public"}, "join": {"open"}}); res.StatusCode != 400 || !strings.Contains(page, "already uses this web address") {
		t.Fatalf("taken slug: %d", res.StatusCode)
	}
	if res, page := admin.post("/admin/groups", url.Values{"name": {"Ethics"}, "visibility": {"public"}, "join": {"open"}, "coordinator": {"nobody@example.org"}}); res.StatusCode != 400 || !strings.Contains(page, "No approved member has this e-mail address.") {
		t.Fatalf("unknown coordinator: %d", res.StatusCode)
	}
	res, _ = admin.post("/admin/groups", url.Values{"name": {"Buyers of Flanders"}, "description": {"Flemish buyers."}, "visibility": {"public"},
		"join": {"request"}, "coordinator": {lead.Email}})
	if res.StatusCode != 303 || res.Header.Get("Location") != "/admin/groups/buyers-of-flanders" {
		t.Fatalf("create: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	g, err := s.auth.GroupBySlug(ctx, "buyers-of-flanders")
	if err != nil || !g.IsCoordinator(lead.ID) || g.Visibility != auth.VisibilityPublic || g.JoinPolicy != auth.JoinRequest {
		t.Fatalf("group: %+v %v", g, err)
	}
	if e := lastAudit(t, s); e.Action != auth.AuditGroupCreate || e.Target != lead.ID || e.Details["group"] != g.Slug {
		t.Fatalf("audit: %+v", e)
	}
	// Only administrators create groups.
	leadC := newClient(t, s)
	leadC.signInAs(lead.ID)
	if res, _ := leadC.post("/admin/groups", url.Values{"name": {"Mine"}, "visibility": {"public"}, "join": {"open"}}); res.StatusCode != 403 {
		t.Fatalf("coordinator creating a group: %d", res.StatusCode)
	}

	// The coordinator names the group in French; French readers see it.
	base := url.Values{"name": {"Buyers of Flanders"}, "description": {"Flemish buyers."}, "slug": {"buyers-of-flanders"}, "visibility": {"public"}, "join": {"request"},
		"name_fr": {"Acheteurs de Flandre"}, "description_fr": {"Les acheteurs flamands."}}
	if res, _ := leadC.get("/admin/groups/buyers-of-flanders"); res.StatusCode != 200 {
		t.Fatalf("edit page: %d", res.StatusCode)
	}
	if res, _ := leadC.post("/admin/groups/buyers-of-flanders", base); res.StatusCode != 303 {
		t.Fatalf("save: %d", res.StatusCode)
	}
	fr := newClient(t, s)
	fr.header.Set("Accept-Language", "fr")
	if _, page := fr.get("/groups/buyers-of-flanders"); !strings.Contains(page, "<h1>Acheteurs de Flandre</h1>") || !strings.Contains(page, "Les acheteurs flamands.") {
		t.Fatalf("French name not shown: %.2000s", page)
	}
	de := newClient(t, s)
	de.header.Set("Accept-Language", "de")
	if _, page := de.get("/groups"); !strings.Contains(page, "Buyers of Flanders") {
		t.Fatal("German reader does not fall back to the default name")
	}

	// A visibility change is explained, then saved only when confirmed.
	change := url.Values{}
	for k, v := range base {
		change[k] = v
	}
	change.Set("visibility", "group")
	res, page = leadC.post("/admin/groups/buyers-of-flanders", change)
	if res.StatusCode != 200 || !strings.Contains(page, "Confirm the change of visibility") || !strings.Contains(page, "Only the group&#39;s members read its discussions") ||
		!strings.Contains(page, `name="confirm_visibility" value="group"`) {
		t.Fatalf("no confirmation step: %d %.3000s", res.StatusCode, page)
	}
	if g, _ := s.auth.GroupBySlug(ctx, "buyers-of-flanders"); g.Visibility != auth.VisibilityPublic {
		t.Fatal("visibility changed before confirmation")
	}
	change.Set("confirm_visibility", "group")
	if res, _ := leadC.post("/admin/groups/buyers-of-flanders", change); res.StatusCode != 303 {
		t.Fatalf("confirmed save: %d", res.StatusCode)
	}
	if g, _ := s.auth.GroupBySlug(ctx, "buyers-of-flanders"); g.Visibility != auth.VisibilityGroup {
		t.Fatalf("visibility: %s", g.Visibility)
	}
	if e := lastAudit(t, s); e.Action != auth.AuditGroupUpdate || e.Details["visibility"] != "public→group" || e.Actor != lead.ID {
		t.Fatalf("audit: %+v", e)
	}

	// Coordinators: added by e-mail, removed, never the last.
	if res, _ := leadC.post("/admin/groups/buyers-of-flanders/coordinators/"+lead.ID+"/remove", nil); res.StatusCode != 400 {
		t.Fatalf("last coordinator removed: %d", res.StatusCode)
	}
	if res, page := leadC.post("/admin/groups/buyers-of-flanders/coordinators", url.Values{"email": {"nobody@example.org"}}); res.StatusCode != 400 || !strings.Contains(page, "No approved member") {
		t.Fatalf("unknown coordinator: %d", res.StatusCode)
	}
	if res, _ := leadC.post("/admin/groups/buyers-of-flanders/coordinators", url.Values{"email": {second.Email}}); res.StatusCode != 303 {
		t.Fatalf("add coordinator: %d", res.StatusCode)
	}
	if res, _ := leadC.post("/admin/groups/buyers-of-flanders/coordinators/"+lead.ID+"/remove", nil); res.StatusCode != 303 {
		t.Fatalf("remove coordinator: %d", res.StatusCode)
	}
	g, _ = s.auth.GroupBySlug(ctx, "buyers-of-flanders")
	if g.IsCoordinator(lead.ID) || !g.HasMember(lead.ID) || !g.IsCoordinator(second.ID) {
		t.Fatalf("coordinators %v members %v", g.Coordinators, g.Members)
	}
	if res, _ := leadC.get("/admin/groups/buyers-of-flanders"); res.StatusCode != 403 {
		t.Fatalf("former coordinator edits: %d", res.StatusCode)
	}
	outC := newClient(t, s)
	outC.signInAs(outsider.ID)
	if res, _ := outC.post("/admin/groups/buyers-of-flanders/archive", url.Values{"archive": {"1"}}); res.StatusCode != 403 {
		t.Fatalf("outsider archives a group: %d", res.StatusCode)
	}

	// Archive: content readable, hidden from lists, nothing new.
	cat, err := s.forum.CreateCategory(ctx, forum.Category{Name: "Flemish tenders", GroupID: g.ID})
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := s.forum.CreateThread(ctx, forum.NewThread{Category: cat, AuthorID: second.ID, Title: "Our laptop tender", Body: "Criteria."})
	if err != nil {
		t.Fatal(err)
	}
	secondC := newClient(t, s)
	secondC.signInAs(second.ID)
	if res, _ := secondC.post("/admin/groups/buyers-of-flanders/archive", url.Values{"archive": {"1"}}); res.StatusCode != 303 {
		t.Fatalf("archive: %d", res.StatusCode)
	}
	if _, page := leadC.get("/groups"); strings.Contains(page, "Buyers of Flanders") {
		t.Fatal("archived group still listed")
	}
	if res, page := leadC.get("/threads/" + th.ID); res.StatusCode != 200 || !strings.Contains(page, "Our laptop tender") {
		t.Fatalf("archived group's thread: %d", res.StatusCode)
	}
	if res, _ := leadC.get("/groups/buyers-of-flanders"); res.StatusCode != 200 {
		t.Fatalf("archived group's page: %d", res.StatusCode)
	}
	if res, _ := leadC.post("/threads/"+th.ID+"/reply", url.Values{"body": {"One more."}}); res.StatusCode != 403 {
		t.Fatalf("reply in an archived group: %d", res.StatusCode)
	}
	if res, _ := leadC.post("/discussions/c/"+cat.Slug+"/new", url.Values{"title": {"New"}, "body": {"New thread."}}); res.StatusCode != 403 {
		t.Fatalf("new thread in an archived group: %d", res.StatusCode)
	}
	if _, page := secondC.get("/admin/groups"); !strings.Contains(page, "Archived groups") {
		t.Fatal("the admin area does not list the archived group")
	}
	if res, _ := secondC.post("/admin/groups/buyers-of-flanders/archive", url.Values{"archive": {"0"}}); res.StatusCode != 303 {
		t.Fatalf("restore: %d", res.StatusCode)
	}
	if e := lastAudit(t, s); e.Action != auth.AuditGroupRestore {
		t.Fatalf("audit: %+v", e)
	}
	if res, _ := leadC.post("/threads/"+th.ID+"/reply", url.Values{"body": {"One more."}}); res.StatusCode != 303 {
		t.Fatalf("reply once restored: %d", res.StatusCode)
	}
}

// TestGroupAPI: POST /api/v1/groups and PATCH /api/v1/groups/{slug} with
// the pages' validation and messages and the same rights.
func TestGroupAPI(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	lead := newMember(t, s, "Api Lead", auth.StatusApproved, auth.RoleMember)
	other := newMember(t, s, "Api Other", auth.StatusApproved, auth.RoleModerator)
	adminM, err := s.auth.MemberByIdentity(context.Background(), "demo", "coordinator")
	if err != nil {
		t.Fatal(err)
	}
	asAdmin, asLead, asOther := apiCaller(t, s, adminM), apiCaller(t, s, lead), apiCaller(t, s, other)

	if st, out := asAdmin("POST", "/api/v1/groups", `{"name":"Api group","visibility":"everyone","join":"open"}`); st != 400 ||
		!strings.Contains(out["error"].(map[string]any)["message"].(string), "Choose who sees the group") {
		t.Fatalf("bad visibility: %d %v", st, out)
	}
	if st, _ := asLead("POST", "/api/v1/groups", `{"name":"Mine","visibility":"public","join":"open"}`); st != 403 {
		t.Fatalf("member creates a group: %d", st)
	}
	st, out := asAdmin("POST", "/api/v1/groups", `{"slug":"api-group","name":"Api group","description":"d","visibility":"members","join":"invite","coordinator":"`+lead.Email+`"}`)
	if st != 201 || out["slug"] != "api-group" || out["join"] != "invite" || out["visibility"] != "members" {
		t.Fatalf("create: %d %v", st, out)
	}
	if st, out := asLead("PATCH", "/api/v1/groups/api-group", `{"visibility":"public","names":{"nl":"Api-groep"}}`); st != 200 || out["visibility"] != "public" || out["name"] != "Api group" ||
		out["names"].(map[string]any)["nl"] != "Api-groep" || out["join"] != "invite" {
		t.Fatalf("patch by the coordinator: %d %v", st, out)
	}
	if st, _ := asOther("PATCH", "/api/v1/groups/api-group", `{"name":"Taken over"}`); st != 403 {
		t.Fatalf("patch by someone else: %d", st)
	}
	if st, _ := asLead("PATCH", "/api/v1/groups/api-group", `{"slug":"national-buyers"}`); st != 400 {
		t.Fatalf("patch to a taken slug: %d", st)
	}
	if st, _ := asLead("PATCH", "/api/v1/groups/api-group", `{not json`); st != 400 {
		t.Fatalf("bad JSON: %d", st)
	}
}
