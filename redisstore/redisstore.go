// Package redisstore keeps clerkkit's shared state in Redis (or Valkey, or
// any server speaking its protocol), so that the replicas of a service
// share it:
//
//   - MachineCache is an auth.MachineCache: replicas verifying the same
//     opaque machine token (an API key, an M2M or an OAuth token) make one
//     Backend API call per token per auth.Config.MachineCacheTTL between
//     them, not one each.
//   - WebhookStore is a webhooks.Store: each webhook delivery's handler
//     succeeds once across all replicas.
//
// Both take a redis.UniversalClient of github.com/redis/go-redis/v9 (a
// *redis.Client, *redis.ClusterClient, *redis.Ring or sentinel failover
// client), which the caller configures and closes. Every method honours its
// context: it returns once ctx is done even when the client's own timeouts
// are longer (go-redis applies a context's deadline to socket reads only
// with redis.Options.ContextTimeoutEnabled; set it, so that an abandoned
// command also frees its connection promptly).
//
// When Redis is unreachable or slow, the auth.Verifier verifies tokens
// with the Backend API itself (never accepting one because the store
// failed), and the webhooks.Handler answers 5xx so that Svix retries.
//
// Whoever can write to the Redis database can make any machine token valid
// and suppress any webhook: protect it as the Clerk secret key is
// protected (a password or ACL user, TLS or a private network).
package redisstore

import (
	"context"
	"errors"
	"fmt"
)

// DefaultPrefix begins every key this package writes unless the options
// give another.
const DefaultPrefix = "clerkkit:"

// ErrRedis is wrapped by every error a Redis command returns, a done
// context included (errors.Is also finds context.Canceled or
// context.DeadlineExceeded then).
var ErrRedis = errors.New("clerkkit/redisstore: redis command failed")

// ErrInvalidArgument is wrapped by the errors of calls a store refuses
// before asking Redis: a ttl or lease <= 0, an empty owner.
var ErrInvalidArgument = errors.New("clerkkit/redisstore: invalid argument")

// prefixOr returns p, or DefaultPrefix when p is empty.
func prefixOr(p string) string {
	if p == "" {
		return DefaultPrefix
	}
	return p
}

// run calls f, which runs Redis commands, on a goroutine of its own and
// waits for it or for ctx, whichever ends first: without
// ContextTimeoutEnabled go-redis waits for a slow server up to its
// ReadTimeout (3s by default) whatever ctx says. A call abandoned that way
// finishes in the background, then abandoned runs (with f's result) if it
// is not nil: a Lease won after its caller gave up is released there.
func run[T any](ctx context.Context, op string, f func(context.Context) (T, error), abandoned func(T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("%w: %s: %w", ErrRedis, op, err)
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f(ctx)
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return zero, fmt.Errorf("%w: %s: %w", ErrRedis, op, r.err)
		}
		return r.v, nil
	case <-ctx.Done():
		if abandoned != nil {
			go func() {
				r := <-ch
				abandoned(r.v, r.err)
			}()
		}
		return zero, fmt.Errorf("%w: %s: %w", ErrRedis, op, ctx.Err())
	}
}
