package authtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/auth"
)

// recorder is a reporter that records failures; Fatal stops the check by
// panicking, which run recovers.
type recorder struct {
	mu     sync.Mutex
	failed []string
}

type stop struct{}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}
func (r *recorder) Error(args ...any) { r.Errorf("%s", fmt.Sprint(args...)) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(stop{})
}
func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

// failures runs every check against the caches newCache makes and returns
// the names of those that failed.
func failures(newCache func() auth.MachineCache) map[string]bool {
	key := keyMaker()
	out := map[string]bool{}
	for _, cc := range contract() {
		r := &recorder{}
		func() {
			defer func() {
				if p := recover(); p != nil {
					if _, ok := p.(stop); !ok {
						panic(p)
					}
				}
			}()
			cc.run(r, newCache(), key)
		}()
		if len(r.failed) > 0 {
			out[cc.name] = true
		}
	}
	return out
}

// sharedLeases: every Lease wins.
type sharedLeases struct{ *auth.MemoryMachineCache }

func (sharedLeases) Lease(ctx context.Context, _, _ string, _ time.Duration) (bool, error) {
	return ctx.Err() == nil, ctx.Err()
}

// neverExpires keeps values forever.
type neverExpires struct{ *auth.MemoryMachineCache }

func (c neverExpires) Set(ctx context.Context, key string, v []byte, _ time.Duration) error {
	return c.MemoryMachineCache.Set(ctx, key, v, time.Hour)
}

// ignoresContext never looks at its context.
type ignoresContext struct{ *auth.MemoryMachineCache }

func (c ignoresContext) Get(_ context.Context, key string) ([]byte, bool, error) {
	return c.MemoryMachineCache.Get(context.Background(), key)
}

func TestContractPassesMemory(t *testing.T) {
	if f := failures(func() auth.MachineCache { return auth.NewMemoryMachineCache(0, nil) }); len(f) != 0 {
		t.Fatalf("the memory cache fails %v", f)
	}
}

// TestContractCatchesBrokenCaches: the contract is not vacuous.
func TestContractCatchesBrokenCaches(t *testing.T) {
	cases := []struct {
		name  string
		cache func() auth.MachineCache
		want  []string
	}{
		{"shared leases", func() auth.MachineCache { return sharedLeases{auth.NewMemoryMachineCache(0, nil)} },
			[]string{"leases are exclusive", "concurrent leases have one winner", "release by the owner only"}},
		{"never expires", func() auth.MachineCache { return neverExpires{auth.NewMemoryMachineCache(0, nil)} },
			[]string{"values expire"}},
		{"ignores its context", func() auth.MachineCache { return ignoresContext{auth.NewMemoryMachineCache(0, nil)} },
			[]string{"a done context is an error"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := failures(tc.cache)
			for _, w := range tc.want {
				if !got[w] {
					t.Errorf("check %q passed a cache that breaks it (failed: %v)", w, got)
				}
			}
		})
	}
}
