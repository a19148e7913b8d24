package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/bus/natstest"
	"github.com/circularfairict/portal/forum"
)

// liveRightsFixture is a server with a group-only group, a workshop of the
// group whose room is open and a thread in the group's category: what a
// room socket and a discussion stream of a group member are bound to.
type liveRightsFixture struct {
	s                *Server
	base             string
	group, elsewhere *auth.Group
	workshop         string
	thread           string
	otherCategory    string // a category of elsewhere, for a thread moved there
	facilitator      *auth.Member
	coordinator      *client // signed in as the group's coordinator
	admin            *client // signed in as an administrator
}

func newLiveRightsFixture(t *testing.T) *liveRightsFixture {
	t.Helper()
	s, _ := newTestServer(t, opts{})
	f := &liveRightsFixture{s: s, base: listen(t, s)}
	ctx := context.Background()
	fac, err := s.auth.MemberByIdentity(ctx, auth.DemoProvider, "facilitator")
	if err != nil {
		t.Fatal(err)
	}
	f.facilitator = fac
	put := func(slug string) *auth.Group {
		if _, err := s.auth.PutGroup(ctx, auth.Group{Slug: slug, Name: "Group " + slug, Description: "A group made for a test.",
			Languages: []string{"en"}, Visibility: auth.VisibilityGroup, JoinPolicy: auth.JoinRequest, Coordinators: []string{fac.ID}}); err != nil {
			t.Fatal(err)
		}
		g, err := s.auth.GroupBySlug(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	f.group, f.elsewhere = put("live-rights"), put("live-rights-other")
	now := time.Now().UTC()
	st, w := apiDo(t, f.base, "POST", "/api/v1/workshops", apiToken(t, s, "facilitator"), map[string]any{
		"title": "Rights clinic", "starts_at": now.Add(-10 * time.Minute).Format(time.RFC3339),
		"ends_at": now.Add(2 * time.Hour).Format(time.RFC3339), "group": f.group.Slug, "capacity": 100,
		"agenda": []map[string]any{{"title": "Cases", "minutes": 60}}})
	if st != http.StatusCreated {
		t.Fatalf("create workshop: %d %v", st, w)
	}
	f.workshop = w["id"].(string)
	cat, err := s.forum.CreateCategory(ctx, forum.Category{Name: "Rights questions", GroupID: f.group.ID, Colour: "teal"})
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := s.forum.CreateThread(ctx, forum.NewThread{Category: cat, AuthorID: fac.ID, Title: "A thread of the group", Body: "Start"})
	if err != nil {
		t.Fatal(err)
	}
	f.thread = th.ID
	other, err := s.forum.CreateCategory(ctx, forum.Category{Name: "Other questions", GroupID: f.elsewhere.ID, Colour: "green"})
	if err != nil {
		t.Fatal(err)
	}
	f.otherCategory = other.ID
	f.coordinator = newClient(t, s)
	f.coordinator.signIn("facilitator")
	f.admin = newClient(t, s)
	f.admin.signIn("coordinator") // the demo's administrator
	return f
}

// holder is one member holding one open connection for a case.
type holder struct {
	t       *testing.T
	f       *liveRightsFixture
	m       *auth.Member
	secret  string // the session secret, for cookie connections
	token   string // the token secret, for token connections
	tokenID string
}

func (h *holder) browser() *client {
	c := newClient(h.t, h.f.s)
	c.cookies[h.f.s.sessionCookieName()] = h.secret
	c.get("/") // its CSRF token
	return c
}

// otherBrowser is a second session of the same member.
func (h *holder) otherBrowser() *client {
	c := newClient(h.t, h.f.s)
	c.signInAs(h.m.ID)
	return c
}

// liveConnection is an open room socket or discussion stream under test.
type liveConnection interface {
	// works checks that the connection is in use (a frame acknowledged,
	// the stream's first line read).
	works(t *testing.T)
	// ended waits, up to a bound, for the connection to close by itself.
	ended(t *testing.T)
	// refusesNext sends one more frame (room) or publishes one more event
	// (stream) and checks it is refused (room) or never delivered and the
	// stream ends.
	refusesNext(t *testing.T)
}

const liveBound = 5 * time.Second

type rightsRoom struct {
	ws     *websocket.Conn
	frames chan map[string]any
	end    chan error
	n      int
}

func (f *liveRightsFixture) dialRoom(t *testing.T, h http.Header) *rightsRoom {
	t.Helper()
	url := strings.Replace(f.base, "http", "ws", 1) + "/api/v1/workshops/" + f.workshop + "/live"
	ws, res, err := (&websocket.Dialer{HandshakeTimeout: liveBound}).Dial(url, h)
	if err != nil {
		t.Fatalf("dial: %v %v", res, err)
	}
	t.Cleanup(func() { ws.Close() })
	r := &rightsRoom{ws: ws, frames: make(chan map[string]any, 1024), end: make(chan error, 1)}
	go func() {
		for {
			var m map[string]any
			if err := ws.ReadJSON(&m); err != nil {
				r.end <- err
				return
			}
			r.frames <- m
		}
	}()
	return r
}

func (r *rightsRoom) send(t *testing.T) string {
	t.Helper()
	r.n++
	key := fmt.Sprintf("k%d", r.n)
	if err := r.ws.WriteJSON(map[string]any{"type": "chat", "text": "hello " + key, "key": key}); err != nil {
		t.Fatalf("send: %v", err)
	}
	return key
}

func (r *rightsRoom) works(t *testing.T) {
	t.Helper()
	key := r.send(t)
	deadline := time.After(liveBound)
	for {
		select {
		case m := <-r.frames:
			if m["type"] == "ack" && m["key"] == key {
				return
			}
			if m["type"] == "error" {
				t.Fatalf("frame refused before the change: %v", m)
			}
		case err := <-r.end:
			t.Fatalf("socket ended before the change: %v", err)
		case <-deadline:
			t.Fatal("no ack")
		}
	}
}

// closedForbidden checks the socket ended with the close code for ended
// rights, and that no chat was acknowledged or delivered on the way.
func (r *rightsRoom) closedForbidden(t *testing.T, refused string) {
	t.Helper()
	deadline := time.After(liveBound)
	for {
		select {
		case m := <-r.frames:
			switch m["type"] {
			case "ack", "chat":
				if refused != "" {
					t.Fatalf("after the change a frame was acted on: %v", m)
				}
			case "error":
				// The refused frame's key, or none when the writer met
				// the change first (before delivering something).
				if m["code"] != "access_ended" || m["ref"] != nil && m["ref"] != refused {
					t.Fatalf("error frame %v, want access_ended for %q", m, refused)
				}
				refused = "" // reported
			}
		case err := <-r.end:
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != 4003 || ce.Text != "access_ended" {
				t.Fatalf("socket ended with %v, want close 4003 access_ended", err)
			}
			if refused != "" {
				t.Fatalf("frame %s was not answered with access_ended", refused)
			}
			return
		case <-deadline:
			t.Fatal("socket still open")
		}
	}
}

func (r *rightsRoom) ended(t *testing.T) { t.Helper(); r.closedForbidden(t, "") }

func (r *rightsRoom) refusesNext(t *testing.T) {
	t.Helper()
	r.closedForbidden(t, r.send(t))
}

// rightsListener is a room socket that only listens: what must stop is
// what it hears (another socket's chat), not what it sends.
type rightsListener struct {
	*rightsRoom
	speaker *rightsRoom
}

func (l *rightsListener) works(t *testing.T) {
	t.Helper()
	text := ""
	deadline := time.After(liveBound)
	for {
		select {
		case m := <-l.frames:
			if m["type"] == "snapshot" { // joined: what is said now reaches it
				text = "hello " + l.speaker.send(t)
			}
			if text != "" && m["type"] == "chat" && m["text"] == text {
				return
			}
		case err := <-l.end:
			t.Fatalf("socket ended before the change: %v", err)
		case <-deadline:
			t.Fatal("the chat was not heard")
		}
	}
}

func (l *rightsListener) refusesNext(t *testing.T) {
	t.Helper()
	text := "hello " + l.speaker.send(t)
	deadline := time.After(liveBound)
	for {
		select {
		case m := <-l.frames:
			if m["type"] == "chat" && m["text"] == text {
				t.Fatal("heard the room after the change")
			}
		case err := <-l.end:
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != 4003 {
				t.Fatalf("socket ended with %v, want close 4003", err)
			}
			return
		case <-deadline:
			t.Fatal("socket still open")
		}
	}
}

type rightsStream struct {
	f     *liveRightsFixture
	lines chan string
	n     int
}

func (f *liveRightsFixture) openStream(t *testing.T, h *holder) *rightsStream {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.base+"/discussions/live?thread="+f.thread, nil)
	if h.token != "" {
		req.Header.Set("Authorization", "Bearer "+h.token)
	} else {
		req.AddCookie(&http.Cookie{Name: f.s.sessionCookieName(), Value: h.secret})
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", res.StatusCode)
	}
	sc := &rightsStream{f: f, lines: make(chan string, 256)}
	go func() {
		s := bufio.NewScanner(res.Body)
		for s.Scan() {
			sc.lines <- s.Text()
		}
		close(sc.lines)
	}()
	return sc
}

func (sc *rightsStream) works(t *testing.T) {
	t.Helper()
	sc.publish()
	sc.expect(t, fmt.Sprintf(`"n":%d`, sc.n))
}

// publish sends an event about the thread through the real bus, as a new
// post would.
func (sc *rightsStream) publish() {
	sc.n++
	sc.f.s.forumLive.Publish("thread."+sc.f.thread, liveEvent{Type: "post", Thread: sc.f.thread, N: sc.n})
}

func (sc *rightsStream) expect(t *testing.T, sub string) {
	t.Helper()
	deadline := time.After(liveBound)
	for {
		select {
		case l, ok := <-sc.lines:
			if !ok {
				t.Fatalf("stream ended before %s", sub)
			}
			if strings.Contains(l, sub) {
				return
			}
		case <-deadline:
			t.Fatalf("no %s", sub)
		}
	}
}

// endsWithout waits for the stream to end and fails if a line containing
// banned arrives first.
func (sc *rightsStream) endsWithout(t *testing.T, banned string) {
	t.Helper()
	deadline := time.After(liveBound)
	for {
		select {
		case l, ok := <-sc.lines:
			if !ok {
				return
			}
			if banned != "" && strings.Contains(l, banned) {
				t.Fatalf("delivered after the change: %s", l)
			}
		case <-deadline:
			t.Fatal("stream still open")
		}
	}
}

func (sc *rightsStream) ended(t *testing.T) { t.Helper(); sc.endsWithout(t, "") }

func (sc *rightsStream) refusesNext(t *testing.T) {
	t.Helper()
	sc.publish()
	sc.endsWithout(t, fmt.Sprintf(`"n":%d`, sc.n))
}

// Every change that ends a right ends the connections resting on it: room
// sockets by cookie and by token, discussion streams by cookie and by
// token. Changes made through the portal close them at once; changes made
// in the database directly (as another replica would) are found by the
// connection's own re-check, so the next frame after the one-second reuse
// of a check is refused and the next event is not delivered.
func TestLiveConnectionsEndWithRights(t *testing.T) {
	f := newLiveRightsFixture(t)
	ctx := context.Background()
	db := f.s.store.DB
	// A listening socket trusts a check for hearEvery (30 s) before it is
	// sent what others say; shortened here so that the database cases show
	// the re-check before delivery too.
	// The frames' bound (recheckEvery, 3 s) is shortened the same way, to
	// keep the database cases short; the mechanism is the same.
	const bound = time.Second
	f.s.conns.mu.Lock()
	f.s.conns.hearEvery, f.s.conns.actEvery = bound, bound
	f.s.conns.mu.Unlock()

	type kind struct {
		name  string
		token bool
		open  func(t *testing.T, h *holder) liveConnection
	}
	room := func(t *testing.T, h *holder) liveConnection {
		hd := http.Header{}
		if h.token != "" {
			hd.Set("Authorization", "Bearer "+h.token)
		} else {
			hd.Set("Cookie", f.s.sessionCookieName()+"="+h.secret)
			hd.Set("Origin", f.base)
		}
		return f.dialRoom(t, hd)
	}
	stream := func(t *testing.T, h *holder) liveConnection { return f.openStream(t, h) }
	// A connection of someone the changes do not concern stays open; it
	// also speaks to the listening sockets.
	bystander := f.dialRoom(t, http.Header{"Authorization": {"Bearer " + apiToken(t, f.s, "facilitator")}})
	bystander.works(t)
	listen := func(t *testing.T, h *holder) liveConnection {
		return &rightsListener{rightsRoom: room(t, h).(*rightsRoom), speaker: bystander}
	}
	kinds := []kind{
		{"room by cookie", false, room},
		{"room by token", true, room},
		{"listening room socket by token", true, listen},
		{"stream by cookie", false, stream},
		{"stream by token", true, stream},
	}
	post := func(t *testing.T, c *client, path string, form url.Values) {
		t.Helper()
		if res, body := c.post(path, form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s: %d %s", path, res.StatusCode, body)
		}
	}
	removeFromGroup := func(t *testing.T, h *holder) {
		g, err := f.s.auth.Group(ctx, f.group.ID)
		if err != nil {
			t.Fatal(err)
		}
		var keep []string
		for _, id := range g.Members {
			if id != h.m.ID {
				keep = append(keep, id)
			}
		}
		g.Members = keep
		if _, err := f.s.auth.PutGroup(ctx, *g); err != nil {
			t.Fatal(err)
		}
	}
	// The thread's own category, to put it back after the move.
	var th struct {
		Category string `bson:"category_id"`
	}
	if err := db.Collection("forum_threads").FindOne(ctx, bson.M{"_id": f.thread}).Decode(&th); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		cookie   bool // applies to cookie connections
		token    bool // applies to token connections
		admin    bool // the holder is an administrator outside the group
		ttl      time.Duration
		idle     time.Duration // the session's inactivity timeout
		change   func(t *testing.T, h *holder)
		database bool // made in the database (or by time): the next frame or event is what must fail
	}{
		{name: "token revoked", token: true, change: func(t *testing.T, h *holder) {
			c := h.otherBrowser()
			c.get("/profile/tokens")
			post(t, c, "/profile/tokens/"+h.tokenID+"/revoke", nil)
		}},
		{name: "token expired", token: true, ttl: 2 * time.Second, change: func(*testing.T, *holder) {}},
		{name: "signed out", cookie: true, change: func(t *testing.T, h *holder) {
			post(t, h.browser(), "/auth/logout", nil)
		}},
		{name: "session ended from another browser", cookie: true, change: func(t *testing.T, h *holder) {
			c := h.otherBrowser()
			c.get("/profile/sessions")
			post(t, c, "/profile/sessions/"+auth.SessionID(h.secret)+"/end", nil)
		}},
		{name: "other sessions ended", cookie: true, change: func(t *testing.T, h *holder) {
			c := h.otherBrowser()
			c.get("/profile/sessions")
			post(t, c, "/profile/sessions/others/end", nil)
		}},
		{name: "session expired", cookie: true, ttl: 2 * time.Second, change: func(*testing.T, *holder) {}},
		// Listening is not a use of the session: with nothing else sent,
		// it idles out, and the next frame or event finds it.
		{name: "session idled out", cookie: true, idle: 2 * time.Second, database: true, change: func(*testing.T, *holder) {
			time.Sleep(2 * time.Second)
		}},
		{name: "removed from the group", cookie: true, token: true, change: func(t *testing.T, h *holder) {
			f.coordinator.get("/groups/" + f.group.Slug)
			post(t, f.coordinator, "/groups/"+f.group.Slug+"/members/"+h.m.ID+"/remove", nil)
		}},
		{name: "left the group", cookie: true, token: true, change: func(t *testing.T, h *holder) {
			c := h.otherBrowser()
			c.get("/groups/" + f.group.Slug)
			post(t, c, "/groups/"+f.group.Slug+"/leave", nil)
		}},
		{name: "role lowered", cookie: true, token: true, admin: true, change: func(t *testing.T, h *holder) {
			f.admin.get("/admin/members")
			post(t, f.admin, "/admin/members/"+h.m.ID+"/role", url.Values{"role": {"member"}})
		}},
		{name: "deactivated", cookie: true, token: true, change: func(t *testing.T, h *holder) {
			f.admin.get("/admin/members")
			post(t, f.admin, "/admin/members/"+h.m.ID+"/deactivate", url.Values{"confirm": {"1"}})
		}},
		// Another replica, or the database directly: no close call here.
		{name: "removed from the group in the database", cookie: true, token: true, database: true, change: removeFromGroup},
		{name: "session deleted in the database", cookie: true, database: true, change: func(t *testing.T, h *holder) {
			if _, err := db.Collection("sessions").DeleteOne(ctx, bson.M{"_id": auth.SessionID(h.secret)}); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "token deleted in the database", token: true, database: true, change: func(t *testing.T, h *holder) {
			if _, err := db.Collection("api_tokens").DeleteOne(ctx, bson.M{"_id": h.tokenID}); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "suspended in the database", cookie: true, token: true, database: true, change: func(t *testing.T, h *holder) {
			if err := f.s.auth.SetStatus(ctx, h.m.ID, auth.StatusDeactivated); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "object moved to another group in the database", cookie: true, token: true, database: true, change: func(t *testing.T, h *holder) {
			if _, err := db.Collection("workshops").UpdateOne(ctx, bson.M{"_id": f.workshop}, bson.M{"$set": bson.M{"group_id": f.elsewhere.ID}}); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Collection("forum_threads").UpdateOne(ctx, bson.M{"_id": f.thread}, bson.M{"$set": bson.M{"category_id": f.otherCategory}}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_, _ = db.Collection("workshops").UpdateOne(ctx, bson.M{"_id": f.workshop}, bson.M{"$set": bson.M{"group_id": f.group.ID}})
				_, _ = db.Collection("forum_threads").UpdateOne(ctx, bson.M{"_id": f.thread}, bson.M{"$set": bson.M{"category_id": th.Category}})
			})
		}},
	}
	n := 0
	for _, tc := range cases {
		for _, k := range kinds {
			if k.token && !tc.token || !k.token && !tc.cookie {
				continue
			}
			t.Run(tc.name+"/"+k.name, func(t *testing.T) {
				n++
				role := auth.RoleMember
				if tc.admin {
					role = auth.RoleAdmin
				}
				m := newMember(t, f.s, fmt.Sprintf("Holder %d", n), auth.StatusApproved, role)
				if !tc.admin {
					g, err := f.s.auth.Group(ctx, f.group.ID)
					if err != nil {
						t.Fatal(err)
					}
					g.Members = append(g.Members, m.ID)
					if _, err := f.s.auth.PutGroup(ctx, *g); err != nil {
						t.Fatal(err)
					}
				}
				h := &holder{t: t, f: f, m: m}
				ttl := time.Hour
				if tc.ttl > 0 {
					ttl = tc.ttl
				}
				if k.token {
					exp := time.Now().Add(ttl)
					secret, tok, err := f.s.auth.CreateToken(ctx, m.ID, "live", &exp)
					if err != nil {
						t.Fatal(err)
					}
					h.token, h.tokenID = secret, tok.ID
				} else {
					h.secret = auth.NewSessionSecret()
					idle := ttl
					if tc.idle > 0 {
						idle = tc.idle
					}
					if err := f.s.auth.CreateSession(ctx, h.secret, m.ID, ttl, idle, ""); err != nil {
						t.Fatal(err)
					}
				}
				conn := k.open(t, h)
				conn.works(t)
				tc.change(t, h)
				if tc.database {
					// A check is reused for up to the bound; the first
					// frame or event after that must meet the change.
					time.Sleep(bound + 50*time.Millisecond)
					conn.refusesNext(t)
					return
				}
				conn.ended(t)
			})
		}
	}
	bystander.works(t)
}

// A change of rights made through one server ends the connections held by
// another at once, over the bus: here neither connection sends a frame or
// gets an event afterwards, so only the other server's close call can end
// them.
func TestRightsChangesReachOtherServers(t *testing.T) {
	url := natstest.Start(t)
	a, _ := newTestServer(t, opts{nats: url})
	b, _ := newTestServer(t, opts{nats: url, store: a.store})
	baseA, baseB := listen(t, a), listen(t, b)
	ctx := context.Background()
	m := newMember(t, a, "Rita Replica", auth.StatusApproved, auth.RoleMember)
	now := time.Now().UTC()
	st, w := apiDo(t, baseA, "POST", "/api/v1/workshops", apiToken(t, a, "facilitator"), map[string]any{
		"title": "Open clinic", "starts_at": now.Add(-10 * time.Minute).Format(time.RFC3339),
		"ends_at": now.Add(time.Hour).Format(time.RFC3339), "capacity": 100,
		"agenda": []map[string]any{{"title": "Cases", "minutes": 60}}})
	if st != http.StatusCreated {
		t.Fatalf("create workshop: %d %v", st, w)
	}
	gen, err := a.forum.CategoryBySlug(ctx, "general")
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := a.forum.CreateThread(ctx, forum.NewThread{Category: gen, AuthorID: m.ID, Title: "An open thread", Body: "Start"})
	if err != nil {
		t.Fatal(err)
	}
	onB := &liveRightsFixture{s: b, base: baseB, workshop: w["id"].(string), thread: th.ID}

	token, tok, err := a.auth.CreateToken(ctx, m.ID, "replica", nil)
	if err != nil {
		t.Fatal(err)
	}
	ws := onB.dialRoom(t, http.Header{"Authorization": {"Bearer " + token}})
	ws.works(t)
	secret := auth.NewSessionSecret()
	if err := a.auth.CreateSession(ctx, secret, m.ID, time.Hour, time.Hour, ""); err != nil {
		t.Fatal(err)
	}
	stream := onB.openStream(t, &holder{secret: secret})
	stream.works(t)

	browser := newClient(t, a)
	browser.cookies[a.sessionCookieName()] = secret
	browser.get("/profile/tokens")
	if res, _ := browser.post("/profile/tokens/"+tok.ID+"/revoke", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	ws.ended(t)
	if res, _ := browser.post("/auth/logout", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", res.StatusCode)
	}
	stream.ended(t)
}

// Selectors pick exactly the connections a change concerns; an empty one
// picks none (it travels between servers: a bug must not close everyone).
func TestConnSelector(t *testing.T) {
	cookie := connInfo{Member: "m1", Credential: auth.Credential{Session: "s1"}, Kind: connRoom, Workshop: "w1", Group: "g1"}
	token := connInfo{Member: "m1", Credential: auth.Credential{Token: "t1"}, Kind: connStream, Thread: "th1", Group: "g1"}
	tests := []struct {
		name          string
		sel           connSelector
		cookie, token bool
	}{
		{"empty", connSelector{}, false, false},
		{"member", connSelector{Member: "m1"}, true, true},
		{"other member", connSelector{Member: "m2"}, false, false},
		{"session", connSelector{Session: "s1"}, true, false},
		{"token", connSelector{Token: "t1"}, false, true},
		{"other sessions than s1", connSelector{Member: "m1", KeepSession: "s1"}, false, false},
		{"other sessions than s2", connSelector{Member: "m1", KeepSession: "s2"}, true, false},
		{"member in group", connSelector{Member: "m1", Group: "g1"}, true, true},
		{"member in another group", connSelector{Member: "m1", Group: "g2"}, false, false},
		{"thread streams", connSelector{Kind: connStream, Thread: "th1"}, false, true},
		{"workshop", connSelector{Workshop: "w1"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sel.matches(cookie); got != tt.cookie {
				t.Errorf("cookie connection: %v, want %v", got, tt.cookie)
			}
			if got := tt.sel.matches(token); got != tt.token {
				t.Errorf("token connection: %v, want %v", got, tt.token)
			}
		})
	}
}
