package store

// SetPruning sets how often ApplyOnce prunes old delivery ids and how many
// at most, for tests.
func SetPruning(s *Store, every, batch int) { s.pruneEvery, s.pruneBatch = every, batch }
