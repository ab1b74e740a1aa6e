// Package sqlstore runs webhooks.SQLStore, and a webhooks.Handler on it,
// on real databases: SQLite (modernc.org/sqlite) always, and PostgreSQL
// (pgx) when TEST_DATABASE_URL is set, each test in a schema of its own.
// It holds tests only; the library module links no driver.
package sqlstore
