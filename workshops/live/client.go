package live

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net"
	"sync"
	"time"
)

// client is one socket in a room. Only the room goroutine queues frames
// (push) and ends the queue (shut); only the writer writes to the socket.
//
// The writer is a goroutine that exists while there is something to write:
// push starts it when the queue was empty and it ends when the queue is
// drained. There is never more than one, so writes stay in order and
// single-threaded, but an idle socket holds no writer stack (2-8 KiB) and
// no ticker: pings come from a timer that starts the writer when due.
type client struct {
	e      *Engine
	r      *room
	person Person
	sock   Socket
	done   chan struct{} // closed when the writer has said goodbye
	// The send queue: frames waiting for the writer, at most
	// Options.SendQueue. It is a slice that exists while frames wait, not a
	// channel: a channel's buffer is allocated in full for the socket's
	// whole life (24 KiB at 1,024 frames), and most sockets are idle.
	qmu   sync.Mutex
	queue [][]byte
	ended bool // no more frames: the writer says goodbye after the queue
	// accessEnded: the queue ended because the connection's rights did
	// (refuseAccess), so the goodbye is CloseForbidden.
	accessEnded bool
	writing     bool // a writer goroutine runs (or has finished for good)
	pingDue     bool
	ping        *time.Timer
	// closeCode and closeWhy are set by the room before it ends the queue.
	closeCode int
	closeWhy  ErrorCode
	closed    bool // the room is done with this client (room goroutine only)
	// follow: the client gets who joins and leaves, not only the count;
	// autoFollow: because the room was small when it joined (room goroutine
	// only).
	follow, autoFollow bool
	// waiting: in the waiting room (room goroutine only; waiting.go)
	waiting   bool
	closeOnce sync.Once
	// guard re-checks rights before each frame and each delivery
	guard Guard
	// token bucket, used by the reader goroutine only
	tokens float64
	last   time.Time
}

func newClient(e *Engine, r *room, p Person, sock Socket) *client {
	c := &client{e: e, r: r, person: p, sock: sock, done: make(chan struct{}),
		tokens: float64(e.o.RateBurst), last: e.o.Now()}
	c.qmu.Lock() // pingTick may run before the assignment otherwise
	c.ping = time.AfterFunc(e.o.PingInterval, c.pingTick)
	c.qmu.Unlock()
	return c
}

func closeData(code int, reason string) []byte {
	b := make([]byte, 2+len(reason))
	binary.BigEndian.PutUint16(b, uint16(code))
	copy(b[2:], reason)
	return b
}

// pingTick asks the writer for a ping and sets the next one.
func (c *client) pingTick() {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if c.ended {
		return
	}
	c.pingDue = true
	c.startWriter()
	c.ping.Reset(c.e.o.PingInterval)
}

// startWriter starts the writer unless one runs; qmu is held.
func (c *client) startWriter() {
	if !c.writing {
		c.writing = true
		go c.write()
	}
}

// write is the socket's writer: it writes what is queued until the queue
// is empty, then ends; after the end of the queue it says goodbye, closes
// the socket and stays finished.
func (c *client) write() {
	for {
		c.qmu.Lock()
		batch, ended, ping, denied := c.queue, c.ended, c.pingDue, c.accessEnded
		c.queue, c.pingDue = nil, false
		if len(batch) == 0 && !ended && !ping {
			c.writing = false
			c.qmu.Unlock()
			return
		}
		c.qmu.Unlock()
		// Rights are re-checked before delivery too, not only before the
		// room acts on a frame: a socket that only listens must stop
		// hearing the room once its rights end. The writer may wait on the
		// guard; the room never does.
		if len(batch) > 0 && !ended && c.guard.Delivery != nil && !c.guard.Delivery() {
			c.refuseAccess("") // the batch is not delivered
			continue
		}
		if ping {
			if err := c.sock.WriteControl(pingMessage, nil, time.Now().Add(c.e.o.WriteWait)); err != nil {
				c.finish()
				return
			}
		}
		for i, msg := range batch {
			batch[i] = nil
			_ = c.sock.SetWriteDeadline(time.Now().Add(c.e.o.WriteWait))
			if err := c.sock.WriteMessage(textMessage, msg); err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					c.e.dropped.Add(1) // too slow to take one frame within WriteWait
				}
				c.finish()
				return
			}
		}
		if ended { // everything queued before the end is written
			var data []byte
			switch {
			case denied: // the room may be setting closeCode now: not read
				data = closeData(CloseForbidden, string(ErrAccessEnded))
			case c.closeCode == 0:
				data = closeData(CloseNormal, string(c.closeWhy))
			default:
				data = closeData(c.closeCode, string(c.closeWhy))
			}
			_ = c.sock.WriteControl(closeMessage, data, time.Now().Add(c.e.o.WriteWait))
			c.finish()
			return
		}
	}
}

