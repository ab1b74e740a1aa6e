package auth

import (
	"sync"
	"sync/atomic"
	"time"
)

// tokenCache remembers verified JWTs (key: the exact token string) so
// that a token presented again costs a map lookup instead of an RSA
// verification. An entry is a session or a machine principal, never both,
// so that a token verified as one kind is never returned as another. Reads are lock-free. An entry is valid only for the key-set
// generation it was verified with, and the cache never grows beyond max
// entries: when full, expired entries and then arbitrary ones are evicted.
type tokenCache struct {
	m     sync.Map // string -> cachedToken
	n     atomic.Int64
	max   int64
	sweep sync.Mutex
}

type cachedToken struct {
	s   *Session      // a session token, or
	m   *Principal    // an M2M or OAuth JWT
	st  *RequestState // in the Cookie memo: the signed-in state of s, shared
	gen uint64
	exp time.Time
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{max: int64(max)}
}

// entry returns the entry cached for token, whatever its generation.
func (c *tokenCache) entry(token string) (cachedToken, bool) {
	v, ok := c.m.Load(token)
	if !ok {
		return cachedToken{}, false
	}
	return v.(cachedToken), true
}

// get returns the entry cached for token if it was verified with key-set
// generation gen.
func (c *tokenCache) get(token string, gen uint64) (cachedToken, bool) {
	e, ok := c.entry(token)
	if !ok {
		return cachedToken{}, false
	}
	if e.gen != gen {
		c.delete(token)
		return cachedToken{}, false
	}
	return e, true
}

// getSession returns the session cached for token (see get); a machine
// token's entry is not a session.
func (c *tokenCache) getSession(token string, gen uint64) (*Session, bool) {
	e, ok := c.get(token, gen)
	return e.s, ok && e.s != nil
}

func (c *tokenCache) put(token string, s *Session, gen uint64, now time.Time) {
	c.store(token, cachedToken{s: s, gen: gen, exp: s.ExpiresAt}, now)
}

func (c *tokenCache) putMachine(token string, p *Principal, gen uint64, now time.Time) {
	c.store(token, cachedToken{m: p, gen: gen, exp: p.Machine.ExpiresAt}, now)
}

func (c *tokenCache) store(token string, e cachedToken, now time.Time) {
	if _, loaded := c.m.Swap(token, e); !loaded {
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
		if !now.Before(v.(cachedToken).exp) {
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
