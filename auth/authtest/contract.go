// Package authtest holds test helpers for implementations of auth's
// interfaces, to be run from their own tests.
package authtest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/auth"
)

// ContractTTL is the lifetime the contract gives values and leases whose
// expiry it checks; it waits three times as long for them to expire, so a
// store with millisecond expiry (Redis PX) passes comfortably.
const ContractTTL = 150 * time.Millisecond

// RunMachineCacheContract checks that the caches newCache returns keep the
// auth.MachineCache contract (see its doc comment): values round-trip
// unchanged and expire, leases are exclusive across owners, expire and are
// released only by their owner, leases and values are independent,
// concurrent claims have one winner, and a done context is an error. Each
// subtest gets a fresh cache from newCache; the keys are unique per run,
// so a shared server (a Redis database) may back them all.
func RunMachineCacheContract(t *testing.T, newCache func(t *testing.T) auth.MachineCache) {
	key := keyMaker()
	for _, cc := range contract() {
		t.Run(cc.name, func(t *testing.T) { cc.run(t, newCache(t), key) })
	}
}

// keyMaker returns a function giving keys unique to this run.
func keyMaker() func() string {
	var seq atomic.Int64
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	return func() string {
		return fmt.Sprintf("clerkkit:machine:v1:contract-%s-%d", run, seq.Add(1))
	}
}

// reporter is what the contract's checks report to: a *testing.T, or a
// recorder in the helper's own tests.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Fatal(args ...any)
	Error(args ...any)
}

type contractCase struct {
	name string
	run  func(t reporter, c auth.MachineCache, key func() string)
}

