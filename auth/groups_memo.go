package auth

import (
	"context"
	"sync"
)

// groupsMemo holds the groups collection as read once for one request.
type groupsMemo struct {
	mu  sync.Mutex
	all []*Group
	ok  bool
}

type groupsMemoKey struct{}

// WithGroupsMemo returns a context under which Groups and GroupsOf read the
// groups collection once and answer later calls from that read. A search
// page asks for the viewer's groups and for all groups several times (its
// viewer, its cards, its layout); on the embedded database each ask is a
// pass over the collection, since neither is a lookup by _id. Only for a
// read-only request that ends soon: a long-lived one (a live stream that
// re-checks rights) must see membership changes, so it must not use it.
func WithGroupsMemo(ctx context.Context) context.Context {
	if _, ok := ctx.Value(groupsMemoKey{}).(*groupsMemo); ok {
		return ctx
	}
	return context.WithValue(ctx, groupsMemoKey{}, &groupsMemo{})
}

// memoGroups returns the memo's groups, reading them with read on first
// use; ok is false without a memo. Each call gets its own copies, so a
// caller that changes a group it was given changes nothing another sees.
func memoGroups(ctx context.Context, read func(context.Context) ([]*Group, error)) ([]*Group, bool, error) {
	m, ok := ctx.Value(groupsMemoKey{}).(*groupsMemo)
	if !ok {
		return nil, false, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.ok {
		all, err := read(ctx)
		if err != nil {
			return nil, true, err
		}
		m.all, m.ok = all, true
	}
	out := make([]*Group, len(m.all))
	for i, g := range m.all {
		c := *g
		out[i] = &c
	}
	return out, true, nil
}
