package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/examples/saas/store"
	"github.com/clerkkit/clerkkit/examples/saas/store/storetest"
	"github.com/clerkkit/clerkkit/webhooks"
)

// recorded reports whether the delivery id is in webhook_deliveries.
func recorded(t testing.TB, s *store.Store, id string) bool {
	t.Helper()
	var n int
	q := "SELECT COUNT(*) FROM webhook_deliveries WHERE svix_id = ?"
	if s.Dialect() == webhooks.Postgres {
		q = "SELECT COUNT(*) FROM webhook_deliveries WHERE svix_id = $1"
	}
	if err := s.DB().QueryRowContext(context.Background(), q, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func countDeliveries(t testing.TB, s *store.Store) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM webhook_deliveries").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// firstName returns the stored user's first name.
func firstName(t testing.TB, s *store.Store, id string) string {
	t.Helper()
	return must(s.GetUser(context.Background(), id))(t).FirstName
}

func TestApplyOnceDuplicate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s := b.Open(t)
		ctx := t.Context()
		apply := func(u store.User) func(tx *store.Tx) error {
			return func(tx *store.Tx) error { _, err := tx.UpsertUser(ctx, u); return err }
		}
		if dup := must(s.ApplyOnce(ctx, "msg_1", apply(user("user_a", 0))))(t); dup {
			t.Fatal("first delivery reported as a duplicate")
		}
		if !recorded(t, s, "msg_1") {
			t.Fatal("msg_1 not recorded")
		}
		// A change the delivery would overwrite if it ran again (same
		// updated_at: the upsert applies).
		v := user("user_a", 0)
		v.FirstName = "changed"
		wantTrue(t)(s.UpsertUser(ctx, v))
		for range 2 {
			ran := false
			dup := must(s.ApplyOnce(ctx, "msg_1", func(tx *store.Tx) error { ran = true; return apply(user("user_a", 0))(tx) }))(t)
			if !dup || ran {
				t.Fatalf("redelivery: duplicate %t, ran %t", dup, ran)
			}
		}
		if got := firstName(t, s, "user_a"); got != "changed" {
			t.Fatalf("a duplicate was applied again: first name %q", got)
		}
		if _, err := s.ApplyOnce(ctx, "", apply(user("user_a", 0))); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("empty delivery id: %v", err)
		}
	})
}

func TestApplyOnceConcurrentDuplicates(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s := b.Open(t)
		ctx := t.Context()
		var runs, dups atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for range 20 {
			wg.Go(func() {
				dup, err := s.ApplyOnce(ctx, "msg_c", func(tx *store.Tx) error {
					runs.Add(1)
					_, err := tx.UpsertUser(ctx, user("user_a", 0))
					return err
				})
				if dup {
					dups.Add(1)
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if runs.Load() != 1 || dups.Load() != 19 {
			t.Fatalf("20 concurrent copies: %d ran, %d duplicates; want 1 and 19", runs.Load(), dups.Load())
		}
	})
}

// A copy that arrives while the first is in flight waits for it; when the
// first fails, the waiting copy applies the delivery.
func TestApplyOnceWaitsForFailingFirst(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s := b.Open(t)
		ctx := t.Context()
		inFirst, failFirst := make(chan struct{}), make(chan struct{})
		errFirst := errors.New("first copy fails")
		firstDone := make(chan error, 1)
		go func() {
			_, err := s.ApplyOnce(ctx, "msg_w", func(tx *store.Tx) error {
				if _, err := tx.UpsertUser(ctx, user("user_first", 0)); err != nil {
					return err
				}
				close(inFirst)
				<-failFirst
				return errFirst
			})
			firstDone <- err
		}()
		<-inFirst
		secondDone := make(chan bool, 1)
		var secondErr error
		go func() {
			var dup bool
			dup, secondErr = s.ApplyOnce(ctx, "msg_w", func(tx *store.Tx) error {
				_, err := tx.UpsertUser(ctx, user("user_second", 0))
				return err
			})
			secondDone <- dup
		}()
		select {
		case <-secondDone:
			t.Fatal("the second copy did not wait for the first")
		case <-time.After(200 * time.Millisecond):
		}
		close(failFirst)
		if err := <-firstDone; !errors.Is(err, errFirst) {
			t.Fatalf("first copy: %v", err)
		}
		if dup := <-secondDone; dup || secondErr != nil {
			t.Fatalf("second copy: duplicate %t, %v", dup, secondErr)
		}
		if _, err := s.GetUser(ctx, "user_first"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the failed copy's write was kept: %v", err)
		}
		if firstName(t, s, "user_second") == "" || !recorded(t, s, "msg_w") {
			t.Fatal("the second copy was not applied")
		}
	})
}

