package server

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/auth"
)

// groupFixture is a server with the demo community and a few groups made
// for one test; people are named by their demo key (buyer, lena, ...).
type groupFixture struct {
	t   *testing.T
	s   *Server
	ids map[string]string
}

func newGroupFixture(t *testing.T) *groupFixture {
	t.Helper()
	s, _ := newTestServer(t, opts{})
	f := &groupFixture{t: t, s: s, ids: map[string]string{}}
	for _, key := range []string{"buyer", "facilitator", "coordinator", "pieter", "claire", "jonas", "lena", "mette", "aoife", "mateo", "olivia", "james", "elena"} {
		m, err := s.auth.MemberByIdentity(context.Background(), auth.DemoProvider, key)
		if err != nil {
			t.Fatalf("demo member %s: %v", key, err)
		}
		f.ids[key] = m.ID
	}
	return f
}

// member creates a member of the given status and returns its key.
func (f *groupFixture) member(key string, st auth.Status) string {
	f.t.Helper()
	m, err := f.s.auth.UpsertByIdentity(context.Background(), auth.Identity{Provider: "test", Subject: key},
		auth.Member{Name: "Test member " + key, Role: auth.RoleMember, Status: st, Organisation: "Test organisation", Country: "FI"})
	if err != nil {
		f.t.Fatal(err)
	}
	f.ids[key] = m.ID
	return key
}

func (f *groupFixture) group(slug string, vis auth.Visibility, jp auth.JoinPolicy, coordinators, members []string) *auth.Group {
	f.t.Helper()
	g := auth.Group{Slug: slug, Name: "Group " + slug, Description: "A group made for a test.", Languages: []string{"en", "fr"},
		Visibility: vis, JoinPolicy: jp}
	for _, k := range coordinators {
		g.Coordinators = append(g.Coordinators, f.ids[k])
	}
	for _, k := range members {
		g.Members = append(g.Members, f.ids[k])
	}
	if _, err := f.s.auth.PutGroup(context.Background(), g); err != nil {
		f.t.Fatal(err)
	}
	return f.reload(slug)
}

func (f *groupFixture) reload(slug string) *auth.Group {
	f.t.Helper()
	g, err := f.s.auth.GroupBySlug(context.Background(), slug)
	if err != nil {
		f.t.Fatal(err)
	}
	return g
}

// as returns a signed-in client: personas through the real sign-in page,
// anyone else through a session made in the database; "" is a visitor.
func (f *groupFixture) as(key string) *client {
	f.t.Helper()
	c := newClient(f.t, f.s)
	switch key {
	case "":
		c.get("/")
	case "buyer", "facilitator", "coordinator":
		c.signIn(key)
	default:
		sid := auth.NewSessionSecret()
		if err := f.s.auth.CreateSession(context.Background(), sid, f.ids[key], time.Hour, time.Hour, ""); err != nil {
			f.t.Fatal(err)
		}
		c.cookies[f.s.sessionCookieName()] = sid
		c.get("/")
	}
	return c
}

// audited counts audit entries of action about target (a member key, or ""
// for any) whose details name the group.
func (f *groupFixture) audited(action, target, slug string) int {
	f.t.Helper()
	es, err := f.s.auth.AuditLog(context.Background(), "", 0, 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.Action == action && (target == "" || e.Target == f.ids[target]) && e.Details["group"] == slug {
			n++
		}
	}
	return n
}

func (f *groupFixture) isMember(slug, key string) bool {
	return f.reload(slug).HasMember(f.ids[key])
}

func wantStatus(t *testing.T, res *http.Response, body string, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("status %d, want %d: %.600s", res.StatusCode, want, body)
	}
}

