package auth

import "github.com/circularfairict/portal/store"

// FerretDB 1.24, the embedded database, applies an update as a read, then
// a separate write (internal/handler/msg_update.go: Query, then UpdateAll):
// two updates of one document at the same moment can both match a filter
// that only one of them should match, and one $addToSet or $inc can undo
// the other. MongoDB applies each update to a document atomically, so with
// several servers (which need MongoDB) the update filters hold the limits.
//
// docLocks serialises the remaining conditional updates of one document
// (a member's review and pseudonymisation, a group's member and
// coordinator lists, join requests, an invitation's displayed use count)
// inside this process, which is enough
// on the embedded database because one process owns it. It serialises
// nothing across processes; an invariant that must hold across servers
// whatever the backend rests on a claimed _id instead (invitation uses:
// claimInvitationUse). See "Correct with several replicas" in
// docs/architecture.md.
var docLocks = docLocker{store.NewKeyedMutex()}

type docLocker struct{ m *store.KeyedMutex }

// lock locks the document id of collection col and returns its unlock.
func (d docLocker) lock(col, id string) (unlock func()) { return d.m.Lock(col + "\x00" + id) }
