package server

import (
	"sync"

	"github.com/fasthttp/websocket"
)

// wsBufferPool shares write buffers between idle sockets: a socket holds
// one only while it writes.
var wsBufferPool websocket.BufferPool = &sync.Pool{}

// socketSet tracks the live sockets of each member so that deactivating a
// member can close them. (Main's connection registry replaces this at
// merge time.)
type socketSet struct {
	mu   sync.Mutex
	next int
	m    map[string]map[int]func()
}

func (s *Server) trackSocket(memberID string, closeFn func()) (remove func()) {
	ss := &s.sockets
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.m == nil {
		ss.m = map[string]map[int]func(){}
	}
	ss.next++
	id := ss.next
	if ss.m[memberID] == nil {
		ss.m[memberID] = map[int]func(){}
	}
	ss.m[memberID][id] = closeFn
	return func() {
		ss.mu.Lock()
		defer ss.mu.Unlock()
		delete(ss.m[memberID], id)
		if len(ss.m[memberID]) == 0 {
			delete(ss.m, memberID)
		}
	}
}

// closeSockets closes every live socket of a member.
func (s *Server) closeSockets(memberID string) {
	s.sockets.mu.Lock()
	fns := make([]func(), 0, len(s.sockets.m[memberID]))
	for _, f := range s.sockets.m[memberID] {
		fns = append(fns, f)
	}
	s.sockets.mu.Unlock()
	for _, f := range fns {
		f()
	}
}
