// Package live is the workshop room engine: one goroutine owns each room's
// state; clients register, leave and send commands to it over its inbox;
// every state-changing command is stored with the room's sequence number
// before it is broadcast; one writer goroutine per socket drains a bounded
// queue, and a client whose queue is full is dropped, never waited on.
//
// The engine knows nothing of HTTP: it talks to sockets through the Socket
// interface, which gorilla/websocket and fasthttp/websocket connections
// both satisfy, and to other servers through a Bus.
package live

import (
	"github.com/circularfairict/portal/bus"

	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Socket is the part of a websocket connection the engine uses.
type Socket interface {
	ReadMessage() (messageType int, p []byte, err error)
	WriteMessage(messageType int, data []byte) error
	WriteControl(messageType int, data []byte, deadline time.Time) error
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
	SetReadLimit(limit int64)
	SetPongHandler(h func(appData string) error)
	Close() error
}

// Websocket message types and close codes (RFC 6455), as both libraries
// number them.
const (
	textMessage  = 1
	closeMessage = 8
	pingMessage  = 9
)

// Close codes the engine uses (4000-4999 are for applications).
const (
	CloseNormal    = 1000
	CloseGoingAway = 1001
	CloseRemoved   = 4001
	CloseForbidden = 4003
	CloseTooSlow   = 4008
	CloseRoomShut  = 4009
)

// Options configure an Engine; zero values take the defaults.
type Options struct {
	Store EventStore
	Bus   bus.Bus
	// Instance names this server on the bus; must differ between servers.
	Instance string
	// Info loads a workshop's schedule, agenda and prepared polls.
	Info   func(ctx context.Context, room string) (RoomInfo, error)
	Logger *slog.Logger
	Now    func() time.Time

	ReplayWindow int           // events kept for replay (default 512)
	SendQueue    int           // frames queued per client (default 1024, at least ReplayWindow+64)
	ReadLimit    int64         // bytes per client frame (default 16 KiB)
	RatePerSec   float64       // client frames per second (default 5)
	RateBurst    int           // burst above the rate (default 20)
	PingInterval time.Duration // default 25s
	PongWait     time.Duration // default 60s
	WriteWait    time.Duration // default 10s
	IdleTimeout  time.Duration // a room without clients stops after this (default 1m)
	Tick         time.Duration // presence flush and gap checks (default 200ms)
	GapWait      time.Duration // wait for a missing seq before fetching it (default 1s)
	Heartbeat    time.Duration // presence republished on the bus (default 10s)
	// PeoplePage is the number of people in a welcome or a people page
	// (default 50); PresenceLimit the room size above which only clients
	// that follow the list get who joins and leaves (default 100); the
	// others get the count at most every CountEvery (default 1s).
	PeoplePage    int
	PresenceLimit int
	CountEvery    time.Duration
	// ChatPage is the number of chat messages in a snapshot's history and
	// in a chat.history page (default 50).
	ChatPage int
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Bus == nil {
		o.Bus = bus.NewLocalBus()
	}
	if o.Instance == "" {
		o.Instance = randomKey()
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.ReplayWindow <= 0 {
		o.ReplayWindow = 512
	}
	if o.SendQueue <= 0 {
		o.SendQueue = 1024
	}
	// A reconnecting client gets the whole window at once.
	o.SendQueue = max(o.SendQueue, o.ReplayWindow+64)
	if o.ReadLimit <= 0 {
		o.ReadLimit = 16 << 10
	}
	if o.RatePerSec <= 0 {
		o.RatePerSec = 5
	}
	if o.RateBurst <= 0 {
		o.RateBurst = 20
	}
	def(&o.PingInterval, 25*time.Second)
	def(&o.PongWait, 60*time.Second)
	def(&o.WriteWait, 10*time.Second)
	def(&o.IdleTimeout, time.Minute)
	def(&o.Tick, 200*time.Millisecond)
	def(&o.GapWait, time.Second)
	def(&o.Heartbeat, 10*time.Second)
	def(&o.CountEvery, time.Second)
	if o.PeoplePage <= 0 {
		o.PeoplePage = 50
	}
	if o.PresenceLimit <= 0 {
		o.PresenceLimit = 100
	}
	if o.ChatPage <= 0 {
		o.ChatPage = 50
	}
}

// Engine runs the rooms of this server.
type Engine struct {
	o       Options
	dropped atomic.Int64 // clients disconnected for being too slow
	// writes, stored and largest describe the group commit (persister):
	// database writes of events, events in them, most in one write.
	writes, stored, largest atomic.Int64
	mu                      sync.Mutex
	rooms                   map[string]*room
	closed                  bool
	wg                      sync.WaitGroup
}

// New returns an engine; rooms start on first use.
func New(o Options) *Engine {
	o.defaults()
	return &Engine{o: o, rooms: map[string]*room{}}
}

// ErrClosed is returned once the engine is shutting down.
var ErrEngineClosed = errors.New("live: engine closed")

// acquire returns the running room, starting it if needed, and holds a
// reference so it cannot stop until release.
func (e *Engine) acquire(id string) (*room, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrEngineClosed
	}
	r := e.rooms[id]
	if r == nil {
		r = newRoom(e, id)
		e.rooms[id] = r
		e.wg.Add(1)
		go r.run()
	}
	r.refs++
	return r, nil
}

func (e *Engine) release(r *room) {
	e.mu.Lock()
	r.refs--
	e.mu.Unlock()
}

// tryStop removes an idle room; it reports whether the room may stop.
func (e *Engine) tryStop(r *room) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r.refs > 0 && !e.closed {
		return false
	}
	if e.rooms[r.id] == r {
		delete(e.rooms, r.id)
	}
	return true
}

