// Package ratelimit limits requests per key (a user, an API key, a client
// address) with token buckets, in process.
//
//	l := ratelimit.New(5, 20) // 5 requests a second per key, bursts of 20
//	mux.Handle("POST /api/projects", l.Middleware(userID)(createProject))
//
// Each key has a bucket of burst tokens that refills at rate tokens per
// second; a request takes one token or is refused with 429 Too Many
// Requests. The number of buckets is bounded (WithMaxKeys): a bucket that
// has refilled completely is forgotten, which changes nothing for its key,
// and when every bucket is busy the least recently used one is dropped.
//
// The limits hold per process: with several replicas each allows the rate.
package ratelimit

import (
	"container/list"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// DefaultMaxKeys is the number of buckets a Limiter keeps unless
// WithMaxKeys says otherwise.
const DefaultMaxKeys = 10_000

// Limiter is a set of token buckets, one per key. It is safe for
// concurrent use.
type Limiter struct {
	rate    float64 // tokens per second
	burst   float64
	now     func() time.Time
	maxKeys int

	mu      sync.Mutex
	buckets map[string]*list.Element // of *bucket
	lru     list.List                // front: most recently used
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time // when tokens was computed
}

// Option configures a Limiter.
type Option func(*Limiter)

// WithClock makes the Limiter read the time from now instead of time.Now
// (tests pass a fake clock).
func WithClock(now func() time.Time) Option {
	return func(l *Limiter) { l.now = now }
}

// WithMaxKeys bounds the number of buckets kept (DefaultMaxKeys by
// default); values below 1 are ignored.
func WithMaxKeys(n int) Option {
	return func(l *Limiter) {
		if n >= 1 {
			l.maxKeys = n
		}
	}
}

// New returns a Limiter allowing rate requests per second per key on
// average, with bursts of up to burst requests. It panics unless rate is
// positive and finite and burst is at least 1.
func New(rate float64, burst int, opts ...Option) *Limiter {
	if !(rate > 0) || math.IsInf(rate, 1) || burst < 1 {
		panic(fmt.Sprintf("ratelimit: New(%v, %d): rate must be positive and finite, burst at least 1", rate, burst))
	}
	l := &Limiter{rate: rate, burst: float64(burst), now: time.Now, maxKeys: DefaultMaxKeys,
		buckets: make(map[string]*list.Element)}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Allow takes a token from key's bucket. When the bucket is empty it
// returns false and how long until the next token.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.evictIdle(now)

	var b *bucket
	if e, found := l.buckets[key]; found {
		l.lru.MoveToFront(e)
		b = e.Value.(*bucket)
		l.refill(b, now)
	} else {
		if len(l.buckets) >= l.maxKeys {
			l.remove(l.lru.Back()) // every bucket is busy: drop the least recently used
		}
		b = &bucket{key: key, tokens: l.burst, last: now}
		l.buckets[key] = l.lru.PushFront(b)
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := (1 - b.tokens) / l.rate * float64(time.Second)
	return false, time.Duration(math.Ceil(wait))
}

// Len returns the number of buckets kept.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// refill adds the tokens earned since b.last, up to burst. A clock that
// went backwards earns nothing.
func (l *Limiter) refill(b *bucket, now time.Time) {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed.Seconds()*l.rate)
		b.last = now
	}
}

// evictIdle forgets the least recently used buckets that have refilled
// completely: a full bucket is what an unknown key gets, so forgetting it
// changes nothing. Each call stops at the first bucket still refilling.
func (l *Limiter) evictIdle(now time.Time) {
	for e := l.lru.Back(); e != nil; e = l.lru.Back() {
		b := e.Value.(*bucket)
		l.refill(b, now)
		if b.tokens < l.burst {
			return
		}
		l.remove(e)
	}
}

func (l *Limiter) remove(e *list.Element) {
	delete(l.buckets, e.Value.(*bucket).key)
	l.lru.Remove(e)
}

// Middleware returns middleware that limits requests by key(r). A refused
// request is answered 429 with a Retry-After header (whole seconds, at
// least 1) and the JSON body {"error":"rate_limited","retry_after":N}.
// Requests for which key returns "" are not limited.
func (l *Limiter) Middleware(key func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			k := key(r)
			if k == "" {
				next.ServeHTTP(w, r)
				return
			}
			if ok, wait := l.Allow(k); !ok {
				tooManyRequests(w, wait)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// tooManyRequests writes the 429 answer.
func tooManyRequests(w http.ResponseWriter, wait time.Duration) {
	secs := max(1, int64(math.Ceil(wait.Seconds())))
	s := strconv.FormatInt(secs, 10)
	h := w.Header()
	h.Set("Retry-After", s)
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte(`{"error":"rate_limited","retry_after":` + s + "}\n"))
}

// ClientIP is a key function: the host part of r.RemoteAddr. Behind a
// proxy RemoteAddr is the proxy's address; derive the key from the header
// your proxy sets instead (and only from a proxy you trust).
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