// wantRedirect checks a Post/Redirect/Get answer and follows it.
func wantRedirect(t *testing.T, c *client, res *http.Response, body, to, flash string) string {
	t.Helper()
	wantStatus(t, res, body, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != to {
		t.Fatalf("redirect to %q, want %q", loc, to)
	}
	_, page := c.get(to)
	if flash != "" && !strings.Contains(html.UnescapeString(page), flash) {
		t.Fatalf("flash %q missing after redirect", flash)
	}
	return page
}

func TestGroupVisibility(t *testing.T) {
	f := newGroupFixture(t)
	f.member("applicant", auth.StatusPending)
	// Lena coordinates (a facilitator, not an administrator); Pieter is a
	// member; Jonas is an approved member of the portal outside the groups.
	for _, g := range []struct {
		slug string
		vis  auth.Visibility
		jp   auth.JoinPolicy
	}{
		{"v-public", auth.VisibilityPublic, auth.JoinOpen},
		{"v-members", auth.VisibilityMembers, auth.JoinRequest},
		{"v-group", auth.VisibilityGroup, auth.JoinRequest},
		{"v-hidden", auth.VisibilityHidden, auth.JoinInvitation},
	} {
		f.group(g.slug, g.vis, g.jp, []string{"lena"}, []string{"pieter"})
	}
	const (
		hidden  = iota // 404, not in the list
		summary        // the page, without members
		full           // the page with members and activity
		manage         // and the coordinator tools
	)
	tests := []struct {
		viewer string
		want   map[string]int
	}{
		{"", map[string]int{"v-public": summary, "v-members": hidden, "v-group": hidden, "v-hidden": hidden}},
		{"applicant", map[string]int{"v-public": summary, "v-members": hidden, "v-group": hidden, "v-hidden": hidden}},
		{"jonas", map[string]int{"v-public": full, "v-members": full, "v-group": summary, "v-hidden": hidden}},
		{"pieter", map[string]int{"v-public": full, "v-members": full, "v-group": full, "v-hidden": full}},
		{"lena", map[string]int{"v-public": manage, "v-members": manage, "v-group": manage, "v-hidden": manage}},
		{"coordinator", map[string]int{"v-public": manage, "v-members": manage, "v-group": manage, "v-hidden": manage}}, // administrator
	}
	for _, tt := range tests {
		name := tt.viewer
		if name == "" {
			name = "visitor"
		}
		t.Run(name, func(t *testing.T) {
			c := f.as(tt.viewer)
			_, list := c.get("/groups")
			for slug, want := range tt.want {
				t.Run(slug, func(t *testing.T) {
					listed := strings.Contains(list, `href="/groups/`+slug+`"`)
					if listed != (want != hidden) {
						t.Fatalf("listed %v, want %v", listed, want != hidden)
					}
					res, body := c.get("/groups/" + slug)
					if want == hidden {
						wantStatus(t, res, body, http.StatusNotFound)
						if strings.Contains(body, "Group "+slug) {
							t.Fatal("a 404 names the group")
						}
						return
					}
					wantStatus(t, res, body, http.StatusOK)
					if !strings.Contains(body, "<h1>Group "+slug+"</h1>") {
						t.Fatal("group name missing")
					}
					if got := strings.Contains(body, "Pieter Janssens"); got != (want >= full) {
						t.Fatalf("members shown: %v, want %v", got, want >= full)
					}
					if tt.viewer == "applicant" && !strings.Contains(body, "Once your membership of the portal is approved") {
						t.Fatal("a pending member is not told why members are hidden")
					}
					if got := strings.Contains(body, "Lena Hofer"); got != (tt.viewer != "" && tt.viewer != "applicant") {
						t.Fatalf("coordinator named: %v", got)
					}
					if got := strings.Contains(body, `action="/groups/`+slug+`/invitations"`); got != (want == manage) {
						t.Fatalf("coordinator tools shown: %v, want %v", got, want == manage)
					}
				})
			}
		})
	}
	// The home page links to the groups it shows.
	if _, home := f.as("jonas").get("/"); !strings.Contains(home, `href="/groups/v-members"`) {
		t.Fatal("home page does not link to its groups")
	}
}

func TestGroupJoinOpen(t *testing.T) {
	f := newGroupFixture(t)
	f.group("open", auth.VisibilityMembers, auth.JoinOpen, []string{"lena"}, []string{"pieter"})
	f.group("asking", auth.VisibilityMembers, auth.JoinRequest, []string{"lena"}, nil)
	f.group("secret", auth.VisibilityHidden, auth.JoinOpen, []string{"lena"}, nil)
	buyer := f.as("buyer")
	_, page := buyer.get("/groups/open")
	if !strings.Contains(page, `action="/groups/open/join"`) {
		t.Fatal("no join button on an open group")
	}
	res, body := buyer.post("/groups/open/join", nil)
	page = wantRedirect(t, buyer, res, body, "/groups/open", "You have joined the group.")
	if !f.isMember("open", "buyer") || f.reload("open").Joined[f.ids["buyer"]].IsZero() {
		t.Fatal("not a member, or no join date")
	}
	if !strings.Contains(page, "Anna de Vries joined the group") || !strings.Contains(page, `action="/groups/open/leave"`) {
		t.Fatalf("page after joining lacks the activity or the leave button: %.2000s", page)
	}
	// A double submit joins once.
	res, body = buyer.post("/groups/open/join", nil)
	wantRedirect(t, buyer, res, body, "/groups/open", "already a member")
	if n := f.audited(auth.AuditGroupJoin, "buyer", "open"); n != 1 {
		t.Fatalf("%d join audit entries, want 1", n)
	}

	tests := []struct {
		name, viewer, path string
		want               int
	}{
		{"request-only group", "buyer", "/groups/asking/join", http.StatusForbidden},
		{"hidden group", "buyer", "/groups/secret/join", http.StatusNotFound},
		{"unknown group", "buyer", "/groups/nope/join", http.StatusNotFound},
		{"visitor", "", "/groups/open/join", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := f.as(tt.viewer).post(tt.path, nil)
			wantStatus(t, res, body, tt.want)
		})
	}
	if f.isMember("asking", "buyer") || f.isMember("secret", "buyer") {
		t.Fatal("joined a group that is not open to it")
	}
}

