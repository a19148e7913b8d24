package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/mail"
	"github.com/circularfairict/portal/mail/mailtest"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/workshops"
	"github.com/circularfairict/portal/workshops/live"
)

// sideways is group A, whose content is for its members only, with one
// object of each kind that other objects lead to, and a facilitator who is
// not in A. Titles carry the marker "Qx9" so that a body can be searched
// for any of them.
type sideways struct {
	group             *auth.Group
	insider, outsider *auth.Member
	cat               *forum.Category     // A's discussion category
	workshop          *workshops.Workshop // past, in A, series "Qx9 alpha series", outcome published to A
	outcome           string              // that outcome's library resource
	resource          string              // a resource limited to A
	thread            string              // a thread in A's category
	discussion        string              // the resource's discussion ("Discuss" pressed by the insider)
	public            string              // a public resource of the insider that links to the group's one
	general           string              // a thread in General
	feed              string              // the outsider's calendar feed secret
	copGroup          string              // transparency-cop: every member sees its content
	copWorkshop       string              // a workshop of that group (the outsider sees it)
	copOutcome        string              // its outcome, published to that group only
}

const sidewaysSeries = "Qx9 alpha series"

// secrets maps what must not reach anyone outside A to what it is.
func (f sideways) secrets() map[string]string {
	return map[string]string{
		"Qx9 alpha workshop": "the group's workshop title", f.workshop.ID: "the group's workshop ID",
		"Qx9 alpha action": "an action item of its outcome", f.outcome: "its outcome's ID",
		"Qx9 alpha resource": "the group's resource title", f.resource: "the group's resource ID",
		"Qx9 alpha thread": "the group's thread title", f.thread: "the group's thread ID",
		"Qx9 alpha reply": "a reply in the group's thread", f.discussion: "the resource's discussion ID",
		"Qx9 alpha room": "the group's category name", "Qx9 alpha poll": "a poll prepared for the group's workshop",
		f.copOutcome: "the group-only outcome of a workshop all members see", "Qx9 cop action": "an action item of that outcome",
	}
}

