package store

import (
	"context"
	"time"
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
