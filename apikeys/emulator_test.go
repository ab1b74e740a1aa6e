package apikeys_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/apikeys"
	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/internal/bapi"
)

const (
	seedUser = "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
	seedOrg  = "org_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
)

// emulated returns a Client on a fresh emulator with a user and an
// organization, whose retries record their waits instead of sleeping.
func emulated(t *testing.T) (*emulator.Server, *apikeys.Client, *sleeps) {
	t.Helper()
	srv := emulator.NewServer(t)
	if err := srv.Seed(emulator.SeedData{
		Users:         []emulator.SeedUser{{ID: seedUser}},
		Organizations: []emulator.SeedOrganization{{ID: seedOrg, Name: "Acme", CreatedBy: seedUser}},
	}); err != nil {
		t.Fatal(err)
	}
	sl := &sleeps{}
	b, err := bapi.NewBackend(bapi.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL(), HTTPClient: srv.HTTPClient(), Sleep: sl.sleep})
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetCalls()
	return srv, apikeys.New(b, apikeys.Options{}), sl
}

type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func TestEmulatorLifecycle(t *testing.T) {
	_, c, _ := emulated(t)
	ctx := context.Background()

	k, err := c.Create(ctx, apikeys.CreateParams{Subject: seedUser, Name: "CI key", Description: "for CI", Scopes: []string{"projects:read"}, Claims: map[string]any{"env": "ci"}, CreatedBy: seedUser})
	if err != nil {
		t.Fatal(err)
	}
	if k.Secret == "" || k.Subject != seedUser || k.Name != "CI key" || k.Description == nil || *k.Description != "for CI" || k.Revoked || len(k.Scopes) != 1 || k.CreatedBy == nil || *k.CreatedBy != seedUser {
		t.Fatalf("created %+v", k)
	}
	orgKey, err := c.Create(ctx, apikeys.CreateParams{Subject: seedOrg, Name: "Org key", ExpiresIn: time.Hour})
	if err != nil || orgKey.Subject != seedOrg || orgKey.Expiration == nil {
		t.Fatalf("org key: %v %+v", err, orgKey)
	}

	got, err := c.Get(ctx, k.ID)
	if err != nil || got.ID != k.ID || got.Secret != "" || string(got.Claims) != `{"env":"ci"}` {
		t.Fatalf("get: %v %+v", err, got)
	}
	if s, err := c.Secret(ctx, k.ID); err != nil || s != k.Secret {
		t.Fatalf("secret: %v (same as created: %v)", err, s == k.Secret)
	}

	desc := "rotated weekly"
	up, err := c.Update(ctx, k.ID, apikeys.UpdateParams{Description: &desc, Scopes: []string{"projects:read", "projects:write"}})
	if err != nil || *up.Description != desc || len(up.Scopes) != 2 {
		t.Fatalf("update: %v %+v", err, up)
	}

	page, err := c.List(ctx, seedUser, apikeys.ListParams{})
	if err != nil || page.TotalCount != 1 || len(page.Keys) != 1 || page.Keys[0].ID != k.ID || page.Keys[0].Secret != "" {
		t.Fatalf("list: %v %+v", err, page)
	}

	r, err := c.Revoke(ctx, k.ID, "leaked")
	if err != nil || !r.Revoked || r.RevocationReason == nil || *r.RevocationReason != "leaked" {
		t.Fatalf("revoke: %v %+v", err, r)
	}
	// A revoked key is listed only with IncludeInvalid.
	if page, err := c.List(ctx, seedUser, apikeys.ListParams{}); err != nil || len(page.Keys) != 0 {
		t.Fatalf("list after revoke: %v %+v", err, page)
	}
	n := 0
	for k, err := range c.All(ctx, seedUser, apikeys.ListParams{IncludeInvalid: true}) {
		if err != nil || !k.Revoked {
			t.Fatalf("all: %v %+v", err, k)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("%d keys with IncludeInvalid", n)
	}

	if err := c.Delete(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.Get(ctx, k.ID)
	var apiErr *clerkerr.APIError
	if !errors.Is(err, clerkerr.ErrNotFound) || !errors.As(err, &apiErr) || apiErr.Status != 404 {
		t.Fatalf("get after delete: %v", err)
	}
}

func TestEmulatorNotFound(t *testing.T) {
	_, c, _ := emulated(t)
	ctx := context.Background()
	const missing = "ak_00000000000000000000000000000000"
	check := func(name string, err error) {
		t.Helper()
		var apiErr *clerkerr.APIError
		if !errors.Is(err, clerkerr.ErrNotFound) || !errors.As(err, &apiErr) || apiErr.Status != 404 {
			t.Errorf("%s: %v, want a 404 *clerkerr.APIError", name, err)
		}
	}
	_, err := c.Get(ctx, missing)
	check("Get", err)
	_, err = c.Secret(ctx, missing)
	check("Secret", err)
	_, err = c.Update(ctx, missing, apikeys.UpdateParams{})
	check("Update", err)
	_, err = c.Revoke(ctx, missing, "")
	check("Revoke", err)
	check("Delete", c.Delete(ctx, missing))
}

func TestEmulatorRetriesRateLimit(t *testing.T) {
	srv, c, sl := emulated(t)
	ctx := context.Background()
	const route = "POST /v1/api_keys"
	// POST is retried after a 429 (the request was not processed), after
	// the Retry-After delay.
	srv.InjectFault(clerktest.Fault{Route: route, Status: 429, RetryAfter: 2 * time.Second, Times: 1})
	k, err := c.Create(ctx, apikeys.CreateParams{Subject: seedUser, Name: "retried"})
	if err != nil {
		t.Fatal(err)
	}
	if d := sl.all(); len(d) != 1 || d[0] != 2*time.Second || srv.Calls(route) != 2 {
		t.Fatalf("slept %v, %d calls", d, srv.Calls(route))
	}
	if page, err := c.List(ctx, seedUser, apikeys.ListParams{}); err != nil || page.TotalCount != 1 || page.Keys[0].ID != k.ID {
		t.Fatalf("one key created: %v %+v", err, page)
	}
	// A Retry-After beyond the budget ends the call with the 429.
	srv.InjectFault(clerktest.Fault{Route: "GET /v1/api_keys/{apiKeyID}", Status: 429, RetryAfter: time.Minute, Times: 1})
	_, err = c.Get(ctx, k.ID)
	var apiErr *clerkerr.APIError
	if !errors.Is(err, clerkerr.ErrRateLimited) || !errors.As(err, &apiErr) || apiErr.RetryAfter != time.Minute {
		t.Fatalf("long Retry-After: %v", err)
	}
}