// finish ends the writer for good: later frames are ignored, the socket
// closes (which ends the reader too) and Serve may return.
func (c *client) finish() {
	c.qmu.Lock()
	c.ended, c.queue = true, nil
	c.qmu.Unlock()
	c.ping.Stop()
	_ = c.sock.Close()
	close(c.done)
}

// closeNow is for a client never registered with its room.
func (c *client) closeNow(code int, why ErrorCode) {
	c.closeCode, c.closeWhy = code, why
	c.shut()
}

// push queues a frame for the writer; it reports false when the queue is
// full. Frames pushed after shut are ignored.
func (c *client) push(b []byte) bool {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if c.ended {
		return true
	}
	if len(c.queue) >= c.e.o.SendQueue {
		return false
	}
	c.queue = append(c.queue, b)
	c.startWriter()
	return true
}

// shut ends the send queue once; the writer writes what is queued, then
// says goodbye.
func (c *client) shut() {
	c.closeOnce.Do(func() {
		c.qmu.Lock()
		c.ended = true
		c.startWriter()
		c.qmu.Unlock()
	})
}

// allow takes a token from the client's bucket.
func (c *client) allow() bool {
	now := c.e.o.Now()
	c.tokens += now.Sub(c.last).Seconds() * c.e.o.RatePerSec
	c.last = now
	if max := float64(c.e.o.RateBurst); c.tokens > max {
		c.tokens = max
	}
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

// readLoop reads frames until the socket fails, enforcing the read limit,
// the pong deadline and the rate limit, and passes commands to the room.
func (c *client) readLoop(ctx context.Context) {
	o := &c.e.o
	c.sock.SetReadLimit(o.ReadLimit)
	_ = c.sock.SetReadDeadline(time.Now().Add(o.PongWait))
	c.sock.SetPongHandler(func(string) error { return c.sock.SetReadDeadline(time.Now().Add(o.PongWait)) })
	for ctx.Err() == nil {
		mt, data, err := c.sock.ReadMessage()
		if err != nil {
			return
		}
		_ = c.sock.SetReadDeadline(time.Now().Add(o.PongWait))
		if mt != textMessage {
			c.r.send(reply{c: c, frame: errorFrame(ErrBadFrame, "")})
			continue
		}
		f := inFrame{raw: data}
		if err := json.Unmarshal(data, &f); err != nil || f.Type == "" {
			c.r.send(reply{c: c, frame: errorFrame(ErrBadFrame, "")})
			continue
		}
		if len(f.Key) > MaxKey {
			c.r.send(reply{c: c, frame: errorFrame(ErrInvalid, "")})
			continue
		}
		if c.guard.Frame != nil && !c.guard.Frame() {
			c.refuseAccess(f.Key)
			return
		}
		if f.Type == "ping" { // application-level keepalive for clients without control frames
			c.r.send(reply{c: c, frame: []byte(`{"type":"pong"}`)})
			continue
		}
		if !c.allow() {
			c.r.send(reply{c: c, frame: errorFrame(ErrRateLimited, f.Key)})
			continue
		}
		c.r.send(command{c: c, f: &f})
	}
}

func randomKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
