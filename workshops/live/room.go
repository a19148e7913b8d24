package live

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"
)

// Messages to a room's goroutine.
type (
	join struct {
		c       *client
		lastSeq int64
	}
	leave   struct{ c *client }
	command struct {
		c *client
		f *inFrame
	}
	reply struct {
		c     *client
		frame []byte
	}
	fromBus struct{ m busMsg }
	// statusQuery asks for the room's open state (Engine.Status).
	statusQuery struct{ reply chan Status }
	ack         struct {
		c   *client
		key string
		seq int64
		dup bool
	}
	fetched struct {
		events   []*Event
		from, to int64
		err      error
	}
)

type persistJob struct {
	c    *client
	key  string
	typ  string
	data []byte
}

type remotePresence struct {
	people map[string]Person
	seen   time.Time
}

// room is one workshop's live room. Everything below is owned by run().
type room struct {
	e     *Engine
	id    string
	refs  int // guarded by e.mu
	inbox chan any
	quit  chan struct{}
	stop  chan struct{}

	st      *state
	loadErr error
	waiting int // clients in the waiting room (waiting.go)
	// ring[ringHead:] holds the frames of the last ReplayWindow events for
	// replay, oldest first. Frames leave at the head and the live part is
	// moved to the front only once the head has passed a window's length,
	// so keeping it costs no allocation and O(1) per event (copying the
	// window on every event was a fifth of the portal's allocations in the
	// breakout benchmark).
	ring     []frames
	ringHead int
	ringFrom int64 // lowest seq the ring still covers
	pending  map[int64]*Event
	holes    map[int64]bool
	gapSince time.Time
	gapTries int
	fetching bool

	clients  map[*client]struct{}
	byMember map[string]map[*client]struct{}
	remote   map[string]*remotePresence
	shown    map[string]Person // presence as last told to clients
	// sorted is shown in list order and firstJSON its first page encoded,
	// kept until shown changes: every welcome carries the first page, and
	// a join storm would otherwise sort and encode it once per joiner.
	sorted    []Person
	firstJSON []byte
	firstNext string
	// large is set once the room has had more than Options.PresenceLimit
	// people: from then on only followers get who joined and left, the
	// others the count (see docs/live-protocol.md).
	large     bool
	countSent int       // the count last sent to those who do not follow
	countAt   time.Time // when it was sent
	dirty     bool      // presence may have changed
	busDirty  bool      // our presence must be republished
	lastBeat  time.Time
	idleFrom  time.Time

	persist chan persistJob
}

func newRoom(e *Engine, id string) *room {
	return &room{e: e, id: id, inbox: make(chan any, 4096), quit: make(chan struct{}), stop: make(chan struct{}),
		pending: map[int64]*Event{}, holes: map[int64]bool{}, clients: map[*client]struct{}{},
		byMember: map[string]map[*client]struct{}{}, remote: map[string]*remotePresence{}, shown: map[string]Person{},
		ringFrom: 1, persist: make(chan persistJob, 256)}
}

// send delivers a message to the room goroutine unless it has stopped.
func (r *room) send(m any) bool {
	select {
	case r.inbox <- m:
		return true
	case <-r.quit:
		return false
	}
}

func (r *room) shutdown() {
	select {
	case r.stop <- struct{}{}:
	case <-r.quit:
	}
}