func seedSideways(t *testing.T, s *Server) sideways {
	t.Helper()
	ctx := context.Background()
	f := sideways{
		insider:  newMember(t, s, "Sideways Insider", auth.StatusApproved, auth.RoleFacilitator),
		outsider: newMember(t, s, "Sideways Outsider", auth.StatusApproved, auth.RoleFacilitator),
	}
	id, err := s.auth.PutGroup(ctx, auth.Group{Slug: "sideways-alpha", Name: "Sideways alpha group", Description: "Content for members only.",
		Visibility: auth.VisibilityGroup, JoinPolicy: auth.JoinRequest, Coordinators: []string{f.insider.ID}, Members: []string{f.insider.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if f.group, err = s.auth.Group(ctx, id); err != nil {
		t.Fatal(err)
	}
	if f.cat, err = s.forum.CreateCategory(ctx, forum.Category{Name: "Qx9 alpha room", GroupID: f.group.ID}); err != nil {
		t.Fatal(err)
	}
	th, _, err := s.forum.CreateThread(ctx, forum.NewThread{Category: f.cat, AuthorID: f.insider.ID, Title: "Qx9 alpha thread", Body: "Inside the group."})
	if err != nil {
		t.Fatal(err)
	}
	f.thread = th.ID
	general, err := s.forum.CategoryBySlug(ctx, forum.GeneralSlug)
	if err != nil {
		t.Fatal(err)
	}
	if th, _, err = s.forum.CreateThread(ctx, forum.NewThread{Category: general, AuthorID: f.insider.ID, Title: "Sideways general thread", Body: "For everyone."}); err != nil {
		t.Fatal(err)
	}
	f.general = th.ID
	f.resource = sidewaysResource(t, s, f.insider.ID, "Qx9 alpha resource", resources.VisibilityGroup, f.group.ID)
	f.public = sidewaysResource(t, s, f.insider.ID, "Sideways public resource", resources.VisibilityPublic, "")
	for _, l := range []resources.Link{{Kind: resources.LinkTranslationOf, Target: f.resource}} {
		if err := s.lib.AddLink(ctx, f.public, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.lib.AddLink(ctx, f.resource, resources.Link{Kind: resources.LinkPartOf, Target: f.public}); err != nil {
		t.Fatal(err)
	}

	// The group's past workshop of a series, its outcome published to the
	// group with an open action item.
	start := time.Now().Add(-72 * time.Hour)
	if f.workshop, err = s.workshops.Create(ctx, f.insider.ID, workshops.Input{Title: "Qx9 alpha workshop", GroupID: f.group.ID, Series: sidewaysSeries,
		StartsAt: start, EndsAt: start.Add(time.Hour), Polls: []workshops.Poll{{Question: "Qx9 alpha poll", Options: []string{"Yes", "No"}}}}); err != nil {
		t.Fatal(err)
	}
	if f.outcome, err = s.core.SeedOutcome(ctx, f.workshop.ID, f.insider.ID, live.Outcome{Room: f.workshop.ID, Notes: "- [ ] Qx9 alpha action"}, string(resources.VisibilityGroup)); err != nil {
		t.Fatal(err)
	}

	// A workshop of a group whose workshops every member sees, with its
	// outcome published to that group only: the workshop is no secret, its
	// outcome is.
	cop, err := s.auth.GroupBySlug(ctx, "transparency-cop")
	if err != nil {
		t.Fatal(err)
	}
	cop.Members = append(cop.Members, f.insider.ID)
	if _, err := s.auth.PutGroup(ctx, *cop); err != nil {
		t.Fatal(err)
	}
	copWorkshop, err := s.workshops.Create(ctx, f.insider.ID, workshops.Input{Title: "Sideways cop workshop", GroupID: cop.ID, Series: "Sideways cop series",
		StartsAt: start, EndsAt: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	f.copWorkshop, f.copGroup = copWorkshop.ID, cop.ID
	if f.copOutcome, err = s.core.SeedOutcome(ctx, copWorkshop.ID, f.insider.ID, live.Outcome{Room: copWorkshop.ID, Notes: "- [ ] Qx9 cop action"}, string(resources.VisibilityGroup)); err != nil {
		t.Fatal(err)
	}

	// Through the pages, as the insider: the resource's discussion, and a
	// reply that mentions the outsider (who may not read it).
	in := newClient(t, s)
	in.signInAs(f.insider.ID)
	res, body := in.post("/discussions/resources/"+f.resource, url.Values{})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("discuss the group's resource: %d %.300s", res.StatusCode, body)
	}
	f.discussion = threadIDOf(res.Header.Get("Location"))
	if res, body := in.post("/threads/"+f.thread+"/reply", url.Values{"body": {"Qx9 alpha reply for @[Sideways Outsider](/members/" + f.outsider.ID + ")"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply: %d %.300s", res.StatusCode, body)
	}

	// The outsider was in the group once: mentioned in its thread and
	// registered for its workshop then, and removed since. What they were
	// told then must not keep showing them the group's content.
	f.group.Members = append(f.group.Members, f.outsider.ID)
	if _, err := s.auth.PutGroup(ctx, *f.group); err != nil {
		t.Fatal(err)
	}
	if res, body := in.post("/threads/"+f.discussion+"/reply", url.Values{"body": {"Qx9 alpha reply for @[Sideways Outsider](/members/" + f.outsider.ID + ") while a member"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply: %d %.300s", res.StatusCode, body)
	}
	if err := s.workshops.PutRegistration(ctx, workshops.Registration{WorkshopID: f.workshop.ID, MemberID: f.outsider.ID, Status: workshops.Registered, CreatedAt: start}); err != nil {
		t.Fatal(err)
	}
	if ns, err := s.forum.Notifications(ctx, f.outsider.ID, 10); err != nil || len(ns) != 1 {
		t.Fatalf("the outsider, a member then, was not notified: %v %v", ns, err)
	}
	f.group.Members = []string{f.insider.ID}
	if _, err := s.auth.PutGroup(ctx, *f.group); err != nil {
		t.Fatal(err)
	}
	if f.feed, err = s.workshops.NewFeedToken(ctx, f.outsider.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

func sidewaysResource(t *testing.T, s *Server, owner, title string, v resources.Visibility, group string) string {
	t.Helper()
	ctx := context.Background()
	sp, err := s.lib.Receive(ctx, strings.NewReader(title+"\n"), "note.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	r, _, err := s.lib.Create(ctx, owner, resources.Meta{Title: title, Summary: "s", Type: "report", Languages: []string{"en"}, Licence: "cc_by", Visibility: v, GroupID: group}, sp, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

func threadIDOf(location string) string {
	id := strings.TrimPrefix(location, "/threads/")
	if i := strings.IndexAny(id, "/?#"); i >= 0 {
		id = id[:i]
	}
	return id
}

// leaks returns what of secrets a response shows, headers included. The
// path asked for is taken out first: an error page or a sign-in redirect
// that repeats the caller's own URL tells them nothing. A path that names
// an object of the group must not be answered with success.
func leaks(res *http.Response, body string, secrets map[string]string, asked string) []string {
	var out []string
	where := body + "\n" + res.Header.Get("Location") + "\n" + res.Header.Get("Link")
	if asked != "" {
		// The address asked for, echoed (a return address, in either case
		// of percent-encoding, as html/template writes it), reveals nothing.
		for _, echo := range []string{url.QueryEscape(asked), strings.ToLower(url.QueryEscape(asked)), asked} {
			where = strings.ReplaceAll(where, echo, "")
		}
	}
	for s, what := range secrets {
		if strings.Contains(where, s) {
			out = append(out, what+" ("+s+")")
		}
		if strings.Contains(asked, s) && res.StatusCode < 300 {
			out = append(out, "success for "+what)
		}
	}
	sort.Strings(out)
	return out
}

// Finding 1: a facilitator outside a group saw its series among the
// suggestions, and a workshop of the same series showed the group's
// workshop, its outcome and its open action items.
func TestSeriesDoNotCrossGroups(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	f := seedSideways(t, s)
	out := newClient(t, s)
	out.signInAs(f.outsider.ID)
	if _, body := out.get("/workshops/new"); strings.Contains(body, sidewaysSeries) {
		t.Error("the form suggests a series only the group's workshops carry")
	}
	next := time.Now().Add(48 * time.Hour)
	own, err := s.workshops.Create(context.Background(), f.outsider.ID, workshops.Input{Title: "Sideways own workshop", Series: sidewaysSeries, StartsAt: next, EndsAt: next.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	res, body := out.get("/workshops/" + own.ID)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("own workshop: %d", res.StatusCode)
	}
	if l := leaks(res, body, f.secrets(), ""); len(l) > 0 {
		t.Errorf("the outsider's workshop of the same series shows %v", l)
	}
	// The insider still sees the previous workshop and its open items.
	in := newClient(t, s)
	in.signInAs(f.insider.ID)
	if _, body := in.get("/workshops/new"); !strings.Contains(body, `<option value="`+sidewaysSeries+`">`) {
		t.Error("the group's facilitator is not offered the group's series")
	}
	_, body = in.get("/workshops/" + own.ID)
	for _, want := range []string{`href="/workshops/` + f.workshop.ID + `"`, "Qx9 alpha action", `href="/library/` + f.outcome + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("a member of the group does not see %q on the next workshop of the series", want)
		}
	}
}

// Finding 2: "Discuss" on a group-only resource put its thread, titled
// after the resource, in the portal-wide General category.
func TestResourceDiscussionStaysWithItsResource(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	f := seedSideways(t, s)
	th, err := s.forum.Thread(ctx, f.discussion)
	if err != nil {
		t.Fatal(err)
	}
	if th.CategoryID != f.cat.ID {
		t.Fatalf("the group-only resource's thread is in category %s, not the group's %s", th.CategoryID, f.cat.ID)
	}
	out := newClient(t, s)
	out.signInAs(f.outsider.ID)
	for _, path := range []string{"/discussions", "/discussions/c/general", "/discussions/search?q=Qx9", "/threads/" + f.discussion} {
		res, body := out.get(path)
		if l := leaks(res, body, f.secrets(), path); len(l) > 0 {
			t.Errorf("%s shows the outsider %v", path, l)
		}
	}

	// Moderators move it only where the resource is visible; another of
	// the group's categories is such a place, and stays its place.
	admin := newMember(t, s, "Sideways Admin", auth.StatusApproved, auth.RoleAdmin)
	mod := newClient(t, s)
	mod.signInAs(admin.ID)
	mod.get("/threads/" + f.discussion)
	general, _ := s.forum.CategoryBySlug(ctx, forum.GeneralSlug)
	res, body := mod.post("/threads/"+f.discussion+"/moderate", url.Values{"action": {"move"}, "category": {general.ID}, "reason": {"Wider audience"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "can only move to a category whose readers may all see that resource") {
		t.Errorf("moving the discussion to General: %d", res.StatusCode)
	}
	second, err := s.forum.CreateCategory(ctx, forum.Category{Name: "Qx9 alpha second room", GroupID: f.group.ID})
	if err != nil {
		t.Fatal(err)
	}
	if res, body := mod.post("/threads/"+f.discussion+"/moderate", url.Values{"action": {"move"}, "category": {second.ID}, "reason": {"Tidier"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("moving the discussion within the group: %d %.300s", res.StatusCode, body)
	}
	in0 := newClient(t, s)
	in0.signInAs(f.insider.ID)
	in0.get("/library/" + f.resource)
	if res, _ := in0.post("/discussions/resources/"+f.resource, url.Values{}); threadIDOf(res.Header.Get("Location")) != f.discussion {
		t.Errorf("Discuss after the move: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if th, _ := s.forum.Thread(ctx, f.discussion); th.CategoryID != second.ID {
		t.Errorf("the discussion went back from the group's second category to %s", th.CategoryID)
	}

	// A thread made before this rule, in General for a group-only
	// resource: its page is closed to the outsider at once, and the
	// insider's Discuss moves it into the group.
	oldRes := sidewaysResource(t, s, f.insider.ID, "Qx9 alpha legacy resource", resources.VisibilityGroup, f.group.ID)
	legacy, _, err := s.forum.CreateThread(ctx, forum.NewThread{Category: general, AuthorID: f.insider.ID, Title: "Qx9 alpha legacy discussion", Body: "Made before the fix.", ResourceID: oldRes})
	if err != nil {
		t.Fatal(err)
	}
	// Schema 7 records it under the resource's ID, as on a database of
	// the release that made it.
	if _, err := s.store.DB.Collection("portal_meta").UpdateOne(ctx, bson.M{"_id": "schema"}, bson.M{"$set": bson.M{"version": 6}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.DB.Collection("schema_migrations").DeleteMany(ctx, bson.M{"_id": bson.M{"$in": bson.A{"7", "8"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.store.Upgrade(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if res, _ := out.get("/threads/" + legacy.ID); res.StatusCode != http.StatusNotFound {
		t.Errorf("the outsider opens a legacy discussion of a group-only resource: %d", res.StatusCode)
	}
	if _, body := in0.get("/library/" + oldRes); !strings.Contains(body, `action="/discussions/resources/`+oldRes+`"`) {
		t.Error("the group's member is not offered Discuss to move the legacy discussion")
	}
	if res, _ := in0.post("/discussions/resources/"+oldRes, url.Values{}); threadIDOf(res.Header.Get("Location")) != legacy.ID {
		t.Fatalf("Discuss on the legacy thread: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if th, _ := s.forum.Thread(ctx, legacy.ID); th.CategoryID != f.cat.ID {
		t.Errorf("the legacy discussion was not moved into the group: %s", th.CategoryID)
	}
	if _, body := out.get("/discussions/c/general"); strings.Contains(body, "Qx9 alpha legacy") {
		t.Error("General still lists the legacy discussion")
	}

	// A group whose content every member reads cannot hold it: no button,
	// and the POST is refused.
	cop, err := s.auth.GroupBySlug(ctx, "transparency-cop")
	if err != nil {
		t.Fatal(err)
	}
	cop.Members = append(cop.Members, f.insider.ID)
	if _, err := s.auth.PutGroup(ctx, *cop); err != nil {
		t.Fatal(err)
	}
	copRes := sidewaysResource(t, s, f.insider.ID, "Qx9 cop resource", resources.VisibilityGroup, cop.ID)
	in := newClient(t, s)
	in.signInAs(f.insider.ID)
	if _, body := in.get("/library/" + copRes); strings.Contains(body, `action="/discussions/resources/`+copRes+`"`) {
		t.Error("Discuss is offered where no category is as private as the resource")
	}
	if res, _ := in.post("/discussions/resources/"+copRes, url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Errorf("discuss without a fitting place: %d, want 403", res.StatusCode)
	}
	if _, body := in.get("/library/" + f.resource); !strings.Contains(body, `action="/discussions/resources/`+f.resource+`"`) {
		t.Error("Discuss is not offered for the private group's resource")
	}
	// A members' resource is discussed in General, as before.
	memRes := sidewaysResource(t, s, f.insider.ID, "Sideways members resource", resources.VisibilityMembers, "")
	res, _ = in.post("/discussions/resources/"+memRes, url.Values{})
	memThread, err := s.forum.Thread(ctx, threadIDOf(res.Header.Get("Location")))
	if err != nil {
		t.Fatal(err)
	}
	if memThread.CategoryID != general.ID {
		t.Errorf("members' resource discussed in %s, not General", memThread.CategoryID)
	}

	// The discussion follows its resource, never wider than the resource
	// and never to other readers than those it was written for: limited to
	// the private group, the thread moves from General to the group's
	// category; limited then to another private group, it is held rather
	// than shown to that group; members-only again, it is released where it
	// was, in the first group (its replies were written for that group),
	// and the outsider is not offered Discuss.
	betaID, err := s.auth.PutGroup(ctx, auth.Group{Slug: "sideways-beta", Name: "Sideways beta group", Visibility: auth.VisibilityGroup,
		JoinPolicy: auth.JoinRequest, Coordinators: []string{f.insider.ID}, Members: []string{f.insider.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.forum.CreateCategory(ctx, forum.Category{Name: "Sideways beta room", GroupID: betaID}); err != nil {
		t.Fatal(err)
	}
	edit := func(id string, v resources.Visibility, group string) {
		t.Helper()
		in.get("/library/" + id + "/edit")
		form := url.Values{"title": {"Sideways members resource"}, "summary": {"s"}, "type": {"report"}, "languages": {"en"}, "licence": {"cc_by"},
			"visibility": {string(v)}, "group": {group}}
		if res, body := in.post("/library/"+id+"/edit", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit: %d %.300s", res.StatusCode, body)
		}
	}
	placed := func() *forum.Thread {
		t.Helper()
		th, err := s.forum.Thread(ctx, memThread.ID)
		if err != nil {
			t.Fatal(err)
		}
		return th
	}
	edit(memRes, resources.VisibilityGroup, f.group.ID)
	if th := placed(); th.CategoryID != f.cat.ID || th.Held {
		t.Errorf("limited to the private group: category %s held %v", th.CategoryID, th.Held)
	}
	if res, _ := out.get("/threads/" + memThread.ID); res.StatusCode != http.StatusNotFound {
		t.Errorf("the outsider opens the moved thread: %d", res.StatusCode)
	}
	edit(memRes, resources.VisibilityGroup, betaID)
	if th := placed(); !th.Held || th.CategoryID != f.cat.ID {
		t.Errorf("limited to another private group: category %s held %v", th.CategoryID, th.Held)
	}
	if _, body := in.get("/discussions/search?q=members"); strings.Contains(body, "/threads/"+memThread.ID) {
		t.Error("the held thread is still found")
	}
	edit(memRes, resources.VisibilityMembers, "")
	if th := placed(); th.CategoryID != f.cat.ID || th.Held {
		t.Errorf("members-only again: category %s held %v", th.CategoryID, th.Held)
	}
	if res, _ := out.get("/threads/" + memThread.ID); res.StatusCode != http.StatusNotFound {
		t.Errorf("the outsider opens the group's discussion of a widened resource: %d", res.StatusCode)
	}
	if _, body := out.get("/library/" + memRes); strings.Contains(body, `action="/discussions/resources/`+memRes+`"`) {
		t.Error("Discuss is offered to a member who may not open the discussion")
	}
	if res, _ := out.post("/discussions/resources/"+memRes, url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Errorf("the outsider's Discuss: %d, want 403", res.StatusCode)
	}
}

// Finding 5: the workshop API gave participants the prepared polls and the
// run-sheet; the outcome API gave them the draft rather than what was
// published.
func TestWorkshopAPIKeepsFacilitatorFields(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	base := listen(t, s)
	facID := personaID(t, s, "facilitator")
	start := time.Now().Add(-2 * time.Hour)
	w, err := s.workshops.Create(ctx, facID, workshops.Input{Title: "API fields clinic", StartsAt: start, EndsAt: start.Add(time.Hour),
		Agenda: []workshops.AgendaItem{{Title: "Welcome", Minutes: 5}},
		Polls:  []workshops.Poll{{Question: "Prepared question?", Options: []string{"Yes", "No"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.workshops.SetRunSheet(ctx, w, []workshops.Step{{Kind: "poll", Agenda: 0, Poll: 1}}); err != nil {
		t.Fatal(err)
	}
	buyer, fac := apiToken(t, s, "buyer"), apiToken(t, s, "facilitator")
	_, got := apiDo(t, base, "GET", "/api/v1/workshops/"+w.ID, buyer, nil)
	pw, _ := got["workshop"].(map[string]any)
	if pw == nil || pw["title"] != "API fields clinic" || pw["agenda"] == nil {
		t.Fatalf("participant's answer: %v", got)
	}
	for _, k := range []string{"polls", "run_sheet"} {
		if _, ok := pw[k]; ok {
			t.Errorf("a participant gets the facilitators' %s", k)
		}
	}
	_, got = apiDo(t, base, "GET", "/api/v1/workshops/"+w.ID, fac, nil)
	fw, _ := got["workshop"].(map[string]any)
	if fw == nil || fw["polls"] == nil || fw["run_sheet"] == nil {
		t.Errorf("the facilitator lacks polls or run-sheet: %v", got)
	}

	// The outcome: published, then the draft edited again. Others get the
	// published document, never the draft or the raw material.
	fm, _ := s.auth.Member(ctx, facID)
	if _, err := s.core.StoreOutcome(ctx, "en", w, facID, live.Outcome{Room: w.ID, Notes: "Said by Raw Name.\n- [ ] Open item"}); err != nil {
		t.Fatal(err)
	}
	if err := s.workshops.SaveEdit(ctx, w.ID, facID, "# API fields clinic\n\nPublished text.\n\n- [ ] Open item\n", "members"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.core.PublishOutcome(ctx, "en", w, fm); err != nil {
		t.Fatal(err)
	}
	if err := s.workshops.SaveEdit(ctx, w.ID, facID, "# API fields clinic\n\nUnpublished second thoughts.\n", "members"); err != nil {
		t.Fatal(err)
	}
	st, got := apiDo(t, base, "GET", "/api/v1/workshops/"+w.ID+"/outcome", buyer, nil)
	if st != http.StatusOK || !strings.Contains(got["markdown"].(string), "Published text.") {
		t.Fatalf("participant's outcome: %d %v", st, got)
	}
	for _, bad := range []string{"Unpublished second thoughts", "Raw Name"} {
		if strings.Contains(toJSONString(got), bad) {
			t.Errorf("a participant gets %q from the outcome API", bad)
		}
	}
	if _, ok := got["outcome"]; ok {
		t.Error("a participant gets the outcome's raw material")
	}
	if _, got = apiDo(t, base, "GET", "/api/v1/workshops/"+w.ID+"/outcome", fac, nil); !strings.Contains(toJSONString(got), "Unpublished second thoughts") {
		t.Error("the facilitator does not get the draft")
	}
}

// The class: every object reachable from another (series, related
// resources and links, cards, activity, search, feeds, notifications)
// respects the viewer's rights. Every GET route of the router is called,
// with the IDs of the seed for its parameters, by a facilitator outside A
// and by a visitor; no body (nor Location) may name an object of A. A
// route with a parameter this test does not know fails it, so a new route
// is walked as soon as it exists.
func TestNothingOfAGroupReachesOutsiders(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	f := seedSideways(t, s)
	// A workshop of the outsider's in the same series (its previous one is
	// the group's), and a post in General that links the group's resource
	// (its card must not show).
	next := time.Now().Add(48 * time.Hour)
	own, err := s.workshops.Create(context.Background(), f.outsider.ID, workshops.Input{Title: "Sideways own workshop", Series: sidewaysSeries, StartsAt: next, EndsAt: next.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	in := newClient(t, s)
	in.signInAs(f.insider.ID)
	if res, body := in.post("/threads/"+f.general+"/reply", url.Values{"body": {"See the clause we use: /library/" + f.resource}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply: %d %.300s", res.StatusCode, body)
	}
	secrets := f.secrets()
	// The reply's own text names the resource's address, as its author
	// wrote it; the card (title, summary) is what must not show.
	cardSecrets := map[string]string{}
	for k, v := range secrets {
		if k != f.resource {
			cardSecrets[k] = v
		}
	}

	values := func(path, param string) []string {
		switch {
		case param == "n":
			return []string{"1", "2"}
		case param == "id" && (strings.HasPrefix(path, "/library/") || strings.HasPrefix(path, "/api/v1/resources/") || strings.HasPrefix(path, "/discussions/resources/")):
			return []string{f.resource, f.outcome, f.public}
		case param == "id" && (strings.HasPrefix(path, "/workshops/") || strings.HasPrefix(path, "/api/v1/workshops/")):
			return []string{f.workshop.ID, own.ID, f.copWorkshop}
		case param == "id" && (strings.HasPrefix(path, "/threads/") || strings.HasPrefix(path, "/api/v1/threads/")):
			return []string{f.thread, f.discussion, f.general}
		case param == "id" && strings.HasPrefix(path, "/members/"):
			return []string{f.insider.ID, f.outsider.ID}
		case param == "slug" && (strings.HasPrefix(path, "/groups/") || strings.HasPrefix(path, "/admin/groups/")):
			return []string{f.group.Slug, "transparency-cop"}
		case param == "id" && strings.HasPrefix(path, "/admin/categories/"):
			return []string{f.cat.ID}
		case param == "id" && strings.HasPrefix(path, "/admin/backups/"):
			return []string{"unknown"}
		case param == "slug" && strings.HasPrefix(path, "/discussions/c/"):
			return []string{f.cat.Slug, forum.GeneralSlug, "due-diligence"}
		case param == "token" && strings.HasPrefix(path, "/calendar/"):
			return []string{f.feed + ".ics"}
		case param == "token" && strings.HasPrefix(path, "/unsubscribe/"):
			return []string{s.signer.Token(f.outsider.ID, forum.ScopeEmail, "")}
		case param == "file" && strings.HasPrefix(path, "/site/logo/"):
			return []string{"00000000000000000000000000000000.png"}
		case param == "secret" || param == "provider":
			return []string{"unknown"}
		}
		return nil
	}
	// Query strings that make list and search routes show what they find.
	queries := map[string][]string{
		"/library":              {"", "?q=Qx9", "?group=" + f.group.ID, "?group=" + f.copGroup},
		"/api/v1/resources":     {"", "?q=Qx9", "?group=" + f.group.ID},
		"/discussions/search":   {"?q=Qx9", "?q=alpha"},
		"/search":               {"?q=Qx9", "?q=Qx9&tab=discussions", "?q=Qx9&tab=people", "?q=Qx9&tab=workshops", "?q=alpha&tab=workshops"},
		"/api/v1/search":        {"?q=Qx9", "?q=Qx9&tab=discussions", "?q=Qx9&tab=workshops", "?q=cop&tab=workshops"},
		"/discussions/mentions": {"?q=Sideways"},
		"/workshops":            {"", "?when=past", "?group=" + f.group.Slug, "?when=past&group=transparency-cop"},
		"/groups/:slug":         {""},
	}
	type call struct{ route, path string }
	var calls []call
	for _, r := range s.Routes() {
		if r.Method != fiber.MethodGet {
			continue
		}
		paths := []string{""}
		for _, seg := range strings.Split(strings.TrimPrefix(r.Path, "/"), "/") {
			var next []string
			for _, p := range paths {
				if strings.HasPrefix(seg, ":") {
					vs := values(r.Path, seg[1:])
					if vs == nil {
						t.Fatalf("%s: no seed value for :%s; add one so the route is walked", r.Path, seg[1:])
					}
					for _, v := range vs {
						next = append(next, p+"/"+v)
					}
				} else {
					next = append(next, p+"/"+seg)
				}
			}
			paths = next
		}
		qs := queries[r.Path]
		if qs == nil {
			qs = []string{""}
		}
		for _, p := range paths {
			for _, q := range qs {
				calls = append(calls, call{r.Method + " " + r.Path, p + q})
			}
		}
	}
	// The discussions' live stream answers once per thread it may follow.
	for _, id := range []string{f.thread, f.discussion} {
		calls = append(calls, call{"GET /discussions/live", "/discussions/live?thread=" + id})
	}

	outsider := newClient(t, s)
	outsider.signInAs(f.outsider.ID)
	visitor := newClient(t, s)
	visitor.get("/")
	checked := 0
	for _, who := range []struct {
		name string
		c    *client
	}{{"outsider", outsider}, {"visitor", visitor}} {
		for _, cl := range calls {
			if cl.route == "GET /discussions/live" && !strings.Contains(cl.path, "?thread=") {
				continue // the member's own stream, not an object's
			}
			for _, accept := range []string{"text/html", fiber.MIMEApplicationJSON} {
				req := httptest.NewRequest(http.MethodGet, cl.path, nil)
				req.Header.Set("Accept", accept)
				var res *http.Response
				var body string
				if strings.HasPrefix(cl.path, "/discussions/live") {
					// A stream that opened would never end: only its
					// refusal is read.
					useTestHost(s, req)
					for k, v := range who.c.cookies {
						req.AddCookie(&http.Cookie{Name: k, Value: v})
					}
					var err error
					if res, err = s.App().Test(req, 5000); err != nil {
						t.Errorf("%s: %s opened the stream of a thread of the group (%v)", who.name, cl.path, err)
						continue
					}
					res.Body.Close()
					if res.StatusCode == http.StatusOK {
						t.Errorf("%s: %s answered 200", who.name, cl.path)
					}
					continue
				}
				res, body = who.c.do(req)
				checked++
				sec := secrets
				if strings.HasPrefix(cl.path, "/threads/"+f.general) || strings.HasPrefix(cl.path, "/api/v1/threads/"+f.general) {
					sec = cardSecrets
				}
				if l := leaks(res, body, sec, cl.path); len(l) > 0 {
					t.Errorf("%s: %s (%s, %s) answers %d with %s", who.name, cl.path, cl.route, accept, res.StatusCode, strings.Join(l, ", "))
				}
			}
		}
	}
	routes := map[string]bool{}
	for _, cl := range calls {
		routes[cl.route] = true
	}
	t.Logf("%d GET routes, %d paths, %d requests checked for %d titles and IDs the callers may not see", len(routes), len(calls), checked, len(secrets))

	// The seed itself is visible to the group: the walk would find nothing
	// if the objects were missing.
	for _, path := range []string{"/workshops/" + own.ID, "/threads/" + f.general, "/discussions/notifications", "/library/" + f.public} {
		res, body := in.get(path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("insider %s: %d", path, res.StatusCode)
		}
		_ = body
	}
	if _, body := in.get("/workshops/" + own.ID); !strings.Contains(body, "Qx9 alpha workshop") {
		t.Error("the insider does not see the previous workshop of the series: the seed is wrong")
	}
	if _, body := in.get("/threads/" + f.general); !strings.Contains(body, "Qx9 alpha resource") {
		t.Error("the insider does not see the card of the group's resource: the seed is wrong")
	}
	if _, body := in.get("/library/" + f.public); !strings.Contains(body, "Qx9 alpha resource") {
		t.Error("the insider does not see the link to the group's resource: the seed is wrong")
	}
}

func toJSONString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Mail crosses to objects too: a reminder names its workshop and a digest
// its threads. A member removed from the group since registering or being
// mentioned gets neither.
func TestMailNamesOnlyWhatMembersMaySee(t *testing.T) {
	smtp := mailtest.Start(t)
	s, _ := newTestServer(t, opts{mail: &mail.SMTP{Host: smtp.Host, Port: smtp.Port, From: "portal@example.org", TLS: mail.TLSNone}})
	ctx := context.Background()
	f := seedSideways(t, s) // the outsider was mentioned in the group's thread while a member
	soon := time.Now().Add(3 * time.Hour).Truncate(time.Minute)
	w, err := s.workshops.Create(ctx, f.insider.ID, workshops.Input{Title: "Qx9 alpha workshop soon", GroupID: f.group.ID, StartsAt: soon, EndsAt: soon.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	stayed := newMember(t, s, "Sideways Stayed", auth.StatusApproved, auth.RoleMember)
	f.group.Members = append(f.group.Members, stayed.ID)
	if _, err := s.auth.PutGroup(ctx, *f.group); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{f.outsider.ID, stayed.ID} {
		if err := s.workshops.PutRegistration(ctx, workshops.Registration{WorkshopID: w.ID, MemberID: id, Status: workshops.Registered, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	s.core.SendReminders(ctx)
	now := time.Now().UTC()
	s.core.SendDigestsAt(ctx, now)
	s.core.SendDigestsAt(ctx, now.Add(25*time.Hour))
	drainMail(t, s) // every reminder and digest handed to the mail server
	reminded := false
	for _, m := range smtp.Messages() {
		if m.To == f.outsider.Email {
			t.Errorf("the removed member was mailed %q:\n%s", m.Header.Get("Subject"), m.Body)
		}
		reminded = reminded || (m.To == stayed.Email && strings.Contains(m.Body, "Qx9 alpha workshop soon"))
	}
	if !reminded {
		t.Error("the member who stayed got no reminder")
	}
}

// A member links their resource only to resources they may see, and never
// by hand to a workshop or thread: those links are the portal's own.
func TestLinksOnlyToWhatTheLinkerSees(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	f := seedSideways(t, s)
	mine := sidewaysResource(t, s, f.outsider.ID, "Sideways outsider resource", resources.VisibilityPublic, "")
	out := newClient(t, s)
	out.signInAs(f.outsider.ID)
	out.get("/library/" + mine)
	for _, form := range []url.Values{
		{"kind": {"part_of"}, "target": {"/library/" + f.resource}},
		{"kind": {"produced_by"}, "target": {f.workshop.ID}},
		{"kind": {"discussed_in"}, "target": {f.thread}},
	} {
		res, _ := out.post("/library/"+mine+"/links", form)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("link %v: %d", form, res.StatusCode)
		}
	}
	r, err := s.lib.Resource(ctx, mine)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Links) != 0 {
		t.Errorf("links stored: %+v", r.Links)
	}
	if res, _ := out.post("/library/"+mine+"/links", url.Values{"kind": {"part_of"}, "target": {"/library/" + f.public}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("link to a public resource: %d", res.StatusCode)
	}
	if r, _ = s.lib.Resource(ctx, mine); len(r.Links) != 1 {
		t.Errorf("a link to a visible resource was not stored: %+v", r.Links)
	}
}
