package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit/webhooks"
)

// migrations holds the schema changes, applied in file name order; a file,
// once released, is never edited: add a new one.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrateLockID is the PostgreSQL advisory lock that serializes migrations
// of replicas starting together (SQLite serializes them by its write lock).
const migrateLockID = 7_342_001_118

// migrate applies the migrations not yet recorded in schema_migrations, all
// in one transaction.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	slices.Sort(names)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if s.dialect == webhooks.Postgres {
			if _, err := s.exec(ctx, tx, fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", migrateLockID)); err != nil {
				return err
			}
		}
		if _, err := s.exec(ctx, tx, sqlCreateMigrations); err != nil {
			return err
		}
		applied, err := s.appliedMigrations(ctx, tx)
		if err != nil {
			return err
		}
		for _, name := range names {
			version := strings.TrimSuffix(path.Base(name), ".sql")
			if applied[version] {
				continue
			}
			src, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			for _, stmt := range statements(string(src)) {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("%s: %w", version, err)
				}
			}
			if _, err := s.exec(ctx, tx, sqlRecordMigration, version, time.Now().UnixMilli()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

func (s *Store) appliedMigrations(ctx context.Context, tx *sql.Tx) (map[string]bool, error) {
	rows, err := s.query(ctx, tx, sqlAppliedMigrations)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	applied := map[string]bool{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		applied[v] = true
	}
	return applied, rows.Err()
}

// statements splits a migration file into its statements: "--" comment
// lines are dropped and statements end at ';'.
func statements(src string) []string {
	var b strings.Builder
	for line := range strings.Lines(src) {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
		}
	}
	var out []string
	for stmt := range strings.SplitSeq(b.String(), ";") {
		if stmt = strings.TrimSpace(stmt); stmt != "" {
			out = append(out, stmt)
		}
	}
	return out
}
