package server

import (
	"github.com/circularfairict/portal/bus"

	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/fault"
)

// forumLive pushes discussion events to open pages over server-sent events.
// It rides on the workshop rooms' Bus (in-process, or NATS between
// servers), so an event published on one server reaches pages open on all
// of them. Topics are "forum.thread.<id>" (new posts, edits, reactions)
// and "forum.member.<id>" (the notification bell).
//
// Events are tiny and the same for everyone ({"type":"post","n":7}); each
// is encoded once. Pages fetch the post's HTML from the fragment route, so
// every viewer gets what their rights allow. A stream whose queue is full
// is closed (the page reconnects and reloads what it missed), never waited
// on; the bus handler only does non-blocking sends.
type forumLive struct {
	bus  bus.Bus
	log  *slog.Logger
	done chan struct{}
	once sync.Once
}

func newForumLive(bus bus.Bus, log *slog.Logger) *forumLive {
	return &forumLive{bus: bus, log: log, done: make(chan struct{})}
}

// liveEvent is what a page receives.
type liveEvent struct {
	Type   string `json:"type"` // post, edit, react, notify
	Thread string `json:"thread,omitempty"`
	N      int    `json:"n,omitempty"`
	Count  int    `json:"count,omitempty"` // unread notifications, for notify
}

func (l *forumLive) publish(topic string, ev liveEvent) {
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	if err := l.bus.Publish("forum."+topic, b); err != nil {
		l.log.Warn("forum: live publish failed", "topic", topic, "err", err)
	}
}

func (l *forumLive) close() { l.once.Do(func() { close(l.done) }) }

// liveQueue bounds the events waiting for one stream.
const liveQueue = 64

// streamForumLive serves GET /discussions/live?thread=<id>: the member's
// notification events and, with a thread, the thread's events.
func (s *Server) streamForumLive(c *fiber.Ctx) error {
	m := currentMember(c)
	topics := []string{"forum.member." + m.ID}
	cred, err := s.requestCredential(c)
	if err != nil {
		return err
	}
	info := connInfo{Member: m.ID, Credential: cred, Kind: connStream}
	if id := c.Query("thread"); id != "" {
		t, ci, err := s.threadByID(c, id)
		if err != nil {
			return err
		}
		topics = append(topics, "forum.thread."+t.ID)
		info.Thread = t.ID
		if ci.Group != nil {
			info.Group = ci.Group.ID
		}
	}
	queue := make(chan []byte, liveQueue)
	quit := make(chan struct{})
	var quitOnce sync.Once
	stop := func() { quitOnce.Do(func() { close(quit) }) }
	var unsubs []func()
	for _, topic := range topics {
		un, err := s.forumLive.bus.Subscribe(topic, func(msg []byte) {
			select {
			case queue <- msg:
			default:
				stop() // too slow: drop the stream, never wait
			}
		})
		if err != nil {
			for _, u := range unsubs {
				u()
			}
			return fault.Wrap(fault.Unavailable, err, "error.503")
		}
		unsubs = append(unsubs, un)
	}
	// A change of rights made here ends the stream at once; one made
	// elsewhere is found before the next event or ping (allowed).
	lc := s.conns.add(info, s.streamRights(info), stop)
	done := s.forumLive.done
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no")
	// The writer runs after the handler returns: it must not touch c.
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer func() {
			for _, u := range unsubs {
				u()
			}
			lc.remove()
		}()
		ping := time.NewTicker(20 * time.Second)
		defer ping.Stop()
		if _, err := w.WriteString("retry: 5000\n\n"); err != nil || w.Flush() != nil {
			return
		}
		for {
			select {
			case msg := <-queue:
				// Every event is about the member's bell or the thread:
				// delivered only while the stream's rights hold.
				if !lc.allowed() {
					return
				}
				fmt.Fprintf(w, "data: %s\n\n", msg)
			case <-ping.C:
				if !lc.allowed() {
					return
				}
				_, _ = w.WriteString(": ping\n\n")
			case <-quit:
				return
			case <-done:
				return
			}
			if err := w.Flush(); err != nil { // the page went away
				return
			}
		}
	})
	return nil
}

// streamRights re-checks, against current state, what a discussion stream
// was accepted on: its credential, its member's standing and, when it
// follows a thread, the right to see that thread (held threads included).
func (s *Server) streamRights(info connInfo) func(ctx context.Context, use bool) (bool, time.Time) {
	return func(ctx context.Context, use bool) (bool, time.Time) {
		m, ok := s.credentialMember(ctx, info, use)
		if !ok {
			return false, time.Time{}
		}
		if info.Thread != "" {
			if _, _, err := s.threadFor(ctx, m, info.Thread); err != nil {
				return false, time.Time{}
			}
		}
		return true, time.Time{}
	}
}
