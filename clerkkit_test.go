package clerkkit_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/users"
)

const key = "sk_test_0123456789abcdefghijklmnopqrstuv"

func TestNewValidatesConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  clerkkit.Config
		want string
	}{
		{clerkkit.Config{}, "SecretKey is required"},
		{clerkkit.Config{SecretKey: "pk_test_abcdefghijklmnop"}, "sk_test_ or sk_live_"},
		{clerkkit.Config{SecretKey: " " + key}, "sk_test_ or sk_live_"},
		{clerkkit.Config{SecretKey: key + " "}, "spaces"},
		{clerkkit.Config{SecretKey: key, APIURL: "http://api.clerk.com"}, "https"},
		{clerkkit.Config{SecretKey: key, APIURL: "://x"}, "APIURL"},
		{clerkkit.Config{SecretKey: key, Retry: clerkkit.RetryPolicy{MaxWait: -time.Second}}, "negative"},
	} {
		c, err := clerkkit.New(tc.cfg)
		if c != nil || !errors.Is(err, clerkerr.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg.APIURL, err, tc.want)
		}
		if strings.Contains(err.Error(), key) {
			t.Errorf("the error leaks the key: %v", err)
		}
	}
	c, err := clerkkit.New(clerkkit.Config{SecretKey: key})
	if err != nil || c.Users == nil || c.Organizations == nil || c.Memberships == nil || c.Backend() == nil {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		io.WriteString(w, `{"object":"user","id":"user_1"}`)
	}))
	defer srv.Close()
	t.Setenv("CLERK_SECRET_KEY", " "+key+"\n")
	t.Setenv("CLERK_API_URL", srv.URL)
	t.Setenv("CLERK_API_VERSION", "2024-10-01")
	c, err := clerkkit.New(clerkkit.ConfigFromEnv())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Users.Get(context.Background(), "user_1"); err != nil {
		t.Fatal(err)
	}
	if got.Get("Authorization") != "Bearer "+key || got.Get("Clerk-API-Version") != "2024-10-01" {
		t.Fatalf("headers %v", got)
	}
	t.Setenv("CLERK_SECRET_KEY", "")
	if _, err := clerkkit.New(clerkkit.ConfigFromEnv()); !errors.Is(err, clerkerr.ErrInvalidConfig) {
		t.Fatalf("err = %v", err)
	}
}

// TestTwoInstancesShareNothing: two Clients in one process each use their
// own key and URL, and the official SDK's package-level state is untouched.
func TestTwoInstancesShareNothing(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{}
	handler := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[name] = r.Header.Get("Authorization")
			mu.Unlock()
			io.WriteString(w, `{"object":"user","id":"user_1"}`)
		}
	}
	a := httptest.NewServer(handler("a"))
	defer a.Close()
	b := httptest.NewServer(handler("b"))
	defer b.Close()
	keyB := "sk_live_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	ca, err := clerkkit.New(clerkkit.Config{SecretKey: key, APIURL: a.URL})
	if err != nil {
		t.Fatal(err)
	}
	cb, err := clerkkit.New(clerkkit.Config{SecretKey: keyB, APIURL: b.URL})
	if err != nil {
		t.Fatal(err)
	}
	ca.Users.Get(context.Background(), "user_1")
	cb.Users.Get(context.Background(), "user_1")
	if seen["a"] != "Bearer "+key || seen["b"] != "Bearer "+keyB {
		t.Fatalf("seen %v", seen)
	}
}

