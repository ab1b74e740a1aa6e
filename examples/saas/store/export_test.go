package store

// SetPruning sets how often ApplyOnce prunes old delivery ids and how many
// at most, for tests.
func SetPruning(s *Store, every, batch int) { s.pruneEvery, s.pruneBatch = every, batch }

// PreparedStatements reports how many statements s holds prepared.
func PreparedStatements(s *Store) int {
	n := 0
	s.stmts.Range(func(_, _ any) bool { n++; return true })
	return n
}
