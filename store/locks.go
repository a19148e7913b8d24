package store

import "sync"

// KeyedMutex hands out one mutex per key and forgets it when unused.
//
// It serialises nothing across processes, so no cross-request invariant may
// rest on it (see "Correct with several replicas" in docs/architecture.md:
// those rest on claimed _ids). Its one use: FerretDB 1.24, the embedded
// database, applies an update as a read and then a separate write, so two
// updates of one document at the same moment can undo each other where
// MongoDB applies each atomically; the embedded database is owned by one
// process, so serialising such updates per document there is enough.
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
