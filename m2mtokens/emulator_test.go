package m2mtokens_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/internal/bapi"
	"github.com/clerkkit/clerkkit/m2mtokens"
)

const (
	workerID  = "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
	apiID     = "mch_2yGkLpQ7Y3rXSwtU24CzTk9I7Em"
	workerKey = "ak_workerworkerworkerworkerworker1"
	apiKey    = "ak_apiapiapiapiapiapiapiapiapiapi12"
)

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

// emulated seeds two machines, worker scoped to api, and returns a
// Client authenticating as worker and one authenticating as the instance.
func emulated(t *testing.T) (srv *emulator.Server, worker, instance *m2mtokens.Client, sl *sleeps) {
	t.Helper()
	srv = emulator.NewServer(t)
	if err := srv.Seed(emulator.SeedData{Machines: []emulator.SeedMachine{
		{ID: apiID, Name: "api", SecretKey: apiKey},
		{ID: workerID, Name: "worker", SecretKey: workerKey, ScopedMachines: []string{apiID}},
	}}); err != nil {
		t.Fatal(err)
	}
	sl = &sleeps{}
	backend := func(key string, machine bool) *m2mtokens.Client {
		b, err := bapi.NewBackend(bapi.Config{SecretKey: key, MachineKey: machine, APIURL: srv.URL(), HTTPClient: srv.HTTPClient(), Sleep: sl.sleep})
		if err != nil {
			t.Fatal(err)
		}
		return m2mtokens.New(b, m2mtokens.Options{})
	}
	srv.ResetCalls()
	return srv, backend(workerKey, true), backend(srv.SecretKey(), false), sl
}

func TestEmulatorLifecycle(t *testing.T) {
	_, worker, instance, _ := emulated(t)
	ctx := context.Background()

	tok, err := worker.Create(ctx, m2mtokens.CreateParams{ExpiresIn: time.Hour, Claims: map[string]any{"job": "sync"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.Token, "mt_") || !strings.HasPrefix(tok.ID, "mt_") || tok.Subject != workerID || tok.Revoked || tok.Expiration == nil ||
		len(tok.Scopes) != 1 || tok.Scopes[0] != apiID || string(tok.Claims) != `{"job":"sync"}` {
		t.Fatalf("created %+v", tok)
	}
	jwt, err := worker.Create(ctx, m2mtokens.CreateParams{Format: m2mtokens.FormatJWT})
	if err != nil || strings.Count(jwt.Token, ".") != 2 {
		t.Fatalf("jwt: %v", err)
	}

	// The instance lists every machine's opaque tokens; JWTs are not stored.
	page, err := instance.List(ctx, workerID, m2mtokens.ListParams{})
	if err != nil || page.TotalCount != 1 || len(page.M2MTokens) != 1 || page.M2MTokens[0].ID != tok.ID {
		t.Fatalf("list: %v %+v", err, page)
	}
	// The machine lists its own, and no other machine's.
	if page, err := worker.List(ctx, workerID, m2mtokens.ListParams{}); err != nil || page.TotalCount != 1 {
		t.Fatalf("own list: %v %+v", err, page)
	}
	var apiErr *clerkerr.APIError
	if _, err := worker.List(ctx, apiID, m2mtokens.ListParams{}); !errors.As(err, &apiErr) || apiErr.Status != 403 {
		t.Fatalf("another machine's list: %v", err)
	}

	r, err := worker.Revoke(ctx, tok.ID, "done")
	if err != nil || !r.Revoked || r.RevocationReason == nil || *r.RevocationReason != "done" {
		t.Fatalf("revoke: %v %+v", err, r)
	}
	if page, err := instance.List(ctx, workerID, m2mtokens.ListParams{}); err != nil || len(page.M2MTokens) != 0 {
		t.Fatalf("list after revoke: %v %+v", err, page)
	}
	n := 0
	for tk, err := range instance.All(ctx, workerID, m2mtokens.ListParams{IncludeRevoked: true}) {
		if err != nil || !tk.Revoked {
			t.Fatalf("all: %v %+v", err, tk)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("%d tokens with IncludeRevoked", n)
	}
}

func TestEmulatorErrors(t *testing.T) {
	srv, worker, instance, _ := emulated(t)
	ctx := context.Background()
	const missing = "mt_00000000000000000000000000000000"
	for name, c := range map[string]*m2mtokens.Client{"machine": worker, "instance": instance} {
		_, err := c.Revoke(ctx, missing, "")
		var apiErr *clerkerr.APIError
		if !errors.Is(err, clerkerr.ErrNotFound) || !errors.As(err, &apiErr) || apiErr.Status != 404 {
			t.Errorf("%s: Revoke of an unknown token: %v", name, err)
		}
	}
	// A key that is not the machine's, for a Backend marked as a
	// machine's: the API refuses it.
	b, err := bapi.NewBackend(bapi.Config{SecretKey: "ak_notamachinekeynotamachinekey00", MachineKey: true, APIURL: srv.URL(), HTTPClient: srv.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m2mtokens.New(b, m2mtokens.Options{}).Create(ctx, m2mtokens.CreateParams{})
	var apiErr *clerkerr.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 401 {
		t.Fatalf("unknown machine key: %v", err)
	}
	if strings.Contains(err.Error(), "notamachinekey") {
		t.Fatalf("key in error: %v", err)
	}
}

func TestEmulatorRetriesRateLimit(t *testing.T) {
	srv, worker, _, sl := emulated(t)
	ctx := context.Background()
	const route = "POST /v1/m2m_tokens"
	srv.InjectFault(clerktest.Fault{Route: route, Status: 429, RetryAfter: 2 * time.Second, Times: 1})
	if _, err := worker.Create(ctx, m2mtokens.CreateParams{}); err != nil {
		t.Fatal(err)
	}
	if d := sl.all(); len(d) != 1 || d[0] != 2*time.Second || srv.Calls(route) != 2 {
		t.Fatalf("slept %v, %d calls", d, srv.Calls(route))
	}
	// A 503 on a POST is not retried: the token may have been created.
	srv.InjectFault(clerktest.Fault{Route: route, Status: 503, Times: 1})
	var apiErr *clerkerr.APIError
	if _, err := worker.Create(ctx, m2mtokens.CreateParams{}); !errors.As(err, &apiErr) || apiErr.Status != 503 || srv.Calls(route) != 3 {
		t.Fatalf("POST 503: %v after %d calls", err, srv.Calls(route))
	}
}
