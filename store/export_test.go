package store

import "context"

// IDLookupExprForTest is idLookupExpr, for the external tests.
const IDLookupExprForTest = idLookupExpr

// SQLiteDirForTest is where s's embedded database keeps its files.
func SQLiteDirForTest(s *Store) string { return s.sqliteDir }

// UpgradeForTest runs the given migrations up to current, as Upgrade runs
// the real ones.
func UpgradeForTest(s *Store, ctx context.Context, ms []Migration, current int) error {
	return s.upgrade(ctx, nil, ms, current)
}