func TestErrorsAsFromAnyPackage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "upstream connect error")
	}))
	defer srv.Close()
	c, err := clerkkit.New(clerkkit.Config{SecretKey: key, APIURL: srv.URL, Retry: clerkkit.RetryPolicy{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, e1 := c.Users.Get(ctx, "user_1")
	_, e2 := c.Organizations.Get(ctx, "acme")
	_, e3 := c.Memberships.Get(ctx, "org_1", "user_1")
	_, e4 := (&user.Client{Backend: c.Backend()}).Get(ctx, "user_1")
	for i, err := range []error{e1, e2, e3, e4} {
		var apiErr *clerkerr.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != 502 || apiErr.Body != "upstream connect error" {
			t.Fatalf("%d: %v", i, err)
		}
		if !apiErr.Temporary() {
			t.Fatalf("%d: not temporary", i)
		}
	}
}

func TestRetryConfigured(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 3 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(429)
			io.WriteString(w, `{"errors":[{"code":"too_many_requests","message":"Too Many Requests"}]}`)
			return
		}
		io.WriteString(w, `{"object":"user","id":"user_1"}`)
	}))
	defer srv.Close()
	var slept []time.Duration
	cfg := clerkkit.WithTestHooks(clerkkit.Config{SecretKey: key, APIURL: srv.URL},
		func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return nil }, nil, nil)
	c, err := clerkkit.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Users.SetRole(context.Background(), "user_1", "admin"); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 3 || len(slept) != 2 || slept[0] != 2*time.Second || slept[1] != 2*time.Second {
		t.Fatalf("%d requests, slept %v", n.Load(), slept)
	}
	// Disabled: one attempt, the 429 surfaces with its Retry-After.
	n.Store(0)
	c2, _ := clerkkit.New(clerkkit.Config{SecretKey: key, APIURL: srv.URL, Retry: clerkkit.RetryPolicy{Disabled: true}})
	err = c2.Users.SetRole(context.Background(), "user_1", "admin")
	var apiErr *clerkerr.APIError
	if !errors.Is(err, clerkerr.ErrRateLimited) || !errors.As(err, &apiErr) || apiErr.RetryAfter != 2*time.Second || n.Load() != 1 {
		t.Fatalf("err %v after %d requests", err, n.Load())
	}
}

