package server

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
)

// TestAdminCategories: a group's coordinator creates, orders, edits and
// archives its categories in the admin area; a moderator opens a
// portal-wide category to visitors; the API does the same with the same
// rights and messages.
func TestAdminCategories(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	coord := newMember(t, s, "Cat Coordinator", auth.StatusApproved, auth.RoleMember)
	plain := newMember(t, s, "Cat Member", auth.StatusApproved, auth.RoleMember)
	mod := newMember(t, s, "Cat Moderator", auth.StatusApproved, auth.RoleModerator)
	g, err := s.auth.GroupBySlug(ctx, "transparency-cop")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.auth.AddCoordinator(ctx, g.ID, coord.ID); err != nil {
		t.Fatal(err)
	}
	cc := newClient(t, s)
	cc.signInAs(coord.ID)
	if res, page := cc.get("/admin/categories"); res.StatusCode != 200 || !strings.Contains(page, `<option value="`+g.ID+`"`) || strings.Contains(page, `<option value="">`) {
		t.Fatalf("admin categories for a coordinator: %d", res.StatusCode)
	}
	pc := newClient(t, s)
	pc.signInAs(plain.ID)
	if res, _ := pc.get("/admin/categories"); res.StatusCode != 403 {
		t.Fatalf("admin categories for a member: %d", res.StatusCode)
	}

	// Refused forms keep the input; only moderators create portal-wide ones.
	res, page := cc.post("/admin/categories", url.Values{"name": {""}, "description": {"Kept words"}, "group": {g.ID}, "colour": {"green"}})
	if res.StatusCode != 400 || !strings.Contains(page, `class="error-summary"`) || !strings.Contains(page, "Kept words") || !strings.Contains(page, `href="#c-name"`) {
		t.Fatalf("refused form: %d %.2000s", res.StatusCode, page)
	}
	if res, _ := cc.post("/admin/categories", url.Values{"name": {"Everyone's corner"}, "group": {""}}); res.StatusCode != 403 {
		t.Fatalf("coordinator creating a portal-wide category: %d", res.StatusCode)
	}
	for _, name := range []string{"Factory lists", "Audits"} {
		if res, _ := cc.post("/admin/categories", url.Values{"name": {name}, "group": {g.ID}, "colour": {"green"}}); res.StatusCode != 303 {
			t.Fatalf("create %s: %d", name, res.StatusCode)
		}
	}
	audits, err := s.forum.CategoryBySlug(ctx, "audits")
	if err != nil || audits.GroupID != g.ID {
		t.Fatalf("category: %+v %v", audits, err)
	}
	if e := lastAudit(t, s); e.Action != "forum_category_created" || e.Actor != coord.ID {
		t.Fatalf("audit: %+v", e)
	}

	// Reorder from the admin area, which it comes back to.
	factory, _ := s.forum.CategoryBySlug(ctx, "factory-lists")
	res, _ = cc.post("/discussions/categories/"+audits.ID+"/move", url.Values{"direction": {"up"}, "next": {"admin"}})
	if res.StatusCode != 303 || res.Header.Get("Location") != "/admin/categories#cat-"+audits.ID {
		t.Fatalf("move: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	a2, _ := s.forum.Category(ctx, audits.ID)
	f2, _ := s.forum.Category(ctx, factory.ID)
	if a2.Position >= f2.Position {
		t.Fatalf("positions: audits %d, factory lists %d", a2.Position, f2.Position)
	}

	// Edit: bad colour refused with the input kept, then saved.
	res, page = cc.post("/admin/categories/"+audits.ID, url.Values{"name": {"Supplier audits"}, "colour": {"gold"}})
	if res.StatusCode != 400 || !strings.Contains(page, "Choose one of the colours offered.") || !strings.Contains(page, `value="Supplier audits"`) {
		t.Fatalf("bad colour: %d", res.StatusCode)
	}
	if res, _ := cc.post("/admin/categories/"+audits.ID, url.Values{"name": {"Supplier audits"}, "description": {"Audit reports."}, "colour": {"red"}}); res.StatusCode != 303 {
		t.Fatalf("save: %d", res.StatusCode)
	}
	if c, _ := s.forum.Category(ctx, audits.ID); c.Name != "Supplier audits" || c.Colour != "red" || c.Slug != "audits" {
		t.Fatalf("saved: %+v", c)
	}
	if res, _ := pc.post("/admin/categories/"+audits.ID, url.Values{"name": {"Mine"}, "colour": {"red"}}); res.StatusCode != 403 {
		t.Fatalf("member edits a category: %d", res.StatusCode)
	}

	// A moderator opens the general category to visitors.
	general, _ := s.forum.CategoryBySlug(ctx, "general")
	anon := newClient(t, s)
	if res, _ := anon.get("/discussions/c/general"); res.StatusCode != 404 {
		t.Fatalf("visitor on a members' category: %d", res.StatusCode)
	}
	mc := newClient(t, s)
	mc.signInAs(mod.ID)
	if res, _ := mc.post("/admin/categories/"+general.ID, url.Values{"name": {general.Name}, "description": {general.Description}, "colour": {general.Colour}, "visibility": {"public"}}); res.StatusCode != 303 {
		t.Fatalf("moderator opens general: %d", res.StatusCode)
	}
	if res, _ := anon.get("/discussions/c/general"); res.StatusCode != 200 {
		t.Fatalf("visitor on the opened category: %d", res.StatusCode)
	}
	if res, _ := mc.post("/admin/categories/"+general.ID+"/archive", url.Values{"archive": {"1"}}); res.StatusCode != 400 {
		t.Fatalf("general archived: %d", res.StatusCode)
	}

	// Archive: threads readable, nothing new, out of the index.
	th, _, err := s.forum.CreateThread(ctx, forum.NewThread{Category: a2, AuthorID: coord.ID, Title: "Audit of plant X", Body: "Findings."})
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := cc.post("/admin/categories/"+audits.ID+"/archive", url.Values{"archive": {"1"}}); res.StatusCode != 303 {
		t.Fatalf("archive: %d", res.StatusCode)
	}
	if _, page := cc.get("/discussions"); strings.Contains(page, "Supplier audits</a>") {
		t.Fatal("archived category still in the index")
	}
	if res, _ := cc.get("/threads/" + th.ID); res.StatusCode != 200 {
		t.Fatalf("thread of an archived category: %d", res.StatusCode)
	}
	if res, _ := cc.post("/threads/"+th.ID+"/reply", url.Values{"body": {"More findings."}}); res.StatusCode != 403 {
		t.Fatalf("reply in an archived category: %d", res.StatusCode)
	}
	if res, _ := cc.post("/discussions/c/audits/new", url.Values{"title": {"Another audit"}, "body": {"Text."}}); res.StatusCode != 403 {
		t.Fatalf("thread in an archived category: %d", res.StatusCode)
	}
	if _, page := cc.get("/admin/categories"); !strings.Contains(page, "Archived categories") {
		t.Fatal("archived category not listed apart")
	}
	if res, _ := cc.post("/admin/categories/"+audits.ID+"/archive", url.Values{"archive": {"0"}}); res.StatusCode != 303 {
		t.Fatalf("restore: %d", res.StatusCode)
	}
	if e := lastAudit(t, s); e.Action != "forum_category_restored" {
		t.Fatalf("audit: %+v", e)
	}

	// The API: same rights, same messages.
	asCoord, asPlain := apiCaller(t, s, coord), apiCaller(t, s, plain)
	if st, out := asCoord("POST", "/api/v1/categories", `{"name":"Questionnaires","group":"transparency-cop","colour":"gold"}`); st != 400 ||
		!strings.Contains(out["error"].(map[string]any)["message"].(string), "Choose one of the colours offered.") {
		t.Fatalf("API bad colour: %d %v", st, out)
	}
	if st, _ := asPlain("POST", "/api/v1/categories", `{"name":"Questionnaires","group":"transparency-cop"}`); st != 403 {
		t.Fatalf("API create by a member: %d", st)
	}
	if st, _ := asCoord("POST", "/api/v1/categories", `{"name":"Questionnaires"}`); st != 403 {
		t.Fatalf("API portal-wide by a coordinator: %d", st)
	}
	st, out := asCoord("POST", "/api/v1/categories", `{"name":"Questionnaires","description":"Supplier questionnaires.","group":"transparency-cop","colour":"teal"}`)
	if st != 201 || out["slug"] != "questionnaires" || out["group_id"] != g.ID {
		t.Fatalf("API create: %d %v", st, out)
	}
	if st, out := asCoord("PATCH", "/api/v1/categories/questionnaires", `{"colour":"purple"}`); st != 200 || out["colour"] != "purple" || out["name"] != "Questionnaires" {
		t.Fatalf("API patch: %d %v", st, out)
	}
	if st, _ := asPlain("PATCH", "/api/v1/categories/questionnaires", `{"name":"Mine"}`); st != 403 {
		t.Fatalf("API patch by a member: %d", st)
	}
}
