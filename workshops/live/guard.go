package live

import "context"

// ErrAccessEnded refuses a frame from a connection whose rights have ended
// since it connected (credential revoked or expired, signed out, removed
// from the workshop's group, role lowered); the socket then closes with
// CloseForbidden and the client must not reconnect on its own.
const ErrAccessEnded ErrorCode = "access_ended"

// Guard re-checks a connection's rights before the room acts on one of its
// frames. It runs in the connection's reader goroutine, never in the room's,
// so it may ask the database (the room loop never waits on it); it should
// reuse a recent answer to keep busy rooms cheap.
type Guard func() bool

// revoke tells the room that a client's rights ended: it gets the error for
// the refused frame, then its socket closes with CloseForbidden.
type revoke struct {
	c   *client
	key string
}

// ServeGuarded is Serve with a guard asked before every client frame; a
// frame it refuses ends the connection.
func (e *Engine) ServeGuarded(ctx context.Context, roomID string, p Person, sock Socket, lastSeq int64, guard Guard) error {
	return e.serve(ctx, roomID, p, sock, lastSeq, guard)
}

func (r *room) onRevoke(m revoke) {
	r.deliver(m.c, errorFrame(ErrAccessEnded, m.key))
	r.drop(m.c, CloseForbidden, ErrAccessEnded)
}