func TestGroupRequestDecide(t *testing.T) {
	f := newGroupFixture(t)
	f.group("req", auth.VisibilityMembers, auth.JoinRequest, []string{"lena"}, []string{"pieter"})
	ctx := context.Background()
	buyer, facilitator, lena := f.as("buyer"), f.as("facilitator"), f.as("lena")

	_, page := buyer.get("/groups/req")
	if strings.Contains(page, `action="/groups/req/join"`) || !strings.Contains(page, `action="/groups/req/requests"`) {
		t.Fatal("a request group must offer a request form, not a join button")
	}
	res, body := buyer.post("/groups/req/requests", url.Values{"message": {"I buy laptops for the ministry."}})
	page = wantRedirect(t, buyer, res, body, "/groups/req", "Your request has been sent")
	if !strings.Contains(page, "is waiting for a coordinator") || strings.Contains(page, `action="/groups/req/requests"`) {
		t.Fatal("the requester does not see the pending request")
	}
	// Asking again changes nothing.
	res, body = buyer.post("/groups/req/requests", url.Values{"message": {"Again"}})
	wantRedirect(t, buyer, res, body, "/groups/req", "already waiting")
	res, body = facilitator.post("/groups/req/requests", nil) // the message is optional
	wantRedirect(t, facilitator, res, body, "/groups/req", "Your request has been sent")
	g := f.reload("req")
	pending, err := f.s.auth.PendingGroupRequests(ctx, g.ID)
	if err != nil || len(pending) != 2 || pending[0].Message != "I buy laptops for the ministry." {
		t.Fatalf("pending requests %+v, %v", pending, err)
	}
	buyerReq, facReq := pending[0].ID, pending[1].ID
	if f.audited(auth.AuditGroupRequest, "buyer", "req") != 1 || f.audited(auth.AuditGroupRequest, "facilitator", "req") != 1 {
		t.Fatal("request audit entries missing")
	}

	_, page = lena.get("/groups/req")
	if !strings.Contains(page, "Request from Anna de Vries") || !strings.Contains(page, "I buy laptops for the ministry.") {
		t.Fatal("the coordinator does not see the request and its message")
	}
	// Only coordinators and administrators decide.
	for _, who := range []string{"pieter", "jonas"} {
		res, body := f.as(who).post("/groups/req/requests/"+buyerReq, url.Values{"decision": {"approve"}})
		wantStatus(t, res, body, http.StatusForbidden)
	}

	tests := []struct {
		name, requester, id, decision, reply, flash string
		member                                      bool
		status                                      string
		requesterSees                               string
	}{
		{"approve", "buyer", buyerReq, "approve", "Welcome aboard, Anna!", "has been approved", true, "approved", "Welcome aboard, Anna!"},
		{"reject", "facilitator", facReq, "reject", "This group is for buyers only.", "has been declined", false, "rejected", "This group is for buyers only."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := lena.post("/groups/req/requests/"+tt.id, url.Values{"decision": {tt.decision}, "reply": {tt.reply}})
			wantRedirect(t, lena, res, body, "/groups/req", tt.flash)
			if f.isMember("req", tt.requester) != tt.member {
				t.Fatalf("member: %v, want %v", !tt.member, tt.member)
			}
			r, err := f.s.auth.GroupRequestOf(ctx, g.ID, f.ids[tt.requester])
			if err != nil || string(r.Status) != tt.status || r.Reply != tt.reply {
				t.Fatalf("request %+v, %v", r, err)
			}
			_, page := f.as(tt.requester).get("/groups/req")
			if !strings.Contains(html.UnescapeString(page), tt.requesterSees) {
				t.Fatal("the requester does not see the coordinator's reply")
			}
			if f.audited(auth.AuditGroupDecide, tt.requester, "req") != 1 {
				t.Fatal("decision not audited")
			}
			// A decided request cannot be decided again.
			res, body = lena.post("/groups/req/requests/"+tt.id, url.Values{"decision": {"approve"}})
			wantStatus(t, res, body, http.StatusNotFound)
		})
	}
	if pending, _ := f.s.auth.PendingGroupRequests(ctx, g.ID); len(pending) != 0 {
		t.Fatalf("%d requests still pending", len(pending))
	}
	// After a refusal one may ask again.
	res, body = facilitator.post("/groups/req/requests", url.Values{"message": {"I work for a purchasing centre."}})
	wantRedirect(t, facilitator, res, body, "/groups/req", "Your request has been sent")
	// A member of the group has nothing to ask.
	res, body = buyer.post("/groups/req/requests", nil)
	wantRedirect(t, buyer, res, body, "/groups/req", "already a member")
}

