package machines_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/internal/bapi"
	"github.com/clerkkit/clerkkit/machines"
)

func emulated(t *testing.T) (*emulator.Server, *machines.Client, *sleeps) {
	t.Helper()
	srv := emulator.NewServer(t)
	sl := &sleeps{}
	b, err := bapi.NewBackend(bapi.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL(), HTTPClient: srv.HTTPClient(), Sleep: sl.sleep})
	if err != nil {
		t.Fatal(err)
	}
	return srv, machines.New(b, machines.Options{}), sl
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

	api, err := c.Create(ctx, machines.CreateParams{Name: "api"})
	if err != nil {
		t.Fatal(err)
	}
	worker, err := c.Create(ctx, machines.CreateParams{Name: "worker", ScopedMachines: []string{api.ID}, DefaultTokenTTL: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if worker.SecretKey == "" || worker.DefaultTokenTTL != 600 || len(worker.ScopedMachines) != 1 || worker.ScopedMachines[0].ID != api.ID {
		t.Fatalf("created %+v", worker)
	}

	got, err := c.Get(ctx, worker.ID)
	if err != nil || got.Name != "worker" || len(got.ScopedMachines) != 1 {
		t.Fatalf("get: %v %+v", err, got)
	}
	name := "worker-2"
	if up, err := c.Update(ctx, worker.ID, machines.UpdateParams{Name: &name, DefaultTokenTTL: time.Hour}); err != nil || up.Name != name || up.DefaultTokenTTL != 3600 {
		t.Fatalf("update: %v %+v", err, up)
	}

	key, err := c.SecretKey(ctx, worker.ID)
	if err != nil || key != worker.SecretKey {
		t.Fatalf("secret key: %v (same as created: %v)", err, key == worker.SecretKey)
	}
	rotated, err := c.RotateSecretKey(ctx, worker.ID, time.Minute)
	if err != nil || rotated == "" || rotated == key {
		t.Fatalf("rotate: %v (changed: %v)", err, rotated != key)
	}
	if now, err := c.SecretKey(ctx, worker.ID); err != nil || now != rotated {
		t.Fatalf("secret key after rotation: %v", err)
	}

	if err := c.RemoveScope(ctx, worker.ID, api.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Get(ctx, worker.ID); len(got.ScopedMachines) != 0 {
		t.Fatalf("scopes after RemoveScope: %+v", got.ScopedMachines)
	}
	s, err := c.AddScope(ctx, worker.ID, api.ID)
	if err != nil || s.FromMachineID != worker.ID || s.ToMachineID != api.ID {
		t.Fatalf("add scope: %v %+v", err, s)
	}
	if _, err := c.AddScope(ctx, worker.ID, api.ID); !errors.Is(err, clerkerr.ErrConflict) {
		t.Fatalf("second AddScope: %v, want a conflict", err)
	}

	page, err := c.List(ctx, machines.ListParams{Limit: 1})
	if err != nil || page.TotalCount != 2 || len(page.Machines) != 1 {
		t.Fatalf("list: %v %+v", err, page)
	}
	var names []string
	for m, err := range c.All(ctx, machines.ListParams{OrderBy: "+name", Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, m.Name)
	}
	if len(names) != 2 || names[0] != "api" || names[1] != "worker-2" {
		t.Fatalf("all: %v", names)
	}

	if err := c.Delete(ctx, worker.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, worker.ID); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
}

func TestEmulatorNotFound(t *testing.T) {
	_, c, _ := emulated(t)
	ctx := context.Background()
	other, err := c.Create(ctx, machines.CreateParams{Name: "other"})
	if err != nil {
		t.Fatal(err)
	}
	const missing = "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
	check := func(name string, err error) {
		t.Helper()
		var apiErr *clerkerr.APIError
		if !errors.Is(err, clerkerr.ErrNotFound) || !errors.As(err, &apiErr) || apiErr.Status != 404 {
			t.Errorf("%s: %v, want a 404 *clerkerr.APIError", name, err)
		}
	}
	_, err = c.Get(ctx, missing)
	check("Get", err)
	_, err = c.Update(ctx, missing, machines.UpdateParams{})
	check("Update", err)
	check("Delete", c.Delete(ctx, missing))
	_, err = c.SecretKey(ctx, missing)
	check("SecretKey", err)
	_, err = c.RotateSecretKey(ctx, missing, 0)
	check("RotateSecretKey", err)
	_, err = c.AddScope(ctx, missing, other.ID)
	check("AddScope from", err)
	_, err = c.AddScope(ctx, other.ID, missing)
	check("AddScope to", err)
	check("RemoveScope", c.RemoveScope(ctx, other.ID, missing))
}

func TestEmulatorRetriesRateLimit(t *testing.T) {
	srv, c, sl := emulated(t)
	ctx := context.Background()
	m, err := c.Create(ctx, machines.CreateParams{Name: "api"})
	if err != nil {
		t.Fatal(err)
	}
	const route = "POST /v1/machines/{machine_id}/secret_key/rotate"
	srv.ResetCalls()
	srv.InjectFault(clerktest.Fault{Route: route, Status: 429, RetryAfter: 3 * time.Second, Times: 1})
	if _, err := c.RotateSecretKey(ctx, m.ID, 0); err != nil {
		t.Fatal(err)
	}
	if d := sl.all(); len(d) != 1 || d[0] != 3*time.Second || srv.Calls(route) != 2 {
		t.Fatalf("slept %v, %d calls", d, srv.Calls(route))
	}
	// A GET is retried after a 503 too; a POST is not.
	srv.InjectFault(clerktest.Fault{Route: "GET /v1/machines/{machine_id}", Status: 503, Times: 2})
	if _, err := c.Get(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	srv.InjectFault(clerktest.Fault{Route: "POST /v1/machines", Status: 503, Times: 1})
	var apiErr *clerkerr.APIError
	if _, err := c.Create(ctx, machines.CreateParams{Name: "x"}); !errors.As(err, &apiErr) || apiErr.Status != 503 || srv.Calls("POST /v1/machines") != 1 {
		t.Fatalf("POST 503: %v after %d calls", err, srv.Calls("POST /v1/machines"))
	}
}
