package auth

import "sync"

// FerretDB 1.24, the embedded database, applies an update as a read, then
// a separate write (internal/handler/msg_update.go: Query, then UpdateAll):
// two updates of one document at the same moment can both match a filter
// that only one of them should match, and one $addToSet or $inc can undo
// the other. MongoDB applies each update to a document atomically.
//
// So the store serialises its own conditional updates of a document inside
// this process with docLocks. That is all the embedded database needs: one
// server process owns it. Several server instances require MongoDB, where
// the update filters themselves hold the limits.
var docLocks = &keyedMutex{locks: map[string]*refMutex{}}

type refMutex struct {
	sync.Mutex
	refs int
}

// keyedMutex hands out one mutex per key and forgets it when unused.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*refMutex
}

// lock locks the document id of collection col and returns its unlock.
func (k *keyedMutex) lock(col, id string) (unlock func()) {
	key := col + "\x00" + id
	k.mu.Lock()
	l := k.locks[key]
	if l == nil {
		l = &refMutex{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