func TestGroupLeave(t *testing.T) {
	f := newGroupFixture(t)
	f.group("leave", auth.VisibilityMembers, auth.JoinOpen, []string{"lena"}, []string{"buyer", "pieter"})
	f.group("private", auth.VisibilityGroup, auth.JoinRequest, []string{"lena"}, []string{"pieter"})

	tests := []struct {
		name, who, slug string
		want            int
		to, text        string
		stillIn         bool
	}{
		{"member leaves", "buyer", "leave", http.StatusSeeOther, "/groups/leave", "You have left the group.", false},
		{"not a member", "facilitator", "leave", http.StatusBadRequest, "", "You are not a member of this group.", false},
		{"last coordinator refused", "lena", "leave", http.StatusBadRequest, "", "last coordinator cannot leave", true},
		{"member of a group-only group lands on the summary", "pieter", "private", http.StatusSeeOther, "/groups/private", "You have left the group.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.as(tt.who)
			c.get("/groups/" + tt.slug)
			res, body := c.post("/groups/"+tt.slug+"/leave", nil)
			wantStatus(t, res, body, tt.want)
			if tt.want == http.StatusSeeOther {
				wantRedirect(t, c, res, body, tt.to, tt.text)
				if f.audited(auth.AuditGroupLeave, tt.who, tt.slug) != 1 {
					t.Fatal("leave not audited")
				}
			} else if !strings.Contains(body, tt.text) {
				t.Fatalf("no clear message %q: %.3000s", tt.text, body)
			}
			if f.isMember(tt.slug, tt.who) != tt.stillIn {
				t.Fatalf("still in the group: %v, want %v", !tt.stillIn, tt.stillIn)
			}
		})
	}
	// With a second coordinator, the first may go.
	g := f.reload("leave")
	g.Coordinators = append(g.Coordinators, f.ids["claire"])
	if _, err := f.s.auth.PutGroup(context.Background(), *g); err != nil {
		t.Fatal(err)
	}
	lena := f.as("lena")
	res, body := lena.post("/groups/leave/leave", nil)
	wantRedirect(t, lena, res, body, "/groups/leave", "You have left the group.")
	if g := f.reload("leave"); g.IsCoordinator(f.ids["lena"]) || !g.IsCoordinator(f.ids["claire"]) {
		t.Fatalf("coordinators %v", g.Coordinators)
	}
	// The last one stays.
	claire := f.as("claire")
	res, body = claire.post("/groups/leave/leave", nil)
	wantStatus(t, res, body, http.StatusBadRequest)
}