// A failure in the upsert rolls back the id with the writes: a redelivery
// applies the event.
func TestApplyOnceFailureRollsBack(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s := b.Open(t)
		ctx := t.Context()
		wantTrue(t)(s.UpsertOrganization(ctx, org("org_a", "acme", 0)))
		apply := func(tx *store.Tx) error {
			if _, err := tx.UpsertUser(ctx, user("user_a", 0)); err != nil {
				return err
			}
			_, err := tx.UpsertOrganization(ctx, org("org_b", "acme", 0)) // slug held by org_a
			return err
		}
		if _, err := s.ApplyOnce(ctx, "msg_f", apply); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("slug conflict: %v", err)
		}
		if recorded(t, s, "msg_f") {
			t.Fatal("a failed delivery's id was recorded")
		}
		if _, err := s.GetUser(ctx, "user_a"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a failed delivery's first write was kept: %v", err)
		}
		wantTrue(t)(s.UpsertOrganization(ctx, org("org_a", "acme-old", 1))) // the rename arrives
		if dup := must(s.ApplyOnce(ctx, "msg_f", apply))(t); dup {
			t.Fatal("the redelivery was taken for a duplicate")
		}
		if firstName(t, s, "user_a") == "" || must(s.GetOrganization(ctx, "org_b"))(t).Slug != "acme" || !recorded(t, s, "msg_f") {
			t.Fatal("the redelivery was not applied")
		}
	})
}

