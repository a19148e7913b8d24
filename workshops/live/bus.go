package live

import (
	"sync"
)

// Bus carries room messages between servers. Every server's room, this
// one's included, receives every message published for the room, including
// its own. The handler must not block for long.
type Bus interface {
	Subscribe(room string, handler func(msg []byte)) (unsubscribe func(), err error)
	Publish(room string, msg []byte) error
}

// LocalBus is the in-process bus used without NATS.
type LocalBus struct {
	mu   sync.RWMutex
	subs map[string]map[int]func([]byte)
	next int
}

// NewLocalBus returns an empty in-process bus.
func NewLocalBus() *LocalBus { return &LocalBus{subs: map[string]map[int]func([]byte){}} }

// Subscribe registers handler for room.
func (b *LocalBus) Subscribe(room string, handler func([]byte)) (func(), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs[room] == nil {
		b.subs[room] = map[int]func([]byte){}
	}
	b.next++
	id := b.next
	b.subs[room][id] = handler
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs[room], id)
		if len(b.subs[room]) == 0 {
			delete(b.subs, room)
		}
	}, nil
}

// Publish calls every handler of room in this goroutine.
func (b *LocalBus) Publish(room string, msg []byte) error {
	b.mu.RLock()
	hs := make([]func([]byte), 0, len(b.subs[room]))
	for _, h := range b.subs[room] {
		hs = append(hs, h)
	}
	b.mu.RUnlock()
	for _, h := range hs {
		h(msg)
	}
	return nil
}

// busMsg is what travels on the bus.
type busMsg struct {
	Kind     string   `json:"k"`           // event, hole, presence, query, react
	From     string   `json:"f"`           // instance ID
	Event    *Event   `json:"e,omitempty"` // kind event
	Seq      int64    `json:"s,omitempty"` // kind hole
	People   []Person `json:"p,omitempty"` // kind presence: everyone connected to From
	Reaction []byte   `json:"r,omitempty"` // kind react: the frame to pass on
}
