package server

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/workshops"
	"github.com/circularfairict/portal/workshops/live"
)

// startLive attaches the open-connection registry to the application's
// bus and sets up the websocket upgrader: browsers (cookie) must send an
// Origin in the allowlist; token clients may send none. Never "*". The
// room engine and the bus are the application's (app.New).
func (s *Server) startLive() error {
	// Changes of rights reach every server's open connections the same way.
	if err := s.conns.attach(s.bus, s.log); err != nil {
		return fmt.Errorf("live: rights bus: %w", err)
	}
	// The upgrader is fasthttp/websocket's, the library under
	// gofiber/contrib/websocket (whose wrapper copies every request's
	// headers, cookies, query, route parameters and locals into maps that
	// live as long as the socket). It upgrades the raw connection after
	// fasthttp has let go of it (see liveWorkshop), so the socket reads
	// through its own small buffer; a frame larger than it is read straight
	// into the frame. Write buffers are pooled: an idle socket holds none.
	s.wsUpgrader = websocket.Upgrader{ReadBufferSize: 512, WriteBufferSize: 1024,
		WriteBufferPool: wsBufferPool, HandshakeTimeout: 10 * time.Second}
	return nil
}

// liveWorkshop is GET /api/v1/workshops/:id/live: it checks the member's
// right to the workshop and the Origin, then upgrades.
func (s *Server) liveWorkshop(c *fiber.Ctx) error {
	if !websocket.FastHTTPIsWebSocketUpgrade(c.Context()) {
		return fault.New(fault.Invalid, "error.400")
	}
	m := currentMember(c)
	w, acc, err := s.workshopFor(c, c.Params("id"))
	if err != nil {
		return err
	}
	token := c.Locals(localAPI) == true
	origin := c.Get(fiber.HeaderOrigin)
	switch {
	case !token && (origin == "" || !s.sameOrigin(c, origin)):
		// A cookie-authenticated socket from another site would act as the
		// member (cross-site websocket hijacking).
		return fault.New(fault.Forbidden, "error.csrf")
	case token && origin != "" && !s.sameOrigin(c, origin):
		return fault.New(fault.Forbidden, "error.csrf")
	}
	p := live.Person{ID: m.ID, Name: m.Name, Organisation: m.Organisation, Role: live.RoleParticipant, Country: m.Country}
	if len(m.Languages) > 0 {
		p.Language = m.Languages[0] // the first listed, for breakout groups by language
	}
	if auth.CanFacilitate(m, acc) {
		p.Role = live.RoleFacilitator
	}
	last := int64(-1)
	if v := c.Query("last_seq"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			last = n
		}
	}
	// The upgrader's allowlist is exactly the Origin checked above (the
	// base URL, or in the loopback demo the address the browser used),
	// or, for a token client that sent none, only "no Origin". Never "*".
	up := s.wsUpgrader
	up.CheckOrigin = func(r *http.Request) bool { return r.Header.Get(fiber.HeaderOrigin) == origin }
	req := &http.Request{Method: http.MethodGet, Header: http.Header{}}
	for _, h := range []string{"Connection", "Upgrade", "Sec-Websocket-Version", "Sec-Websocket-Key", fiber.HeaderOrigin} {
		if v := c.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	room := w.ID
	// The socket is registered with what it rests on, so that the end of
	// any of these rights ends it (see connections.go).
	cred, err := s.requestCredential(c)
	if err != nil {
		return err
	}
	info := connInfo{Member: m.ID, Credential: cred, Kind: connRoom, Workshop: w.ID}
	if acc.Group != nil {
		info.Group = acc.Group.ID
	}
	// Upgrading inside fasthttp's hijack handler would keep, for the
	// socket's whole life, the handler's goroutine, the request context
	// (about 6 KiB with its headers) and fasthttp's 4 KiB read buffer:
	// fasthttp releases them only when that handler returns. So the
	// handler upgrades the raw connection itself (fasthttp writes no
	// response and, with KeepHijackedConns, does not close it), hands it
	// to a goroutine of its own and returns. A client sends nothing before
	// the 101 answer (RFC 6455, 4.1), so nothing is left in fasthttp's
	// buffer; one that did is refused by the upgrader.
	// The 101 answer is written here, not by Fiber, so it carries the
	// replica's name itself (PORTAL_INSTANCE).
	var answer http.Header
	if s.cfg.Instance != "" {
		answer = http.Header{"X-Portal-Instance": {s.cfg.Instance}}
	}
	ctx := c.Context()
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(hc net.Conn) {
		raw := hc
		if u, ok := hc.(interface{ UnsafeConn() net.Conn }); ok {
			raw = u.UnsafeConn()
		}
		conn, err := up.Upgrade(&rawResponse{conn: raw}, req, answer)
		if err != nil {
			_ = raw.Close()
			return
		}
		go s.serveLive(conn, room, p, last, info)
	})
	return nil
}

