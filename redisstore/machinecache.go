package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clerkkit/clerkkit/auth"
)

// Options configure New. The zero value takes the defaults.
type Options struct {
	// Prefix begins the Redis key of every value and lease the
	// MachineCache writes (default DefaultPrefix): values are kept at
	// Prefix+"cache:"+key, leases at Prefix+"lease:"+key. Clerk instances
	// sharing a database need no prefix of their own (the auth package's
	// keys hash the instance's secret key); a prefix keeps the keys apart
	// from an application's own, or matches an ACL key pattern.
	Prefix string
}

// MachineCache is an auth.MachineCache in Redis, for auth.Config's
// MachineCache: values with GET and SET PX, leases with SET NX PX holding
// the owner and a script deleting the lease only when it still holds that
// owner. Expiry is Redis's own, to the millisecond; a ttl is rounded down
// to a whole millisecond, never up.
//
// It keeps no state of its own besides the client and is safe for
// concurrent use.
type MachineCache struct {
	client  redis.UniversalClient
	values  string // key prefix of values
	leases  string // key prefix of leases
	release *redis.Script
}

var _ auth.MachineCache = (*MachineCache)(nil)

// releaseScript deletes KEYS[1] if it holds ARGV[1]: atomic, so that an
// owner whose lease expired and was claimed by another never ends the
// other's lease.
const releaseScript = `if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`

// New returns a MachineCache keeping its values and leases in client's
// database. The client (not nil) stays the caller's to configure and to
// close.
func New(client redis.UniversalClient, opts Options) *MachineCache {
	if client == nil {
		panic("clerkkit/redisstore: New with a nil client")
	}
	p := prefixOr(opts.Prefix)
	return &MachineCache{client: client, values: p + "cache:", leases: p + "lease:", release: redis.NewScript(releaseScript)}
}

type got struct {
	b  []byte
	ok bool
}

// Get implements auth.MachineCache: GET.
func (c *MachineCache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	r, err := run(ctx, "get", func(ctx context.Context) (got, error) {
		b, err := c.client.Get(ctx, c.values+key).Bytes()
		if errors.Is(err, redis.Nil) {
			return got{}, nil
		}
		if err != nil {
			return got{}, err
		}
		return got{b, true}, nil
	}, nil)
	if err != nil {
		return nil, false, err
	}
	return r.b, r.ok, nil
}

// Set implements auth.MachineCache: SET PX. A ttl under a millisecond
// deletes key's value instead (it would have expired already).
func (c *MachineCache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("%w: MachineCache.Set with a ttl <= 0", ErrInvalidArgument)
	}
	_, err := run(ctx, "set", func(ctx context.Context) (struct{}, error) {
		if ttl < time.Millisecond {
			return struct{}{}, c.client.Del(ctx, c.values+key).Err()
		}
		return struct{}{}, c.client.SetArgs(ctx, c.values+key, value, redis.SetArgs{TTL: ttl.Truncate(time.Millisecond)}).Err()
	}, nil)
	return err
}

// Lease implements auth.MachineCache: SET NX PX with owner as the value,
// ttl rounded down to a whole millisecond (at least one). When ctx ends
// before Redis answers (the command may still have taken the lease), the
// lease is released in the background once the command is over, so that
// the other Verifiers need not wait for its expiry.
func (c *MachineCache) Lease(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	if ttl <= 0 || owner == "" {
		return false, fmt.Errorf("%w: MachineCache.Lease with a ttl <= 0 or no owner", ErrInvalidArgument)
	}
	ttl = max(ttl.Truncate(time.Millisecond), time.Millisecond)
	return run(ctx, "lease", func(ctx context.Context) (bool, error) {
		return c.client.SetNX(ctx, c.leases+key, owner, ttl).Result()
	}, func(won bool, err error) {
		if won || err != nil { // on an error the lease may have been taken: Release is harmless otherwise
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			c.Release(ctx, key, owner)
		}
	})
}

// Release implements auth.MachineCache: a script deleting key's lease if
// owner holds it, atomically.
func (c *MachineCache) Release(ctx context.Context, key, owner string) error {
	_, err := run(ctx, "release", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, c.release.Run(ctx, c.client, []string{c.leases + key}, owner).Err()
	}, nil)
	return err
}