// Two coordinators leaving at the same time never leave the group with none.
func TestGroupLastCoordinatorConcurrent(t *testing.T) {
	f := newGroupFixture(t)
	g := f.group("pair", auth.VisibilityMembers, auth.JoinOpen, []string{"lena", "claire"}, nil)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, key := range []string{"lena", "claire"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.s.auth.LeaveGroup(context.Background(), g.ID, f.ids[key])
		}()
	}
	wg.Wait()
	if n := len(f.reload("pair").Coordinators); n != 1 {
		t.Fatalf("%d coordinators left (errors %v), want 1", n, errs)
	}
}

func TestGroupRemoveMember(t *testing.T) {
	f := newGroupFixture(t)
	f.group("rm", auth.VisibilityMembers, auth.JoinRequest, []string{"lena", "claire"}, []string{"buyer", "pieter", "mette"})
	f.group("rm-hidden", auth.VisibilityHidden, auth.JoinInvitation, []string{"lena"}, []string{"pieter"})
	f.group("rm-one", auth.VisibilityMembers, auth.JoinOpen, []string{"lena"}, nil)
	removePath := func(slug, key string) string { return "/groups/" + slug + "/members/" + f.ids[key] + "/remove" }

	tests := []struct {
		name, who, slug, target string
		want                    int
		removed                 bool
	}{
		{"visitor", "", "rm", "pieter", http.StatusUnauthorized, false},
		{"plain member", "buyer", "rm", "pieter", http.StatusForbidden, false},
		{"portal member outside the group", "facilitator", "rm", "pieter", http.StatusForbidden, false},
		{"outsider on a hidden group", "facilitator", "rm-hidden", "pieter", http.StatusNotFound, false},
		{"coordinator removes a member", "lena", "rm", "pieter", http.StatusSeeOther, true},
		{"coordinator removes no one", "lena", "rm", "jonas", http.StatusNotFound, false},
		{"coordinator cannot remove herself", "lena", "rm", "lena", http.StatusForbidden, false},
		{"coordinator cannot remove a coordinator", "lena", "rm", "claire", http.StatusForbidden, false},
		{"administrator removes a coordinator", "coordinator", "rm", "claire", http.StatusSeeOther, true},
		{"administrator cannot remove the last coordinator", "coordinator", "rm-one", "lena", http.StatusBadRequest, false},
		{"administrator removes from a hidden group", "coordinator", "rm-hidden", "pieter", http.StatusSeeOther, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.as(tt.who)
			res, body := c.post(removePath(tt.slug, tt.target), nil)
			wantStatus(t, res, body, tt.want)
			if f.isMember(tt.slug, tt.target) == tt.removed && tt.target != "jonas" {
				t.Fatalf("removed: %v, want %v", !tt.removed, tt.removed)
			}
			audits := f.audited(auth.AuditGroupRemove, tt.target, tt.slug)
			if (audits == 1) != tt.removed {
				t.Fatalf("%d removal audit entries", audits)
			}
			if tt.removed {
				wantRedirect(t, c, res, body, "/groups/"+tt.slug, "has been removed")
			}
			if tt.want == http.StatusBadRequest && !strings.Contains(body, "last coordinator") {
				t.Fatal("no clear message for the last coordinator")
			}
		})
	}
	// Remove buttons appear for coordinators only, and not for themselves.
	_, page := f.as("lena").get("/groups/rm")
	if !strings.Contains(page, removePath("rm", "buyer")) || strings.Contains(page, removePath("rm", "lena")) {
		t.Fatal("remove buttons wrong for the coordinator")
	}
	if _, page := f.as("buyer").get("/groups/rm"); strings.Contains(page, "/remove") {
		t.Fatal("a plain member sees remove buttons")
	}
}

