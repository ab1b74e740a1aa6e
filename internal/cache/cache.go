// Package cache is the bounded TTL cache with de-duplicated concurrent
// fetches that the users and memberships clients and the middleware use
// for Backend API lookups. It depends on the standard library only.
package cache

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Cache is a bounded TTL cache whose concurrent misses for one key make a
// single fetch. Errors are not cached. A zero or negative TTL caches
// nothing but still de-duplicates concurrent fetches.
//
// Invalidation is exact: after Invalidate(k) returns, no value fetched by
// a fetch that started before it is ever stored for k, and the next Get
// fetches anew. A fetch result is stored only while its flight is still
// the key's registered one, and Invalidate unregisters it.
type Cache[K comparable, V any] struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[K]cacheEntry[V]
	flights map[K]*flight[V]

	fetches atomic.Int64
}

type cacheEntry[V any] struct {
	v   V
	exp time.Time
}

type flight[V any] struct {
	done chan struct{}
	v    V
	err  error
}

// New returns a cache keeping values for ttl, at most max of them
// (max <= 0: 10 000). now is the clock (nil: time.Now).
func New[K comparable, V any](ttl time.Duration, max int, now func() time.Time) *Cache[K, V] {
	if max <= 0 {
		max = 10_000
	}
	if now == nil {
		now = time.Now
	}
	return &Cache[K, V]{
		ttl:     ttl,
		max:     max,
		now:     now,
		entries: make(map[K]cacheEntry[V]),
		flights: make(map[K]*flight[V]),
	}
}

// Get returns the cached value for k, or fetches it. Concurrent callers
// missing the same key share one fetch, which runs detached from any one
// caller's cancellation: a caller whose ctx ends gets ctx's error at once
// while the fetch goes on for the others.
func (c *Cache[K, V]) Get(ctx context.Context, k K, fetch func(context.Context) (V, error)) (V, error) {
	c.mu.Lock()
	if e, ok := c.entries[k]; ok {
		if c.now().Before(e.exp) {
			c.mu.Unlock()
			return e.v, nil
		}
		delete(c.entries, k)
	}
	f, ok := c.flights[k]
	if !ok {
		f = &flight[V]{done: make(chan struct{})}
		c.flights[k] = f
		c.fetches.Add(1)
		go c.run(context.WithoutCancel(ctx), k, f, fetch)
	}
	c.mu.Unlock()

	select {
	case <-f.done:
		return f.v, f.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

func (c *Cache[K, V]) run(ctx context.Context, k K, f *flight[V], fetch func(context.Context) (V, error)) {
	defer close(f.done)
	defer func() {
		if p := recover(); p != nil {
			f.err = fmt.Errorf("clerkkit: panic in lookup: %v", p)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		// Not registered any more: an invalidation came while the fetch
		// ran, so its result may predate the change. Its waiters get it
		// (they asked before the change was known), the cache does not.
		if c.flights[k] != f {
			return
		}
		delete(c.flights, k)
		if f.err == nil && c.ttl > 0 {
			c.evictLocked()
			c.entries[k] = cacheEntry[V]{v: f.v, exp: c.now().Add(c.ttl)}
		}
	}()
	f.v, f.err = fetch(ctx)
}

// evictLocked makes room for one entry: expired entries go first, else an
// arbitrary one (map order is random, so this samples).
func (c *Cache[K, V]) evictLocked() {
	if len(c.entries) < c.max {
		return
	}
	now := c.now()
	var victim K
	found, n := false, 0
	for k, e := range c.entries {
		if !now.Before(e.exp) {
			delete(c.entries, k)
			found = true
		} else if !found && n == 0 {
			victim = k
		}
		if n++; n >= 64 {
			break
		}
	}
	if !found {
		delete(c.entries, victim)
	}
}

// Invalidate drops k, and makes a fetch for k already in flight not store
// its result (it may predate the change that caused the invalidation);
// the next Get for k fetches anew.
func (c *Cache[K, V]) Invalidate(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, k)
	delete(c.flights, k)
}

// InvalidateFunc is Invalidate for every key, cached or in flight, for
// which match returns true. match is called with the cache locked: it
// must not use the cache.
func (c *Cache[K, V]) InvalidateFunc(match func(K) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if match(k) {
			delete(c.entries, k)
		}
	}
	for k := range c.flights {
		if match(k) {
			delete(c.flights, k)
		}
	}
}

// Len returns the number of cached entries, expired ones included.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Fetches returns how many fetches the cache has started.
func (c *Cache[K, V]) Fetches() int64 { return c.fetches.Load() }
