package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clerkkit/clerkkit/webhooks"
)

// DefaultWebhookTTL is how long a WebhookStore remembers a completed
// delivery id unless its options say otherwise: as long as
// webhooks.MemoryStore, beyond Svix's retry schedule of about a day and a
// half.
const DefaultWebhookTTL = 7 * 24 * time.Hour

// WebhookOptions configure NewWebhookStore. The zero value takes the
// defaults.
type WebhookOptions struct {
	// Prefix begins the Redis key of every delivery id (default
	// DefaultPrefix): an id is kept at Prefix+"webhook:"+id. Services
	// receiving the webhooks of different Clerk instances (whose delivery
	// ids could meet) in one database need prefixes of their own.
	Prefix string
	// TTL is how long a completed id is remembered (default
	// DefaultWebhookTTL).
	TTL time.Duration
}

// WebhookStore is a webhooks.Store in Redis, for webhooks.Config's Store:
// one key per delivery id, holding "claim:" and the owner while a claim's
// lease lasts (with the lease as its expiry) and "done" for TTL once
// completed. Claim and Release are scripts, hence atomic; Complete is a
// SET. Unlike webhooks.MemoryStore it is never full: Redis's maxmemory
// policy decides, and should be noeviction (an evicted completed id lets a
// redelivery run its handler again).
type WebhookStore struct {
	client  redis.UniversalClient
	prefix  string
	ttl     time.Duration
	claim   *redis.Script
	release *redis.Script
}

var _ webhooks.Store = (*WebhookStore)(nil)

// claimScript answers 3 (completed) when KEYS[1] is "done", 2 (in flight)
// when it holds a live claim, and otherwise claims it for ARGV[1] for
// ARGV[2] milliseconds and answers 1. An expired claim is gone from Redis,
// so it is taken over like a new id.
const claimScript = `local v = redis.call("GET", KEYS[1])
if v == "done" then
	return 3
end
if v then
	return 2
end
redis.call("SET", KEYS[1], "claim:" .. ARGV[1], "PX", ARGV[2])
return 1`

// webhookReleaseScript deletes KEYS[1] if it still holds ARGV[1]'s claim:
// neither a completed id nor another owner's claim.
const webhookReleaseScript = `if redis.call("GET", KEYS[1]) == "claim:" .. ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`

// NewWebhookStore returns a WebhookStore keeping delivery ids in client's
// database. The client (not nil) stays the caller's to configure and to
// close.
func NewWebhookStore(client redis.UniversalClient, opts WebhookOptions) *WebhookStore {
	if client == nil {
		panic("clerkkit/redisstore: NewWebhookStore with a nil client")
	}
	ttl := opts.TTL
	if ttl <= 0 {
		ttl = DefaultWebhookTTL
	}
	return &WebhookStore{client: client, prefix: prefixOr(opts.Prefix) + "webhook:", ttl: ttl,
		claim: redis.NewScript(claimScript), release: redis.NewScript(webhookReleaseScript)}
}

// Claim implements webhooks.Store. The lease is rounded down to a whole
// millisecond (at least one). When ctx ends before Redis answers (the
// script may still have claimed id), the claim is released in the
// background once the script is over, so that Svix's next attempt need not
// wait for the lease to end.
func (s *WebhookStore) Claim(ctx context.Context, id, owner string, lease time.Duration) (webhooks.ClaimState, error) {
	if lease <= 0 || owner == "" {
		return 0, fmt.Errorf("%w: WebhookStore.Claim with a lease <= 0 or no owner", ErrInvalidArgument)
	}
	ms := max(lease.Milliseconds(), 1)
	return run(ctx, "claim", func(ctx context.Context) (webhooks.ClaimState, error) {
		n, err := s.claim.Run(ctx, s.client, []string{s.prefix + id}, owner, ms).Int64()
		if err != nil {
			return 0, err
		}
		switch n {
		case 1:
			return webhooks.Claimed, nil
		case 2:
			return webhooks.InFlight, nil
		case 3:
			return webhooks.Completed, nil
		}
		return 0, fmt.Errorf("claim script answered %d", n)
	}, func(st webhooks.ClaimState, err error) {
		if st == webhooks.Claimed || err != nil { // Release ends only owner's claim
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			s.Release(ctx, id, owner)
		}
	})
}

// Complete implements webhooks.Store: the id is remembered as completed
// for the store's TTL from now, whoever holds its claim.
func (s *WebhookStore) Complete(ctx context.Context, id string) error {
	_, err := run(ctx, "complete", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.client.Set(ctx, s.prefix+id, "done", s.ttl).Err()
	}, nil)
	return err
}

// Release implements webhooks.Store: a script dropping owner's claim on id
// if it still holds it, atomically.
func (s *WebhookStore) Release(ctx context.Context, id, owner string) error {
	_, err := run(ctx, "release", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.release.Run(ctx, s.client, []string{s.prefix + id}, owner).Err()
	}, nil)
	return err
}