var inviteRe = regexp.MustCompile(`/groups/invite/([A-Za-z0-9_-]{43})`)

// createInvitation makes an invitation through the coordinator's form and
// returns its secret.
func (f *groupFixture) createInvitation(c *client, slug string, days, uses int) string {
	f.t.Helper()
	c.get("/groups/" + slug)
	res, body := c.post("/groups/"+slug+"/invitations", url.Values{"days": {fmt.Sprint(days)}, "max_uses": {fmt.Sprint(uses)}})
	wantStatus(f.t, res, body, http.StatusCreated)
	m := inviteRe.FindStringSubmatch(body)
	if m == nil {
		f.t.Fatalf("no link on the page: %.2000s", body)
	}
	if !strings.Contains(body, "http://127.0.0.1:8080/groups/invite/"+m[1]) {
		f.t.Fatal("the link is not absolute")
	}
	return m[1]
}

func TestGroupInvitation(t *testing.T) {
	f := newGroupFixture(t)
	ctx := context.Background()
	f.group("inv", auth.VisibilityHidden, auth.JoinInvitation, []string{"lena"}, []string{"mette"})
	lena := f.as("lena")

	// Only coordinators and administrators invite.
	for _, who := range []string{"mette", "buyer"} {
		res, body := f.as(who).post("/groups/inv/invitations", url.Values{"days": {"7"}, "max_uses": {"2"}})
		want := http.StatusForbidden
		if who == "buyer" {
			want = http.StatusNotFound // cannot see the hidden group at all
		}
		wantStatus(t, res, body, want)
	}

	secret := f.createInvitation(lena, "inv", 7, 2)
	if f.audited(auth.AuditInvite, "", "inv") != 1 {
		t.Fatal("invitation not audited")
	}
	// Shown once: the group page lists the invitation, not its secret.
	_, page := lena.get("/groups/inv")
	if strings.Contains(page, secret) || !strings.Contains(page, "0 of 2") {
		t.Fatal("the group page shows the secret, or does not list the invitation")
	}
	link := "/groups/invite/" + secret

	// A visitor is sent to sign in first.
	if res, _ := f.as("").get(link); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/signin?next=") {
		t.Fatalf("visitor: %d %s", res.StatusCode, res.Header.Get("Location"))
	}

	steps := []struct {
		name, who      string
		wantGet        int
		getText        string
		wantPost       int
		postText       string
		member         bool
		uses, auditsOf int
	}{
		{"first use", "buyer", 200, "You have been invited to join Group inv", http.StatusSeeOther, "You have joined the group.", true, 1, 1},
		{"again by the same member uses nothing", "buyer", 200, "already a member", http.StatusSeeOther, "already a member", true, 1, 1},
		{"second use", "facilitator", 200, "Join Group inv", http.StatusSeeOther, "You have joined the group.", true, 2, 1},
		{"used up", "pieter", http.StatusGone, "used as often as", http.StatusGone, "used as often as", false, 2, 0},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			c := f.as(st.who)
			res, body := c.get(link)
			wantStatus(t, res, body, st.wantGet)
			if !strings.Contains(html.UnescapeString(body), st.getText) {
				t.Fatalf("GET lacks %q: %.2000s", st.getText, body)
			}
			res, body = c.post(link, nil)
			wantStatus(t, res, body, st.wantPost)
			if st.wantPost == http.StatusSeeOther {
				wantRedirect(t, c, res, body, "/groups/inv", st.postText)
			} else if !strings.Contains(body, st.postText) {
				t.Fatalf("POST lacks %q", st.postText)
			}
			if f.isMember("inv", st.who) != st.member {
				t.Fatalf("member: %v", !st.member)
			}
			inv, err := f.s.auth.InvitationBySecret(ctx, secret)
			if err != nil || inv.Uses != st.uses {
				t.Fatalf("uses %d, want %d (%v)", inv.Uses, st.uses, err)
			}
			if n := f.audited(auth.AuditInviteUse, st.who, "inv"); n != st.auditsOf {
				t.Fatalf("%d use audit entries, want %d", n, st.auditsOf)
			}
		})
	}

	t.Run("expired", func(t *testing.T) {
		secret := f.createInvitation(lena, "inv", 1, 5)
		inv, _ := f.s.auth.InvitationBySecret(ctx, secret)
		if _, err := f.s.store.DB.Collection("group_invitations").UpdateOne(ctx, bson.M{"_id": inv.ID},
			bson.M{"$set": bson.M{"expires_at": time.Now().Add(-time.Minute)}}); err != nil {
			t.Fatal(err)
		}
		c := f.as("jonas")
		res, body := c.get("/groups/invite/" + secret)
		wantStatus(t, res, body, http.StatusGone)
		if !strings.Contains(body, "has expired") || strings.Contains(body, "Group inv") {
			t.Fatalf("expired page: %.1500s", body)
		}
		res, body = c.post("/groups/invite/"+secret, nil)
		wantStatus(t, res, body, http.StatusGone)
		if f.isMember("inv", "jonas") {
			t.Fatal("joined through an expired link")
		}
		if _, page := lena.get("/groups/inv"); !strings.Contains(page, "Expired") {
			t.Fatal("the coordinator does not see the link as expired")
		}
	})

	for _, bad := range []string{strings.Repeat("A", 43), "short", strings.Repeat("é", 43)} {
		t.Run("unknown "+bad[:2], func(t *testing.T) {
			c := f.as("jonas")
			res, body := c.get("/groups/invite/" + url.PathEscape(bad))
			wantStatus(t, res, body, http.StatusNotFound)
			if !strings.Contains(body, "This invitation link is not valid") {
				t.Fatalf("unclear page: %.1500s", body)
			}
			res, body = c.post("/groups/invite/"+url.PathEscape(bad), nil)
			wantStatus(t, res, body, http.StatusNotFound)
		})
	}
}