// A context that ends inside the transaction, like a crash, keeps
// nothing.
func TestApplyOnceCancelledMidTransaction(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s := b.Open(t)
		for i, tc := range []struct {
			name string
			fn   func(ctx context.Context, cancel context.CancelFunc, tx *store.Tx) error
		}{
			{"cancelled before the commit", func(ctx context.Context, cancel context.CancelFunc, tx *store.Tx) error {
				_, err := tx.UpsertUser(ctx, user("user_a", 0))
				cancel()
				return err // nil: ApplyOnce tries to commit
			}},
			{"cancelled before a write", func(ctx context.Context, cancel context.CancelFunc, tx *store.Tx) error {
				if _, err := tx.UpsertUser(ctx, user("user_a", 0)); err != nil {
					return err
				}
				cancel()
				_, err := tx.UpsertUser(ctx, user("user_b", 0))
				return err
			}},
		} {
			id := fmt.Sprintf("msg_cancel_%d", i)
			ctx, cancel := context.WithCancel(t.Context())
			_, err := s.ApplyOnce(ctx, id, func(tx *store.Tx) error { return tc.fn(ctx, cancel, tx) })
			cancel()
			if err == nil {
				t.Fatalf("%s: no error", tc.name)
			}
			if recorded(t, s, id) {
				t.Fatalf("%s: id recorded", tc.name)
			}
			if _, err := s.GetUser(t.Context(), "user_a"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("%s: write kept: %v", tc.name, err)
			}
			// Svix's retry applies it.
			if dup := must(s.ApplyOnce(t.Context(), id, func(tx *store.Tx) error {
				_, err := tx.UpsertUser(t.Context(), user("user_a", 0))
				return err
			}))(t); dup {
				t.Fatalf("%s: retry taken for a duplicate", tc.name)
			}
			if !recorded(t, s, id) || firstName(t, s, "user_a") == "" {
				t.Fatalf("%s: retry not applied", tc.name)
			}
			wantTrue(t)(s.DeleteUser(t.Context(), "user_a"))
			if _, err := s.PruneTombstones(t.Context(), time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestDeliveryPruning(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s := b.Open(t)
		ctx := t.Context()
		insert := "INSERT INTO webhook_deliveries (svix_id, applied_at) VALUES (?, ?)"
		if b.Name == "postgres" {
			insert = "INSERT INTO webhook_deliveries (svix_id, applied_at) VALUES ($1, $2)"
		}
		old := time.Now().Add(-store.DeliveryRetention - time.Hour).UnixMilli()
		for i := range 10 {
			if _, err := s.DB().ExecContext(ctx, insert, fmt.Sprintf("msg_old_%d", i), old+int64(i)); err != nil {
				t.Fatal(err)
			}
		}
		// Every second new id prunes at most 3 expired ids.
		store.SetPruning(s, 2, 3)
		noop := func(*store.Tx) error { return nil }
		for i := range 4 {
			must(s.ApplyOnce(ctx, fmt.Sprintf("msg_new_%d", i), noop))(t)
		}
		if n := countDeliveries(t, s); n != 10+4-6 {
			t.Fatalf("%d ids after 4 deliveries, want 8 (6 expired ids pruned)", n)
		}
		if recorded(t, s, "msg_old_0") || !recorded(t, s, "msg_old_9") {
			t.Fatal("pruning did not take the oldest ids first")
		}
		for i := range 4 {
			if !recorded(t, s, fmt.Sprintf("msg_new_%d", i)) {
				t.Fatalf("msg_new_%d pruned", i)
			}
		}
		// Duplicates record nothing and do not count.
		must(s.ApplyOnce(ctx, "msg_new_0", noop))(t)
		if n := countDeliveries(t, s); n != 8 {
			t.Fatalf("%d ids after a duplicate, want 8", n)
		}
		// PruneDeliveries takes everything before its time, batch after batch.
		if n := must(s.PruneDeliveries(ctx, time.Now().Add(-time.Hour)))(t); n != 4 {
			t.Fatalf("PruneDeliveries(an hour ago) deleted %d, want the 4 expired ids", n)
		}
		if n := must(s.PruneDeliveries(ctx, time.Now().Add(time.Hour)))(t); n != 4 || countDeliveries(t, s) != 0 {
			t.Fatalf("PruneDeliveries(in an hour) deleted %d, %d left", n, countDeliveries(t, s))
		}
	})
}

// UpsertUserOnce and UpsertOrganizationOnce keep the rules of ApplyOnce
// and of the upserts (on PostgreSQL they are one statement of their own).
func TestUpsertOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s := b.Open(t)
		ctx := t.Context()
		want := func(what string, wantDup, wantApplied bool) func(bool, bool, error) {
			return func(dup, applied bool, err error) {
				t.Helper()
				if err != nil || dup != wantDup || applied != wantApplied {
					t.Fatalf("%s: duplicate %t, applied %t, %v; want %t, %t", what, dup, applied, err, wantDup, wantApplied)
				}
			}
		}
		want("new user", false, true)(s.UpsertUserOnce(ctx, "msg_1", user("user_a", 5)))
		v := user("user_a", 5)
		v.FirstName = "changed"
		wantTrue(t)(s.UpsertUser(ctx, v))
		want("redelivery", true, false)(s.UpsertUserOnce(ctx, "msg_1", user("user_a", 5)))
		if got := firstName(t, s, "user_a"); got != "changed" {
			t.Fatalf("a duplicate was applied again: %q", got)
		}
		want("older version", false, false)(s.UpsertUserOnce(ctx, "msg_2", user("user_a", 1)))
		if !recorded(t, s, "msg_2") || firstName(t, s, "user_a") != "changed" {
			t.Fatal("a stale delivery was not recorded, or was written")
		}
		wantTrue(t)(s.DeleteUser(ctx, "user_a"))
		want("tombstoned user", false, false)(s.UpsertUserOnce(ctx, "msg_3", user("user_a", 99)))
		if _, err := s.GetUser(ctx, "user_a"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a delivery resurrected a deleted user: %v", err)
		}

		want("new organization", false, true)(s.UpsertOrganizationOnce(ctx, "msg_o1", org("org_a", "acme", 0)))
		if _, _, err := s.UpsertOrganizationOnce(ctx, "msg_o2", org("org_b", "acme", 0)); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("slug conflict: %v", err)
		}
		if recorded(t, s, "msg_o2") {
			t.Fatal("the failed delivery's id was recorded")
		}
		wantTrue(t)(s.UpsertOrganization(ctx, org("org_a", "acme-old", 1)))
		want("retry after the rename", false, true)(s.UpsertOrganizationOnce(ctx, "msg_o2", org("org_b", "acme", 0)))

		for _, err := range []error{
			second2(s.UpsertUserOnce(ctx, "msg_x", store.User{})),
			second2(s.UpsertUserOnce(ctx, "", user("user_c", 0))),
			second2(s.UpsertOrganizationOnce(ctx, "msg_x", store.Organization{})),
		} {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("invalid argument: %v", err)
			}
		}
		if recorded(t, s, "msg_x") {
			t.Fatal("an invalid delivery was recorded")
		}

		// 20 concurrent copies: one applies, 19 are duplicates.
		var applied, dups atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				dup, ok, err := s.UpsertUserOnce(ctx, "msg_c", user("user_c", 0))
				if err != nil {
					t.Error(err)
				}
				if dup {
					dups.Add(1)
				}
				if ok {
					applied.Add(1)
				}
			})
		}
		wg.Wait()
		if applied.Load() != 1 || dups.Load() != 19 {
			t.Fatalf("20 concurrent copies: %d applied, %d duplicates", applied.Load(), dups.Load())
		}
	})
}