func (r *room) run() {
	defer r.e.wg.Done()
	o := &r.e.o
	// Our own presence comes back from the bus too; it is skipped before
	// decoding (its list can be thousands of people). busMsg encodes Kind
	// then From first.
	own := []byte(`{"k":"presence","f":` + string(mustJSON(o.Instance)) + `,`)
	unsub, err := o.Bus.Subscribe(r.id, func(b []byte) {
		if bytes.HasPrefix(b, own) {
			return
		}
		var m busMsg
		if json.Unmarshal(b, &m) == nil {
			r.send(fromBus{m})
		}
	})
	if err != nil {
		r.loadErr = err
	}
	if r.loadErr == nil {
		r.loadErr = r.load()
	}
	persistDone := make(chan struct{})
	go r.persister(persistDone)
	r.e.publish(r.id, busMsg{Kind: "query"})
	tick := time.NewTicker(o.Tick)
	r.idleFrom = o.Now()
	defer func() {
		tick.Stop()
		if unsub != nil {
			unsub()
		}
		r.drainInbox()
		for c := range r.clients {
			r.drop(c, CloseGoingAway, ErrShutdown)
		}
		close(r.quit) // from here on nobody touches the clients but Serve
		close(r.persist)
		<-persistDone
		for {
			select {
			case m := <-r.inbox:
				switch m := m.(type) {
				case join:
					m.c.closeNow(CloseGoingAway, ErrShutdown)
				case leave:
					m.c.shut()
				}
			default:
				return
			}
		}
	}()
	for {
		select {
		case m := <-r.inbox:
			r.handle(m)
		case <-tick.C:
			r.onTick()
			if len(r.clients) == 0 && o.Now().Sub(r.idleFrom) >= o.IdleTimeout && r.e.tryStop(r) {
				return
			}
		case <-r.stop:
			r.e.tryStop(r)
			if len(r.byMember) > 0 { // tell the other servers we are gone
				r.byMember = map[string]map[*client]struct{}{}
				r.publishPresence()
			}
			return
		}
	}
}

// drainInbox takes what is still queued when the room stops: joins are
// counted as clients so they are closed with the others.
func (r *room) drainInbox() {
	for {
		select {
		case m := <-r.inbox:
			switch m := m.(type) {
			case join:
				r.clients[m.c] = struct{}{}
			case leave:
				r.onLeave(m.c)
			}
		default:
			return
		}
	}
}

// load rebuilds the state from the database: the room survives restarts.
func (r *room) load() error {
	o := &r.e.o
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	info, err := o.Info(ctx, r.id)
	if err != nil {
		return err
	}
	r.st = newState(info)
	r.st.chatPage = o.ChatPage
	// Fresh and a copy: a breakout computed from the list last shown
	// would miss a member who reconnected within the tick; a random split
	// shuffles what it is given.
	r.st.present = func() []Person {
		now := r.presentNow()
		out := make([]Person, 0, len(now))
		for _, p := range now {
			out = append(out, p)
		}
		sort.Slice(out, func(i, j int) bool { return personLess(out[i], out[j]) })
		return out
	}
	evs, err := o.Store.Since(ctx, r.id, 0)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		r.applyOne(ev, false)
	}
	return nil
}

func (r *room) handle(m any) {
	switch m := m.(type) {
	case join:
		r.onJoin(m)
	case leave:
		r.onLeave(m.c)
	case command:
		if _, ok := r.clients[m.c]; ok {
			r.onCommand(m.c, m.f)
		}
	case reply:
		r.deliver(m.c, m.frame)
	case statusQuery:
		m.reply <- r.status()
	case ack:
		if _, ok := r.clients[m.c]; ok {
			r.deliver(m.c, mustJSON(map[string]any{"type": "ack", "key": m.key, "seq": m.seq, "duplicate": m.dup}))
		}
	case fromBus:
		r.onBus(m.m)
	case fetched:
		r.fetching = false
		if m.err != nil {
			return
		}
		have := map[int64]bool{}
		for _, ev := range m.events {
			have[ev.Seq] = true
			r.onEvent(ev)
		}
		r.gapTries++
		if r.gapTries >= 3 { // stored by nobody: a seq taken by a failed write
			for s := m.from; s <= m.to; s++ {
				if !have[s] && s > r.st.seq {
					r.holes[s] = true
				}
			}
			r.drainPending()
		}
	}
}

func (r *room) status() Status {
	if r.loadErr != nil || r.st == nil {
		return Status{err: ErrUnavailableRoom}
	}
	now := r.e.o.Now()
	return Status{Open: r.st.open, IsOpen: r.st.isOpen(now), NotYet: r.st.notYetOpen(now), MayWait: r.mayWait(now),
		OpensAt: r.st.info.StartsAt.Add(-r.st.info.EarlyEntry)}
}

// deliver queues a frame for one client without ever blocking: a client
// whose queue is full is disconnected and may reconnect with replay.
func (r *room) deliver(c *client, b []byte) {
	if c.closed {
		return
	}
	if !c.push(b) {
		r.e.dropped.Add(1)
		r.drop(c, CloseTooSlow, ErrSlow)
	}
}

// drop closes a client's queue; its writer then closes the socket.
func (r *room) drop(c *client, code int, why ErrorCode) {
	if c.closed {
		return
	}
	c.closed = true
	c.closeCode, c.closeWhy = code, why
	c.shut()
	r.forget(c)
}

