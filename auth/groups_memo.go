package auth

import (
	"context"
	"maps"
	"slices"
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
// groups once and answer later calls from that read. A search page asks
// for the viewer's groups and for all groups several times (its viewer,
// its cards, its layout); each ask of all groups reads the groups' stamp,
// and the viewer's would be two lookups, so one read serves them all (from
// the server's stamped copy, see Groups). Only for a
// read-only request that ends soon: a long-lived one (a live stream that
// re-checks rights) must see membership changes, so it must not use it.
func WithGroupsMemo(ctx context.Context) context.Context {
	if _, ok := ctx.Value(groupsMemoKey{}).(*groupsMemo); ok {
		return ctx
	}
	return context.WithValue(ctx, groupsMemoKey{}, &groupsMemo{})
}

// memoGroups returns the memo's groups, reading them with read on first
// use (a shared value it never changes: store.StampCache.Shared); ok is
// false without a memo. Each call gets its own deep copies, so
// a caller that changes a group it was given changes nothing another sees.
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
	return cloneGroups(m.all), true, nil
}

// cloneGroups copies groups deeply, lists and maps included, so that what
// one caller is handed shares nothing with a cached or memoised copy.
func cloneGroups(gs []*Group) []*Group {
	if gs == nil {
		return nil
	}
	out := make([]*Group, len(gs))
	for i, g := range gs {
		c := *g
		c.Languages, c.Coordinators, c.Members = slices.Clone(g.Languages), slices.Clone(g.Coordinators), slices.Clone(g.Members)
		c.Joined, c.Names, c.Descriptions = maps.Clone(g.Joined), maps.Clone(g.Names), maps.Clone(g.Descriptions)
		if g.ArchivedAt != nil {
			at := *g.ArchivedAt
			c.ArchivedAt = &at
		}
		out[i] = &c
	}
	return out
}
