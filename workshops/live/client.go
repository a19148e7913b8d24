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

// client is one socket in a room. Only the room goroutine sends on or
// closes send; only the writer goroutine writes to the socket.
type client struct {
	e      *Engine
	r      *room
	person Person
	sock   Socket
	send   chan []byte
	done   chan struct{} // closed when the writer has finished
	// closeCode and closeWhy are set by the room before it closes send.
	closeCode int
	closeWhy  ErrorCode
	closed    bool // the room is done with this client (room goroutine only)
	closeOnce sync.Once
	// token bucket, used by the reader goroutine only
	tokens float64
	last   time.Time
}

func newClient(e *Engine, r *room, p Person, sock Socket) *client {
	return &client{e: e, r: r, person: p, sock: sock, send: make(chan []byte, e.o.SendQueue), done: make(chan struct{}),
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
		case msg, ok := <-c.send:
			deadline := time.Now().Add(c.e.o.WriteWait)
			if !ok {
				code := c.closeCode
				if code == 0 {
					code = CloseNormal
				}
				_ = c.sock.WriteControl(closeMessage, closeData(code, string(c.closeWhy)), deadline)
				return
			}
			_ = c.sock.SetWriteDeadline(deadline)
			if err := c.sock.WriteMessage(textMessage, msg); err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					c.e.dropped.Add(1) // too slow to take one frame within WriteWait
				}
				return
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

// shut closes the send queue once; the writer then says goodbye.
func (c *client) shut() { c.closeOnce.Do(func() { close(c.send) }) }

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
		var f inFrame
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
