package cache

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestCacheConcurrentMissesFetchOnce(t *testing.T) {
	c := New[string, int](time.Minute, 10, nil)
	var calls atomic.Int64
	release := make(chan struct{})
	fetch := func(ctx context.Context) (int, error) {
		calls.Add(1)
		<-release
		return 42, nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.Get(context.Background(), "k", fetch)
			if err != nil || v != 42 {
				errs <- errors.New("bad result")
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if calls.Load() != 1 || c.Fetches() != 1 {
		t.Fatalf("%d fetches", calls.Load())
	}
	// Cached now.
	if v, _ := c.Get(context.Background(), "k", fetch); v != 42 || calls.Load() != 1 {
		t.Fatal("not cached")
	}
}

func TestCacheTTL(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	c := New[string, int](10*time.Second, 10, clk.now)
	n := 0
	fetch := func(context.Context) (int, error) { n++; return n, nil }
	ctx := context.Background()
	if v, _ := c.Get(ctx, "k", fetch); v != 1 {
		t.Fatal(v)
	}
	clk.add(9 * time.Second)
	if v, _ := c.Get(ctx, "k", fetch); v != 1 {
		t.Fatal("expired early")
	}
	clk.add(time.Second)
	if v, _ := c.Get(ctx, "k", fetch); v != 2 {
		t.Fatal("not expired")
	}
}

func TestCacheErrorsNotCached(t *testing.T) {
	c := New[string, int](time.Minute, 10, nil)
	n := 0
	boom := errors.New("boom")
	fetch := func(context.Context) (int, error) {
		n++
		if n == 1 {
			return 0, boom
		}
		return 7, nil
	}
	if _, err := c.Get(context.Background(), "k", fetch); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if v, err := c.Get(context.Background(), "k", fetch); err != nil || v != 7 {
		t.Fatal(v, err)
	}
}

func TestCacheBounded(t *testing.T) {
	c := New[int, int](time.Minute, 100, nil)
	for i := range 1000 {
		c.Get(context.Background(), i, func(context.Context) (int, error) { return i, nil })
	}
	if c.Len() > 100 {
		t.Fatalf("%d entries", c.Len())
	}
}

func TestCacheEvictsExpiredFirst(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	c := New[int, int](10*time.Second, 3, clk.now)
	ctx := context.Background()
	c.Get(ctx, 1, func(context.Context) (int, error) { return 1, nil })
	clk.add(11 * time.Second)
	c.Get(ctx, 2, func(context.Context) (int, error) { return 2, nil })
	c.Get(ctx, 3, func(context.Context) (int, error) { return 3, nil })
	c.Get(ctx, 4, func(context.Context) (int, error) { return 4, nil })
	for _, k := range []int{2, 3, 4} {
		if v, _ := c.Get(ctx, k, func(context.Context) (int, error) { return -1, nil }); v != k {
			t.Fatalf("key %d evicted while 1 had expired", k)
		}
	}
}

func TestCacheDisabledStillDeduplicates(t *testing.T) {
	c := New[string, int](0, 10, nil)
	var calls atomic.Int64
	release := make(chan struct{})
	fetch := func(context.Context) (int, error) { calls.Add(1); <-release; return 1, nil }
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() { defer wg.Done(); c.Get(context.Background(), "k", fetch) }()
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("%d calls", calls.Load())
	}
	c.Get(context.Background(), "k", func(context.Context) (int, error) { calls.Add(1); return 1, nil })
	if calls.Load() != 2 || c.Len() != 0 {
		t.Fatal("cached although the TTL is 0")
	}
}

func TestCacheWaiterCancellation(t *testing.T) {
	c := New[string, int](time.Minute, 10, nil)
	release := make(chan struct{})
	fetch := func(ctx context.Context) (int, error) {
		<-release
		return 5, ctx.Err()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := c.Get(ctx, "k", fetch)
		done <- err
	}()
	other := make(chan int)
	go func() {
		v, _ := c.Get(context.Background(), "k", fetch)
		other <- v
	}()
	time.Sleep(10 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	close(release)
	// The leader's cancellation did not cancel the shared fetch.
	if v := <-other; v != 5 {
		t.Fatalf("other waiter got %d", v)
	}
}

func TestCacheInvalidateDuringFlight(t *testing.T) {
	c := New[string, int](time.Minute, 10, nil)
	release := make(chan struct{})
	res := make(chan int)
	go func() {
		v, _ := c.Get(context.Background(), "k", func(context.Context) (int, error) { <-release; return 1, nil })
		res <- v
	}()
	time.Sleep(10 * time.Millisecond)
	c.Invalidate("k")
	close(release)
	if v := <-res; v != 1 {
		t.Fatal(v)
	}
	// The stale result was not stored.
	if v, _ := c.Get(context.Background(), "k", func(context.Context) (int, error) { return 2, nil }); v != 2 {
		t.Fatalf("got %d, want a fresh fetch", v)
	}
}

func TestCachePanicBecomesError(t *testing.T) {
	c := New[string, int](time.Minute, 10, nil)
	_, err := c.Get(context.Background(), "k", func(context.Context) (int, error) { panic("oops") })
	if err == nil {
		t.Fatal("want an error")
	}
	if v, err := c.Get(context.Background(), "k", func(context.Context) (int, error) { return 3, nil }); err != nil || v != 3 {
		t.Fatal(v, err)
	}
}

// gate is a fetch that announces it started, then waits to be released
// with a value.
type gate struct {
	started chan struct{}
	release chan int
}

func newGate() *gate { return &gate{started: make(chan struct{}), release: make(chan int)} }

func (g *gate) fetch(context.Context) (int, error) {
	close(g.started)
	return <-g.release, nil
}

// getAsync runs Get in a goroutine and returns where its value arrives.
func getAsync(c *Cache[string, int], k string, fetch func(context.Context) (int, error)) <-chan int {
	out := make(chan int, 1)
	go func() {
		v, _ := c.Get(context.Background(), k, fetch)
		out <- v
	}()
	return out
}

func TestCacheInvalidateWhileFetchInFlightDeterministic(t *testing.T) {
	c := New[string, int](time.Minute, 10, nil)
	g := newGate()
	stale := getAsync(c, "k", g.fetch)
	<-g.started // the fetch is running: the change and the invalidation come now
	c.Invalidate("k")

	// A lookup after the invalidation does not join the stale flight.
	g2 := newGate()
	fresh := getAsync(c, "k", g2.fetch)
	<-g2.started

	g.release <- 1 // the old fetch ends with the value from before the change
	if v := <-stale; v != 1 {
		t.Fatalf("the caller of the old fetch got %d", v)
	}
	if c.Len() != 0 {
		t.Fatal("the stale value was stored")
	}
	g2.release <- 2
	if v := <-fresh; v != 2 {
		t.Fatalf("the lookup after the invalidation got %d, want the fresh 2", v)
	}
	// The fresh value is cached (the old flight did not unregister it).
	if v, _ := c.Get(context.Background(), "k", func(context.Context) (int, error) { return -1, nil }); v != 2 {
		t.Fatalf("cached %d, want 2", v)
	}
	if c.Fetches() != 2 {
		t.Fatalf("%d fetches", c.Fetches())
	}
}

func TestCacheInvalidateOtherKeyKeepsFlight(t *testing.T) {
	c := New[string, int](time.Minute, 10, nil)
	g := newGate()
	res := getAsync(c, "a", g.fetch)
	<-g.started
	c.Invalidate("b")
	g.release <- 1
	<-res
	if v, _ := c.Get(context.Background(), "a", func(context.Context) (int, error) { return -1, nil }); v != 1 {
		t.Fatalf("invalidating b dropped a's fetch: got %d", v)
	}
}

func TestCacheInvalidateFunc(t *testing.T) {
	c := New[string, int](time.Minute, 10, nil)
	ctx := context.Background()
	for i, k := range []string{"org1/u1", "org2/u1", "org1/u2"} {
		c.Get(ctx, k, func(context.Context) (int, error) { return i, nil })
	}
	g := newGate()
	inflight := getAsync(c, "org3/u1", g.fetch)
	<-g.started
	c.InvalidateFunc(func(k string) bool { return strings.HasSuffix(k, "/u1") })
	g.release <- 9
	<-inflight
	if c.Len() != 1 {
		t.Fatalf("%d entries left, want org1/u2 only", c.Len())
	}
	for _, k := range []string{"org1/u1", "org2/u1", "org3/u1"} {
		if v, _ := c.Get(ctx, k, func(context.Context) (int, error) { return 100, nil }); v != 100 {
			t.Fatalf("%s: %d, want a fresh fetch", k, v)
		}
	}
	if v, _ := c.Get(ctx, "org1/u2", func(context.Context) (int, error) { return 100, nil }); v != 2 {
		t.Fatalf("org1/u2 was dropped: %d", v)
	}
}