// Close disconnects every client (close code 1001, so they reconnect
// elsewhere) and stops every room.
func (e *Engine) Close() {
	e.mu.Lock()
	e.closed = true
	rooms := make([]*room, 0, len(e.rooms))
	for _, r := range e.rooms {
		rooms = append(rooms, r)
	}
	e.mu.Unlock()
	for _, r := range rooms {
		r.shutdown()
	}
	e.wg.Wait()
}

// Serve runs one client's connection until it ends: it starts the
// client's writer goroutine and reads in the calling goroutine. lastSeq is
// the last event the client saw (negative: none, send a snapshot).
func (e *Engine) Serve(ctx context.Context, roomID string, p Person, sock Socket, lastSeq int64) error {
	return e.serve(ctx, roomID, p, sock, lastSeq, Guard{})
}

func (e *Engine) serve(ctx context.Context, roomID string, p Person, sock Socket, lastSeq int64, guard Guard) error {
	r, err := e.acquire(roomID)
	if err != nil {
		_ = sock.WriteControl(closeMessage, closeData(CloseGoingAway, string(ErrShutdown)), time.Now().Add(time.Second))
		_ = sock.Close()
		return err
	}
	defer e.release(r)
	c := newClient(e, r, p, sock)
	c.guard = guard
	if !r.send(join{c: c, lastSeq: lastSeq}) {
		c.closeNow(CloseGoingAway, ErrShutdown)
	}
	c.readLoop(ctx)
	r.send(leave{c: c})
	select {
	case <-c.done:
	case <-r.quit: // the room stopped: nobody else will close the queue now
		c.shut()
		<-c.done
	}
	return nil
}

// Do stores a command on behalf of someone outside any socket (the HTTP
// API's open and close) and returns its seq. Rights are the caller's job.
func (e *Engine) Do(ctx context.Context, roomID string, actor Person, typ string) (int64, error) {
	if typ != "room.open" && typ != "room.close" {
		return 0, errors.New("live: Do supports room.open and room.close")
	}
	ev := &Event{Room: roomID, Key: actor.ID + "/" + randomKey(), Type: typ, Actor: actor, Data: []byte("{}"), At: e.o.Now().UTC().Truncate(time.Millisecond)}
	stored, err := e.o.Store.Append(ctx, ev)
	if err != nil {
		if stored != nil && stored.Seq > 0 {
			e.publish(roomID, busMsg{Kind: "hole", Seq: stored.Seq})
		}
		return 0, err
	}
	e.publish(roomID, busMsg{Kind: "event", Event: stored})
	return stored.Seq, nil
}

func (e *Engine) publish(room string, m busMsg) {
	m.From = e.o.Instance
	if err := e.o.Bus.Publish(room, mustJSON(m)); err != nil {
		e.o.Logger.Warn("live: publish failed", "room", room, "err", err)
	}
}

// Status is a room's open state, as the workshop page shows it.
type Status struct {
	Open    string    // OpenAuto, OpenOpen or OpenClosed
	IsOpen  bool      // participants may enter now
	NotYet  bool      // shut only because the schedule has not begun
	MayWait bool      // participants may wait in its waiting room now
	OpensAt time.Time // when the schedule lets participants in
	err     error
}

// ErrUnavailableRoom: the room could not load its state.
var ErrUnavailableRoom = errors.New("live: room unavailable")

// Status reports whether a room is open, from its running state (starting
// the room if needed: it stops again after IdleTimeout without clients),
// so the page offers only the controls that apply and shows a room that
// is not open as such before anyone tries to enter.
func (e *Engine) Status(ctx context.Context, roomID string) (Status, error) {
	r, err := e.acquire(roomID)
	if err != nil {
		return Status{}, err
	}
	defer e.release(r)
	q := statusQuery{reply: make(chan Status, 1)}
	if !r.send(q) {
		return Status{}, ErrEngineClosed
	}
	select {
	case s := <-q.reply:
		return s, s.err
	case <-r.quit:
		return Status{}, ErrEngineClosed
	case <-ctx.Done():
		return Status{}, ctx.Err()
	}
}

// Stats reports what the engine holds, for metrics and the load tool.
type Stats struct {
	Rooms, Clients int
	Dropped        int64 // clients dropped for being slow: queue full or write deadline passed
	// EventWrites counts the database writes that stored commands and
	// EventsStored the commands they carried (refused ones too), so their
	// ratio is the mean batch of the group commit; LargestBatch is the
	// most commands one write carried.
	EventWrites, EventsStored, LargestBatch int64
}

// Stats counts rooms and clients.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Stats{Rooms: len(e.rooms), Dropped: e.dropped.Load(),
		EventWrites: e.writes.Load(), EventsStored: e.stored.Load(), LargestBatch: e.largest.Load()}
	for _, r := range e.rooms {
		s.Clients += r.refs
	}
	return s
}

// countWrite records one write of n commands for Stats.
func (e *Engine) countWrite(n int) {
	e.writes.Add(1)
	e.stored.Add(int64(n))
	for {
		l := e.largest.Load()
		if int64(n) <= l || e.largest.CompareAndSwap(l, int64(n)) {
			return
		}
	}
}
