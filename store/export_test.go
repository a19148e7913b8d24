package store

// IDLookupExprForTest is idLookupExpr, for the external tests.
const IDLookupExprForTest = idLookupExpr

// SQLiteDirForTest is where s's embedded database keeps its files.
func SQLiteDirForTest(s *Store) string { return s.sqliteDir }
