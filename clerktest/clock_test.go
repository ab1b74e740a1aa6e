package clerktest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/clerktest"
)

var t0 = time.Date(2025, 4, 14, 12, 0, 0, 0, time.UTC)

func TestClockFrozen(t *testing.T) {
	c := clerktest.NewClock(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("Now = %v, want %v", got, t0)
	}
	time.Sleep(2 * time.Millisecond)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("frozen clock moved to %v", got)
	}
	c.Advance(90 * time.Second)
	if got, want := c.Now(), t0.Add(90*time.Second); !got.Equal(want) {
		t.Fatalf("after Advance: %v, want %v", got, want)
	}
	c.Advance(-time.Hour)
	if got, want := c.Now(), t0.Add(90*time.Second-time.Hour); !got.Equal(want) {
		t.Fatalf("after negative Advance: %v, want %v", got, want)
	}
	c.Set(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("after Set: %v, want %v", got, t0)
	}
}

func TestClockRunning(t *testing.T) {
	near := func(got, want time.Time) bool {
		d := got.Sub(want)
		return d > -time.Second && d < time.Second
	}
	for name, c := range map[string]*clerktest.Clock{"zero": new(clerktest.Clock), "RealClock": clerktest.RealClock()} {
		if got := c.Now(); !near(got, time.Now()) {
			t.Fatalf("%s: Now = %v, want about %v", name, got, time.Now())
		}
		c.Advance(time.Hour)
		if got := c.Now(); !near(got, time.Now().Add(time.Hour)) {
			t.Fatalf("%s: after Advance(1h): %v", name, got)
		}
		c.Set(t0)
		a := c.Now()
		if !near(a, t0) {
			t.Fatalf("%s: after Set: %v, want about %v", name, a, t0)
		}
		time.Sleep(5 * time.Millisecond)
		if b := c.Now(); !b.After(a) {
			t.Fatalf("%s: running clock stood still after Set: %v then %v", name, a, b)
		}
	}
}

// TestClockConcurrent is meant for -race: readers and writers at once.
func TestClockConcurrent(t *testing.T) {
	for name, c := range map[string]*clerktest.Clock{"frozen": clerktest.NewClock(t0), "running": clerktest.RealClock()} {
		start := c.Now()
		var wg sync.WaitGroup
		const n, steps = 8, 500
		for range n {
			wg.Go(func() {
				for range steps {
					c.Advance(time.Second)
				}
			})
			wg.Go(func() {
				for range steps {
					_ = c.Now()
				}
			})
		}
		wg.Wait()
		if got := c.Now().Sub(start); got < n*steps*time.Second {
			t.Fatalf("%s: advanced by %v, want at least %v", name, got, n*steps*time.Second)
		}
		// Set racing with Now and Advance: only -race judges this part.
		for i := range n {
			wg.Go(func() {
				for range steps {
					c.Set(t0.Add(time.Duration(i) * time.Minute))
				}
			})
			wg.Go(func() {
				for range steps {
					c.Advance(time.Millisecond)
					_ = c.Now()
				}
			})
		}
		wg.Wait()
	}
}
