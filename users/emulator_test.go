package users_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"sync"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/internal/bapi"
	"github.com/clerkkit/clerkkit/internal/bapi/bapitest"
	"github.com/clerkkit/clerkkit/metadata"
	"github.com/clerkkit/clerkkit/users"
)

const (
	routeList     = "GET /v1/users"
	routeGet      = "GET /v1/users/{user_id}"
	routeCreate   = "POST /v1/users"
	routeMetadata = "PATCH /v1/users/{user_id}/metadata"
)

// emulated returns a users.Client on a fresh emulator whose retries
// record their waits instead of sleeping.
func emulated(t *testing.T, opts users.Options) (*emulator.Server, *users.Client, *sleeps) {
	t.Helper()
	srv := emulator.NewServer(t)
	sl := &sleeps{}
	b, err := bapi.NewBackend(bapi.Config{
		SecretKey:  srv.SecretKey(),
		APIURL:     srv.URL(),
		HTTPClient: srv.HTTPClient(),
		Sleep:      sl.sleep,
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv, users.New(b, opts), sl
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

func TestEmulatorAllAcrossPages(t *testing.T) {
	srv, c, _ := emulated(t, users.Options{})
	var seed emulator.SeedData
	for i := range 1234 {
		seed.Users = append(seed.Users, emulator.SeedUser{
			ID:             fmt.Sprintf("user_%04d", i),
			EmailAddresses: []string{fmt.Sprintf("u%04d@example.com", i)},
			FirstName:      map[bool]string{true: "Ann", false: "Bob"}[i%3 == 0],
		})
	}
	if err := srv.Seed(seed); err != nil {
		t.Fatal(err)
	}
	srv.ResetCalls()
	ctx := context.Background()
	seen := map[string]bool{}
	for u, err := range c.All(ctx, users.ListParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[u.ID] {
			t.Fatalf("%s twice", u.ID)
		}
		seen[u.ID] = true
	}
	if len(seen) != 1234 || srv.Calls(routeList) != 3 {
		t.Fatalf("%d users over %d calls", len(seen), srv.Calls(routeList))
	}
	// A filter, ascending, in pages of 100.
	var prev string
	n := 0
	for u, err := range c.All(ctx, users.ListParams{Query: "Ann", OrderBy: "+created_at", Limit: 100}) {
		if err != nil {
			t.Fatal(err)
		}
		if u.ID <= prev || *u.FirstName != "Ann" {
			t.Fatalf("%s after %s (%s)", u.ID, prev, *u.FirstName)
		}
		prev = u.ID
		n++
	}
	if n != 412 {
		t.Fatalf("%d Anns", n)
	}
	count, err := c.Count(ctx, users.ListParams{Query: "Ann"})
	if err != nil || count != 412 {
		t.Fatalf("Count = %d, %v", count, err)
	}
	// Offset paging for another order.
	n = 0
	for _, err := range c.All(ctx, users.ListParams{OrderBy: "+email_address", Offset: 1200}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 34 {
		t.Fatalf("%d users after offset 1200", n)
	}
	page, err := c.List(ctx, users.ListParams{Limit: 3, OrderBy: "+created_at", StartingAfter: "user_0009"})
	if err != nil || len(page) != 3 || page[0].ID != "user_0010" {
		t.Fatalf("List = %v, %v", page, err)
	}
}

func TestEmulatorMetadataDeepMergeAndNullRemoval(t *testing.T) {
	srv, c, _ := emulated(t, users.Options{})
	err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{
		ID:              "user_md",
		PublicMetadata:  json.RawMessage(`{"a":{"b":1,"c":{"d":2,"e":3}},"keep":true,"role":"member"}`),
		PrivateMetadata: json.RawMessage(`{"secret":{"x":1}}`),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u, err := c.UpdateMetadata(ctx, "user_md", users.Metadata{
		Public:  metadata.NewPatch().Set(9, "a", "c", "d").Remove("a", "b").Set([]int{1, 2}, "list"),
		Private: map[string]any{"secret": map[string]any{"x": nil, "y": 2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := bapitest.Normalized(t, u.PublicMetadata), `{"a":{"c":{"d":9,"e":3}},"keep":true,"list":[1,2],"role":"member"}`; got != want {
		t.Fatalf("public %s\nwant   %s", got, want)
	}
	if got, want := bapitest.Normalized(t, u.PrivateMetadata), `{"secret":{"y":2}}`; got != want {
		t.Fatalf("private %s, want %s", got, want)
	}
	// Stored, not just echoed.
	u, _ = c.Get(ctx, "user_md")
	if got := bapitest.Normalized(t, u.PublicMetadata); got != `{"a":{"c":{"d":9,"e":3}},"keep":true,"list":[1,2],"role":"member"}` {
		t.Fatalf("stored %s", got)
	}
	// Replace: the whole object, other objects untouched.
	u, err = c.ReplaceMetadata(ctx, "user_md", users.Metadata{Public: map[string]any{"only": 1}})
	if err != nil {
		t.Fatal(err)
	}
	if bapitest.Normalized(t, u.PublicMetadata) != `{"only":1}` || bapitest.Normalized(t, u.PrivateMetadata) != `{"secret":{"y":2}}` {
		t.Fatalf("after replace: %s / %s", u.PublicMetadata, u.PrivateMetadata)
	}
}

func TestEmulatorSetRolePreservesOtherKeys(t *testing.T) {
	srv, c, _ := emulated(t, users.Options{})
	err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{
		ID:              "user_r",
		PublicMetadata:  json.RawMessage(`{"plan":"pro","nested":{"x":1},"role":"member"}`),
		PrivateMetadata: json.RawMessage(`{"stripe":"cus_1"}`),
		UnsafeMetadata:  json.RawMessage(`{"theme":"dark"}`),
	}, {ID: "user_plain"}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if r, err := c.Role(ctx, "user_r"); err != nil || r != "member" {
		t.Fatalf("Role = %q, %v", r, err)
	}
	if r, err := c.Role(ctx, "user_plain"); err != nil || r != "" {
		t.Fatalf("unset Role = %q, %v", r, err)
	}
	if err := c.SetRole(ctx, "user_r", "admin"); err != nil {
		t.Fatal(err)
	}
	u, err := c.Get(ctx, "user_r")
	if err != nil {
		t.Fatal(err)
	}
	if got := bapitest.Normalized(t, u.PublicMetadata); got != `{"nested":{"x":1},"plan":"pro","role":"admin"}` {
		t.Fatalf("public %s", got)
	}
	if bapitest.Normalized(t, u.PrivateMetadata) != `{"stripe":"cus_1"}` || bapitest.Normalized(t, u.UnsafeMetadata) != `{"theme":"dark"}` {
		t.Fatalf("other metadata changed: %s %s", u.PrivateMetadata, u.UnsafeMetadata)
	}
	if r, _ := c.Role(ctx, "user_r"); r != "admin" {
		t.Fatalf("Role = %q", r)
	}
	if err := c.SetRole(ctx, "user_r", ""); err != nil {
		t.Fatal(err)
	}
	u, _ = c.Get(ctx, "user_r")
	if got := bapitest.Normalized(t, u.PublicMetadata); got != `{"nested":{"x":1},"plan":"pro"}` {
		t.Fatalf("after clearing: %s", got)
	}
	// A custom role key.
	c2 := users.New(backendOf(t, srv), users.Options{RoleKey: "tier"})
	if err := c2.SetRole(ctx, "user_plain", "gold"); err != nil {
		t.Fatal(err)
	}
	if r, _ := c2.Role(ctx, "user_plain"); r != "gold" {
		t.Fatalf("tier = %q", r)
	}
	if err := c.SetRole(ctx, "user_missing", "admin"); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("missing user: %v", err)
	}
}

func backendOf(t *testing.T, srv *emulator.Server) clerk.Backend {
	b, err := clerkkit.NewBackend(srv.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEmulatorLifecycle(t *testing.T) {
	_, c, _ := emulated(t, users.Options{})
	ctx := context.Background()
	u, err := c.Create(ctx, users.CreateParams{
		EmailAddresses: []string{"ann@example.com"}, FirstName: "Ann", LastName: "Lee", Username: "annlee",
		ExternalID: "ext-1", SkipPasswordRequirement: true, PublicMetadata: map[string]any{"role": "admin"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if u.ID == "" || *u.FirstName != "Ann" || len(u.EmailAddresses) != 1 || u.EmailAddresses[0].EmailAddress != "ann@example.com" {
		t.Fatalf("%+v", u)
	}
	if r, _ := users.RoleOf(u, "role"); r != "admin" {
		t.Fatalf("role %q", r)
	}
	_, err = c.Create(ctx, users.CreateParams{EmailAddresses: []string{"ann@example.com"}, SkipPasswordRequirement: true})
	var apiErr *clerkerr.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 422 || apiErr.Code() == "" {
		t.Fatalf("duplicate email: %v", err)
	}
	u, err = c.Update(ctx, u.ID, users.UpdateParams{LastName: clerk.String("Li")})
	if err != nil || *u.LastName != "Li" {
		t.Fatal(u, err)
	}
	for _, step := range []struct {
		f      func(context.Context, string) (*clerk.User, error)
		banned bool
		locked bool
	}{{c.Ban, true, false}, {c.Unban, false, false}, {c.Lock, false, true}, {c.Unlock, false, false}} {
		u, err = step.f(ctx, u.ID)
		if err != nil || u.Banned != step.banned || u.Locked != step.locked {
			t.Fatalf("%+v %v", u, err)
		}
	}
	if err := c.Delete(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, u.ID); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := c.Delete(ctx, u.ID); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestEmulatorBadInputMakesNoCall(t *testing.T) {
	srv, c, _ := emulated(t, users.Options{})
	ctx := context.Background()
	srv.ResetCalls()
	for _, id := range []string{"", "user_1/ban", "user_1?limit=1", "user_1#x", "%2e%2e", "..", "../users", " user_1", "user_1\r\n"} {
		if _, err := c.Get(ctx, id); !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("Get(%q): %v", id, err)
		}
		if err := c.SetRole(ctx, id, "admin"); !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("SetRole(%q): %v", id, err)
		}
		if err := c.Delete(ctx, id); !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("Delete(%q): %v", id, err)
		}
	}
	for _, limit := range []int{-1, 501, 10_000} {
		if _, err := c.List(ctx, users.ListParams{Limit: limit}); !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("limit %d: %v", limit, err)
		}
	}
	if _, err := c.Create(ctx, users.CreateParams{EmailAddresses: []string{"nope"}}); !errors.Is(err, clerkerr.ErrInvalidInput) {
		t.Errorf("Create: %v", err)
	}
	if n := srv.Calls(""); n != 0 {
		t.Fatalf("%d calls", n)
	}
}

func TestEmulatorRetries(t *testing.T) {
	srv, c, sl := emulated(t, users.Options{})
	if err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: "user_1"}}}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	srv.ResetCalls()

	// GET: 503 twice, then served.
	srv.InjectFault(clerktest.Fault{Route: routeGet, Status: 503, Times: 2})
	if _, err := c.Get(ctx, "user_1"); err != nil {
		t.Fatal(err)
	}
	if srv.Calls(routeGet) != 3 {
		t.Fatalf("%d GETs", srv.Calls(routeGet))
	}
	// GET: the connection dropped once.
	srv.InjectFault(clerktest.Fault{Route: routeGet, Kind: clerktest.FaultDown, Times: 1})
	if _, err := c.Get(ctx, "user_1"); err != nil || srv.Calls(routeGet) != 5 {
		t.Fatalf("after a drop: %v, %d GETs", err, srv.Calls(routeGet))
	}
	// POST: a 503 is not retried.
	srv.InjectFault(clerktest.Fault{Route: routeCreate, Status: 503, Times: 1})
	_, err := c.Create(ctx, users.CreateParams{FirstName: "X", SkipPasswordRequirement: true})
	var apiErr *clerkerr.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 503 || srv.Calls(routeCreate) != 1 {
		t.Fatalf("POST 503: %v after %d calls", err, srv.Calls(routeCreate))
	}
	// PATCH metadata: a 429 is retried after Retry-After.
	before := len(sl.all())
	srv.InjectFault(clerktest.Fault{Route: routeMetadata, Status: 429, RetryAfter: 3 * time.Second, Times: 1})
	if err := c.SetRole(ctx, "user_1", "admin"); err != nil {
		t.Fatal(err)
	}
	if d := sl.all()[before:]; len(d) != 1 || d[0] != 3*time.Second || srv.Calls(routeMetadata) != 2 {
		t.Fatalf("slept %v, %d calls", d, srv.Calls(routeMetadata))
	}
	// A Retry-After beyond the 30s budget: given up at once.
	srv.InjectFault(clerktest.Fault{Route: routeMetadata, Status: 429, RetryAfter: time.Minute, Times: 1})
	err = c.SetRole(ctx, "user_1", "admin")
	if !errors.Is(err, clerkerr.ErrRateLimited) || !errors.As(err, &apiErr) || apiErr.RetryAfter != time.Minute || srv.Calls(routeMetadata) != 3 {
		t.Fatalf("long Retry-After: %v after %d calls", err, srv.Calls(routeMetadata))
	}
	// Attempts are bounded.
	srv.InjectFault(clerktest.Fault{Route: routeGet, Status: 502})
	srv.ResetCalls()
	if _, err := c.Get(ctx, "user_1"); !errors.As(err, &apiErr) || apiErr.Status != 502 || srv.Calls(routeGet) != 4 {
		t.Fatalf("always 502: %v after %d calls", err, srv.Calls(routeGet))
	}
}

func TestEmulatorCurrent(t *testing.T) {
	srv, c, _ := emulated(t, users.Options{CurrentCacheTTL: time.Minute})
	if err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: "user_cur", FirstName: "Cy"}}}); err != nil {
		t.Fatal(err)
	}
	ctx := sessionContext(t, srv, "user_cur")
	srv.ResetCalls()
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if u, err := c.Current(ctx); err != nil || u.ID != "user_cur" {
				t.Error(u, err)
			}
		}()
	}
	wg.Wait()
	if n := srv.Calls(routeGet); n != 1 {
		t.Fatalf("%d calls for 100 concurrent Current", n)
	}
}
