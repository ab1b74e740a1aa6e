package webhooks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"strconv"
	"strings"
	"time"
)

// Dialect selects the SQL placeholder style of a SQLStore.
type Dialect int

// Supported dialects.
const (
	// SQLite uses ? placeholders (SQLite 3.24 or later, for upserts).
	SQLite Dialect = iota + 1
	// Postgres uses $1, $2, … placeholders (PostgreSQL 9.5 or later).
	Postgres
)

// SQLSchema creates the table SQLStore uses. It is portable across SQLite
// and PostgreSQL; run it with SQLStore.Migrate or your migration tool.
// state is 1 while a claim is in flight and 2 once completed; lease_until
// and updated_at are Unix milliseconds.
const SQLSchema = `CREATE TABLE IF NOT EXISTS clerkkit_webhook_events (
	id          VARCHAR(255) NOT NULL PRIMARY KEY,
	owner       VARCHAR(64)  NOT NULL,
	state       SMALLINT     NOT NULL,
	lease_until BIGINT       NOT NULL,
	updated_at  BIGINT       NOT NULL
);
CREATE INDEX IF NOT EXISTS clerkkit_webhook_events_updated_at ON clerkkit_webhook_events (updated_at);`

// Statements, written with ? placeholders and rebound per dialect.
const (
	sqlInsertClaim = `INSERT INTO clerkkit_webhook_events (id, owner, state, lease_until, updated_at)
VALUES (?, ?, 1, ?, ?) ON CONFLICT (id) DO NOTHING`
	sqlTakeOver = `UPDATE clerkkit_webhook_events SET owner = ?, lease_until = ?, updated_at = ?
WHERE id = ? AND state = 1 AND lease_until <= ?`
	sqlState    = `SELECT state FROM clerkkit_webhook_events WHERE id = ?`
	sqlComplete = `INSERT INTO clerkkit_webhook_events (id, owner, state, lease_until, updated_at)
VALUES (?, '', 2, 0, ?) ON CONFLICT (id) DO UPDATE SET state = 2, owner = '', lease_until = 0, updated_at = excluded.updated_at`
	sqlRelease = `DELETE FROM clerkkit_webhook_events WHERE id = ? AND owner = ? AND state = 1`
	sqlPrune   = `DELETE FROM clerkkit_webhook_events WHERE (state = 2 AND updated_at < ?) OR (state = 1 AND lease_until < ?)`
)

// SQLStore is a Store on a database/sql database, shared by every replica
// using the same database. Create the table first (SQLSchema, Migrate).
// Completed ids stay until Prune removes them.
type SQLStore struct {
	db *sql.DB
	q  struct{ insertClaim, takeOver, state, complete, release, prune string }
}

// NewSQLStore returns a SQLStore on db; db's driver must match dialect.
func NewSQLStore(db *sql.DB, dialect Dialect) (*SQLStore, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: webhooks.NewSQLStore: nil *sql.DB", clerkerr.ErrInvalidConfig)
	}
	var bind func(string) string
	switch dialect {
	case SQLite:
		bind = func(q string) string { return q }
	case Postgres:
		bind = dollarPlaceholders
	default:
		return nil, fmt.Errorf("%w: webhooks.NewSQLStore: unknown dialect %d", clerkerr.ErrInvalidConfig, dialect)
	}
	s := &SQLStore{db: db}
	s.q.insertClaim, s.q.takeOver, s.q.state = bind(sqlInsertClaim), bind(sqlTakeOver), bind(sqlState)
	s.q.complete, s.q.release, s.q.prune = bind(sqlComplete), bind(sqlRelease), bind(sqlPrune)
	return s, nil
}

// dollarPlaceholders rewrites ? placeholders as $1, $2, …; the statements
// above hold no ? inside literals.
func dollarPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Migrate runs SQLSchema, one statement at a time.
func (s *SQLStore) Migrate(ctx context.Context) error {
	for stmt := range strings.SplitSeq(SQLSchema, ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := s.db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("clerkkit/webhooks: migrate: %w", err)
		}
	}
	return nil
}

// Claim implements Store: insert a new claim, else take over an expired
// one, else report the row's state. Each step is a single statement, atomic
// on its own.
func (s *SQLStore) Claim(ctx context.Context, id, owner string, lease time.Duration) (ClaimState, error) {
	now := time.Now()
	nowMS, untilMS := now.UnixMilli(), now.Add(lease).UnixMilli()
	n, err := s.exec(ctx, s.q.insertClaim, id, owner, untilMS, nowMS)
	if err == nil && n == 0 {
		n, err = s.exec(ctx, s.q.takeOver, owner, untilMS, nowMS, id, nowMS)
	}
	switch {
	case err != nil:
		return 0, err
	case n == 1:
		return Claimed, nil
	}
	var state int
	err = s.db.QueryRowContext(ctx, s.q.state, id).Scan(&state)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// Released between the statements: let the sender retry.
		return InFlight, nil
	case err != nil:
		return 0, fmt.Errorf("clerkkit/webhooks: claim: %w", err)
	case state == 2:
		return Completed, nil
	}
	return InFlight, nil
}

// Complete implements Store.
func (s *SQLStore) Complete(ctx context.Context, id string) error {
	_, err := s.exec(ctx, s.q.complete, id, time.Now().UnixMilli())
	return err
}

// Release implements Store.
func (s *SQLStore) Release(ctx context.Context, id, owner string) error {
	_, err := s.exec(ctx, s.q.release, id, owner)
	return err
}

// Prune deletes ids completed before before, and claims whose lease ended
// before it, and returns how many rows it deleted. Keep completed ids for
// longer than Svix retries (a few days), e.g. Prune(ctx,
// time.Now().Add(-7*24*time.Hour)) daily.
func (s *SQLStore) Prune(ctx context.Context, before time.Time) (int64, error) {
	ms := before.UnixMilli()
	return s.exec(ctx, s.q.prune, ms, ms)
}

func (s *SQLStore) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("clerkkit/webhooks: sql store: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("clerkkit/webhooks: sql store: %w", err)
	}
	return n, nil
}