// A link with two uses lets exactly two of five members in, even when they
// all use it at the same moment.
func TestGroupInvitationConcurrentUses(t *testing.T) {
	f := newGroupFixture(t)
	f.group("rush", auth.VisibilityMembers, auth.JoinInvitation, []string{"lena"}, nil)
	secret := f.createInvitation(f.as("lena"), "rush", 7, 2)
	link := "/groups/invite/" + secret

	var clients []*client
	var keys []string
	for i := 0; i < 5; i++ {
		key := f.member(fmt.Sprintf("rush%d", i), auth.StatusApproved)
		c := f.as(key)
		if res, body := c.get(link); res.StatusCode != http.StatusOK {
			t.Fatalf("GET %d: %.300s", res.StatusCode, body)
		}
		clients, keys = append(clients, c), append(keys, key)
	}
	statuses := make([]int, len(clients))
	errs := make([]error, len(clients))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest(http.MethodPost, link, strings.NewReader(url.Values{"_csrf": {c.csrf}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range c.cookies {
				req.AddCookie(&http.Cookie{Name: k, Value: v})
			}
			<-start
			useTestHost(f.s, req)
			res, err := f.s.App().Test(req, -1)
			if err != nil {
				errs[i] = err
				return
			}
			res.Body.Close()
			statuses[i] = res.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	joined, refused := 0, 0
	for i, st := range statuses {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		switch st {
		case http.StatusSeeOther:
			joined++
		case http.StatusGone:
			refused++
		default:
			t.Fatalf("status %d", st)
		}
	}
	members := 0
	g := f.reload("rush")
	for _, k := range keys {
		if g.HasMember(f.ids[k]) {
			members++
		}
	}
	inv, err := f.s.auth.InvitationBySecret(context.Background(), secret)
	if err != nil {
		t.Fatal(err)
	}
	if joined != 2 || refused != 3 || members != 2 || inv.Uses != 2 || f.audited(auth.AuditInviteUse, "", "rush") != 2 {
		t.Fatalf("joined %d, refused %d, members %d, uses %d; want 2, 3, 2, 2", joined, refused, members, inv.Uses)
	}
}

// A refused form comes back with what the member typed and a message tied
// to the field.
func TestGroupFormsKeepInput(t *testing.T) {
	f := newGroupFixture(t)
	g := f.group("forms", auth.VisibilityMembers, auth.JoinRequest, []string{"lena"}, nil)
	ctx := context.Background()
	if _, _, err := f.s.auth.CreateGroupRequest(ctx, g.ID, f.ids["pieter"], "Hello"); err != nil {
		t.Fatal(err)
	}
	reqID := g.ID + "-" + f.ids["pieter"]
	long := strings.Repeat("Circular laptops ", 60) // over 1,000 characters

	tests := []struct {
		name, who, path string
		form            url.Values
		want            []string
	}{
		{"request message too long", "buyer", "/groups/forms/requests", url.Values{"message": {long}},
			[]string{long + "</textarea>", "at most 1000 characters", `id="request-message-error"`, `aria-invalid="true"`, "request-message-hint request-message-error"}},
		{"invitation numbers", "lena", "/groups/forms/invitations", url.Values{"days": {"abc"}, "max_uses": {"0"}},
			[]string{`value="abc"`, `value="0"`, "Enter a number of days from 1 to 90.", "Enter a number of uses from 1 to 500.", "invite-days-hint invite-days-error", "invite-uses-hint invite-uses-error"}},
		{"invitation too long", "lena", "/groups/forms/invitations", url.Values{"days": {"365"}, "max_uses": {"3"}},
			[]string{`value="365"`, `value="3"`, "Enter a number of days from 1 to 90."}},
		{"decision missing", "lena", "/groups/forms/requests/" + reqID, url.Values{"decision": {"maybe"}, "reply": {"Let me think about it"}},
			[]string{"Choose whether to approve or decline the request.", "Let me think about it</textarea>"}},
		{"reply too long", "lena", "/groups/forms/requests/" + reqID, url.Values{"decision": {"reject"}, "reply": {long}},
			[]string{long + "</textarea>", "at most 1000 characters", `aria-invalid="true"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.as(tt.who)
			c.get("/groups/forms")
			res, body := c.post(tt.path, tt.form)
			wantStatus(t, res, body, http.StatusBadRequest)
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
	// Nothing was done.
	if invs, _ := f.s.auth.Invitations(ctx, g.ID, 10); len(invs) != 0 {
		t.Fatal("an invitation was created from invalid input")
	}
	if r, _ := f.s.auth.GroupRequestOf(ctx, g.ID, f.ids["pieter"]); !r.Pending() {
		t.Fatal("the request was decided from invalid input")
	}
	if _, err := f.s.auth.GroupRequestOf(ctx, g.ID, f.ids["buyer"]); err == nil {
		t.Fatal("a request was stored from invalid input")
	}
}