func (r *room) forget(c *client) {
	if _, ok := r.clients[c]; !ok {
		return
	}
	if c.waiting {
		r.waiting--
	}
	delete(r.clients, c)
	if tabs := r.byMember[c.person.ID]; tabs != nil {
		delete(tabs, c)
		if len(tabs) == 0 {
			delete(r.byMember, c.person.ID)
			r.dirty, r.busDirty = true, true
		}
	}
	if len(r.clients) == 0 {
		r.idleFrom = r.e.o.Now()
	}
}

func (r *room) onLeave(c *client) {
	c.closed = true
	c.shut()
	r.forget(c)
}

func (r *room) onJoin(j join) {
	c := j.c
	o := &r.e.o
	if r.loadErr != nil || r.st == nil {
		c.closed = true
		c.closeNow(CloseGoingAway, ErrUnavailable)
		return
	}
	fac := c.person.Role == RoleFacilitator
	switch {
	case r.st.removed[c.person.ID]:
		r.refuse(c, CloseRemoved, ErrRemoved)
		return
	case !fac && !r.st.isOpen(o.Now()) && !r.mayWait(o.Now()):
		r.refuse(c, CloseRoomShut, r.st.closedCode(o.Now()))
		return
	}
	if !fac && !r.st.isOpen(o.Now()) {
		r.wait(c)
		return
	}
	r.clients[c] = struct{}{}
	c.follow, c.autoFollow = !r.large, !r.large
	if r.byMember[c.person.ID] == nil {
		r.byMember[c.person.ID] = map[*client]struct{}{}
		r.dirty, r.busDirty = true, true
	}
	r.byMember[c.person.ID][c] = struct{}{}

	replay := "none"
	var frames [][]byte
	switch {
	case j.lastSeq < 0 || j.lastSeq+1 < r.ringFrom:
		replay = "snapshot"
	case j.lastSeq < r.st.seq:
		replay = "events"
		for _, f := range r.ring[r.ringHead:] {
			if f.seq > j.lastSeq && r.receives(c, f) {
				frames = append(frames, f.to(c.person))
			}
		}
	}
	r.deliver(c, r.welcome(c, replay))
	if replay == "snapshot" {
		r.deliver(c, r.st.snapshot(c.person, o.Now()))
	}
	for _, f := range frames {
		r.deliver(c, f)
	}
}

// receives reports whether a client gets a frame: a breakout group's
// frames reach its members and the facilitators only. A client that must
// not see an event gets nothing for it; clients accept gaps in seqs.
func (r *room) receives(c *client, f frames) bool {
	if c.waiting {
		return f.waiting
	}
	return f.group == "" || c.person.Role == RoleFacilitator || r.st.breakouts.receives(c.person.ID, f.group)
}

func (r *room) refuse(c *client, code int, why ErrorCode) {
	c.closed = true
	c.closeCode, c.closeWhy = code, why
	c.push(errorFrame(why, ""))
	c.shut()
}

// welcome is the first frame a client gets: the count of people present
// and the first page of the list (facilitators first, then by name), with
// the joiner in it if it belongs there and the list does not have them yet
// (it is refreshed at the next tick).
func (r *room) welcome(c *client, replay string) []byte {
	p := c.person
	list := r.list()
	count := len(list)
	pageJSON, next := r.firstPage()
	if _, ok := r.shown[p.ID]; !ok {
		count++
		i := sort.Search(len(list), func(i int) bool { return !personLess(list[i], p) })
		if size := r.e.o.PeoplePage; i < size {
			page := make([]Person, 0, min(size, len(list)+1))
			page = append(page, list[:i]...)
			page = append(page, p)
			page = append(page, list[i:min(len(list), size-1)]...)
			pageJSON, next = mustJSON(page), ""
			if count > size {
				next = cursorOf(page[len(page)-1])
			}
		} else if next == "" { // the list fits its page, the joiner comes after it
			next = cursorOf(list[len(list)-1])
		}
	}
	return withPeople(pageJSON, map[string]any{"type": "welcome", "you": p, "room_seq": r.st.seq, "replay": replay,
		"reactions": Reactions, "count": count, "next": next, "following": c.follow})
}

