package server

import (
	"github.com/circularfairict/portal/bus"

	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// connections is the one place that decides which open long-lived
// connections (live room sockets, discussion streams) a change of rights
// ends. The adapters register every connection they accept with what it
// rests on: its member, its credential, its kind and the object it is bound
// to. Handlers that end a right call end (the right is certainly gone:
// token revoked, session ended, member deactivated or deleted) or recheck
// (it may be gone: removed from a group, role lowered, an object's audience
// changed), and the matching connections close at once.
//
// Each call is also published on the bus, so the other servers close their
// own connections at once. A change that bypassed the calls (made in the
// database directly, or whose bus message was lost) is found by the
// connection itself: before a room acts on a frame and before a stream
// delivers an event, the connection calls allowed, which re-evaluates its
// rights against the database when its last check is over recheckEvery old,
// and refreshes it in the background, off the frame's path, before that
// (see allowedWithin and docs/architecture.md).
type connections struct {
	mu    sync.Mutex
	next  int
	conns map[int]*liveConn
	// hearEvery and actEvery (recheckEvery), as fields so that tests may
	// shorten them (under mu)
	hearEvery, actEvery time.Duration
	// the bus to the other servers (nil: this server alone; see attach)
	bus      bus.Bus
	log      *slog.Logger
	instance string
	// facts are what every socket of a room re-checks alike (its
	// workshop and group), read once for all of them.
	facts sharedFacts
	// standing counts the end and recheck calls (this server's and those
	// heard on the bus): a connection's copy of its member read before the
	// latest is not reused (credentialMember).
	standing atomic.Uint64
	// memberEvery (the const), as a field so that tests may shorten it
	// (under mu)
	memberEvery time.Duration
	// ahead holds a slot for each check ahead under way (aheadChecks):
	// they have half the bound to spare, and run one after another rather
	// than all at once beside the room's own work (see aheadChecks).
	ahead chan struct{}
}

// aheadChecks bounds the checks ahead that run at once on this server.
// A check is two lookups by _id, which on the embedded database cost about
// as much CPU as storing an event. When many sockets of a room fall due
// together, running their checks side by side took both cores from the
// durable inserts and the broadcasts, for answers that still had half the
// bound to spare. Taking turns, they keep up with several hundred checks a
// second. A check waiting for its turn only matters if the answer runs out
// meanwhile: a frame then waits for that check, as it would have waited
// for its own. A frame past the bound with no check under way checks at
// once, without a turn.
const aheadChecks = 1

// recheckEvery bounds how long a connection trusts its last check before
// a room acts on one of its frames or a stream delivers an event: a change
// of rights that bypassed the close calls (made in the database directly,
// or whose bus message was lost) is enforced there within it on every
// replica. Once a check is half this old, the next frame or event starts a
// fresh one in the background (or, for a steady sender, schedules it just
// before the bound: scheduleRenewal) and goes on with the current answer,
// so a socket that sends at least once per recheckEvery never waits for
// the database, at the cost of one check per frame at most (three seconds
// rather than one: a member typing into shared notes or voting sends a
// frame every two or three seconds, and with one second every such frame
// waited for two lookups; docs/security.md argues the bound).
const recheckEvery = 3 * time.Second

// factsEvery bounds the reuse of the facts a room's sockets share
// (sharedFacts), so that a check resting on them is at most this old when
// made, and its answer lasts nearly the whole recheckEvery.
const factsEvery = recheckEvery / 6

// hearEvery bounds it before a room socket is sent what others say. A
// check costs four lookups by _id (2.9 ms on the embedded database on a
// busy two-core machine), and a room of 1,000 listeners re-checked every
// second would spend more than a core on it; listeners are ended at once
// by the close calls (on every server, through the bus), and this is the
// backstop for a change that bypassed them (made in the database
// directly, or a bus message lost).
const hearEvery = 30 * time.Second

type connKind uint8

const (
	connRoom   connKind = iota + 1 // a workshop's live room socket
	connStream                     // a discussion live stream
)

// connInfo is what a connection rests on, for matching right-ending events.
type connInfo struct {
	Member     string
	Credential auth.Credential
	Kind       connKind
	Workshop   string // the room's workshop (room sockets)
	Thread     string // the thread followed (streams), if any
	Group      string // the group the workshop or thread belongs to, if any
}

// liveConn is one registered connection.
type liveConn struct {
	cs    *connections
	id    int
	info  connInfo
	close func()
	// check re-evaluates the connection's rights against current state;
	// use: on behalf of a frame the member sent (a use of the session). It
	// returns when the oldest fact it used was read (zero: now), since a
	// check may rest on facts shared with other connections (sharedFacts).
	check func(ctx context.Context, use bool) (bool, time.Time)
	timer *time.Timer // closes the connection when its credential expires

	hearEvery, actEvery time.Duration
	mu                  sync.Mutex
	checkedAt           time.Time // of the last check passed; zero: check now
	ended               bool
	// gen counts recheck calls: a check that started before one may have
	// read the state before the change, so its pass does not count.
	gen uint64
	// checking is closed when the check under way ends (nil: none), so a
	// connection checks once at a time, in the background or not.
	checking chan struct{}
	// usedAt is when the member last sent a frame (zero: none yet; the
	// handshake tells nothing of how often they will);
	// renew is the check ahead scheduled for a steady sender (nil: none),
	// and removed stops it once the connection is gone.
	usedAt  time.Time
	renew   *time.Timer
	removed bool
}

// renewLead is how long before the bound runs out a steady sender's check
// ahead starts (scheduleRenewal): time enough for two lookups, and a wait
// for its turn (aheadChecks), on a loaded machine; 0.5 s of three.
func renewLead(reuse time.Duration) time.Duration { return reuse / 6 }

func newConnections() *connections {
	return &connections{conns: map[int]*liveConn{}, hearEvery: hearEvery, actEvery: recheckEvery,
		memberEvery: memberEvery, ahead: make(chan struct{}, aheadChecks)}
}

// add registers a connection. closeFn ends it from outside (any goroutine);
// check re-evaluates its rights and may take up to a few database reads.
// The returned connection's remove unregisters it when it ends by itself.
func (cs *connections) add(info connInfo, check func(ctx context.Context, use bool) (bool, time.Time), closeFn func()) *liveConn {
	// The rights were checked just now, by the handler that accepted it.
	lc := &liveConn{cs: cs, info: info, close: closeFn, check: check, checkedAt: time.Now()}
	cs.mu.Lock()
	lc.hearEvery, lc.actEvery = cs.hearEvery, cs.actEvery
	cs.next++
	lc.id = cs.next
	cs.conns[lc.id] = lc
	cs.mu.Unlock()
	if exp := info.Credential.ExpiresAt; !exp.IsZero() {
		// An expired credential ends the connection even if it never
		// sends a frame or receives an event again.
		lc.timer = time.AfterFunc(time.Until(exp), func() { cs.closeConn(lc) })
	}
	return lc
}

// remove unregisters the connection.
func (lc *liveConn) remove() {
	if lc.timer != nil {
		lc.timer.Stop()
	}
	lc.mu.Lock()
	lc.removed = true
	if lc.renew != nil {
		lc.renew.Stop()
		lc.renew = nil
	}
	lc.mu.Unlock()
	lc.cs.mu.Lock()
	delete(lc.cs.conns, lc.id)
	lc.cs.mu.Unlock()
}

// allowed reports whether the connection's rights still hold: the last
// answer if it is under recheckEvery old, else a fresh check. Once refused,
// always refused. Called before a stream delivers an event, never from a
// room's goroutine.
func (lc *liveConn) allowed() bool { return lc.allowedWithin(lc.actEvery, false) }

// acting is allowed before a room acts on a frame the member sent, which
// is a use of their session.
func (lc *liveConn) acting() bool { return lc.allowedWithin(lc.actEvery, true) }

// deliverable is allowed before a room socket is sent what others do,
// with the longer reuse of hearEvery.
func (lc *liveConn) deliverable() bool { return lc.allowedWithin(lc.hearEvery, false) }

// allowedWithin answers from the last check if it is under reuse old, and
// renews it in the background before it runs out: a steady sender's frame
// schedules the check for renewLead before then, any other call starts it
// once the answer is half reuse old. Past reuse it waits for a fresh check
// (the one under way, if any). No answer is ever used past reuse.
func (lc *liveConn) allowedWithin(reuse time.Duration, use bool) bool {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	for {
		now := time.Now()
		switch {
		case lc.ended:
			return false
		case !lc.info.Credential.ExpiresAt.IsZero() && !now.Before(lc.info.Credential.ExpiresAt):
			lc.ended = true
			return false
		case !lc.checkedAt.IsZero() && now.Sub(lc.checkedAt) < reuse:
			steady := use && !lc.usedAt.IsZero() && now.Sub(lc.usedAt) < reuse
			if use {
				lc.usedAt = now
			}
			switch {
			case lc.checking != nil || lc.renew != nil:
				// a renewal is already on its way
			case steady:
				lc.scheduleRenewal(reuse)
			case now.Sub(lc.checkedAt) >= reuse/2:
				lc.checkAhead(use)
			}
			return true
		case lc.checking != nil:
			// A check is under way (perhaps started ahead): its answer
			// is the fresh one.
			done := lc.checking
			lc.mu.Unlock()
			<-done
			lc.mu.Lock()
		default:
			if use {
				lc.usedAt = now
			}
			run := lc.startCheck()
			lc.mu.Unlock()
			ok := lc.runCheck(run, use)
			lc.mu.Lock()
			// Its own fresh pass is the answer, even if it rests on a
			// fact older than reuse (a shorter reuse than the facts').
			if ok && lc.gen == run.gen && !lc.ended {
				return true
			}
		}
	}
}

// checkAhead starts a check in the background, to renew an answer still
// within its bound; mu is held.
func (lc *liveConn) checkAhead(use bool) {
	done := lc.startCheck()
	go func() {
		// The answer counts from startCheck, before the wait for a turn:
		// never younger than it is.
		lc.cs.ahead <- struct{}{}
		ok := lc.runCheck(done, use)
		<-lc.cs.ahead
		if !ok {
			lc.cs.closeConn(lc) // found in the background: end it now
		}
	}()
}

// scheduleRenewal renews a steady sender's answer renewLead before it runs
// out, rather than on the first frame past half the bound: a member who
// sends every two seconds then costs a check every 2.5 s instead of one
// per frame, and one faster still no more, while no frame of theirs waits.
// A sender who stops costs at most this one check more. mu is held.
func (lc *liveConn) scheduleRenewal(reuse time.Duration) {
	var fire func()
	arm := func() {
		d := time.Until(lc.checkedAt.Add(reuse - renewLead(reuse)))
		if lc.checkedAt.IsZero() {
			d = 0
		}
		lc.renew = time.AfterFunc(max(d, 0), fire)
	}
	fire = func() {
		lc.mu.Lock()
		defer lc.mu.Unlock()
		lc.renew = nil
		switch {
		case lc.removed || lc.ended || lc.checking != nil:
		case !lc.checkedAt.IsZero() && time.Until(lc.checkedAt.Add(reuse-renewLead(reuse))) > 0:
			arm() // renewed meanwhile (a recheck call): keep to the new answer
		default:
			lc.checkAhead(true)
		}
	}
	arm()
}

// checkRun is a check under way: when and under which gen it started.
type checkRun struct {
	done chan struct{}
	at   time.Time
	gen  uint64
}

// startCheck marks a check under way; mu is held.
func (lc *liveConn) startCheck() checkRun {
	lc.checking = make(chan struct{})
	return checkRun{done: lc.checking, at: time.Now(), gen: lc.gen}
}

// runCheck runs the check started with startCheck, without mu, records its
// answer and reports it.
func (lc *liveConn) runCheck(r checkRun, use bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	ok, asOf := lc.check(ctx, use)
	cancel()
	lc.mu.Lock()
	defer lc.mu.Unlock()
	lc.checking = nil
	close(r.done)
	if !ok {
		lc.ended = true
		return false
	}
	// A recheck call made meanwhile asks for a check that started after
	// it; this one may have read the state before the change.
	if lc.gen != r.gen {
		return true
	}
	// The answer is as old as the oldest fact it rests on, so reusing it
	// for reuse never stretches how stale a fact may be.
	lc.checkedAt = r.at
	if !asOf.IsZero() && asOf.Before(r.at) {
		lc.checkedAt = asOf
	}
	return true
}

// closeConn marks a connection ended and closes it; its owner unregisters
// it when its goroutines notice.
func (cs *connections) closeConn(lc *liveConn) {
	lc.mu.Lock()
	lc.ended = true
	lc.mu.Unlock()
	lc.close()
}

// connSelector picks the connections a change of rights concerns: every
// field that is set must match. It travels on the bus, so it is data, not
// a function.
type connSelector struct {
	Member  string `json:"m,omitempty"`
	Session string `json:"s,omitempty"` // opened with this session
	// KeepSession: opened with a session other than this one ("end other
	// sessions"); token connections do not match.
	KeepSession string   `json:"ks,omitempty"`
	Token       string   `json:"t,omitempty"`
	Kind        connKind `json:"k,omitempty"`
	Workshop    string   `json:"w,omitempty"`
	Thread      string   `json:"th,omitempty"`
	Group       string   `json:"g,omitempty"`
}

func (sel connSelector) matches(i connInfo) bool {
	if sel == (connSelector{}) {
		return false // never everyone by mistake
	}
	return (sel.Member == "" || i.Member == sel.Member) &&
		(sel.Session == "" || i.Credential.Session == sel.Session) &&
		(sel.KeepSession == "" || i.Credential.Session != "" && i.Credential.Session != sel.KeepSession) &&
		(sel.Token == "" || i.Credential.Token == sel.Token) &&
		(sel.Kind == 0 || i.Kind == sel.Kind) &&
		(sel.Workshop == "" || i.Workshop == sel.Workshop) &&
		(sel.Thread == "" || i.Thread == sel.Thread) &&
		(sel.Group == "" || i.Group == sel.Group)
}

// matching returns the registered connections sel picks.
func (cs *connections) matching(sel connSelector) []*liveConn {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var out []*liveConn
	for _, lc := range cs.conns {
		if sel.matches(lc.info) {
			out = append(out, lc)
		}
	}
	return out
}

// end closes, on this server and (through the bus) on every other, the
// connections sel picks, and reports how many were closed here.
func (cs *connections) end(sel connSelector) int {
	cs.broadcast(rightsMsg{Op: "end", Sel: sel})
	return cs.endLocal(sel)
}

func (cs *connections) endLocal(sel connSelector) int {
	cs.standing.Add(1)
	cs.facts.forget()
	list := cs.matching(sel)
	for _, lc := range list {
		cs.closeConn(lc)
	}
	return len(list)
}

// recheck re-evaluates now, in the background, on this server and every
// other, the rights of the connections sel picks, and closes those that
// lost them. For changes that end some connections' rights but not
// others' (a member removed from a group may still facilitate its
// workshop; a lowered role may still see the thread).
func (cs *connections) recheck(sel connSelector) {
	cs.broadcast(rightsMsg{Op: "recheck", Sel: sel})
	cs.recheckLocal(sel)
}

func (cs *connections) recheckLocal(sel connSelector) {
	cs.standing.Add(1)
	cs.facts.forget()
	list := cs.matching(sel)
	if len(list) == 0 {
		return
	}
	for _, lc := range list {
		lc.mu.Lock()
		lc.checkedAt = time.Time{}
		lc.gen++
		lc.mu.Unlock()
	}
	go func() {
		for _, lc := range list {
			if !lc.allowedWithin(lc.actEvery, false) {
				cs.closeConn(lc)
			}
		}
	}()
}

// rightsMsg is a change of rights as other servers hear it.
type rightsMsg struct {
	From string       `json:"from"`
	Op   string       `json:"op"` // end, recheck
	Sel  connSelector `json:"sel"`
}

// rightsTopic is the bus topic of rightsMsg.
const rightsTopic = "rights"

// attach lets the registry hear, and tell, the other servers on the bus
// about changes of rights, so that a change made through one server ends
// the connections held by all of them at once. A message lost on the way
// (NATS delivers at most once) is made up for by each connection's own
// re-check before its next frame or delivery.
func (cs *connections) attach(bus bus.Bus, log *slog.Logger) error {
	cs.bus, cs.log, cs.instance = bus, log, newRequestID()
	_, err := bus.Subscribe(rightsTopic, func(b []byte) {
		var m rightsMsg
		if json.Unmarshal(b, &m) != nil || m.From == cs.instance {
			return
		}
		switch m.Op {
		case "end":
			cs.endLocal(m.Sel)
		case "recheck":
			cs.recheckLocal(m.Sel)
		}
	})
	return err
}

func (cs *connections) broadcast(m rightsMsg) {
	if cs.bus == nil {
		return
	}
	m.From = cs.instance
	b, _ := json.Marshal(m)
	if err := cs.bus.Publish(rightsTopic, b); err != nil {
		cs.log.Warn("connections: publish failed", "err", err)
	}
}

// The changes of rights, by what they concern.

// closeAll closes every connection of memberID (deactivation, deletion).
func (cs *connections) closeAll(memberID string) int {
	return cs.end(connSelector{Member: memberID})
}

// endSession closes the connections opened with a session (by its stored
// ID): sign-out, "end session".
func (cs *connections) endSession(sessionID string) int {
	return cs.end(connSelector{Session: sessionID})
}

// endOtherSessions closes a member's cookie connections except those of
// the session kept: "end other sessions".
func (cs *connections) endOtherSessions(memberID, keepSessionID string) int {
	return cs.end(connSelector{Member: memberID, KeepSession: keepSessionID})
}

// endToken closes the connections opened with an API token: revocation.
func (cs *connections) endToken(tokenID string) int {
	return cs.end(connSelector{Token: tokenID})
}

// recheckMember re-checks a member's connections: role lowered.
func (cs *connections) recheckMember(memberID string) {
	cs.recheck(connSelector{Member: memberID})
}

// recheckGroupMember re-checks a member's connections bound to a group's
// objects: removal from the group, leaving it.
func (cs *connections) recheckGroupMember(groupID, memberID string) {
	cs.recheck(connSelector{Member: memberID, Group: groupID})
}

// recheckThread re-checks the streams that follow a thread: it moved to
// another category, whose audience may differ.
func (cs *connections) recheckThread(threadID string) {
	cs.recheck(connSelector{Kind: connStream, Thread: threadID})
}

// recheckGroup re-checks every connection bound to a group's objects: the
// group's visibility changed, or it was archived or restored. (Changes
// made without a call, like a category's visibility, are enforced by the
// connections' own re-checks within recheckEvery.)
func (cs *connections) recheckGroup(groupID string) {
	cs.recheck(connSelector{Group: groupID})
}

// requestCredential names the credential the request was authenticated
// with: its API token, or its session.
func (s *Server) requestCredential(c *fiber.Ctx) (auth.Credential, error) {
	var cred auth.Credential
	var err error
	if c.Locals(localAPI) == true {
		secret, _ := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
		cred, err = s.auth.TokenCredential(c.UserContext(), strings.TrimSpace(secret))
	} else {
		cred, err = s.auth.SessionCredential(c.UserContext(), sessionSecret(c))
	}
	if errors.Is(err, auth.ErrNotFound) { // ended since the middleware read it
		return cred, fault.New(fault.Unauthenticated, "error.401")
	}
	return cred, err
}

// memberEvery bounds how long a connection reuses its copy of its member
// (status, role) while its credential's rights stamp stays the same. Every
// change of a member's standing made through the auth store, on any server,
// changes the stamp of all their credentials (auth.Store.rightsChanged),
// and every end or recheck call of the registry makes the next check read
// the member again; so this bound only concerns a member document edited in
// the database by hand, and is the listeners' own bound (hearEvery).
const memberEvery = hearEvery

// memberMemo is one connection's copy of its member, kept between its
// checks (which run one at a time, but not always on one goroutine).
type memberMemo struct {
	every  time.Duration // memberEvery, as the registry had it
	mu     sync.Mutex
	m      *auth.Member
	rights string    // the credential's rights stamp when m was read
	at     time.Time // when m was read
	gen    uint64    // the registry's standing generation then
	// credAt is when the credential behind rights was about to be read: a
	// check that read it earlier (one started ahead, slower than the
	// frame's) must not put its older stamp over a newer one, or the next
	// check reads the member again for nothing.
	credAt time.Time
}

// newMemberMemo is an empty copy for a new connection.
func (cs *connections) newMemberMemo() *memberMemo {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return &memberMemo{every: cs.memberEvery}
}

// credentialMember is the member behind a connection's credential if the
// credential is still valid and the member may still use the portal (the
// coarse right both live routes need, see access.go).
//
// The credential is read on every check; the member only when the
// credential's rights stamp differs from the one seen with the copy in
// memo, when an end or recheck call came since, or when the copy is
// memberEvery old: a check then costs one lookup by _id rather than two.
func (s *Server) credentialMember(ctx context.Context, info connInfo, use bool, memo *memberMemo) (*auth.Member, bool) {
	credAt := time.Now()
	h, err := s.auth.CredentialHolder(ctx, info.Credential, use)
	if err != nil || h.Member != info.Member {
		return nil, false
	}
	gen := s.conns.standing.Load()
	memo.mu.Lock()
	m := memo.m
	if m != nil && (memo.rights != h.Rights || memo.gen != gen || time.Since(memo.at) >= memo.every) {
		m = nil
	}
	memo.mu.Unlock()
	if m == nil {
		// The generation is taken before the read: a call made during it
		// leaves the copy older than the registry's, to be read again.
		at := time.Now()
		if m, err = s.auth.Member(ctx, h.Member); err != nil {
			return nil, false
		}
		memo.mu.Lock()
		if !credAt.Before(memo.credAt) {
			memo.m, memo.rights, memo.at, memo.gen, memo.credAt = m, h.Rights, at, gen, credAt
		}
		memo.mu.Unlock()
	}
	if m.ID != info.Member || !m.CanSignIn() || !auth.CanUsePortal(m) {
		return nil, false
	}
	return m, true
}
