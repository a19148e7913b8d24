package live

import "context"

// ErrAccessEnded refuses a frame from a connection whose rights have ended
// since it connected (credential revoked or expired, signed out, removed
// from the workshop's group, role lowered); the socket then closes with
// CloseForbidden and the client must not reconnect on its own.
const ErrAccessEnded ErrorCode = "access_ended"

// Guard re-checks a connection's rights: Frame before the room acts on one
// of the client's frames, Delivery before frames are written to it. They
// run in the connection's reader and writer goroutines, never in the
// room's, so they may ask the database (the room loop never waits on
// them); they should reuse a recent answer to keep busy rooms cheap, and
// be safe for concurrent calls. Either may be nil.
type Guard struct {
	Frame, Delivery func() bool
}

// ServeGuarded is Serve with a guard; a frame or a delivery it refuses
// ends the connection (ErrAccessEnded, then CloseForbidden).
func (e *Engine) ServeGuarded(ctx context.Context, roomID string, p Person, sock Socket, lastSeq int64, guard Guard) error {
	return e.serve(ctx, roomID, p, sock, lastSeq, guard)
}

// refuseAccess ends a client whose rights have ended, from its reader or
// its writer: what is queued is not delivered; the client gets the error
// (for its frame key, if any) and then the close code CloseForbidden. The
// room learns of it when the reader leaves.
func (c *client) refuseAccess(key string) {
	c.closeOnce.Do(func() {
		c.qmu.Lock()
		if !c.ended {
			c.queue = [][]byte{errorFrame(ErrAccessEnded, key)}
			c.ended, c.accessEnded = true, true
		}
		c.startWriter()
		c.qmu.Unlock()
	})
}