// A context that ends while the delivery waits for the object's lock
// keeps nothing.
func TestUpsertOnceCancelled(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s := b.Open(t)
		tx, err := s.DB().BeginTx(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		lock := "INSERT INTO clerk_objects (kind, id) VALUES ('user', 'user_a') ON CONFLICT (kind, id) DO UPDATE SET kind = excluded.kind"
		if _, err := tx.ExecContext(t.Context(), lock); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		_, _, err = s.UpsertUserOnce(ctx, "msg_1", user("user_a", 0))
		if rerr := tx.Rollback(); rerr != nil {
			t.Fatal(rerr)
		}
		if err == nil {
			t.Fatal("no error from a delivery whose context ended")
		}
		if recorded(t, s, "msg_1") {
			t.Fatal("the cancelled delivery's id was recorded")
		}
		if dup, ok, err := s.UpsertUserOnce(t.Context(), "msg_1", user("user_a", 0)); dup || !ok || err != nil {
			t.Fatalf("retry: duplicate %t, applied %t, %v", dup, ok, err)
		}
	})
}

func TestUpsertOncePrunes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s := b.Open(t)
		ctx := t.Context()
		insert := "INSERT INTO webhook_deliveries (svix_id, applied_at) VALUES (?, ?)"
		if b.Name == "postgres" {
			insert = "INSERT INTO webhook_deliveries (svix_id, applied_at) VALUES ($1, $2)"
		}
		old := time.Now().Add(-store.DeliveryRetention - time.Hour).UnixMilli()
		for i := range 5 {
			if _, err := s.DB().ExecContext(ctx, insert, fmt.Sprintf("msg_old_%d", i), old+int64(i)); err != nil {
				t.Fatal(err)
			}
		}
		store.SetPruning(s, 1, 2) // every delivery prunes at most 2
		must2(s.UpsertUserOnce(ctx, "msg_new_1", user("user_a", 0)))(t)
		must2(s.UpsertOrganizationOnce(ctx, "msg_new_2", org("org_a", "a", 0)))(t)
		if n := countDeliveries(t, s); n != 5+2-4 {
			t.Fatalf("%d ids, want 3", n)
		}
		if !recorded(t, s, "msg_old_4") || !recorded(t, s, "msg_new_1") || !recorded(t, s, "msg_new_2") {
			t.Fatal("pruned the wrong ids")
		}
	})
}

func second2[A, B any](_ A, _ B, err error) error { return err }

func must2[A, B any](a A, b B, err error) func(t testing.TB) {
	return func(t testing.TB) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}
