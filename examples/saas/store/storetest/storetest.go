// Package storetest runs tests against every available store backend:
// SQLite always, PostgreSQL when TEST_DATABASE_URL is set (start one with
// ../testdata/start-postgres.sh).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for schema set-up

	"github.com/clerkkit/clerkkit/examples/saas/store"
)

// EnvDatabaseURL names the variable holding the PostgreSQL URL of the
// tests, e.g. postgres://saas:saas@127.0.0.1:54329/saas_test?sslmode=disable.
const EnvDatabaseURL = "TEST_DATABASE_URL"

// Backend is an empty database for one test.
type Backend struct {
	// Name is "sqlite" or "postgres".
	Name string
	// URL is a store.Open URL of the database. PostgreSQL URLs point to a
	// fresh schema (search_path), dropped when the test ends.
	URL string
}

// Open opens the backend's store and closes it when the test ends.
func (b Backend) Open(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), b.URL)
	if err != nil {
		t.Fatalf("%s: %v", b.Name, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Run runs fn as the subtests "sqlite" and "postgres", each with an empty
// database. The postgres subtest is skipped when TEST_DATABASE_URL is not
// set.
func Run(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, Backend{Name: "sqlite", URL: filepath.Join(t.TempDir(), "test.db")})
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv(EnvDatabaseURL)
		if base == "" {
			t.Skip("TEST_DATABASE_URL not set: skipping the PostgreSQL variant")
		}
		fn(t, Backend{Name: "postgres", URL: freshSchema(t, base)})
	})
}

// RunB is Run for benchmarks: the sub-benchmarks "sqlite" and
// "postgres", each with an empty database.
func RunB(b *testing.B, fn func(b *testing.B, be Backend)) {
	b.Helper()
	b.Run("sqlite", func(b *testing.B) {
		fn(b, Backend{Name: "sqlite", URL: filepath.Join(b.TempDir(), "bench.db")})
	})
	b.Run("postgres", func(b *testing.B) {
		base := os.Getenv(EnvDatabaseURL)
		if base == "" {
			b.Skip("TEST_DATABASE_URL not set: skipping the PostgreSQL variant")
		}
		fn(b, Backend{Name: "postgres", URL: freshSchema(b, base)})
	})
}

// freshSchema creates a schema for the test in the database at base,
// drops it when the test ends, and returns base with that schema as its
// search_path.
func freshSchema(t testing.TB, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvDatabaseURL, err)
	}
	schema := "test_" + strings.ToLower(rand.Text())
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatalf("%s: %v", EnvDatabaseURL, err)
	}
	t.Cleanup(func() {
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
