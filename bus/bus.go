// Package bus carries messages between the portal's servers: room events,
// forum updates and search index changes. It is NATS when configured and an
// in-process fan-out otherwise.
package bus

import (
	"sync"
)

// Bus carries messages between servers, one subject per topic (a room, the
// forum, the search index). Every subscriber, on this server too, receives
// every message published on its topic, including its own. The handler must not block for long.
type Bus interface {
	Subscribe(topic string, handler func(msg []byte)) (unsubscribe func(), err error)
	Publish(topic string, msg []byte) error
}

// LocalBus is the in-process bus used without NATS.
type LocalBus struct {
	mu   sync.RWMutex
	subs map[string]map[int]func([]byte)
	next int
}

// NewLocalBus returns an empty in-process bus.
func NewLocalBus() *LocalBus { return &LocalBus{subs: map[string]map[int]func([]byte){}} }

// Subscribe registers handler for topic.
func (b *LocalBus) Subscribe(topic string, handler func([]byte)) (func(), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs[topic] == nil {
		b.subs[topic] = map[int]func([]byte){}
	}
	b.next++
	id := b.next
	b.subs[topic][id] = handler
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs[topic], id)
		if len(b.subs[topic]) == 0 {
			delete(b.subs, topic)
		}
	}, nil
}

// Publish calls every handler of topic in this goroutine.
func (b *LocalBus) Publish(topic string, msg []byte) error {
	b.mu.RLock()
	hs := make([]func([]byte), 0, len(b.subs[topic]))
	for _, h := range b.subs[topic] {
		hs = append(hs, h)
	}
	b.mu.RUnlock()
	for _, h := range hs {
		h(msg)
	}
	return nil
}
