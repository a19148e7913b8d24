package auth

import "github.com/circularfairict/portal/store"

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
var docLocks = docLocker{store.NewKeyedMutex()}

type docLocker struct{ m *store.KeyedMutex }

// lock locks the document id of collection col and returns its unlock.
func (d docLocker) lock(col, id string) (unlock func()) { return d.m.Lock(col + "\x00" + id) }
