package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/mongo"
)

// IDLookupExprForTest is idLookupExpr, for the external tests.
const IDLookupExprForTest = idLookupExpr

// SQLiteDirForTest is where s's embedded database keeps its files.
func SQLiteDirForTest(s *Store) string { return s.sqliteDir }

// UpgradeForTest runs the given migrations up to current, as Upgrade runs
// the real ones.
func UpgradeForTest(s *Store, ctx context.Context, ms []Migration, current int) error {
	return s.upgrade(ctx, nil, ms, current)
}

// SetLockLeaseForTest makes Lock use lease until the returned restore.
func SetLockLeaseForTest(lease time.Duration) (restore func()) {
	old := lockLease
	lockLease = lease
	return func() { lockLease = old }
}

// StallLockRenewalsForTest makes lock renewals hang until their deadline,
// as on a database that has stopped answering, until the returned restore.
func StallLockRenewalsForTest() (restore func()) {
	old := renewLock
	renewLock = func(ctx context.Context, _ *mongo.Database, _ string, _, _ time.Time) (bool, error) {
		<-ctx.Done()
		return false, ctx.Err()
	}
	return func() { renewLock = old }
}

// SetAfterChunkCopyForTest makes schema 10 call f between its copies and
// the switch of the blobs to them; it returns what undoes it.
func SetAfterChunkCopyForTest(f func() error) (restore func()) {
	afterChunkCopy = f
	return func() { afterChunkCopy = nil }
}

// StampWaitersForTest is how many Gets wait beside the one that started
// c's read under way (0 when none is).
func StampWaitersForTest[T any](c *StampCache[T]) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.flight == nil {
		return 0
	}
	return c.flight.waiters
}
