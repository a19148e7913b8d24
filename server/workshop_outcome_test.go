package server

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/circularfairict/portal/app"
	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/demo"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/workshops"
	"github.com/circularfairict/portal/workshops/live"
)

// roomConn is a token client in a workshop room.
type roomConn struct {
	t  *testing.T
	ws *websocket.Conn
	n  int
}

func joinRoom(t *testing.T, base, workshopID, token string) *roomConn {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	ws, _, err := d.Dial(strings.Replace(base, "http", "ws", 1)+"/api/v1/workshops/"+workshopID+"/live", http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	rc := &roomConn{t: t, ws: ws}
	rc.until("welcome")
	return rc
}

// until reads frames until one of type typ arrives; an error frame fails.
func (r *roomConn) until(typ string) map[string]any {
	r.t.Helper()
	for {
		var m map[string]any
		_ = r.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := r.ws.ReadJSON(&m); err != nil {
			r.t.Fatalf("waiting for %s: %v", typ, err)
		}
		if m["type"] == typ {
			return m
		}
		if m["type"] == "error" {
			r.t.Fatalf("error frame while waiting for %s: %v", typ, m)
		}
	}
}

// do sends a command and waits for its acknowledgement.
func (r *roomConn) do(frame map[string]any) {
	r.t.Helper()
	r.n++
	frame["key"] = "k" + strings.Repeat("x", r.n)
	if err := r.ws.WriteJSON(frame); err != nil {
		r.t.Fatal(err)
	}
	r.until("ack")
}

func personaID(t *testing.T, s *Server, key string) string {
	t.Helper()
	m, err := s.auth.MemberByIdentity(context.Background(), auth.DemoProvider, key)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// handBuiltOutcome stands in for the tools built on other branches (Q&A,
// boards, notes, breakouts), so their parts of the document are tested
// whatever state those tools have here.
func handBuiltOutcome(room string) live.Outcome {
	return live.Outcome{Room: room,
		Questions: []live.QuestionView{{ID: "q1", Text: "Who audits the audit firm?", Votes: 4, Answered: true, Answer: "The contract names an accredited body."},
			{ID: "q2", Text: "Can we *share* factory lists?", Votes: 1, Author: &live.Person{ID: "x", Name: "Olivia Tremblay"}}},
		Boards: []live.BoardView{{ID: "board7", Prompt: "Barriers to asking suppliers for factory lists", Revealed: true, Clusters: []live.ClusterView{
			{Name: "Legal", Notes: []live.BoardNoteView{{ID: "n1", Text: "Confidentiality clauses", Votes: 5}, {ID: "n2", Text: "Trade secrets", Votes: 2}}},
			{Name: "", Notes: []live.BoardNoteView{{ID: "n3", Text: "No time to follow up", Votes: 1}}}}}},
		Notes: "Agreed to pool questionnaires.\n- [ ] Share the clause set with the group\n- [x] Send the slides",
		Breakouts: []live.BreakoutView{{ID: "g1", Name: "Ministries", Members: 3, Notes: "- [ ] Ask two suppliers for factory lists"},
			{ID: "g2", Name: "", Members: 2, Notes: "Nothing to add."}},
	}
}

func TestWorkshopOutcomeAssemblePublishAndAPI(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	base := listen(t, s)
	ctx := context.Background()
	fac, buyer, claire := apiToken(t, s, "facilitator"), apiToken(t, s, "buyer"), apiToken(t, s, "claire")
	jonasToken := apiToken(t, s, "jonas")
	now := time.Now().UTC()
	st, w := apiDo(t, base, "POST", "/api/v1/workshops", fac, map[string]any{
		"title": "Due diligence clinic", "starts_at": now.Add(-10 * time.Minute).Format(time.RFC3339), "ends_at": now.Add(time.Hour).Format(time.RFC3339),
		"group": "ethics-working-group", "series": "Due diligence clinics", "languages": []string{"en"},
		"agenda": []map[string]any{{"title": "Welcome", "minutes": 5}, {"title": "Cases", "minutes": 45}},
		"polls":  []map[string]any{{"question": "Do you ask for factory lists?", "options": []string{"Yes", "No"}}}})
	if st != http.StatusCreated {
		t.Fatalf("create: %d %v", st, w)
	}
	id := w["id"].(string)

	// Anna agrees to be named at registration; Jonas does not.
	anna := newClient(t, s)
	anna.signIn("buyer")
	anna.get("/workshops/" + id)
	if res, _ := anna.post("/workshops/"+id+"/register", url.Values{"show_name": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("register: %d", res.StatusCode)
	}
	if st, r := apiDo(t, base, "POST", "/api/v1/workshops/"+id+"/registrations", jonasToken, map[string]any{"show_name": false}); st != http.StatusCreated || r["show_name"] != false {
		t.Fatalf("register jonas: %d %v", st, r)
	}

	// The room: a prepared poll opened, two votes, closed. Anna joins twice
	// and counts once.
	f := joinRoom(t, base, id, fac)
	a := joinRoom(t, base, id, buyer)
	joinRoom(t, base, id, buyer)
	j := joinRoom(t, base, id, jonasToken)
	f.do(map[string]any{"type": "poll.open", "poll": "prep1"})
	a.do(map[string]any{"type": "vote", "poll": "prep1", "choices": []int{0}})
	j.do(map[string]any{"type": "vote", "poll": "prep1", "choices": []int{1}})
	f.do(map[string]any{"type": "poll.close", "poll": "prep1"})

	// Before the room closes, only facilitators may read the draft.
	if st, _ := apiDo(t, base, "GET", "/api/v1/workshops/"+id+"/outcome", buyer, nil); st != http.StatusForbidden {
		t.Fatalf("participant read the draft: %d", st)
	}
	if st, _ := apiDo(t, base, "POST", "/api/v1/workshops/"+id+"/close", fac, nil); st != http.StatusOK {
		t.Fatalf("close: %d", st)
	}
	draft, err := s.workshops.Outcome(ctx, id)
	if err != nil {
		t.Fatalf("closing did not store a draft: %v", err)
	}
	if draft.Data.Attendance.Total != 3 {
		t.Fatalf("attendance = %+v, want 3 people (facilitator, Anna once, Jonas)", draft.Data.Attendance)
	}
	md := draft.Markdown
	for _, want := range []string{"# Due diligence clinic", "1. Welcome (5 min)", "3 people attended.", "| Netherlands | 1 |", "| Sweden | 1 |",
		"Attendees who agreed to be named: Anna de Vries", "### Do you ask for factory lists?", "| Yes | 1 |", "| No | 1 |", "2 people voted."} {
		if !strings.Contains(md, want) {
			t.Errorf("draft lacks %q:\n%s", want, md)
		}
	}
	for _, never := range []string{"Jonas Berg", "Lucas Martin"} {
		if strings.Contains(md, never) || strings.Contains(draft.DataJSON, never) {
			t.Errorf("the draft names %s, who did not consent", never)
		}
	}

	// The other tools' parts, from a hand-built outcome, through the same path.
	wk, _ := s.workshops.Workshop(ctx, id)
	hand, err := s.core.StoreOutcome(ctx, "en", wk, personaID(t, s, "facilitator"), handBuiltOutcome(id))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Questions and answers", "1. Who audits the audit firm? (4 votes)", "   - Answered: The contract names an accredited body.",
		`2. Can we \*share\* factory lists? (1 vote) — asked by Olivia Tremblay`, "### Barriers to asking suppliers for factory lists",
		"#### Legal (7 votes)", "- Confidentiality clauses (5 votes)", "#### Not grouped (1 vote)", "## Notes", "Agreed to pool questionnaires.",
		"### Ministries (3 people)", "### Group 2 (2 people)", "## Action items", "- [ ] Share the clause set with the group", "- [x] Send the slides",
		"- [ ] Ask two suppliers for factory lists (Ministries)"} {
		if !strings.Contains(hand.Markdown, want) {
			t.Errorf("assembled document lacks %q:\n%s", want, hand.Markdown)
		}
	}
	if n := len(hand.OpenActionItems()); n != 2 {
		t.Errorf("open action items = %d, want 2", n)
	}
	if _, err := s.core.AssembleOutcome(ctx, "en", wk, personaID(t, s, "facilitator")); err != nil {
		t.Fatal(err)
	}

	// API status codes.
	for _, tc := range []struct {
		name, token, method, path string
		body                      []byte
		ctype                     string
		want                      int
		msg                       string
	}{
		{"participant publishes", buyer, "POST", "/api/v1/workshops/" + id + "/outcome/publish", nil, "", 403, ""},
		{"unknown workshop", fac, "POST", "/api/v1/workshops/000000000000000000000000/outcome/publish", nil, "", 404, ""},
		{"unknown workshop read", fac, "GET", "/api/v1/workshops/000000000000000000000000/outcome", nil, "", 404, ""},
		{"invalid JSON", fac, "POST", "/api/v1/workshops/" + id + "/outcome/publish", []byte(`{"markdown": `), "application/json", 400, "must be JSON"},
		{"bad visibility", fac, "POST", "/api/v1/workshops/" + id + "/outcome/publish", []byte(`{"visibility": "friends"}`), "application/json", 400, "Choose who may see"},
		{"too long", fac, "POST", "/api/v1/workshops/" + id + "/outcome/publish", []byte(`{"markdown": "` + strings.Repeat("a", app.MaxOutcomeRunes+1) + `"}`), "application/json", 413, "too long"},
		{"over the body limit", fac, "POST", "/api/v1/workshops/" + id + "/outcome/publish", bytes.Repeat([]byte("a"), 1<<20+1), "application/json", 413, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, base+tc.path, bytes.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer "+tc.token)
			req.Header.Set("Accept", "application/json")
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			_, _ = b.ReadFrom(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.want || !strings.Contains(b.String(), tc.msg) {
				t.Fatalf("status %d, want %d with %q: %s", res.StatusCode, tc.want, tc.msg, b.String())
			}
		})
	}
	if d, _ := s.workshops.Outcome(ctx, id); d.Published() {
		t.Fatal("a refused request published the outcome")
	}

	// Publish to the group: one resource of type workshop outcome, linked
	// back to the workshop.
	st, out := apiDo(t, base, "POST", "/api/v1/workshops/"+id+"/outcome/publish", fac, map[string]any{"visibility": "group"})
	if st != http.StatusOK || out["id"] == nil {
		t.Fatalf("publish: %d %v", st, out)
	}
	rid := out["id"].(string)
	r, err := s.lib.Resource(ctx, rid)
	if err != nil {
		t.Fatal(err)
	}
	linked := false
	for _, l := range r.Links {
		linked = linked || (l.Kind == resources.LinkProducedBy && l.Target == id)
	}
	if r.Type != "workshop_outcome" || r.Visibility != resources.VisibilityGroup || r.GroupID != wk.GroupID || !linked || r.Latest != 1 {
		t.Fatalf("resource = type %s, visibility %s, group %s, links %v, latest %d", r.Type, r.Visibility, r.GroupID, r.Links, r.Latest)
	}
	countOutcomes := func() int {
		res, err := s.lib.Search(ctx, resources.Search{Filters: map[string][]string{"type": {"workshop_outcome"}}, Viewer: resources.Viewer{All: true}})
		if err != nil {
			t.Fatal(err)
		}
		return res.Total
	}
	if n := countOutcomes(); n != 1 {
		t.Fatalf("%d workshop outcomes in the library, want 1", n)
	}

	// Publishing again updates the same resource with a new version.
	st, out = apiDo(t, base, "POST", "/api/v1/workshops/"+id+"/outcome/publish", fac, map[string]any{"markdown": hand.Markdown + "\nEdited by the facilitator.\n"})
	if st != http.StatusOK || out["id"] != rid {
		t.Fatalf("republish: %d %v, want the same id %s", st, out, rid)
	}
	if r, _ = s.lib.Resource(ctx, rid); r.Latest != 2 {
		t.Fatalf("latest version %d, want 2", r.Latest)
	}
	if n := countOutcomes(); n != 1 {
		t.Fatalf("%d workshop outcomes after republishing, want 1", n)
	}

	// Visibility: the group's members find it; a member outside the group
	// does not, in search or on its page.
	find := func(memberID string) bool {
		m, err := s.auth.Member(ctx, memberID)
		if err != nil {
			t.Fatal(err)
		}
		v, _, err := s.core.ViewerOf(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.lib.Search(ctx, resources.Search{Q: "due diligence clinic", Viewer: v})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range res.Items {
			if it.ID == rid {
				return true
			}
		}
		return false
	}
	if !find(personaID(t, s, "buyer")) {
		t.Error("a member of the group does not find the outcome")
	}
	if find(personaID(t, s, "pieter")) {
		t.Error("a member outside the group finds the outcome")
	}
	pieter := newClient(t, s)
	pieter.signInAs(personaID(t, s, "pieter"))
	if res, _ := pieter.get("/library/" + rid); res.StatusCode != http.StatusNotFound {
		t.Errorf("outsider opened the outcome: %d", res.StatusCode)
	}
	if res, body := anna.get("/library/" + rid); res.StatusCode != http.StatusOK || !strings.Contains(body, "Edited by the facilitator.") ||
		!strings.Contains(body, `href="/workshops/`+id+`"`) || !strings.Contains(body, "<h2>Questions and answers</h2>") {
		t.Errorf("outcome page: %d, document or link back missing", res.StatusCode)
	}

	// Once published, members who may see the resource read it by API;
	// the workshop page and list link to it.
	if st, out := apiDo(t, base, "GET", "/api/v1/workshops/"+id+"/outcome", buyer, nil); st != http.StatusOK || out["published"] != rid {
		t.Fatalf("member read after publication: %d %v", st, out["published"])
	}
	if st, _ := apiDo(t, base, "GET", "/api/v1/workshops/"+id+"/outcome", claire, nil); st != http.StatusOK {
		t.Fatalf("group coordinator read: %d", st)
	}
	if _, body := anna.get("/workshops/" + id); !strings.Contains(body, `href="/library/`+rid+`"`) {
		t.Error("the workshop page does not link to its outcome")
	}
}

func TestWorkshopOutcomeConsentAndReviewPage(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	facID := personaID(t, s, "facilitator")
	start := time.Now().Add(24 * time.Hour)
	w, err := s.workshops.Create(ctx, facID, workshops.Input{Title: "Consent clinic", StartsAt: start, EndsAt: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	anna := newClient(t, s)
	anna.signIn("buyer")
	anna.get("/workshops/" + w.ID)
	anna.post("/workshops/"+w.ID+"/register", nil) // no consent ticked
	annaID := personaID(t, s, "buyer")
	if err := s.workshops.RecordAttendance(ctx, w.ID, annaID); err != nil {
		t.Fatal(err)
	}
	named := func() bool {
		d, err := s.core.AssembleOutcome(ctx, "en", w, facID)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(d.Markdown, "Anna de Vries")
	}
	if named() {
		t.Fatal("named without consent")
	}
	// Consent given on the workshop page, then withdrawn.
	anna.get("/workshops/" + w.ID)
	if res, _ := anna.post("/workshops/"+w.ID+"/consent", url.Values{"show_name": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("consent: %d", res.StatusCode)
	}
	if !named() {
		t.Fatal("not named after consenting")
	}
	anna.get("/workshops/" + w.ID)
	anna.post("/workshops/"+w.ID+"/consent", url.Values{})
	if named() {
		t.Fatal("still named after withdrawing consent")
	}

	// The review page: an empty document comes back with the message and
	// the chosen visibility; a save keeps the edit; reassembling replaces it.
	fac := newClient(t, s)
	fac.signIn("facilitator")
	if res, body := fac.get("/workshops/" + w.ID + "/outcome"); res.StatusCode != http.StatusOK || !strings.Contains(body, "# Consent clinic") {
		t.Fatalf("review page: %d", res.StatusCode)
	}
	res, body := fac.post("/workshops/"+w.ID+"/outcome", url.Values{"action": {"save"}, "markdown": {"  "}, "visibility": {"public"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "The outcome is empty") || !strings.Contains(body, `<option value="public" selected>`) {
		t.Fatalf("empty draft: %d", res.StatusCode)
	}
	res, body = fac.post("/workshops/"+w.ID+"/outcome", url.Values{"action": {"save"}, "markdown": {"# Edited <b>by hand</b>"}, "visibility": {"everyone"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "# Edited &lt;b&gt;by hand&lt;/b&gt;") {
		t.Fatalf("bad visibility: %d", res.StatusCode)
	}
	if res, _ := fac.post("/workshops/"+w.ID+"/outcome", url.Values{"action": {"save"}, "markdown": {"# Edited by hand"}, "visibility": {"members"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", res.StatusCode)
	}
	if d, _ := s.workshops.Outcome(ctx, w.ID); d.Markdown != "# Edited by hand" || d.Visibility != "members" {
		t.Fatalf("saved draft = %q %q", d.Markdown, d.Visibility)
	}
	fac.get("/workshops/" + w.ID + "/outcome")
	fac.post("/workshops/"+w.ID+"/outcome", url.Values{"action": {"reassemble"}})
	if d, _ := s.workshops.Outcome(ctx, w.ID); !strings.HasPrefix(d.Markdown, "# Consent clinic") || d.Visibility != "members" {
		t.Fatalf("reassembled draft = %q %q", d.Markdown, d.Visibility)
	}
	if res, _ := anna.get("/workshops/" + w.ID + "/outcome"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("participant opened the review page: %d", res.StatusCode)
	}
	// Publishing from the page leads to the library resource.
	fac.get("/workshops/" + w.ID + "/outcome")
	res, _ = fac.post("/workshops/"+w.ID+"/outcome", url.Values{"action": {"publish"}, "markdown": {"# Consent clinic\n\nShort outcome."}, "visibility": {"members"}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/library/") {
		t.Fatalf("publish from the page: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestWorkshopSeriesShowsOpenActionItems(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	facID := personaID(t, s, "facilitator")
	fac, _ := s.auth.Member(ctx, facID)
	first := time.Now().Add(-48 * time.Hour)
	a, err := s.workshops.Create(ctx, facID, workshops.Input{Title: "Clinic one", Series: "  Supply chain   clinics ", StartsAt: first, EndsAt: first.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if a.Series != "Supply chain clinics" {
		t.Fatalf("series = %q", a.Series)
	}
	next := time.Now().Add(48 * time.Hour)
	b, err := s.workshops.Create(ctx, facID, workshops.Input{Title: "Clinic two", Series: "Supply chain clinics", StartsAt: next, EndsAt: next.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.workshops.Create(ctx, facID, workshops.Input{Title: "Unrelated", Series: "Another series", StartsAt: next, EndsAt: next.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	o := live.Outcome{Room: a.ID, Notes: "- [ ] Draft the joint questionnaire\n- [x] Collect the clauses",
		Breakouts: []live.BreakoutView{{ID: "g1", Name: "Hospitals", Notes: "* [ ] Ask the monitoring NGO for a contact"}}}
	if _, err := s.core.StoreOutcome(ctx, "en", a, facID, o); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s)
	c.signIn("buyer")
	// Not before the outcome is published.
	if _, body := c.get("/workshops/" + b.ID); strings.Contains(body, "Draft the joint questionnaire") {
		t.Fatal("unpublished action items shown")
	}
	if _, err := s.core.PublishOutcome(ctx, "en", a, fac); err != nil {
		t.Fatal(err)
	}
	_, body := c.get("/workshops/" + b.ID)
	for _, want := range []string{"Open action items from the previous workshop", "Draft the joint questionnaire", "Ask the monitoring NGO for a contact", `href="/workshops/` + a.ID + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("next workshop's page lacks %q", want)
		}
	}
	if strings.Contains(body, "Collect the clauses") {
		t.Error("a done item is shown as open")
	}
	if _, body := c.get("/workshops/" + other.ID); strings.Contains(body, "Draft the joint questionnaire") {
		t.Error("another series shows the items")
	}
	// The form offers the series in use.
	f := newClient(t, s)
	f.signIn("facilitator")
	if _, body := f.get("/workshops/new"); !strings.Contains(body, `<option value="Supply chain clinics">`) {
		t.Error("the form does not suggest the existing series")
	}
}

func TestWorkshopRunSheet(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	facID := personaID(t, s, "facilitator")
	start := time.Now().Add(-10 * time.Minute)
	w, err := s.workshops.Create(ctx, facID, workshops.Input{Title: "Run-sheet clinic", StartsAt: start, EndsAt: start.Add(time.Hour),
		Agenda: []workshops.AgendaItem{{Title: "Welcome", Minutes: 5}, {Title: "Barriers", Minutes: 30}},
		Polls:  []workshops.Poll{{Question: "Ready?", Options: []string{"Yes", "No"}}}})
	if err != nil {
		t.Fatal(err)
	}
	fac := newClient(t, s)
	fac.signIn("facilitator")
	fac.get("/workshops/" + w.ID + "/runsheet")
	form := url.Values{"rows": {"3"},
		"step-1-kind": {"poll"}, "step-1-agenda": {"1"}, "step-1-poll": {"1"},
		"step-2-kind": {"board"}, "step-2-agenda": {"2"}, "step-2-prompt": {"Barriers to factory lists"}, "step-2-votes": {"40"}, "step-2-minutes": {"10"},
		"step-3-kind": {""}}
	res, body := fac.post("/workshops/"+w.ID+"/runsheet", form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Step 2: dots per member must be between 0 and 20.") ||
		!strings.Contains(body, `value="Barriers to factory lists"`) || !strings.Contains(body, `value="40"`) {
		t.Fatalf("invalid step: %d", res.StatusCode)
	}
	if got, _ := s.workshops.Workshop(ctx, w.ID); len(got.RunSheet) != 0 {
		t.Fatal("an invalid run-sheet was stored")
	}
	form.Set("step-2-votes", "3")
	form.Set("step-2-hidden", "1")
	form.Set("step-3-kind", "breakout")
	form.Set("step-3-agenda", "2")
	form.Set("step-3-mode", "random")
	form.Set("step-3-size", "4")
	form.Set("step-3-minutes", "15")
	if res, body := fac.post("/workshops/"+w.ID+"/runsheet", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.StatusCode, body)
	}
	got, _ := s.workshops.Workshop(ctx, w.ID)
	if len(got.RunSheet) != 3 || got.RunSheet[1].Votes != 3 || !got.RunSheet[1].Hidden || got.RunSheet[2].Size != 4 || got.RunSheet[0].Prompt != "" {
		t.Fatalf("stored run-sheet = %+v", got.RunSheet)
	}
	// The room shows one button per step with its frames.
	_, body = fac.get("/workshops/" + w.ID)
	for _, want := range []string{`data-step-frame="{&#34;poll&#34;:&#34;prep1&#34;,&#34;type&#34;:&#34;poll.open&#34;}"`, `data-step-agenda="1"`,
		`&#34;type&#34;:&#34;board.open&#34;`, `&#34;seconds&#34;:600`, `&#34;type&#34;:&#34;breakout.start&#34;`, `&#34;size&#34;:4`, "Run step 3"} {
		if !strings.Contains(body, want) {
			t.Errorf("room lacks %s", want)
		}
	}
	anna := newClient(t, s)
	anna.signIn("buyer")
	if _, body := anna.get("/workshops/" + w.ID); strings.Contains(body, "data-runsheet") {
		t.Error("a participant sees the run-sheet")
	}
	if res, _ := anna.get("/workshops/" + w.ID + "/runsheet"); res.StatusCode != http.StatusForbidden {
		t.Errorf("participant opened the run-sheet page: %d", res.StatusCode)
	}
}

// The demo's past clinic gets its outcome through the publish path, once;
// the live clinic, next in the series, shows its open action items in the
// page and the room, and its facilitator sees the prepared run-sheet.
func TestDemoOutcomeAndRunSheet(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	for i := 0; i < 2; i++ { // a restart seeds again
		if err := demo.SeedWorkshops(ctx, s.auth, s.workshops); err != nil {
			t.Fatal(err)
		}
		if err := demo.SeedOutcomes(ctx, s.auth, s.workshops, s.core); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.lib.Search(ctx, resources.Search{Filters: map[string][]string{"type": {"workshop_outcome"}}, Viewer: resources.Viewer{All: true}})
	if err != nil || res.Total != 1 {
		t.Fatalf("demo outcomes in the library: %v %v", res, err)
	}
	d, err := s.workshops.Outcome(ctx, demo.PastClinicID)
	if err != nil || d.ResourceID != res.Items[0].ID {
		t.Fatalf("draft %+v %v", d, err)
	}
	for _, want := range []string{"## Agenda", "8 people attended.", "| Netherlands | 2 |", "Attendees who agreed to be named: Anna de Vries, Elena Rossi, Olivia Tremblay",
		"| Not yet | 4 |", "#### Confidentiality (9 votes)", "- [ ] Draft a joint request for factory lists that several buyers can send",
		"- [ ] Ask the national buyer group how their framework clause is worded (Ministries and agencies)"} {
		if !strings.Contains(d.Markdown, want) {
			t.Errorf("demo outcome lacks %q:\n%s", want, d.Markdown)
		}
	}
	for _, never := range []string{"Jonas Berg", "James Walker", "Amara Okafor"} {
		if strings.Contains(d.Markdown, never) {
			t.Errorf("demo outcome names %s without consent", never)
		}
	}
	buyer := newClient(t, s)
	buyer.signIn("buyer")
	_, body := buyer.get("/workshops/" + demo.LiveWorkshopID)
	if strings.Count(body, "Share the municipality&#39;s disclosure clause") != 2 || strings.Contains(body, "Collect the poll results") {
		t.Error("the live clinic does not show the open action items on its page and in its room")
	}
	_, body = buyer.get("/workshops?when=past")
	if !strings.Contains(body, `href="/library/`+d.ResourceID+`"`) {
		t.Error("the past workshop list does not link to the outcome")
	}
	fac := newClient(t, s)
	fac.signIn("facilitator")
	_, body = fac.get("/workshops/" + demo.LiveWorkshopID)
	for _, want := range []string{"&#34;type&#34;:&#34;board.open&#34;", "&#34;type&#34;:&#34;breakout.start&#34;", "&#34;poll&#34;:&#34;prep1&#34;"} {
		if !strings.Contains(body, want) {
			t.Errorf("the live clinic's run-sheet lacks %s", want)
		}
	}
}

// TestOutcomeFirstPublishedByTwoFacilitatorsAtOnce: two facilitators of
// one workshop who publish its outcome for the first time at the same
// moment get one library resource, not two.
func TestOutcomeFirstPublishedByTwoFacilitatorsAtOnce(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	ctx := context.Background()
	facID, coID := personaID(t, s, "facilitator"), personaID(t, s, "coordinator")
	fac, _ := s.auth.Member(ctx, facID)
	co, _ := s.auth.Member(ctx, coID)
	start := time.Now().Add(-3 * time.Hour)
	w, err := s.workshops.Create(ctx, facID, workshops.Input{Title: "Clinic run by two", Facilitators: []string{coID}, StartsAt: start, EndsAt: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.core.StoreOutcome(ctx, "en", w, facID, handBuiltOutcome(w.ID)); err != nil {
		t.Fatal(err)
	}
	ids := make(chan string, 2)
	errs := make(chan error, 2)
	for _, m := range []*auth.Member{fac, co} {
		go func(m *auth.Member) {
			id, err := s.core.PublishOutcome(ctx, "en", w, m)
			ids <- id
			errs <- err
		}(m)
	}
	a, b := <-ids, <-ids
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if a == "" || a != b {
		t.Fatalf("the two publications returned %q and %q, want one resource", a, b)
	}
	res, err := s.lib.Search(ctx, resources.Search{Filters: map[string][]string{"type": {"workshop_outcome"}}, Viewer: resources.Viewer{All: true}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 1 || res.Items[0].ID != a {
		t.Fatalf("%d workshop outcomes in the library, want the one resource %s", res.Total, a)
	}
	if d, err := s.workshops.Outcome(ctx, w.ID); err != nil || d.ResourceID != a {
		t.Fatalf("the draft links %+v (%v), want %s", d, err, a)
	}
}