// rawResponse is the http.ResponseWriter the upgrader needs around a raw
// connection: it hijacks to the connection, and answers a refused
// handshake with a bare status line.
type rawResponse struct {
	conn   net.Conn
	header http.Header
	status int
}

func (w *rawResponse) Header() http.Header {
	if w.header == nil {
		w.header = http.Header{}
	}
	return w.header
}

func (w *rawResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
		_ = w.conn.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = fmt.Fprintf(w.conn, "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", status, http.StatusText(status))
	}
}

func (w *rawResponse) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(b), nil // the body of a refusal is not sent
}

func (w *rawResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.conn, bufio.NewReadWriter(bufio.NewReaderSize(w.conn, 16), bufio.NewWriterSize(w.conn, 256)), nil
}

// serveLive adapts the websocket to the engine; it runs on the hijacked
// connection's goroutine and returns when the socket ends.
func (s *Server) serveLive(conn *websocket.Conn, room string, p live.Person, last int64, info connInfo) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("live socket panic", "panic", fmt.Sprint(r))
			_ = conn.Close()
		}
	}()
	// A change of rights made through any server closes the socket at
	// once, with the close code that tells the client not to reconnect
	// (WriteControl may run beside the socket's writer); one that bypassed
	// the close calls is found by the guard before the next frame.
	lc := s.conns.add(info, s.roomRights(info, p.Role == live.RoleFacilitator), func() {
		_ = conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(live.CloseForbidden, string(live.ErrAccessEnded)), time.Now().Add(time.Second))
		_ = conn.Close()
	})
	defer lc.remove()
	// Attendance counts everyone whose socket was accepted, once per
	// workshop (an upsert on workshop/member); the outcome counts them.
	actx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := s.workshops.RecordAttendance(actx, room, p.ID); err != nil {
		s.log.Warn("attendance not recorded", "err", err, "workshop", room)
	}
	cancel()
	_ = s.live.ServeGuarded(context.Background(), room, p, conn, last, live.Guard{Frame: lc.acting, Delivery: lc.deliverable})
}

// workshopFor loads a workshop the current member may see, with its access
// facts for the policy functions. Unknown and hidden look the same (404).
func (s *Server) workshopFor(c *fiber.Ctx, id string) (*workshops.Workshop, auth.WorkshopAccess, error) {
	return s.workshopAccess(c.UserContext(), currentMember(c), id)
}

// workshopAccess is workshopFor for member m outside a request: open room
// sockets re-check their right to the room with it.
func (s *Server) workshopAccess(ctx context.Context, m *auth.Member, id string) (*workshops.Workshop, auth.WorkshopAccess, error) {
	w, err := s.workshops.Workshop(ctx, id)
	if err != nil {
		return nil, auth.WorkshopAccess{}, err
	}
	acc := auth.WorkshopAccess{Facilitators: w.Facilitators}
	if w.GroupID != "" {
		g, err := s.auth.Group(ctx, w.GroupID)
		if err != nil {
			return nil, acc, err
		}
		acc.Group = g
	}
	if !auth.CanSeeWorkshop(m, acc) {
		return nil, acc, fault.New(fault.NotFound, "error.404")
	}
	return w, acc, nil
}

// roomRights re-checks, against current state, what a room socket was
// accepted on: its credential, its member's standing and their right to
// the workshop; a facilitator's socket also needs the right to facilitate,
// since its person carries that role for the socket's life.
//
// The workshop and its group are the same for every socket of the room:
// they are read once for all of them (sharedFacts) and the member's own
// facts (credential, standing) per socket, so a room of 200 active members
// costs two lookups per member and check, not four.
func (s *Server) roomRights(info connInfo, facilitator bool) func(ctx context.Context, use bool) (bool, time.Time) {
	memo := s.conns.newMemberMemo()
	return func(ctx context.Context, use bool) (bool, time.Time) {
		m, ok := s.credentialMember(ctx, info, use, memo)
		if !ok {
			return false, time.Time{}
		}
		f, err := s.conns.facts.get(ctx, info.Workshop, factsEvery, s.loadWorkshopFacts)
		if err != nil {
			return false, time.Time{}
		}
		if !auth.CanSeeWorkshop(m, f.acc) {
			return false, time.Time{}
		}
		return !facilitator || auth.CanFacilitate(m, f.acc), f.at
	}
}

// loadWorkshopFacts reads a workshop and its group for sharedFacts.
func (s *Server) loadWorkshopFacts(ctx context.Context, id string) (auth.WorkshopAccess, error) {
	w, err := s.workshops.Workshop(ctx, id)
	if err != nil {
		return auth.WorkshopAccess{}, err
	}
	acc := auth.WorkshopAccess{Facilitators: w.Facilitators}
	if w.GroupID != "" {
		if acc.Group, err = s.auth.Group(ctx, w.GroupID); err != nil {
			return acc, err
		}
	}
	return acc, nil
}
