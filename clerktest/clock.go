package clerktest

import (
	"sync"
	"time"
)

// Clock is a controllable clock, safe for concurrent use. A Clock either
// runs (it follows the system clock, shifted by the total of Advance and
// Set) or is frozen (it stands still until Advance or Set moves it).
//
// The zero value runs with no shift, like time.Now; NewClock returns a
// frozen one. Pass Clock.Now wherever a func() time.Time is wanted, for
// example auth.Config.Now.
type Clock struct {
	mu     sync.Mutex
	frozen bool
	at     time.Time     // the time, when frozen
	offset time.Duration // the shift from time.Now, when running
}

// NewClock returns a frozen Clock reading t.
func NewClock(t time.Time) *Clock {
	return &Clock{frozen: true, at: t}
}

// RealClock returns a running Clock that reads time.Now until it is moved
// with Advance or Set. It is the same as new(Clock).
func RealClock() *Clock {
	return new(Clock)
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		return c.at
	}
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d (backward when d is negative). A
// running clock keeps running from its new reading.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		c.at = c.at.Add(d)
	} else {
		c.offset += d
	}
}

// Set moves the clock to t. A running clock keeps running from t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		c.at = t
	} else {
		c.offset = time.Until(t)
	}
}
