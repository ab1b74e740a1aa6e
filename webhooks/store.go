package webhooks

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// ClaimState is the outcome of Store.Claim.
type ClaimState int

// Claim outcomes.
const (
	// Claimed: the caller now holds the id until its lease ends and must
	// call Complete or Release.
	Claimed ClaimState = iota + 1
	// InFlight: another claim on the id holds a live lease.
	InFlight
	// Completed: the id was processed already.
	Completed
)

// String returns the state's name.
func (s ClaimState) String() string {
	switch s {
	case Claimed:
		return "claimed"
	case InFlight:
		return "in flight"
	case Completed:
		return "completed"
	}
	return "invalid"
}

// Store records which delivery ids (svix-id) are being or have been
// processed, so that each event's handler succeeds at most once even when
// Svix delivers it several times, concurrently or not. Implementations must
// be safe for concurrent use and make Claim atomic.
type Store interface {
	// Claim tries to take id for processing on behalf of owner, a token
	// unique to this attempt, for lease. A claim whose lease has ended (its
	// holder crashed or hung) may be taken over.
	Claim(ctx context.Context, id, owner string, lease time.Duration) (ClaimState, error)
	// Complete records id as processed, whoever holds the claim: the
	// handler has succeeded.
	Complete(ctx context.Context, id string) error
	// Release drops owner's claim on id, if it still holds it, so that a
	// redelivery runs the handler again.
	Release(ctx context.Context, id, owner string) error
}

// MemoryStoreOptions configure NewMemoryStore. Zero values take the
// defaults.
type MemoryStoreOptions struct {
	// MaxEntries bounds the number of ids held (default 100 000). When full,
	// the oldest completed ids are forgotten first; when only in-flight
	// claims remain, Claim fails with ErrStoreFull.
	MaxEntries int
	// TTL is how long a completed id is remembered (default 7 days, beyond
	// Svix's retry schedule of about a day and a half).
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// MemoryStore is an in-process Store, bounded in size and time. It forgets
// everything on restart and is not shared between replicas: use a SQLStore
// for that.
type MemoryStore struct {
	max int
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*memEntry
	done    *list.List // ids of completed entries, oldest completion first
}

type memEntry struct {
	owner string
	until time.Time     // lease end, or forget time once done
	done  *list.Element // non-nil once completed
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(opts MemoryStoreOptions) *MemoryStore {
	s := &MemoryStore{max: opts.MaxEntries, ttl: opts.TTL, now: opts.Now,
		entries: make(map[string]*memEntry), done: list.New()}
	if s.max <= 0 {
		s.max = 100_000
	}
	if s.ttl <= 0 {
		s.ttl = 7 * 24 * time.Hour
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Claim implements Store.
func (s *MemoryStore) Claim(_ context.Context, id, owner string, lease time.Duration) (ClaimState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.expire(now)
	e := s.entries[id]
	switch {
	case e != nil && e.done != nil:
		return Completed, nil
	case e != nil && now.Before(e.until):
		return InFlight, nil
	case e == nil:
		if !s.makeRoom(now) {
			return 0, ErrStoreFull
		}
		e = &memEntry{}
		s.entries[id] = e
	}
	e.owner, e.until = owner, now.Add(lease)
	return Claimed, nil
}

// Complete implements Store.
func (s *MemoryStore) Complete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e := s.entries[id]
	if e == nil {
		if !s.makeRoom(now) {
			return ErrStoreFull
		}
		e = &memEntry{}
		s.entries[id] = e
	}
	if e.done == nil {
		e.owner, e.until, e.done = "", now.Add(s.ttl), s.done.PushBack(id)
	}
	return nil
}

// Release implements Store.
func (s *MemoryStore) Release(_ context.Context, id, owner string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.entries[id]; e != nil && e.done == nil && e.owner == owner {
		delete(s.entries, id)
	}
	return nil
}

// Len returns the number of ids held, completed or in flight.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// expire forgets completed ids past their TTL; they are ordered by
// completion time, hence by forget time.
func (s *MemoryStore) expire(now time.Time) {
	for el := s.done.Front(); el != nil; el = s.done.Front() {
		id := el.Value.(string)
		if now.Before(s.entries[id].until) {
			return
		}
		s.forget(id)
	}
}

// makeRoom ensures one more entry fits, forgetting the oldest completed id,
// else expired leases. It reports false when only live claims remain.
func (s *MemoryStore) makeRoom(now time.Time) bool {
	if len(s.entries) < s.max {
		return true
	}
	if el := s.done.Front(); el != nil {
		s.forget(el.Value.(string))
		return true
	}
	for id, e := range s.entries {
		if !now.Before(e.until) {
			delete(s.entries, id)
		}
	}
	return len(s.entries) < s.max
}

func (s *MemoryStore) forget(id string) {
	if e := s.entries[id]; e != nil && e.done != nil {
		s.done.Remove(e.done)
	}
	delete(s.entries, id)
}
