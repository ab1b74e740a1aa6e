package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/clerkkit/clerkkit/webhooks"
)

// DefaultSQLitePath is the database file Open uses for an empty URL.
const DefaultSQLitePath = "saas.db"

// sqliteParams configure every SQLite connection: foreign keys are off by
// default in SQLite and must be enabled per connection; WAL lets readers
// run beside the writer; busy_timeout waits for the write lock instead of
// failing; _txlock=immediate takes the write lock at BEGIN, so that a
// transaction never has to upgrade a stale read snapshot.
const sqliteParams = "_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"

// Errors returned by Store methods; test them with errors.Is.
var (
	// ErrNotFound means that no row has the requested id.
	ErrNotFound = errors.New("store: not found")
	// ErrMissingParent means that a row refers to a user or organization
	// that is not stored (yet). For a membership delivered before its user
	// or organization it is retryable: see the package documentation.
	ErrMissingParent = errors.New("store: referenced user or organization not stored")
	// ErrConflict means that a unique column (an organization's slug)
	// already holds the value for another row.
	ErrConflict = errors.New("store: unique value already taken")
	// ErrInvalid means that an argument failed validation.
	ErrInvalid = errors.New("store: invalid argument")
)

// Store is the application's database. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	dialect webhooks.Dialect

	// recorded counts deliveries, to prune at most pruneBatch old ids
	// every pruneEvery-th one (see deliveries.go; tests lower both).
	recorded   atomic.Uint64
	pruneEvery int
	pruneBatch int

	// stmts holds SQLite's prepared statements, by query, once prepare
	// is set: after the migrations, whose statements refer to tables
	// their own transaction creates (see prepared).
	prepare bool
	stmts   sync.Map
}

// Open connects to databaseURL and migrates the schema. The URL selects the
// database:
//
//	""                         SQLite file DefaultSQLitePath
//	path or file:path?params   SQLite (modernc.org/sqlite, pure Go)
//	postgres://…, postgresql://…  PostgreSQL (pgx)
//
// SQLite connections always get foreign keys, WAL, a busy timeout and
// immediate transactions; further "file:" URI parameters are kept. A plain
// path must not contain '?'.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	driver, dsn, dialect, err := parseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	var db *sql.DB
	if dialect == webhooks.Postgres {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("store: open: %w", err)
		}
		// A context that ends cancels the statement in the server too: a
		// statement waiting for a lock, e.g. a single-statement webhook
		// delivery, must not go on and commit after its caller gave up
		// (pgx's default only stops waiting for the answer).
		cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
			return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: time.Second}
		}
		db = stdlib.OpenDB(*cfg)
		db.SetMaxOpenConns(10)
		db.SetConnMaxIdleTime(5 * time.Minute)
	} else if db, err = sql.Open(driver, dsn); err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	s := &Store{db: db, dialect: dialect, pruneEvery: pruneEvery, pruneBatch: pruneBatch}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	s.prepare = dialect == webhooks.SQLite
	return s, nil
}

// parseURL maps a database URL to a database/sql driver, its DSN and the
// dialect.
func parseURL(u string) (driver, dsn string, dialect webhooks.Dialect, err error) {
	switch {
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return "pgx", u, webhooks.Postgres, nil
	case strings.Contains(u, "://"):
		scheme, _, _ := strings.Cut(u, "://")
		return "", "", 0, fmt.Errorf("%w: unsupported database URL scheme %q", ErrInvalid, scheme)
	case u == "":
		u = DefaultSQLitePath
	}
	sep := "?"
	if strings.HasPrefix(u, "file:") && strings.Contains(u, "?") {
		sep = "&"
	} else if strings.Contains(u, "?") {
		return "", "", 0, fmt.Errorf("%w: SQLite path %q contains '?': use a file: URI", ErrInvalid, u)
	}
	return "sqlite", u + sep + sqliteParams, webhooks.SQLite, nil
}

// DB returns the underlying database, e.g. for webhooks.NewSQLStore.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns the database's SQL dialect in the webhooks package's
// terms, so that the webhook idempotency store can share the database:
//
//	ws, err := webhooks.NewSQLStore(s.DB(), s.Dialect())
func (s *Store) Dialect() webhooks.Dialect { return s.dialect }

// Close closes the database.
func (s *Store) Close() error {
	s.stmts.Range(func(_, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
	return s.db.Close()
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// rebind rewrites the ? placeholders of q for the store's dialect. The
// statements in queries.go hold no '?' elsewhere.
func (s *Store) rebind(q string) string {
	if s.dialect != webhooks.Postgres {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// exec runs a statement and returns the number of rows it changed.
func (s *Store) exec(ctx context.Context, db querier, q string, args ...any) (int64, error) {
	db, q, err := s.prepared(ctx, db, q)
	if err != nil {
		return 0, classify(err)
	}
	res, err := db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, classify(err)
	}
	return res.RowsAffected()
}

func (s *Store) queryRow(ctx context.Context, db querier, q string, args ...any) *sql.Row {
	db, q, err := s.prepared(ctx, db, q)
	if err != nil {
		return db.QueryRowContext(ctx, q, args...) // reports the error
	}
	return db.QueryRowContext(ctx, q, args...)
}

func (s *Store) query(ctx context.Context, db querier, q string, args ...any) (*sql.Rows, error) {
	db, q, err := s.prepared(ctx, db, q)
	if err != nil {
		return nil, err
	}
	return db.QueryContext(ctx, q, args...)
}

// prepared returns where and how to run the statement q: on PostgreSQL, q
// rebound, on db (pgx prepares and caches each statement per connection
// itself); on SQLite, once migrated, a statement prepared once per Store
// (and per connection, by database/sql), run in db's transaction when db
// is one.
// modernc.org/sqlite keeps no statement cache of its own: without this,
// every statement is parsed and planned again, about a quarter of a
// webhook delivery's time. The store's statements are the constants of
// queries.go, so the cache is bounded by their number.
func (s *Store) prepared(ctx context.Context, db querier, q string) (querier, string, error) {
	if !s.prepare {
		return db, s.rebind(q), nil
	}
	v, ok := s.stmts.Load(q)
	if !ok {
		st, err := s.db.PrepareContext(ctx, q)
		if err != nil {
			return db, q, err
		}
		if v, ok = s.stmts.LoadOrStore(q, st); ok {
			st.Close() // another goroutine prepared it first
		}
	}
	st := v.(*sql.Stmt)
	if tx, ok := db.(*sql.Tx); ok {
		st = tx.StmtContext(ctx, st)
	}
	return stmtQuerier{st}, "", nil
}

// stmtQuerier runs a prepared statement as a querier; the query argument
// is ignored.
type stmtQuerier struct{ st *sql.Stmt }

func (q stmtQuerier) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return q.st.ExecContext(ctx, args...)
}

func (q stmtQuerier) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return q.st.QueryContext(ctx, args...)
}

func (q stmtQuerier) QueryRowContext(ctx context.Context, _ string, args ...any) *sql.Row {
	return q.st.QueryRowContext(ctx, args...)
}

// inTx runs fn in a transaction, committed when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// classify wraps constraint violations of either driver in ErrConflict or
// ErrMissingParent.
func classify(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w: %w", ErrConflict, err)
		case "23503": // foreign_key_violation
			return fmt.Errorf("%w: %w", ErrMissingParent, err)
		}
		return err
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		switch lite.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %w", ErrMissingParent, err)
		}
	}
	return err
}

// ms converts t to Unix milliseconds; the zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS converts Unix milliseconds to a UTC time; 0 is the zero time.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
