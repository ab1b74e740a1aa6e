package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/clerkkit/clerkkit/webhooks"
)

// DeliveryRetention is how long ApplyOnce remembers a delivery id: well
// beyond Svix's retry schedule (a few days). A manual replay of an older
// delivery is applied again, which the newest-wins and tombstone rules
// make harmless.
const DeliveryRetention = 7 * 24 * time.Hour

// Pruning of recorded delivery ids: every pruneEvery-th delivery (new id
// in ApplyOnce, attempt in the single-statement upserts) deletes up to
// pruneBatch ids older than DeliveryRetention, in the delivery's
// transaction. Deleting more ids than are added keeps the table at about
// one retention period of deliveries, and each deletion short.
const (
	pruneEvery = 256
	pruneBatch = 1024
)

// Tx is a transaction of the store, handed to the function of ApplyOnce.
// Its methods are the Store's writes of Clerk objects, with the same rules,
// run in the transaction; they are not safe for concurrent use and must
// not be used once the function has returned. After a method fails, except
// with ErrInvalid, the transaction may be unusable (PostgreSQL aborts it on
// an error): return the error.
type Tx struct {
	s  *Store
	tx *sql.Tx
}

// ApplyOnce applies one webhook delivery at most once. In a single
// transaction it records deliveryID (the svix-id), runs fn and commits
// when fn returns nil, so that the id is recorded exactly when fn's writes
// are:
//
//   - When deliveryID was applied before, fn does not run and duplicate is
//     true.
//   - A concurrent ApplyOnce of the same id waits for the first one's
//     transaction to end (on the id's unique key in PostgreSQL, on the
//     write lock in SQLite), then finds the id (duplicate) or, when the
//     first rolled back, applies the delivery itself.
//   - When fn fails, or ctx ends before the commit, nothing is kept: fn's
//     error (or the context's) is returned and a redelivery applies the
//     event. (An error reported after the database committed, e.g. a lost
//     connection, leaves both: the redelivery is then a duplicate.)
//
// Ids are remembered for DeliveryRetention.
func (s *Store) ApplyOnce(ctx context.Context, deliveryID string, fn func(tx *Tx) error) (duplicate bool, err error) {
	if deliveryID == "" {
		return false, fmt.Errorf("%w: empty delivery id", ErrInvalid)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: apply delivery %s: %w", deliveryID, err)
	}
	defer tx.Rollback() // a no-op after Commit
	now := time.Now()
	n, err := s.exec(ctx, tx, sqlRecordDelivery, deliveryID, now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("store: apply delivery %s: %w", deliveryID, err)
	}
	if n == 0 {
		return true, nil
	}
	if s.recorded.Add(1)%uint64(s.pruneEvery) == 0 {
		if _, err := s.exec(ctx, tx, sqlPruneDeliveries, now.Add(-DeliveryRetention).UnixMilli(), s.pruneBatch); err != nil {
			return false, fmt.Errorf("store: apply delivery %s: prune: %w", deliveryID, err)
		}
	}
	if err := fn(&Tx{s: s, tx: tx}); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: apply delivery %s: commit: %w", deliveryID, err)
	}
	return false, nil
}

// PruneDeliveries forgets the delivery ids ApplyOnce recorded before
// before, in batches, and returns how many it deleted. ApplyOnce already
// prunes ids older than DeliveryRetention as it goes; call this to forget
// sooner.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		n, err := s.exec(ctx, s.db, sqlPruneDeliveries, before.UnixMilli(), s.pruneBatch)
		if err != nil {
			return total, fmt.Errorf("store: prune deliveries: %w", err)
		}
		total += n
		if n < int64(s.pruneBatch) {
			return total, nil
		}
	}
}

// write runs fn in a transaction of its own, committed when fn succeeds.
func (s *Store) write(ctx context.Context, fn func(t *Tx) (bool, error)) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: begin: %w", err)
	}
	ok, err := fn(&Tx{s: s, tx: tx})
	if err != nil {
		_ = tx.Rollback()
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: commit: %w", err)
	}
	return ok, nil
}

// UpsertUserOnce is UpsertUser applied as webhook delivery deliveryID, at
// most once, with the guarantees of ApplyOnce: duplicate reports an id
// applied before (nothing written), applied whether u was written. On
// PostgreSQL a single statement records the id and makes the upsert.
func (s *Store) UpsertUserOnce(ctx context.Context, deliveryID string, u User) (duplicate, applied bool, err error) {
	args, err := userArgs(u)
	if err != nil {
		return false, false, err
	}
	duplicate, applied, err = s.upsertOnce(ctx, deliveryID, kindUser, u.ID, sqlUpsertUser, pgUpsertUserOnce, pgUpsertUserOncePrune, args)
	if err != nil {
		return false, false, fmt.Errorf("store: upsert user %s: %w", u.ID, err)
	}
	return duplicate, applied, nil
}

// UpsertOrganizationOnce is UpsertOrganization applied as webhook delivery
// deliveryID, at most once; see UpsertUserOnce. It fails with ErrConflict,
// recording nothing, when another organization holds o's slug.
func (s *Store) UpsertOrganizationOnce(ctx context.Context, deliveryID string, o Organization) (duplicate, applied bool, err error) {
	args, err := orgArgs(o)
	if err != nil {
		return false, false, err
	}
	duplicate, applied, err = s.upsertOnce(ctx, deliveryID, kindOrganization, o.ID, sqlUpsertOrg, pgUpsertOrgOnce, pgUpsertOrgOncePrune, args)
	if err != nil {
		return false, false, fmt.Errorf("store: upsert organization %s: %w", o.ID, err)
	}
	return duplicate, applied, nil
}

// upsertOnce runs the upsert q of the object (kind, id) as delivery
// deliveryID: on PostgreSQL as the statement pg (pgPrune when it is time
// to prune), elsewhere in ApplyOnce.
func (s *Store) upsertOnce(ctx context.Context, deliveryID, kind, id, q, pg, pgPrune string, args []any) (duplicate, applied bool, err error) {
	if deliveryID == "" {
		return false, false, fmt.Errorf("%w: empty delivery id", ErrInvalid)
	}
	if s.dialect != webhooks.Postgres {
		duplicate, err = s.ApplyOnce(ctx, deliveryID, func(t *Tx) error {
			applied, err = t.upsert(ctx, kind, id, q, args...)
			return err
		})
		return duplicate, applied, err
	}
	now := time.Now()
	all := append([]any{deliveryID, now.UnixMilli(), kind, id}, args...)
	if s.recorded.Add(1)%uint64(s.pruneEvery) == 0 {
		pg = pgPrune
		all = append(all, now.Add(-DeliveryRetention).UnixMilli(), s.pruneBatch)
	}
	var recorded, written int
	if err := s.db.QueryRowContext(ctx, pg, all...).Scan(&recorded, &written); err != nil {
		return false, false, classify(err)
	}
	return recorded == 0, written > 0, nil
}
