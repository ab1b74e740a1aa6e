package webhooks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"sync"
	"testing"
	"time"
)

// stores are the Store implementations every store and handler test of
// this package runs against. (SQLStore runs the same tests on SQLite and
// PostgreSQL in the conformance module, ../conformance/sqlstore, which
// links the drivers this module does not.)
var stores = []struct {
	name string
	open func(t testing.TB) Store
}{
	{"memory", func(testing.TB) Store { return NewMemoryStore(MemoryStoreOptions{}) }},
}

func TestStoreConcurrentClaims(t *testing.T) {
	ctx := context.Background()
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			s := st.open(t)
			var mu sync.Mutex
			counts := map[ClaimState]int{}
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
			if counts[Claimed] != 1 || counts[InFlight] != 19 {
				t.Fatalf("claims: %v", counts)
			}
		})
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestMemoryStoreBoundsAndTTL(t *testing.T) {
	ctx := context.Background()
	now := testNow
	s := NewMemoryStore(MemoryStoreOptions{MaxEntries: 3, TTL: time.Hour, Now: func() time.Time { return now }})
	for _, id := range []string{"a", "b", "c"} {
		must(t, s.Complete(ctx, id))
		now = now.Add(time.Minute)
	}
	// Full of completed ids: the oldest is forgotten to make room.
	if st, err := s.Claim(ctx, "d", "o", time.Minute); err != nil || st != Claimed {
		t.Fatalf("Claim d: %v %v", st, err)
	}
	if s.Len() != 3 {
		t.Fatalf("Len = %d", s.Len())
	}
	if st, _ := s.Claim(ctx, "a", "o", time.Minute); st != Claimed {
		t.Fatalf("evicted id a: %v, want claimed again", st)
	}
	if st, _ := s.Claim(ctx, "c", "o", time.Minute); st != Completed {
		t.Fatalf("id c: %v, want completed", st)
	}
	// TTL: completed ids are forgotten an hour after completion.
	now = now.Add(time.Hour)
	if st, _ := s.Claim(ctx, "c", "o", time.Minute); st != Claimed {
		t.Fatalf("expired id c: %v, want claimed", st)
	}
	// Full of live claims: fail closed.
	s = NewMemoryStore(MemoryStoreOptions{MaxEntries: 2, Now: func() time.Time { return now }})
	for _, id := range []string{"x", "y"} {
		if st, err := s.Claim(ctx, id, "o", time.Minute); err != nil || st != Claimed {
			t.Fatalf("Claim %s: %v %v", id, st, err)
		}
	}
	if _, err := s.Claim(ctx, "z", "o", time.Minute); !errors.Is(err, ErrStoreFull) {
		t.Fatalf("Claim on a store full of live claims: %v, want ErrStoreFull", err)
	}
	if err := s.Complete(ctx, "z"); !errors.Is(err, ErrStoreFull) {
		t.Fatalf("Complete on a store full of live claims: %v, want ErrStoreFull", err)
	}
	// Once those leases end they make room.
	now = now.Add(2 * time.Minute)
	if st, err := s.Claim(ctx, "z", "o", time.Minute); err != nil || st != Claimed {
		t.Fatalf("Claim z after leases ended: %v %v", st, err)
	}
}

func TestNewSQLStoreValidates(t *testing.T) {
	if _, err := NewSQLStore(nil, SQLite); !errors.Is(err, clerkerr.ErrInvalidConfig) {
		t.Errorf("nil db: %v", err)
	}
	if _, err := NewSQLStore(&sql.DB{}, Dialect(0)); !errors.Is(err, clerkerr.ErrInvalidConfig) {
		t.Errorf("zero dialect: %v", err)
	}
	s, err := NewSQLStore(&sql.DB{}, Postgres)
	if err != nil {
		t.Fatal(err)
	}
	const want = `UPDATE clerkkit_webhook_events SET owner = $1, lease_until = $2, updated_at = $3
WHERE id = $4 AND state = 1 AND lease_until <= $5`
	if s.q.takeOver != want {
		t.Errorf("postgres statement:\n%s", s.q.takeOver)
	}
}
