// Package webhookstest checks implementations of webhooks.Store: the
// contract every store (the memory and SQL stores of package webhooks,
// redisstore's, an application's own) must keep for a Handler to run each
// delivery once.
package webhookstest

import (
	"context"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/webhooks"
)

// RunStoreContract checks s, which must be empty of the ids "a", "b", "c"
// and "d", against the webhooks.Store contract: a claim is exclusive while
// its lease runs; only its owner releases it; a completed id stays
// completed; completing an unclaimed id records it; an expired lease is
// taken over once and its former owner can no longer release it; owner
// names carry no meaning of their own. It sleeps about 40 ms.
func RunStoreContract(t *testing.T, s webhooks.Store) {
	t.Helper()
	ctx := context.Background()
	claim := func(id, owner string, lease time.Duration, want webhooks.ClaimState) {
		t.Helper()
		got, err := s.Claim(ctx, id, owner, lease)
		if err != nil || got != want {
			t.Fatalf("Claim(%s, %s) = %v, %v; want %v", id, owner, got, err, want)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	claim("a", "o1", time.Minute, webhooks.Claimed)
	claim("a", "o2", time.Minute, webhooks.InFlight)
	// Release by a non-owner changes nothing.
	must(s.Release(ctx, "a", "o2"))
	claim("a", "o2", time.Minute, webhooks.InFlight)
	must(s.Release(ctx, "a", "o1"))
	claim("a", "o2", time.Minute, webhooks.Claimed)
	must(s.Complete(ctx, "a"))
	claim("a", "o3", time.Minute, webhooks.Completed)
	// Release after completion changes nothing, even by the last owner.
	must(s.Release(ctx, "a", "o2"))
	claim("a", "o3", time.Minute, webhooks.Completed)
	// Completing an unclaimed id records it.
	must(s.Complete(ctx, "b"))
	claim("b", "o1", time.Minute, webhooks.Completed)
	// An expired lease (crashed holder) can be taken over, once.
	claim("c", "crashed", 20*time.Millisecond, webhooks.Claimed)
	time.Sleep(40 * time.Millisecond)
	claim("c", "o1", time.Minute, webhooks.Claimed)
	claim("c", "o2", time.Minute, webhooks.InFlight)
	must(s.Release(ctx, "c", "crashed")) // the crashed holder lost its claim
	claim("c", "o2", time.Minute, webhooks.InFlight)
	// An owner named like a store's own markers is just an owner.
	claim("d", "done", time.Minute, webhooks.Claimed)
	claim("d", "o1", time.Minute, webhooks.InFlight)
	must(s.Release(ctx, "d", "done"))
	claim("d", "o1", time.Minute, webhooks.Claimed)
}
