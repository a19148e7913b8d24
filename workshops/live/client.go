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
// (push) and ends the queue (shut); only the writer goroutine writes to
// the socket.
type client struct {
	e      *Engine
	r      *room
	person Person
	sock   Socket
	done   chan struct{} // closed when the writer has finished
	// The send queue: frames waiting for the writer, at most
	// Options.SendQueue. It is a slice that exists while frames wait, not a
	// channel: a channel's buffer is allocated in full for the socket's
	// whole life (24 KiB at 1,024 frames), and most sockets are idle.
	qmu   sync.Mutex
	queue [][]byte
	ended bool          // no more frames: the writer says goodbye after the queue
	wake  chan struct{} // capacity 1: the queue has news
	// closeCode and closeWhy are set by the room before it ends the queue.
	closeCode int
	closeWhy  ErrorCode
	closed    bool // the room is done with this client (room goroutine only)
	// follow: the client gets who joins and leaves, not only the count;
	// autoFollow: because the room was small when it joined (room goroutine
	// only).
	follow, autoFollow bool
	closeOnce          sync.Once
	// token bucket, used by the reader goroutine only
	tokens float64
	last   time.Time
}

func newClient(e *Engine, r *room, p Person, sock Socket) *client {
	return &client{e: e, r: r, person: p, sock: sock, wake: make(chan struct{}, 1), done: make(chan struct{}),
		tokens: float64(e.o.RateBurst), last: e.o.Now()}
}

func closeData(code int, reason string) []byte {
	b := make([]byte, 2+len(reason))
	binary.BigEndian.PutUint16(b, uint16(code))
	copy(b[2:], reason)
	return b
}

// writeLoop is the one goroutine that writes to the socket.
func (c *client) writeLoop() {
	defer close(c.done)
	defer c.sock.Close()
	ping := time.NewTicker(c.e.o.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-c.wake:
			c.qmu.Lock()
			batch, ended := c.queue, c.ended
			c.queue = nil
			c.qmu.Unlock()
			for i, msg := range batch {
				batch[i] = nil
				_ = c.sock.SetWriteDeadline(time.Now().Add(c.e.o.WriteWait))
				if err := c.sock.WriteMessage(textMessage, msg); err != nil {
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						c.e.dropped.Add(1) // too slow to take one frame within WriteWait
					}
					return
				}
			}
			if ended { // everything queued before the end is written
				code := c.closeCode
				if code == 0 {
					code = CloseNormal
				}
				_ = c.sock.WriteControl(closeMessage, closeData(code, string(c.closeWhy)), time.Now().Add(c.e.o.WriteWait))
				return
			}
			if cap(batch) <= 16 { // keep a small slice for the next frames
				c.qmu.Lock()
				if c.queue == nil {
					c.queue = batch[:0]
				}
				c.qmu.Unlock()
			}
		case <-ping.C:
			if err := c.sock.WriteControl(pingMessage, nil, time.Now().Add(c.e.o.WriteWait)); err != nil {
				return
			}
		}
	}
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
	if c.ended {
		c.qmu.Unlock()
		return true
	}
	if len(c.queue) >= c.e.o.SendQueue {
		c.qmu.Unlock()
		return false
	}
	c.queue = append(c.queue, b)
	c.qmu.Unlock()
	c.poke()
	return true
}

func (c *client) poke() {
	select {
	case c.wake <- struct{}{}:
	default: // the writer has a wake-up pending
	}
}

// shut ends the send queue once; the writer writes what is queued, then
// says goodbye.
func (c *client) shut() {
	c.closeOnce.Do(func() {
		c.qmu.Lock()
		c.ended = true
		c.qmu.Unlock()
		c.poke()
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
