package bapi

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
type Cache[K comparable, V any] struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[K]cacheEntry[V]
	flights map[K]*flight[V]
	gen     uint64

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

// NewCache returns a cache keeping values for ttl, at most max of them
// (max <= 0: 10 000). now is the clock (nil: time.Now).
func NewCache[K comparable, V any](ttl time.Duration, max int, now func() time.Time) *Cache[K, V] {
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
		gen := c.gen
		c.fetches.Add(1)
		go c.run(context.WithoutCancel(ctx), k, f, gen, fetch)
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

func (c *Cache[K, V]) run(ctx context.Context, k K, f *flight[V], gen uint64, fetch func(context.Context) (V, error)) {
	defer close(f.done)
	defer func() {
		if p := recover(); p != nil {
			f.err = fmt.Errorf("clerkkit: panic in lookup: %v", p)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.flights[k] == f {
			delete(c.flights, k)
		}
		if f.err == nil && c.ttl > 0 && c.gen == gen {
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

// Invalidate drops k, and makes fetches already in flight not store their
// result (it may predate the change that caused the invalidation).
func (c *Cache[K, V]) Invalidate(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, k)
	delete(c.flights, k)
	c.gen++
}

// Len returns the number of cached entries, expired ones included.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Fetches returns how many fetches the cache has started.
func (c *Cache[K, V]) Fetches() int64 { return c.fetches.Load() }
