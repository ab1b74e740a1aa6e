package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	_ "modernc.org/sqlite"             // the "sqlite" driver

	"github.com/clerkkit/clerkkit/webhooks"
	"github.com/clerkkit/clerkkit/webhooks/webhookstest"
)

// envDatabaseURL names the variable holding a PostgreSQL URL, e.g.
// postgres://u:p@127.0.0.1:5432/db?sslmode=disable; when it is set, every
// test runs on PostgreSQL too, each in a schema of its own.
const envDatabaseURL = "TEST_DATABASE_URL"

// database is one empty database of a test: open connects to it anew,
// as another process (or a restarted one) would.
type database struct {
	dialect webhooks.Dialect
	driver  string
	dsn     string
}

// open connects to d and returns a migrated SQLStore on it; the
// connection is closed when the test ends (or earlier by the caller).
func (d database) open(t testing.TB) (*sql.DB, *webhooks.SQLStore) {
	t.Helper()
	db, err := sql.Open(d.driver, d.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := webhooks.NewSQLStore(db, d.dialect)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db, s
}

// store opens d and returns just the store.
func (d database) store(t testing.TB) *webhooks.SQLStore {
	t.Helper()
	_, s := d.open(t)
	return s
}

// eachDatabase runs fn as the subtest "sqlite", on a database file, and
// "postgres", in a fresh schema of TEST_DATABASE_URL's database (skipped
// when it is not set).
func eachDatabase(t *testing.T, fn func(t *testing.T, d database)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "events.db")
		fn(t, database{dialect: webhooks.SQLite, driver: "sqlite",
			dsn: "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"})
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv(envDatabaseURL)
		if base == "" {
			t.Skip(envDatabaseURL + " is not set: no PostgreSQL run")
		}
		fn(t, database{dialect: webhooks.Postgres, driver: "pgx", dsn: freshSchema(t, base)})
	})
}

// freshSchema creates a schema in the database at base, drops it when
// the test ends, and returns base with that schema as its search_path.
func freshSchema(t testing.TB, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s is not a URL", envDatabaseURL) // the URL may hold a password
	}
	schema := "clerkkit_test_" + strings.ToLower(rand.Text())
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatalf("%s: create schema: %v", envDatabaseURL, err)
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

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSQLStoreContract is the Store contract (webhookstest, which
// webhooks' memory store and redisstore pass too), on each database.
func TestSQLStoreContract(t *testing.T) {
	eachDatabase(t, func(t *testing.T, d database) {
		webhookstest.RunStoreContract(t, d.store(t))
	})
}

// TestSQLStoreConcurrentClaims: of 20 concurrent claims of one id, one
// wins.
func TestSQLStoreConcurrentClaims(t *testing.T) {
	ctx := context.Background()
	eachDatabase(t, func(t *testing.T, d database) {
		s := d.store(t)
		var mu sync.Mutex
		counts := map[webhooks.ClaimState]int{}
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				got, err := s.Claim(ctx, "same", fmt.Sprint("owner", i), time.Minute)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				counts[got]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if counts[webhooks.Claimed] != 1 || counts[webhooks.InFlight] != 19 {
			t.Fatalf("claims: %v", counts)
		}
	})
}

// TestSQLStoreConcurrentStores: two stores on the same database (two
// replicas) agree on who holds a claim.
func TestSQLStoreConcurrentStores(t *testing.T) {
	ctx := context.Background()
	eachDatabase(t, func(t *testing.T, d database) {
		s1, s2 := d.store(t), d.store(t)
		if st, err := s1.Claim(ctx, "msg_shared", "replica1", time.Minute); err != nil || st != webhooks.Claimed {
			t.Fatalf("replica 1: %v %v", st, err)
		}
		if st, err := s2.Claim(ctx, "msg_shared", "replica2", time.Minute); err != nil || st != webhooks.InFlight {
			t.Fatalf("replica 2 while replica 1 holds it: %v %v", st, err)
		}
		must(t, s1.Complete(ctx, "msg_shared"))
		if st, err := s2.Claim(ctx, "msg_shared", "replica2", time.Minute); err != nil || st != webhooks.Completed {
			t.Fatalf("replica 2 after completion: %v %v", st, err)
		}
	})
}

// TestSQLStoreSurvivesRestartAndPrunes: what one connection recorded, the
// next one (a restarted process) sees; Migrate is idempotent; Prune
// removes ended claims and old completions.
func TestSQLStoreSurvivesRestartAndPrunes(t *testing.T) {
	ctx := context.Background()
	eachDatabase(t, func(t *testing.T, d database) {
		db1, s1 := d.open(t)
		must(t, s1.Complete(ctx, "msg_done"))
		if st, _ := s1.Claim(ctx, "msg_inflight", "o", time.Hour); st != webhooks.Claimed {
			t.Fatal(st)
		}
		must(t, db1.Close())

		_, s2 := d.open(t) // Migrate again: idempotent
		if st, err := s2.Claim(ctx, "msg_done", "o2", time.Minute); err != nil || st != webhooks.Completed {
			t.Fatalf("after restart: %v %v, want completed", st, err)
		}
		if st, _ := s2.Claim(ctx, "msg_inflight", "o2", time.Minute); st != webhooks.InFlight {
			t.Fatalf("after restart: %v, want in flight", st)
		}
		// Nothing is old enough yet.
		if n, err := s2.Prune(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
			t.Fatalf("Prune an hour ago = %d, %v; want 0", n, err)
		}
		n, err := s2.Prune(ctx, time.Now().Add(2*time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("Prune = %d, %v; want 2", n, err)
		}
		if st, _ := s2.Claim(ctx, "msg_done", "o3", time.Minute); st != webhooks.Claimed {
			t.Fatalf("after prune: %v", st)
		}
	})
}