// contract returns the checks of RunMachineCacheContract.
func contract() []contractCase {
	ctx := context.Background()
	return []contractCase{
		{"missing", func(t reporter, c auth.MachineCache, key func() string) {
			v, ok, err := c.Get(ctx, key())
			if err != nil || ok || v != nil {
				t.Fatalf("Get of a missing key = %q, %v, %v; want nil, false, nil", v, ok, err)
			}
		}},
		{"round trip", func(t reporter, c auth.MachineCache, key func() string) {
			big := bytes.Repeat([]byte{0, 1, 0xff, '"', '\n'}, (64<<10)/5)
			for _, val := range [][]byte{[]byte(`{"v":1}`), {0, 0xfe, 0xff}, big} {
				k := key()
				mustSet(t, c, k, val, time.Minute)
				got := mustGet(t, c, k)
				if !bytes.Equal(got, val) {
					t.Fatalf("Get returned %d bytes differing from the %d Set", len(got), len(val))
				}
			}
		}},
		{"longest key", func(t reporter, c auth.MachineCache, key func() string) {
			k := key()
			k += strings.Repeat("x", 128-len(k))
			mustSet(t, c, k, []byte("v"), time.Minute)
			if got := mustGet(t, c, k); string(got) != "v" {
				t.Fatalf("Get = %q", got)
			}
		}},
		{"overwrite", func(t reporter, c auth.MachineCache, key func() string) {
			k := key()
			mustSet(t, c, k, []byte("one"), time.Minute)
			mustSet(t, c, k, []byte("two"), time.Minute)
			if got := mustGet(t, c, k); string(got) != "two" {
				t.Fatalf("Get after two Sets = %q, want the last", got)
			}
		}},
		{"keys are separate", func(t reporter, c auth.MachineCache, key func() string) {
			a, b := key(), key()
			mustSet(t, c, a, []byte("a"), time.Minute)
			if _, ok, _ := c.Get(ctx, b); ok {
				t.Fatal("a value Set for one key is returned for another")
			}
		}},
		{"values expire", func(t reporter, c auth.MachineCache, key func() string) {
			k, long := key(), key()
			mustSet(t, c, k, []byte("v"), ContractTTL)
			mustSet(t, c, long, []byte("v"), time.Minute)
			mustGet(t, c, k)
			time.Sleep(3 * ContractTTL)
			if v, ok, err := c.Get(ctx, k); err != nil || ok {
				t.Fatalf("Get after the ttl = %q, %v, %v; want a miss", v, ok, err)
			}
			mustGet(t, c, long)
		}},
		{"leases are exclusive", func(t reporter, c auth.MachineCache, key func() string) {
			k := key()
			if !mustLease(t, c, k, "a", time.Minute) {
				t.Fatal("the first Lease lost")
			}
			if mustLease(t, c, k, "b", time.Minute) {
				t.Fatal("a second owner won a held lease")
			}
			if !mustLease(t, c, key(), "b", time.Minute) {
				t.Fatal("a lease of one key blocks another key")
			}
		}},
		{"leases expire", func(t reporter, c auth.MachineCache, key func() string) {
			k := key()
			mustLease(t, c, k, "a", ContractTTL)
			time.Sleep(3 * ContractTTL)
			if !mustLease(t, c, k, "b", time.Minute) {
				t.Fatal("a lease outlived its ttl")
			}
		}},
		{"release by the owner only", func(t reporter, c auth.MachineCache, key func() string) {
			k := key()
			mustLease(t, c, k, "a", time.Minute)
			if err := c.Release(ctx, k, "b"); err != nil {
				t.Fatalf("Release by another owner: %v (want no error)", err)
			}
			if mustLease(t, c, k, "c", time.Minute) {
				t.Fatal("Release by another owner ended the lease")
			}
			if err := c.Release(ctx, k, "a"); err != nil {
				t.Fatalf("Release: %v", err)
			}
			if !mustLease(t, c, k, "c", time.Minute) {
				t.Fatal("the lease is still held after its owner released it")
			}
			if err := c.Release(ctx, key(), "z"); err != nil {
				t.Fatalf("Release of a key never leased: %v", err)
			}
		}},
		{"an expired owner does not release its successor", func(t reporter, c auth.MachineCache, key func() string) {
			k := key()
			mustLease(t, c, k, "a", ContractTTL)
			time.Sleep(3 * ContractTTL)
			mustLease(t, c, k, "b", time.Minute)
			if err := c.Release(ctx, k, "a"); err != nil {
				t.Fatalf("Release: %v", err)
			}
			if mustLease(t, c, k, "c", time.Minute) {
				t.Fatal("the expired owner's Release ended its successor's lease")
			}
		}},
		{"leases and values are independent", func(t reporter, c auth.MachineCache, key func() string) {
			k := key()
			mustLease(t, c, k, "a", time.Minute)
			if _, ok, _ := c.Get(ctx, k); ok {
				t.Fatal("Lease created a value")
			}
			mustSet(t, c, k, []byte("v"), time.Minute)
			if mustLease(t, c, k, "b", time.Minute) {
				t.Fatal("Set ended the lease")
			}
			k2 := key()
			mustSet(t, c, k2, []byte("v"), time.Minute)
			if !mustLease(t, c, k2, "a", time.Minute) {
				t.Fatal("a value blocks the lease of its key")
			}
			if err := c.Release(ctx, k2, "a"); err != nil {
				t.Fatal(err)
			}
			if got := mustGet(t, c, k2); string(got) != "v" {
				t.Fatal("Release removed the value")
			}
		}},
		{"concurrent leases have one winner", func(t reporter, c auth.MachineCache, key func() string) {
			k := key()
			var wins atomic.Int64
			var wg sync.WaitGroup
			for i := range 50 {
				wg.Go(func() {
					won, err := c.Lease(ctx, k, fmt.Sprintf("owner-%d", i), time.Minute)
					if err != nil {
						t.Errorf("Lease: %v", err)
					}
					if won {
						wins.Add(1)
					}
				})
			}
			wg.Wait()
			if n := wins.Load(); n != 1 {
				t.Fatalf("%d of 50 concurrent Leases won, want 1", n)
			}
		}},
		{"concurrent use", func(t reporter, c auth.MachineCache, key func() string) {
			keys := []string{key(), key(), key()}
			var wg sync.WaitGroup
			for i := range 30 {
				wg.Go(func() {
					k := keys[i%len(keys)]
					val := []byte(fmt.Sprintf("value-%d", i%len(keys)))
					if err := c.Set(ctx, k, val, time.Minute); err != nil {
						t.Errorf("Set: %v", err)
					}
					got, ok, err := c.Get(ctx, k)
					if err != nil || !ok || !bytes.Equal(got, val) {
						t.Errorf("Get = %q, %v, %v", got, ok, err)
					}
				})
			}
			wg.Wait()
		}},
		{"a done context is an error", func(t reporter, c auth.MachineCache, key func() string) {
			done, cancel := context.WithCancel(ctx)
			cancel()
			k := key()
			if _, ok, err := c.Get(done, k); err == nil || ok {
				t.Error("Get with a done context succeeded")
			}
			if err := c.Set(done, k, []byte("v"), time.Minute); err == nil {
				t.Error("Set with a done context succeeded")
			}
			if won, err := c.Lease(done, k, "a", time.Minute); err == nil || won {
				t.Error("Lease with a done context succeeded")
			}
			if err := c.Release(done, k, "a"); err == nil {
				t.Error("Release with a done context succeeded")
			}
		}},
	}
}

func mustSet(t reporter, c auth.MachineCache, k string, v []byte, ttl time.Duration) {
	t.Helper()
	if err := c.Set(context.Background(), k, v, ttl); err != nil {
		t.Fatalf("Set: %v", err)
	}
}

func mustGet(t reporter, c auth.MachineCache, k string) []byte {
	t.Helper()
	v, ok, err := c.Get(context.Background(), k)
	if err != nil || !ok {
		t.Fatalf("Get of a value Set = %v, %v; want it", ok, err)
	}
	return v
}

func mustLease(t reporter, c auth.MachineCache, k, owner string, ttl time.Duration) bool {
	t.Helper()
	won, err := c.Lease(context.Background(), k, owner, ttl)
	if err != nil {
		t.Fatalf("Lease: %v", err)
	}
	return won
}
