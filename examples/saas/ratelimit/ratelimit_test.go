package ratelimit_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/examples/saas/ratelimit"
)

// fakeClock is a manual clock safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func allow(t *testing.T, l *ratelimit.Limiter, key string, want bool, wantWait time.Duration) {
	t.Helper()
	ok, wait := l.Allow(key)
	if ok != want || wait != wantWait {
		t.Fatalf("Allow(%q) = %t, %v; want %t, %v", key, ok, wait, want, wantWait)
	}
}

func TestBurstThenRefused(t *testing.T) {
	c := newClock()
	l := ratelimit.New(1, 3, ratelimit.WithClock(c.Now))
	for range 3 {
		allow(t, l, "a", true, 0)
	}
	allow(t, l, "a", false, time.Second)
	allow(t, l, "a", false, time.Second) // a refusal takes no token
}

func TestRefill(t *testing.T) {
	c := newClock()
	l := ratelimit.New(2, 2, ratelimit.WithClock(c.Now)) // a token every 500ms
	allow(t, l, "a", true, 0)
	allow(t, l, "a", true, 0)
	allow(t, l, "a", false, 500*time.Millisecond)
	c.Advance(200 * time.Millisecond)
	allow(t, l, "a", false, 300*time.Millisecond)
	c.Advance(300 * time.Millisecond)
	allow(t, l, "a", true, 0)
	allow(t, l, "a", false, 500*time.Millisecond)
	c.Advance(time.Hour) // refills to burst, not beyond
	allow(t, l, "a", true, 0)
	allow(t, l, "a", true, 0)
	allow(t, l, "a", false, 500*time.Millisecond)
}

func TestClockGoingBackwards(t *testing.T) {
	c := newClock()
	l := ratelimit.New(1, 1, ratelimit.WithClock(c.Now))
	allow(t, l, "a", true, 0)
	c.Advance(-time.Hour)
	allow(t, l, "a", false, time.Second)
}

func TestKeysAreIsolated(t *testing.T) {
	c := newClock()
	l := ratelimit.New(1, 2, ratelimit.WithClock(c.Now))
	allow(t, l, "a", true, 0)
	allow(t, l, "a", true, 0)
	allow(t, l, "a", false, time.Second)
	allow(t, l, "b", true, 0)
	allow(t, l, "b", true, 0)
	allow(t, l, "b", false, time.Second)
	allow(t, l, "a", false, time.Second)
}

func TestEviction(t *testing.T) {
	c := newClock()
	l := ratelimit.New(1, 2, ratelimit.WithClock(c.Now), ratelimit.WithMaxKeys(3))
	for _, k := range []string{"a", "b", "c"} {
		allow(t, l, k, true, 0)
	}
	// Every bucket is busy: a new key drops the least recently used, a.
	allow(t, l, "d", true, 0)
	if n := l.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	allow(t, l, "b", true, 0) // b kept its (now last) token
	allow(t, l, "b", false, time.Second)

	// Idle buckets, refilled completely, are forgotten on the next call.
	c.Advance(2 * time.Second)
	allow(t, l, "e", true, 0)
	if n := l.Len(); n != 1 {
		t.Fatalf("Len after idling = %d, want 1", n)
	}
	// Forgetting a full bucket changes nothing for its key.
	allow(t, l, "a", true, 0)
	allow(t, l, "a", true, 0)
	allow(t, l, "a", false, time.Second)
}

func TestBoundedUnderManyKeys(t *testing.T) {
	c := newClock()
	l := ratelimit.New(1, 5, ratelimit.WithClock(c.Now), ratelimit.WithMaxKeys(100))
	for i := range 10_000 {
		l.Allow(fmt.Sprint("key", i))
	}
	if n := l.Len(); n != 100 {
		t.Fatalf("Len = %d, want 100", n)
	}
}

func TestMiddleware(t *testing.T) {
	c := newClock()
	l := ratelimit.New(0.25, 2, ratelimit.WithClock(c.Now)) // a token every 4s
	var served atomic.Int32
	h := l.Middleware(func(r *http.Request) string { return r.Header.Get("X-User") })(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			served.Add(1)
			w.WriteHeader(http.StatusNoContent)
		}))
	get := func(user string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/api/projects", nil)
		if user != "" {
			r.Header.Set("X-User", user)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for range 2 {
		if w := get("u1"); w.Code != http.StatusNoContent {
			t.Fatalf("status %d, want 204", w.Code)
		}
	}
	check429 := func(wantSecs int) {
		t.Helper()
		w := get("u1")
		if w.Code != http.StatusTooManyRequests {
			t.Fatalf("status %d, want 429", w.Code)
		}
		if got := w.Header().Get("Retry-After"); got != fmt.Sprint(wantSecs) {
			t.Fatalf("Retry-After %q, want %d", got, wantSecs)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
		var body struct {
			Error      string `json:"error"`
			RetryAfter int    `json:"retry_after"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("body %q: %v", w.Body, err)
		}
		if body.Error != "rate_limited" || body.RetryAfter != wantSecs {
			t.Fatalf("body %+v, want rate_limited/%d", body, wantSecs)
		}
	}
	check429(4)
	c.Advance(1500 * time.Millisecond)
	check429(3) // 2.5s rounded up
	c.Advance(2400 * time.Millisecond)
	check429(1) // 100ms: never 0
	c.Advance(100 * time.Millisecond)
	if w := get("u1"); w.Code != http.StatusNoContent {
		t.Fatalf("after waiting Retry-After: status %d", w.Code)
	}
	if w := get("u2"); w.Code != http.StatusNoContent { // another key
		t.Fatalf("other key: status %d", w.Code)
	}
	for range 10 { // no key: not limited
		if w := get(""); w.Code != http.StatusNoContent {
			t.Fatalf("no key: status %d", w.Code)
		}
	}
	if n := served.Load(); n != 14 {
		t.Fatalf("served %d requests, want 14", n)
	}
}

func TestConcurrentUse(t *testing.T) {
	c := newClock()
	l := ratelimit.New(1, 100, ratelimit.WithClock(c.Now), ratelimit.WithMaxKeys(50))
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 200 {
				if ok, _ := l.Allow("shared"); ok {
					allowed.Add(1)
				}
				l.Allow(fmt.Sprintf("g%d-%d", g, i%20)) // churn other keys through eviction
				if i%50 == 0 {
					l.Len()
				}
			}
		})
	}
	wg.Wait()
	// The clock stood still, so only the burst is allowed, plus a fresh
	// burst each time churn evicted "shared"'s busy bucket.
	if n := allowed.Load(); n < 100 {
		t.Fatalf("allowed %d, want at least the burst of 100", n)
	}
	if n := l.Len(); n > 50 {
		t.Fatalf("Len = %d, above the bound", n)
	}
}

func TestConcurrentSingleKeyExact(t *testing.T) {
	c := newClock()
	l := ratelimit.New(1, 100, ratelimit.WithClock(c.Now))
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 50 {
				if ok, _ := l.Allow("k"); ok {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 100 {
		t.Fatalf("allowed %d of 800 with a frozen clock, want exactly the burst of 100", n)
	}
}

func TestNewPanicsOnBadArguments(t *testing.T) {
	for _, c := range []struct {
		rate  float64
		burst int
	}{{0, 1}, {-1, 1}, {1, 0}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%v, %d) did not panic", c.rate, c.burst)
				}
			}()
			ratelimit.New(c.rate, c.burst)
		}()
	}
}

func TestClientIP(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "[2001:db8::1]:4711"
	if got := ratelimit.ClientIP(r); got != "2001:db8::1" {
		t.Fatalf("ClientIP = %q", got)
	}
}
