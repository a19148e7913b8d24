package bus

import (
	"fmt"

	"github.com/nats-io/nats.go"
)

// NATSBus shares rooms between servers through NATS core subjects, one per
// room. NATS delivers at most once; the rooms fill any gap from the
// database, and order comes from the database sequence, not from NATS.
type NATSBus struct {
	nc     *nats.Conn
	prefix string
}

// NewNATSBus wraps a connection; subjects are prefix + "." + room.
func NewNATSBus(nc *nats.Conn, prefix string) *NATSBus {
	if prefix == "" {
		prefix = "portal.live"
	}
	return &NATSBus{nc: nc, prefix: prefix}
}

// Subscribe listens to one room.
func (b *NATSBus) Subscribe(topic string, handler func([]byte)) (func(), error) {
	sub, err := b.nc.Subscribe(b.prefix+"."+topic, func(m *nats.Msg) { handler(m.Data) })
	if err != nil {
		return nil, fmt.Errorf("bus: nats subscribe: %w", err)
	}
	// Room traffic is bursty; give the subscription room before NATS
	// calls it a slow consumer and drops (the room then refetches).
	_ = sub.SetPendingLimits(1<<16, 64<<20)
	// Make sure the server knows the subscription before anything is
	// published for the room, so the first events are not missed.
	if err := b.nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("bus: nats flush: %w", err)
	}
	return func() { _ = sub.Unsubscribe() }, nil
}

// Publish sends a message to every server's room.
func (b *NATSBus) Publish(topic string, msg []byte) error {
	if err := b.nc.Publish(b.prefix+"."+topic, msg); err != nil {
		return fmt.Errorf("bus: nats publish: %w", err)
	}
	return nil
}
