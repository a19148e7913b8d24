package server

import (
	"bufio"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/app"
	"github.com/circularfairict/portal/fault"
)

// liveEvent is what a discussion page receives (see app.ForumLive, which
// publishes them on the rooms' bus; the streams below subscribe).
type liveEvent = app.LiveEvent

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
		un, err := s.forumLive.Bus().Subscribe(topic, func(msg []byte) {
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
	done := s.forumLive.Done()
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
	memo := s.conns.newMemberMemo()
	return func(ctx context.Context, use bool) (bool, time.Time) {
		m, ok := s.credentialMember(ctx, info, use, memo)
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
