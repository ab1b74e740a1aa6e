package auth

import (
	"sync"
	"sync/atomic"
	"time"
)

// tokenCache remembers verified tokens (key: the exact token string) so
// that a token presented again costs a map lookup instead of an RSA
// verification. Reads are lock-free. An entry is valid only for the key-set
// generation it was verified with, and the cache never grows beyond max
// entries: when full, expired entries and then arbitrary ones are evicted.
type tokenCache struct {
	m     sync.Map // string -> cachedSession
	n     atomic.Int64
	max   int64
	sweep sync.Mutex
}

type cachedSession struct {
	s   *Session
	gen uint64
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{max: int64(max)}
}

// get returns the session cached for token if it was verified with key-set
// generation gen.
func (c *tokenCache) get(token string, gen uint64) (*Session, bool) {
	v, ok := c.m.Load(token)
	if !ok {
		return nil, false
	}
	e := v.(cachedSession)
	if e.gen != gen {
		c.delete(token)
		return nil, false
	}
	return e.s, true
}

func (c *tokenCache) put(token string, s *Session, gen uint64, now time.Time) {
	if _, loaded := c.m.Swap(token, cachedSession{s: s, gen: gen}); !loaded {
		if c.n.Add(1) > c.max {
			c.evict(now)
		}
	}
}

func (c *tokenCache) delete(token string) {
	if _, loaded := c.m.LoadAndDelete(token); loaded {
		c.n.Add(-1)
	}
}

// evict drops expired entries, then arbitrary ones, until the cache is at
// most 90% full. One goroutine sweeps at a time; others carry on.
func (c *tokenCache) evict(now time.Time) {
	if !c.sweep.TryLock() {
		return
	}
	defer c.sweep.Unlock()
	target := c.max * 9 / 10
	c.m.Range(func(k, v any) bool {
		if !now.Before(v.(cachedSession).s.ExpiresAt) {
			c.delete(k.(string))
		}
		return true
	})
	c.m.Range(func(k, _ any) bool {
		if c.n.Load() <= target {
			return false
		}
		c.delete(k.(string))
		return true
	})
}

// len reports the number of cached tokens.
func (c *tokenCache) len() int { return int(c.n.Load()) }
