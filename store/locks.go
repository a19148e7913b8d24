package store

import "sync"

// KeyedMutex hands out one mutex per key and forgets it when unused.
//
// FerretDB 1.24, the embedded database, applies an update as a read and
// then a separate write, so two conditional updates of one document at the
// same moment can both match a filter that only one of them should. Stores
// serialise such read-modify-write sequences per document with a
// KeyedMutex. One process owns the embedded database, so in-process locks
// are enough there; on MongoDB each single update is atomic anyway.
type KeyedMutex struct {
	mu    sync.Mutex
	locks map[string]*refMutex
}

type refMutex struct {
	sync.Mutex
	refs int
}

// NewKeyedMutex returns an empty KeyedMutex.
func NewKeyedMutex() *KeyedMutex { return &KeyedMutex{locks: map[string]*refMutex{}} }

// Lock locks key and returns its unlock function.
func (k *KeyedMutex) Lock(key string) (unlock func()) {
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