// withPeople encodes fields with a page of people already encoded.
func withPeople(page []byte, fields map[string]any) []byte {
	rest := mustJSON(fields)
	b := make([]byte, 0, len(rest)+len(page)+16)
	b = append(b, `{"people":`...)
	b = append(b, page...)
	b = append(b, ',')
	return append(b, rest[1:]...)
}

// list is the presence list (deduplicated by member, across tabs and
// servers) in list order, sorted once per change.
func (r *room) list() []Person {
	if r.sorted == nil {
		out := make([]Person, 0, len(r.shown))
		for _, p := range r.shown {
			out = append(out, p)
		}
		sort.Slice(out, func(i, j int) bool { return personLess(out[i], out[j]) })
		r.sorted = out
	}
	return r.sorted
}

// firstPage is the list's first page, encoded, and the cursor after it.
func (r *room) firstPage() ([]byte, string) {
	if r.firstJSON == nil {
		page, next := r.page("")
		r.firstJSON, r.firstNext = mustJSON(page), next
	}
	return r.firstJSON, r.firstNext
}

// page returns up to Options.PeoplePage people after a cursor ("" for the
// start) and the cursor of the next page ("" when this one is the last).
func (r *room) page(after string) ([]Person, string) {
	list := r.list()
	i := 0
	if k, ok := parseCursor(after); ok {
		i = sort.Search(len(list), func(i int) bool { return personLess(k, list[i]) })
	}
	page := list[i:min(len(list), i+r.e.o.PeoplePage)]
	if i+len(page) >= len(list) || len(page) == 0 {
		return page, ""
	}
	return page, cursorOf(page[len(page)-1])
}

