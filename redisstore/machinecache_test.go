package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/auth/authtest"
	"github.com/clerkkit/clerkkit/redisstore"
)

// TestMachineCacheContract runs auth's MachineCache contract against
// Redis, with go-redis applying context deadlines to socket reads and
// without (the store then enforces them itself).
func TestMachineCacheContract(t *testing.T) {
	for _, ct := range []struct {
		name    string
		enabled bool
	}{{"context timeouts", true}, {"client timeouts", false}} {
		t.Run(ct.name, func(t *testing.T) {
			client := newClient(t, ct.enabled)
			authtest.RunMachineCacheContract(t, func(t *testing.T) auth.MachineCache {
				return redisstore.New(client, redisstore.Options{Prefix: testPrefix()})
			})
		})
	}
}

// TestMachineCacheKeys: values and leases live under the prefix (the
// default one when none is given), apart from each other, with Redis
// expiry no longer than the ttl.
func TestMachineCacheKeys(t *testing.T) {
	ctx := context.Background()
	client := newClient(t, true)
	key := "clerkkit:machine:v1:" + strings.Repeat("ab", 32)
	for _, tc := range []struct{ prefix, want string }{{"", redisstore.DefaultPrefix}, {"svc-a:", "svc-a:"}} {
		c := redisstore.New(client, redisstore.Options{Prefix: tc.prefix})
		t.Cleanup(func() { client.Del(context.Background(), tc.want+"cache:"+key, tc.want+"lease:"+key) })
		if err := c.Set(ctx, key, []byte("v"), 1500*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if got, err := client.Get(ctx, tc.want+"cache:"+key).Result(); err != nil || got != "v" {
			t.Fatalf("prefix %q: value at %q = %q, %v", tc.prefix, tc.want+"cache:"+key, got, err)
		}
		if ttl := client.PTTL(ctx, tc.want+"cache:"+key).Val(); ttl <= 0 || ttl > 1500*time.Millisecond {
			t.Errorf("PTTL = %v, want (0, 1.5s]", ttl)
		}
		if won, err := c.Lease(ctx, key, "owner-1", time.Minute); err != nil || !won {
			t.Fatalf("Lease = %v, %v", won, err)
		}
		if got := client.Get(ctx, tc.want+"lease:"+key).Val(); got != "owner-1" {
			t.Fatalf("lease holds %q, want the owner", got)
		}
	}
	// Two prefixes are two namespaces.
	a := redisstore.New(client, redisstore.Options{Prefix: testPrefix()})
	b := redisstore.New(client, redisstore.Options{Prefix: testPrefix()})
	if err := a.Set(ctx, key, []byte("a"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := b.Get(ctx, key); err != nil || ok {
		t.Fatalf("another prefix sees the value: %v, %v", ok, err)
	}
	if won, _ := a.Lease(ctx, key, "x", time.Minute); !won {
		t.Fatal("Lease lost")
	}
	if won, _ := b.Lease(ctx, key, "y", time.Minute); !won {
		t.Fatal("a lease under one prefix blocks another prefix")
	}
}

// TestMachineCacheArguments: what the contract rules out is refused before
// Redis is asked; a ttl under a millisecond leaves no value behind.
func TestMachineCacheArguments(t *testing.T) {
	ctx := context.Background()
	c := redisstore.New(newClient(t, true), redisstore.Options{Prefix: testPrefix()})
	if err := c.Set(ctx, "k", []byte("v"), 0); !errors.Is(err, redisstore.ErrInvalidArgument) {
		t.Errorf("Set with ttl 0: %v", err)
	}
	if _, err := c.Lease(ctx, "k", "", time.Minute); !errors.Is(err, redisstore.ErrInvalidArgument) {
		t.Errorf("Lease without an owner: %v", err)
	}
	if _, err := c.Lease(ctx, "k", "o", -time.Second); !errors.Is(err, redisstore.ErrInvalidArgument) {
		t.Errorf("Lease with ttl < 0: %v", err)
	}
	if err := c.Set(ctx, "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "k", []byte("w"), time.Microsecond); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := c.Get(ctx, "k"); err != nil || ok {
		t.Fatalf("Get after a Set with a sub-millisecond ttl = %q, %v, %v; want a miss", v, ok, err)
	}
	if won, err := c.Lease(ctx, "k", "o", time.Microsecond); err != nil || !won {
		t.Fatalf("Lease with a sub-millisecond ttl = %v, %v", won, err)
	}
}

// TestMachineCacheUnreachable: with nothing listening every method fails
// (an error wrapping ErrRedis, never a value) within its context.
func TestMachineCacheUnreachable(t *testing.T) {
	for _, tc := range []struct {
		name string
		addr string
	}{{"closed port", closedAddr(t)}, {"server never answers", blackhole(t)}} {
		t.Run(tc.name, func(t *testing.T) {
			c := redisstore.New(newRawClient(t, tc.addr), redisstore.Options{})
			check := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, redisstore.ErrRedis) {
					t.Errorf("%s: %v, want ErrRedis", op, err)
				}
			}
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			v, ok, err := c.Get(ctx, "k")
			check("Get", err)
			if ok || v != nil {
				t.Errorf("Get returned a value: %q, %v", v, ok)
			}
			check("Set", c.Set(ctx, "k", []byte("v"), time.Minute))
			won, err := c.Lease(ctx, "k", "o", time.Minute)
			check("Lease", err)
			if won {
				t.Error("Lease won")
			}
			check("Release", c.Release(ctx, "k", "o"))
			if d := time.Since(start); d > time.Second {
				t.Errorf("the calls took %v on a 100ms context", d)
			}
		})
	}
}

// TestMachineCacheAbandonedLease: a Lease whose caller gave up while
// Redis was paused, but which Redis then granted, is released: another
// owner can take the lease at once instead of after its ttl.
func TestMachineCacheAbandonedLease(t *testing.T) {
	for _, ct := range []struct {
		name    string
		enabled bool
	}{{"context timeouts", true}, {"client timeouts", false}} {
		t.Run(ct.name, func(t *testing.T) {
			client := newClient(t, ct.enabled)
			admin := newClient(t, true)
			c := redisstore.New(client, redisstore.Options{Prefix: testPrefix()})
			ctx := context.Background()
			if won, err := c.Lease(ctx, "warm", "o", time.Minute); err != nil || !won { // a pooled connection
				t.Fatal(won, err)
			}
			if err := admin.Do(ctx, "CLIENT", "PAUSE", 300, "WRITE").Err(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { admin.Do(context.Background(), "CLIENT", "UNPAUSE") })
			short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			if won, err := c.Lease(short, "k", "a", time.Minute); err == nil || won {
				t.Fatalf("Lease during a pause = %v, %v; want a timeout", won, err)
			}
			deadline := time.Now().Add(3 * time.Second)
			for {
				won, err := c.Lease(ctx, "k", "b", time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				if won {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the abandoned lease is still held after 3s (its ttl is a minute)")
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
