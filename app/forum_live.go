package app

import (
	"encoding/json"
	"log/slog"
	"sync"

	"github.com/circularfairict/portal/bus"
)

// ForumLive publishes discussion events for open pages. It rides on the
// workshop rooms' bus (in-process, or NATS between replicas), so an event
// published on one replica reaches pages open on all of them. Topics are
// "forum.thread.<id>" (new posts, edits, reactions) and "forum.member.<id>"
// (the notification bell); the HTTP adapter subscribes a page's stream to
// them.
//
// Events are tiny and the same for everyone ({"type":"post","n":7}); each
// is encoded once. Pages fetch the post's HTML from the fragment route, so
// every viewer gets what their rights allow.
type ForumLive struct {
	bus  bus.Bus
	log  *slog.Logger
	done chan struct{}
	once sync.Once
}

func newForumLive(b bus.Bus, log *slog.Logger) *ForumLive {
	return &ForumLive{bus: b, log: log, done: make(chan struct{})}
}

// LiveEvent is what a page receives.
type LiveEvent struct {
	Type   string `json:"type"` // post, edit, react, notify
	Thread string `json:"thread,omitempty"`
	N      int    `json:"n,omitempty"`
	Count  int    `json:"count,omitempty"` // unread notifications, for notify
}

// Publish sends ev to topic ("thread.<id>" or "member.<id>"); a failure is
// logged: the change it announces is stored, pages find it on reload.
func (l *ForumLive) Publish(topic string, ev LiveEvent) {
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	if err := l.bus.Publish("forum."+topic, b); err != nil {
		l.log.Warn("forum: live publish failed", "topic", topic, "err", err)
	}
}

// Bus is the bus the events ride on, for the streams that subscribe.
func (l *ForumLive) Bus() bus.Bus { return l.bus }

// Done closes when the portal stops: open streams end then.
func (l *ForumLive) Done() <-chan struct{} { return l.done }

// Close ends the open streams (at shutdown, before the HTTP server waits
// for requests in flight, which streams would hold).
func (l *ForumLive) Close() { l.once.Do(func() { close(l.done) }) }
