package clerkkit

import (
	"context"
	"time"
)

// WithTestHooks sets the retry sleep, clock and jitter of cfg.
func WithTestHooks(cfg Config, sleep func(context.Context, time.Duration) error, now func() time.Time, jitter func(int64) int64) Config {
	cfg.sleep, cfg.now, cfg.jitter = sleep, now, jitter
	return cfg
}
