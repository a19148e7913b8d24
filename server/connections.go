package server

import (
	"context"
	"errors"
	"strings"
	"sync"
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
// That covers changes made through this server. A change made on another
// replica, or in the database directly, is found by the connection itself:
// before a room acts on a frame and before a stream delivers an event, the
// connection calls allowed, which re-evaluates its rights against the
// database at most once per recheckEvery (see docs/architecture.md).
type connections struct {
	mu    sync.Mutex
	next  int
	conns map[int]*liveConn
}

// recheckEvery bounds how long a connection trusts its last check: any
// change of rights is enforced within it on every replica, and a busy room
// costs at most one check a second per socket, not one per frame.
const recheckEvery = time.Second

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
	// check re-evaluates the connection's rights against current state.
	check func(ctx context.Context) bool
	timer *time.Timer // closes the connection when its credential expires

	mu      sync.Mutex // held during a check, so a connection checks once at a time
	okUntil time.Time
	ended   bool
}

func newConnections() *connections { return &connections{conns: map[int]*liveConn{}} }

// add registers a connection. closeFn ends it from outside (any goroutine);
// check re-evaluates its rights and may take up to a few database reads.
// The returned connection's remove unregisters it when it ends by itself.
func (cs *connections) add(info connInfo, check func(ctx context.Context) bool, closeFn func()) *liveConn {
	lc := &liveConn{cs: cs, info: info, close: closeFn, check: check, okUntil: time.Now().Add(recheckEvery)}
	cs.mu.Lock()
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
	lc.cs.mu.Lock()
	delete(lc.cs.conns, lc.id)
	lc.cs.mu.Unlock()
}

// allowed reports whether the connection's rights still hold: the last
// answer if it is under recheckEvery old, else a fresh check. Once refused,
// always refused. Called before a room acts on a frame and before a stream
// delivers an event, never from a room's goroutine.
func (lc *liveConn) allowed() bool {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	now := time.Now()
	switch {
	case lc.ended:
		return false
	case !lc.info.Credential.ExpiresAt.IsZero() && !now.Before(lc.info.Credential.ExpiresAt):
		lc.ended = true
		return false
	case now.Before(lc.okUntil):
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if !lc.check(ctx) {
		lc.ended = true
		return false
	}
	lc.okUntil = time.Now().Add(recheckEvery)
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

// matching returns the connections that match, outside the lock's reach
// of their close functions (which may unregister themselves).
func (cs *connections) matching(match func(connInfo) bool) []*liveConn {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var out []*liveConn
	for _, lc := range cs.conns {
		if match(lc.info) {
			out = append(out, lc)
		}
	}
	return out
}

// end closes every connection that match selects and reports how many.
func (cs *connections) end(match func(connInfo) bool) int {
	list := cs.matching(match)
	for _, lc := range list {
		cs.closeConn(lc)
	}
	return len(list)
}

// recheck re-evaluates, now and in the background, the rights of every
// connection that match selects, and closes those that lost them. For
// changes that end some connections' rights but not others' (a group
// member removed may still facilitate the workshop; a lowered role may
// still see the thread).
func (cs *connections) recheck(match func(connInfo) bool) {
	list := cs.matching(match)
	if len(list) == 0 {
		return
	}
	for _, lc := range list {
		lc.mu.Lock()
		lc.okUntil = time.Time{}
		lc.mu.Unlock()
	}
	go func() {
		for _, lc := range list {
			if !lc.allowed() {
				cs.closeConn(lc)
			}
		}
	}()
}

// Selectors for end and recheck.

// closeAll closes every connection of memberID (deactivation, deletion).
func (cs *connections) closeAll(memberID string) int {
	return cs.end(func(i connInfo) bool { return i.Member == memberID })
}

// endSession closes the connections opened with a session (by its stored
// ID): sign-out, "end session".
func (cs *connections) endSession(sessionID string) int {
	return cs.end(func(i connInfo) bool { return i.Credential.Session == sessionID })
}

// endOtherSessions closes a member's cookie connections except those of
// the session kept: "end other sessions".
func (cs *connections) endOtherSessions(memberID, keepSessionID string) int {
	return cs.end(func(i connInfo) bool {
		return i.Member == memberID && i.Credential.Session != "" && i.Credential.Session != keepSessionID
	})
}

// endToken closes the connections opened with an API token: revocation.
func (cs *connections) endToken(tokenID string) int {
	return cs.end(func(i connInfo) bool { return i.Credential.Token == tokenID })
}

// recheckMember re-checks a member's connections: role lowered.
func (cs *connections) recheckMember(memberID string) {
	cs.recheck(func(i connInfo) bool { return i.Member == memberID })
}

// recheckGroupMember re-checks a member's connections bound to a group's
// objects: removal from the group, leaving it.
func (cs *connections) recheckGroupMember(groupID, memberID string) {
	cs.recheck(func(i connInfo) bool { return i.Member == memberID && i.Group == groupID })
}

// recheckThread re-checks the streams that follow a thread: it moved to
// another category, whose audience may differ. (A change of a group's
// visibility or of a workshop's group would call recheck with Group or
// Workshop; no handler makes those changes yet. Without the call, the
// streams' and sockets' own re-checks end them within recheckEvery.)
func (cs *connections) recheckThread(threadID string) {
	cs.recheck(func(i connInfo) bool { return i.Kind == connStream && i.Thread == threadID })
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

// credentialMember is the member behind a connection's credential if the
// credential is still valid and the member may still use the portal (the
// coarse right both live routes need, see access.go).
func (s *Server) credentialMember(ctx context.Context, info connInfo) (*auth.Member, bool) {
	m, err := s.auth.CredentialMember(ctx, info.Credential)
	if err != nil || m.ID != info.Member || !m.CanSignIn() || !auth.CanUsePortal(m) {
		return nil, false
	}
	return m, true
}
