package server

import "sync"

// connections tracks each member's open long-lived connections (live rooms,
// live thread updates) so that deactivating or deleting a member closes
// them at once. The websocket adapter registers every socket it accepts.
type connections struct {
	mu    sync.Mutex
	next  int
	conns map[string]map[int]func()
}

func newConnections() *connections { return &connections{conns: map[string]map[int]func(){}} }

// add registers a close function for memberID's connection and returns the
// function that unregisters it when the connection ends by itself.
func (cs *connections) add(memberID string, closeFn func()) (remove func()) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.next++
	id := cs.next
	if cs.conns[memberID] == nil {
		cs.conns[memberID] = map[int]func(){}
	}
	cs.conns[memberID][id] = closeFn
	return func() {
		cs.mu.Lock()
		defer cs.mu.Unlock()
		delete(cs.conns[memberID], id)
		if len(cs.conns[memberID]) == 0 {
			delete(cs.conns, memberID)
		}
	}
}

// closeAll closes every connection of memberID; close functions run outside
// the lock so they may unregister themselves.
func (cs *connections) closeAll(memberID string) int {
	cs.mu.Lock()
	fns := make([]func(), 0, len(cs.conns[memberID]))
	for _, f := range cs.conns[memberID] {
		fns = append(fns, f)
	}
	delete(cs.conns, memberID)
	cs.mu.Unlock()
	for _, f := range fns {
		f()
	}
	return len(fns)
}
