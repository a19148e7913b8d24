package live

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// wait bounds every expectation; nothing in these tests asserts timing.
const wait = 10 * time.Second

var people = map[string]Person{
	"fac":   {ID: "m-fac", Name: "Lucas Martin", Organisation: "Regional purchasing centre", Role: RoleFacilitator},
	"anna":  {ID: "m-anna", Name: "Anna de Vries", Organisation: "Ministry of the Interior", Role: RoleParticipant},
	"jonas": {ID: "m-jonas", Name: "Jonas Berg", Organisation: "Regional health authority", Role: RoleParticipant},
}

func testInfo(context.Context, string) (RoomInfo, error) {
	now := time.Now()
	return RoomInfo{Title: "Case clinic", StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour),
		Agenda: []AgendaItem{{"Welcome", 5}, {"Cases", 40}, {"Wrap-up", 10}},
		Polls:  []PollDraft{{Question: "Prepared?", Options: []string{"Yes", "No"}}}}, nil
}

// env is an engine served over real websockets on a loopback httptest
// server: the handler upgrades with gorilla/websocket and hands the socket
// to the engine, as the portal's server does with Fiber's.
type env struct {
	t      *testing.T
	st     *store.Store
	events *MongoStore
	eng    *Engine
	srv    *httptest.Server
	// writeBuf, when set, shrinks the server's socket send buffer, so a
	// client that does not read fills its queue quickly.
	writeBuf int
	// guards, by who, serve those sockets with ServeGuarded (see guard).
	guardMu sync.Mutex
	guards  map[string]Guard
}

// guard makes the next sockets of who re-check their rights with g.
func (e *env) guard(who string, g Guard) {
	e.guardMu.Lock()
	defer e.guardMu.Unlock()
	if e.guards == nil {
		e.guards = map[string]Guard{}
	}
	e.guards[who] = g
}

func newEnv(t *testing.T, st *store.Store, o Options) *env {
	t.Helper()
	if st == nil {
		st = storetest.New(t)
	}
	ctx := context.Background()
	if err := st.EnsureIndexes(ctx, Indexes()); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, events: NewMongoStore(st.DB)}
	if st.Embedded {
		e.events.ReadByID() // as the server reads on the embedded database
	}
	if o.Store == nil {
		o.Store = e.events
	}
	if o.Info == nil {
		o.Info = testInfo
	}
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	e.eng = New(o)
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p, ok := people[q.Get("who")]
		if !ok {
			http.Error(w, "who?", http.StatusBadRequest)
			return
		}
		last := int64(-1)
		if s := q.Get("last_seq"); s != "" {
			last, _ = strconv.ParseInt(s, 10, 64)
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		if e.writeBuf > 0 && q.Get("slow") == "1" {
			_ = ws.NetConn().(*net.TCPConn).SetWriteBuffer(e.writeBuf)
		}
		e.guardMu.Lock()
		g := e.guards[q.Get("who")]
		e.guardMu.Unlock()
		_ = e.eng.ServeGuarded(r.Context(), q.Get("room"), p, ws, last, g)
	}))
	t.Cleanup(func() {
		e.srv.CloseClientConnections()
		e.eng.Close()
		e.srv.Close()
	})
	return e
}

// peer is a test participant: its frames arrive on a channel.
type peer struct {
	t      *testing.T
	name   string
	ws     *websocket.Conn
	frames chan map[string]any
	raw    chan []byte
	closed chan error
	mu     sync.Mutex
	last   int64
}

// enter connects who to room r1 and waits for the welcome.
func (e *env) enter(who string) *peer {
	e.t.Helper()
	p := e.dial(who, "r1", nil)
	p.welcome()
	return p
}

func (e *env) dial(who, room string, extra url.Values) *peer {
	e.t.Helper()
	return e.dialURL(strings.Replace(e.srv.URL, "http", "ws", 1), who, room, extra, nil)
}

func (e *env) dialURL(base, who, room string, extra url.Values, d *websocket.Dialer) *peer {
	e.t.Helper()
	q := url.Values{"who": {who}, "room": {room}}
	for k, v := range extra {
		q[k] = v
	}
	if d == nil {
		d = &websocket.Dialer{HandshakeTimeout: wait}
	}
	ws, _, err := d.Dial(base+"/?"+q.Encode(), nil)
	if err != nil {
		e.t.Fatalf("dial %s: %v", who, err)
	}
	p := &peer{t: e.t, name: who, ws: ws, frames: make(chan map[string]any, 10000), raw: make(chan []byte, 10000), closed: make(chan error, 1), last: -1}
	if extra.Get("noread") == "" {
		go p.readAll()
	}
	e.t.Cleanup(func() { ws.Close() })
	return p
}

func (p *peer) readAll() {
	for {
		_, b, err := p.ws.ReadMessage()
		if err != nil {
			p.closed <- err
			close(p.frames)
			return
		}
		var m map[string]any
		if json.Unmarshal(b, &m) == nil {
			if s, ok := m["seq"].(float64); ok && m["type"] != "snapshot" {
				p.mu.Lock()
				p.last = int64(s)
				p.mu.Unlock()
			} else if ok {
				p.mu.Lock()
				p.last = int64(s)
				p.mu.Unlock()
			}
			p.raw <- b
			p.frames <- m
		}
	}
}

func (p *peer) lastSeq() int64 { p.mu.Lock(); defer p.mu.Unlock(); return p.last }

func (p *peer) sendJSON(v any) {
	p.t.Helper()
	if err := p.ws.WriteJSON(v); err != nil {
		p.t.Fatalf("%s: send: %v", p.name, err)
	}
}

// expect reads frames until one of type typ satisfies ok.
func (p *peer) expect(typ string, ok func(map[string]any) bool) map[string]any {
	p.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case m, open := <-p.frames:
			if !open {
				p.t.Fatalf("%s: connection ended while waiting for %s", p.name, typ)
			}
			if m["type"] == typ && (ok == nil || ok(m)) {
				return m
			}
		case <-deadline:
			p.t.Fatalf("%s: no %s frame within %s", p.name, typ, wait)
		}
	}
}

// closeCode waits for the connection to end and returns its close code.
func (p *peer) closeCode() int {
	p.t.Helper()
	select {
	case err := <-p.closed:
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		return -1
	case <-time.After(wait):
		p.t.Fatalf("%s: connection did not end", p.name)
	}
	return 0
}

func (p *peer) welcome() map[string]any { p.t.Helper(); return p.expect("welcome", nil) }

func str(v any) string { s, _ := v.(string); return s }
func num(v any) int64  { f, _ := v.(float64); return int64(f) }

func peopleIDs(v any) []string {
	var ids []string
	for _, x := range v.([]any) {
		ids = append(ids, str(x.(map[string]any)["id"]))
	}
	return ids
}