// personLess is the list order: facilitators first, then by name, then by
// ID (names repeat). Clients that keep part of the list use the same order
// (plain code-unit comparison) to place people who join.
func personLess(a, b Person) bool {
	if (a.Role == RoleFacilitator) != (b.Role == RoleFacilitator) {
		return a.Role == RoleFacilitator
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.ID < b.ID
}

// A cursor is the sort key of the last person of a page, so the next page
// starts after it even when people joined or left in between.
func cursorOf(p Person) string {
	role := "p"
	if p.Role == RoleFacilitator {
		role = "f"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(role + "\x00" + p.Name + "\x00" + p.ID))
}

func parseCursor(s string) (Person, bool) {
	if s == "" || len(s) > 1024 {
		return Person{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Person{}, false
	}
	f := strings.SplitN(string(b), "\x00", 3)
	if len(f) != 3 {
		return Person{}, false
	}
	p := Person{Name: f[1], ID: f[2], Role: RoleParticipant}
	if f[0] == "f" {
		p.Role = RoleFacilitator
	}
	return p, true
}

// onPeople answers a `people` request with a page of the list, and starts
// or stops sending the client who joins and leaves.
func (r *room) onPeople(c *client, f *inFrame) {
	if f.Follow != nil {
		c.follow, c.autoFollow = *f.Follow, false
	}
	page, next := r.page(f.After)
	r.deliver(c, mustJSON(map[string]any{"type": "people", "after": f.After, "people": page, "next": next,
		"count": len(r.shown), "following": c.follow}))
}

// onChatHistory answers a chat.history request with the page of chat
// messages before a seq that the member may read (their audiences only:
// checked here, against the room's state, like every frame).
func (r *room) onChatHistory(c *client, f *inFrame) {
	before := f.Before
	if before <= 0 || before > r.st.seq+1 {
		before = r.st.seq + 1
	}
	msgs, more := r.st.chatBefore(c.person, before)
	r.deliver(c, mustJSON(map[string]any{"type": "chat.history", "before": f.Before, "messages": msgs, "more": more}))
}

func (r *room) onCommand(c *client, f *inFrame) {
	o := &r.e.o
	fac := c.person.Role == RoleFacilitator
	// Rights are checked on every frame, against the state of now.
	switch {
	case r.st.removed[c.person.ID]:
		r.drop(c, CloseRemoved, ErrRemoved)
		return
	case c.waiting && !waitingMay(f.Type, r.st.info.WaitingChat):
		r.deliver(c, errorFrame(ErrNotOpen, f.Key))
		return
	case !fac && !c.waiting && !r.st.isOpen(o.Now()):
		r.deliver(c, errorFrame(r.st.closedCode(o.Now()), f.Key))
		return
	case (facilitatorOnly[f.Type] || tools[f.Type] != nil && tools[f.Type].facilitator) && !fac:
		r.deliver(c, errorFrame(ErrForbidden, f.Key))
		return
	}
	if f.Type == "people" {
		r.onPeople(c, f)
		return
	}
	if f.Type == "chat.history" {
		r.onChatHistory(c, f)
		return
	}
	if f.Type == "react" {
		ok := false
		for _, e := range Reactions {
			ok = ok || e == f.Reaction
		}
		if !ok {
			r.deliver(c, errorFrame(ErrInvalid, f.Key))
			return
		}
		frame := mustJSON(map[string]any{"type": "reaction", "reaction": f.Reaction, "from": c.person})
		r.e.publish(r.id, busMsg{Kind: "react", Reaction: frame})
		return
	}
	t := tools[f.Type]
	if !durableTypes[f.Type] && t == nil {
		r.deliver(c, errorFrame(ErrBadFrame, f.Key))
		return
	}
	data, code := parseCommand(f)
	if code == "" && t != nil && t.check != nil {
		r.st.now = o.Now()
		code = t.check(r.st, c.person, data)
	}
	if code != "" {
		r.deliver(c, errorFrame(code, f.Key))
		return
	}
	if f.Type == "chat" && r.st.muted && !fac {
		r.deliver(c, errorFrame(ErrMuted, f.Key))
		return
	}
	if f.Type == "vote" {
		p := r.st.poll(f.Poll)
		if p == nil || p.State != PollOpen || !validVote(p, f.Choices) {
			r.deliver(c, errorFrame(ErrInvalid, f.Key))
			return
		}
	}
	if f.Type == "remove" && f.Member == c.person.ID {
		r.deliver(c, errorFrame(ErrInvalid, f.Key))
		return
	}
	key := f.Key
	if key == "" {
		key = randomKey()
	}
	select {
	case r.persist <- persistJob{c: c, key: key, typ: f.Type, data: mustJSON(data)}:
	default:
		r.deliver(c, errorFrame(ErrUnavailable, f.Key))
	}
}

// batchStore is an EventStore that can store a burst of a room's events
// in one write (MongoStore can).
type batchStore interface {
	AppendMany(ctx context.Context, evs []*Event) ([]*Event, []error)
}

// maxBatch bounds the commands stored in one write.
const maxBatch = 64

// persister stores commands in arrival order, so one client's commands
// keep their order, then publishes them; the room applies them when they
// come back from the bus, in seq order, whichever server stored them.
// Commands that queued up while a write was running are stored together.
func (r *room) persister(done chan struct{}) {
	defer close(done)
	o := &r.e.o
	bs, _ := o.Store.(batchStore)
	jobs := make([]persistJob, 0, maxBatch)
	evs := make([]*Event, 0, maxBatch)
	for j := range r.persist {
		jobs = append(jobs[:0], j)
	more:
		for bs != nil && len(jobs) < maxBatch {
			select {
			case j, ok := <-r.persist:
				if !ok {
					break more
				}
				jobs = append(jobs, j)
			default:
				break more
			}
		}
		evs = evs[:0]
		// The database keeps milliseconds: an event applied live, from the
		// bus, must carry the time it has when rebuilt after a restart, or
		// a rule decided by time (a board's voting end) could differ.
		now := o.Now().UTC().Truncate(time.Millisecond)
		for _, j := range jobs {
			evs = append(evs, &Event{Room: r.id, Key: j.c.person.ID + "/" + j.key, Type: j.typ, Actor: j.c.person, Data: j.data, At: now})
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var stored []*Event
		var errs []error
		if len(evs) > 1 {
			stored, errs = bs.AppendMany(ctx, evs)
		} else {
			ev, err := o.Store.Append(ctx, evs[0])
			stored, errs = []*Event{ev}, []error{err}
		}
		cancel()
		r.e.countWrite(len(evs))
		for i, j := range jobs {
			r.stored(j, stored[i], errs[i])
		}
	}
}

// stored publishes a stored event and answers its sender.
func (r *room) stored(j persistJob, ev *Event, err error) {
	switch {
	case errors.Is(err, ErrDuplicate):
		r.send(ack{c: j.c, key: j.key, seq: ev.Seq, dup: true})
	case err != nil:
		r.e.o.Logger.Warn("live: store event failed", "room", r.id, "err", err)
		if ev != nil && ev.Seq > 0 {
			r.e.publish(r.id, busMsg{Kind: "hole", Seq: ev.Seq})
		}
		r.send(reply{c: j.c, frame: errorFrame(ErrUnavailable, j.key)})
	default:
		r.e.publish(r.id, busMsg{Kind: "event", Event: ev})
		r.send(ack{c: j.c, key: j.key, seq: ev.Seq})
	}
}

func (r *room) onBus(m busMsg) {
	switch m.Kind {
	case "event":
		if m.Event != nil {
			r.onEvent(m.Event)
		}
	case "hole":
		if m.Seq > r.st.seq {
			r.holes[m.Seq] = true
			r.drainPending()
		}
	case "react":
		for c := range r.clients {
			r.deliver(c, m.Reaction)
		}
	case "query":
		if m.From != r.e.o.Instance {
			r.busDirty = true
		}
	case "presence":
		if m.From == r.e.o.Instance {
			return
		}
		rp := &remotePresence{people: map[string]Person{}, seen: r.e.o.Now()}
		for _, p := range m.People {
			rp.people[p.ID] = p
		}
		if len(rp.people) == 0 {
			delete(r.remote, m.From)
		} else {
			r.remote[m.From] = rp
		}
		r.dirty = true
	}
}

// onEvent puts an event in order; events apply strictly by seq.
func (r *room) onEvent(ev *Event) {
	if r.st == nil || ev.Seq <= r.st.seq {
		return // already applied (our own event came back, or a refetch)
	}
	r.pending[ev.Seq] = ev
	r.drainPending()
}

func (r *room) drainPending() {
	for {
		next := r.st.seq + 1
		if ev, ok := r.pending[next]; ok {
			delete(r.pending, next)
			r.applyOne(ev, true)
			continue
		}
		if r.holes[next] {
			delete(r.holes, next)
			r.st.seq = next
			continue
		}
		break
	}
	if len(r.pending) == 0 {
		r.gapSince, r.gapTries = time.Time{}, 0
	} else if r.gapSince.IsZero() {
		r.gapSince = r.e.o.Now()
	}
}

// applyOne applies an event, keeps its frames for replay and, live,
// broadcasts them: each frame is encoded once for all its receivers.
func (r *room) applyOne(ev *Event, live bool) {
	f := noopFrame(ev.Seq)
	if r.st.apply(ev) {
		f = r.st.render(ev)
	}
	r.keep(f)
	if !live {
		return
	}
	for c := range r.clients {
		if r.receives(c, f) {
			r.deliver(c, f.to(c.person))
		}
	}
	switch ev.Type {
	case "remove":
		var d memberData
		_ = json.Unmarshal(ev.Data, &d)
		for c := range r.byMember[d.Member] {
			r.drop(c, CloseRemoved, ErrRemoved)
		}
	case "room.close":
		for c := range r.clients {
			if c.person.Role != RoleFacilitator {
				r.drop(c, CloseRoomShut, ErrClosed)
			}
		}
	case "room.open":
		r.letIn()
	}
}

// keep adds an event's frames to the replay ring, dropping the oldest past
// ReplayWindow.
func (r *room) keep(f frames) {
	r.ring = append(r.ring, f)
	window := r.e.o.ReplayWindow
	over := len(r.ring) - r.ringHead - window
	if over <= 0 {
		return
	}
	r.ringFrom = r.ring[r.ringHead+over-1].seq + 1
	clear(r.ring[r.ringHead : r.ringHead+over]) // their bytes may go
	r.ringHead += over
	if r.ringHead >= window {
		n := copy(r.ring, r.ring[r.ringHead:])
		clear(r.ring[n:])
		r.ring, r.ringHead = r.ring[:n], 0
	}
}

func (r *room) onTick() {
	o := &r.e.o
	now := o.Now()
	// Missing seqs: another server's event still in flight, a message
	// NATS dropped, or a seq taken by a failed write. Fetch, then skip.
	if len(r.pending) > 0 && !r.fetching && now.Sub(r.gapSince) >= o.GapWait {
		lo, hi := r.st.seq+1, int64(-1)
		for s := range r.pending {
			if hi < 0 || s < hi {
				hi = s
			}
		}
		hi--
		r.fetching = true
		r.gapSince = now
		go func(from, to int64) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			evs, err := o.Store.Range(ctx, r.id, from, to)
			r.send(fetched{events: evs, from: from, to: to, err: err})
		}(lo, hi)
	}
	for id, rp := range r.remote {
		if now.Sub(rp.seen) > 3*o.Heartbeat+time.Second {
			delete(r.remote, id)
			r.dirty = true
		}
	}
	// Our list goes on the bus whole (other servers merge it), so a join
	// storm republishes it at most every CountEvery, not every tick: each
	// copy costs O(people) to encode and to decode on every server.
	if r.busDirty && now.Sub(r.lastBeat) >= o.CountEvery || now.Sub(r.lastBeat) >= o.Heartbeat {
		r.publishPresence()
	}
	if r.waiting > 0 && r.st.isOpen(now) {
		r.letIn() // the schedule opened it
	}
	if r.dirty {
		r.flushPresence()
	}
}

func (r *room) publishPresence() {
	r.busDirty = false
	r.lastBeat = r.e.o.Now()
	people := make([]Person, 0, len(r.byMember))
	for _, tabs := range r.byMember {
		for c := range tabs {
			people = append(people, c.person)
			break
		}
	}
	r.e.publish(r.id, busMsg{Kind: "presence", People: people})
}

// presentNow is who is in the room at this moment, on this server and on
// the others: the tabs connected now, not the list last told to clients,
// which lags by up to a tick (a member who reloads is briefly absent from it).
func (r *room) presentNow() map[string]Person {
	now := map[string]Person{}
	for id, tabs := range r.byMember {
		for c := range tabs {
			now[id] = c.person
			break
		}
	}
	for _, rp := range r.remote {
		for id, p := range rp.people {
			if _, ok := now[id]; !ok {
				now[id] = p
			}
		}
	}
	return now
}

// flushPresence tells clients who joined and left since the last tick, in
// one frame: the whole list is never resent. Once the room is large, only
// followers get the changes; everyone else gets the count, at most every
// Options.CountEvery.
func (r *room) flushPresence() {
	o := &r.e.o
	r.dirty = false
	now := r.presentNow()
	var joined []Person
	var left []string
	for id, p := range now {
		if _, ok := r.shown[id]; !ok {
			joined = append(joined, p)
		}
	}
	for id := range r.shown {
		if _, ok := now[id]; !ok {
			left = append(left, id)
		}
	}
	if len(joined) > 0 || len(left) > 0 {
		r.shown = now
		r.sorted, r.firstJSON = nil, nil
		sort.Slice(joined, func(i, j int) bool { return joined[i].ID < joined[j].ID })
		sort.Strings(left)
		if joined == nil {
			joined = []Person{}
		}
		if left == nil {
			left = []string{}
		}
		if len(now) > o.PresenceLimit && !r.large {
			r.becomeLarge()
		}
		frame := mustJSON(map[string]any{"type": "presence", "joined": joined, "left": left, "count": len(now)})
		for c := range r.clients {
			if c.follow {
				r.deliver(c, frame)
			}
		}
	}
	// Those who do not follow (everyone who joined a large room, or who
	// asked not to) still see the count move.
	if r.countSent != len(now) {
		if t := o.Now(); t.Sub(r.countAt) >= o.CountEvery {
			r.countSent, r.countAt = len(now), t
			frame := mustJSON(map[string]any{"type": "presence", "count": len(now)})
			for c := range r.clients {
				if !c.follow {
					r.deliver(c, frame)
				}
			}
		} else {
			r.dirty = true // the count goes out at a later tick
		}
	}
}

// becomeLarge stops the changes to clients that followed only because the
// room was small: they get the first page and its cursor instead, the same
// as anyone who joins from now on.
func (r *room) becomeLarge() {
	r.large = true
	var frame []byte
	for c := range r.clients {
		if !c.autoFollow {
			continue
		}
		if frame == nil {
			page, next := r.firstPage()
			frame = withPeople(page, map[string]any{"type": "presence", "count": len(r.shown), "next": next, "following": false})
		}
		c.follow, c.autoFollow = false, false
		r.deliver(c, frame)
	}
	r.countSent, r.countAt = len(r.shown), r.e.o.Now()
}