func TestNewBackendWorksWithSDKAndPackages(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"object":"user","id":"user_1","public_metadata":{"role":"admin"}}`)
	}))
	defer srv.Close()
	b, err := clerkkit.NewBackend(clerkkit.Config{SecretKey: key, APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	var _ clerk.Backend = b
	role, err := users.New(b, users.Options{}).Role(context.Background(), "user_1")
	if err != nil || role != "admin" {
		t.Fatal(role, err)
	}
	if _, err := clerkkit.NewBackend(clerkkit.Config{}); !errors.Is(err, clerkerr.ErrInvalidConfig) {
		t.Fatal(err)
	}
}

func TestInvalidInputSentinel(t *testing.T) {
	c, _ := clerkkit.New(clerkkit.Config{SecretKey: key, APIURL: "http://127.0.0.1:1"})
	_, err := c.Users.Get(context.Background(), "../users")
	if !errors.Is(err, clerkerr.ErrInvalidInput) {
		t.Fatal(err)
	}
	err = c.Memberships.RequireOrgAdmin(context.Background(), "org_1")
	if !errors.Is(err, clerkerr.ErrUnauthenticated) {
		t.Fatal(err)
	}
}

// TestEmulatorRateLimitHonoured runs against the emulator's rate limit (5
// requests per 10 s): every call succeeds, each 429 waited out for exactly
// the Retry-After the emulator sent, on the emulator's own clock.
func TestEmulatorRateLimitHonoured(t *testing.T) {
	clk := clerktest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	srv := emulator.NewServer(t, emulator.Options{Clock: clk, RateLimit: emulator.RateLimit{Requests: 5, Per: 10 * time.Second}})
	if err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: "user_1"}}}); err != nil {
		t.Fatal(err)
	}
	var slept []time.Duration
	cfg := clerkkit.WithTestHooks(srv.ClientConfig(),
		func(ctx context.Context, d time.Duration) error { slept = append(slept, d); clk.Advance(d); return nil },
		clk.Now, nil)
	c, err := clerkkit.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		// Alternate a read and a write: 429s are retried for both.
		if i%2 == 0 {
			_, err = c.Users.Get(context.Background(), "user_1")
		} else {
			err = c.Users.SetRole(context.Background(), "user_1", "r"+string(rune('a'+i)))
		}
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	// 12 calls in windows of 5: two waits of a full window.
	if len(slept) != 2 || slept[0] != 10*time.Second || slept[1] != 10*time.Second {
		t.Fatalf("slept %v", slept)
	}
	if n := srv.Calls(""); n != 14 {
		t.Fatalf("%d requests, want 12 + 2 rejected", n)
	}
}

// A redirect from the API, to another port or to the API itself, is not
// followed through any package's calls, even with a caller's client that
// follows everything; the other server never sees the key.
func TestRedirectsNotFollowed(t *testing.T) {
	var other atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		other.Add(1)
		if strings.Contains(r.Header.Get("Authorization"), key) {
			t.Error("the secret key reached another origin")
		}
		io.WriteString(w, `{"object":"user","id":"user_1"}`)
	}))
	defer elsewhere.Close()
	var api atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.Add(1)
		target := elsewhere.URL
		if strings.Contains(r.URL.Path, "/memberships") {
			target = "" // same origin
		}
		http.Redirect(w, r, target+r.URL.Path+"x", http.StatusPermanentRedirect)
	}))
	defer srv.Close()
	follow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
	c, err := clerkkit.New(clerkkit.Config{SecretKey: key, APIURL: srv.URL, HTTPClient: follow})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, e1 := c.Users.Get(ctx, "user_1")
	e2 := c.Users.SetRole(ctx, "user_1", "admin")
	_, e3 := c.Memberships.Get(ctx, "org_1", "user_1")
	_, e4 := (&user.Client{Backend: c.Backend()}).Get(ctx, "user_1")
	for i, err := range []error{e1, e2, e3, e4} {
		if !errors.Is(err, clerkerr.ErrRedirect) {
			t.Fatalf("%d: err = %v, want ErrRedirect", i, err)
		}
		var apiErr *clerkerr.APIError
		if errors.As(err, &apiErr) {
			t.Fatalf("%d: a redirect is not an APIError", i)
		}
	}
	if other.Load() != 0 || api.Load() != 4 {
		t.Fatalf("%d requests elsewhere, %d to the API (want 0 and 4: no redirect followed, none retried)", other.Load(), api.Load())
	}
}

// TestDeleteHooksChained: Config.Users.OnDelete and
// Config.Organizations.OnDelete are called after New's own hooks, which
// drop the deleted user's or organization's memberships from the cache.
func TestDeleteHooksChained(t *testing.T) {
	srv := emulator.NewServer(t)
	if err := srv.Seed(emulator.SeedData{
		Users:         []emulator.SeedUser{{ID: "user_ann"}, {ID: "user_bob"}},
		Organizations: []emulator.SeedOrganization{{ID: "org_acme", Name: "Acme", CreatedBy: "user_ann"}, {ID: "org_beta", Name: "Beta", CreatedBy: "user_ann"}},
		Memberships:   []emulator.SeedMembership{{OrganizationID: "org_acme", UserID: "user_bob"}, {OrganizationID: "org_beta", UserID: "user_bob"}},
	}); err != nil {
		t.Fatal(err)
	}
	var calls []string
	cfg := srv.ClientConfig()
	var c *clerkkit.Client
	const members = "GET /v1/organizations/{organization_id}/memberships"
	// Each hook sees the memberships already forgotten: a check makes a call.
	cachedNoLonger := func(orgID, userID string) bool {
		n := srv.Calls(members)
		c.Memberships.Role(context.Background(), orgID, userID)
		return srv.Calls(members) == n+1
	}
	cfg.Users.OnDelete = func(id string) { calls = append(calls, "user "+id+" "+fmt.Sprint(cachedNoLonger("org_beta", id))) }
	cfg.Organizations.OnDelete = func(id string) { calls = append(calls, "org "+id+" "+fmt.Sprint(cachedNoLonger(id, "user_ann"))) }
	c, err := clerkkit.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, p := range [][2]string{{"org_beta", "user_bob"}, {"org_acme", "user_ann"}} {
		if _, err := c.Memberships.Role(ctx, p[0], p[1]); err != nil { // cached now
			t.Fatal(err)
		}
	}
	if err := c.Users.Delete(ctx, "user_bob"); err != nil {
		t.Fatal(err)
	}
	if err := c.Organizations.Delete(ctx, "org_acme"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"user user_bob true", "org org_acme true"}; fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Fatalf("hooks %q, want %q", calls, want)
	}
}
