package auth

import (
	"context"

	"github.com/circularfairict/portal/store"
)

// lock serialises the read-modify-writes of the document id of collection
// col (a member's review and pseudonymisation, a group's member and
// coordinator lists, a join request's decision, an invitation's displayed
// use count) across every server sharing the database, and returns its
// unlock. FerretDB, the embedded database, applies even a conditional
// update read-then-write, so without it two such updates of one document
// could both match a filter only one should match, or undo each other.
// The lock is a claimed _id (store.Lock), and the returned context ends if
// it is lost: every guarded write uses that context. An invariant that needs no lock
// rests on a claim of its own (invitation uses: claimInvitationUse). See
// "Correct with several replicas" in docs/architecture.md.
// Every write of a member or a group document takes its lock, not only the
// conditional ones: on FerretDB a plain $set rewrites the whole document
// from its read, so a profile save could put back the status a review had
// just changed, or a rename the member list a join had just grown.
func (s *Store) lock(ctx context.Context, col, id string) (lctx context.Context, unlock func(), err error) {
	return store.Lock(ctx, s.db, col+"/"+id)
}

// locked runs f holding the lock of document id of col, with the lock's
// context.
func (s *Store) locked(ctx context.Context, col, id string, f func(ctx context.Context) error) error {
	ctx, unlock, err := s.lock(ctx, col, id)
	if err != nil {
		return err
	}
	defer unlock()
	return f(ctx)
}
