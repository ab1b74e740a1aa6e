package emailaddresses_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"testing"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/emailaddresses"
)

const user = "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk"

func emulated(t *testing.T) (*emulator.Server, *emailaddresses.Client) {
	t.Helper()
	srv := emulator.NewServer(t)
	if err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: user}}}); err != nil {
		t.Fatal(err)
	}
	c, err := clerkkit.New(srv.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetCalls()
	return srv, c.EmailAddresses
}

func TestEmulatorLifecycle(t *testing.T) {
	_, c := emulated(t)
	ctx := context.Background()
	e, err := c.Create(ctx, emailaddresses.CreateParams{UserID: user, EmailAddress: "ada@example.com"})
	if err != nil || e.EmailAddress != "ada@example.com" || e.Verification != nil && e.Verification.Status == "verified" {
		t.Fatalf("create: %v %+v", err, e)
	}
	if got, err := c.Get(ctx, e.ID); err != nil || got.ID != e.ID {
		t.Fatalf("get: %v %+v", err, got)
	}
	yes := true
	if got, err := c.Update(ctx, e.ID, emailaddresses.UpdateParams{Verified: &yes, Primary: &yes}); err != nil || got.Verification == nil || got.Verification.Status != "verified" {
		t.Fatalf("update: %v %+v", err, got)
	}
	v, err := c.Create(ctx, emailaddresses.CreateParams{UserID: user, EmailAddress: "ada@work.example", Verified: true})
	if err != nil || v.Verification == nil || v.Verification.Status != "verified" {
		t.Fatalf("create verified: %v %+v", err, v)
	}
	if _, err := c.Create(ctx, emailaddresses.CreateParams{UserID: user, EmailAddress: "ada@example.com"}); !errors.Is(err, clerkerr.ErrValidation) {
		t.Fatalf("duplicate: %v", err)
	}
	if err := c.Delete(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, v.ID); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	if _, err := c.Create(ctx, emailaddresses.CreateParams{UserID: "user_missing", EmailAddress: "x@example.com"}); !errors.Is(err, clerkerr.ErrNotFound) && !errors.Is(err, clerkerr.ErrValidation) {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestInvalidInputMakesNoCall(t *testing.T) {
	srv, c := emulated(t)
	ctx := context.Background()
	nope := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}
	for _, id := range []string{"", "idn_", "user_1", "idn_1/x", "idn_1?x", "ada@example.com"} {
		_, err := c.Get(ctx, id)
		nope("Get "+id, err)
		_, err = c.Update(ctx, id, emailaddresses.UpdateParams{})
		nope("Update "+id, err)
		nope("Delete "+id, c.Delete(ctx, id))
	}
	for name, p := range map[string]emailaddresses.CreateParams{
		"no user":    {EmailAddress: "a@b.c"},
		"bad user":   {UserID: "org_1", EmailAddress: "a@b.c"},
		"user path":  {UserID: "user_1/x", EmailAddress: "a@b.c"},
		"no address": {UserID: user},
		"no at":      {UserID: user, EmailAddress: "ada"},
		"two ats":    {UserID: user, EmailAddress: "a@b@c"},
		"space":      {UserID: user, EmailAddress: "a b@c.d"},
	} {
		_, err := c.Create(ctx, p)
		nope("Create "+name, err)
	}
	if n := srv.Calls(""); n != 0 {
		t.Fatalf("%d requests reached the emulator", n)
	}
}

// A second address for a user, verified by the service (for example after
// its own check), then made primary.
func ExampleClient_Create() {
	srv, err := emulator.StartServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: user}}})
	c, err := clerkkit.New(srv.ClientConfig())
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	e, err := c.EmailAddresses.Create(ctx, emailaddresses.CreateParams{UserID: user, EmailAddress: "ada@example.com", Verified: true})
	if err != nil {
		log.Fatal(err)
	}
	primary := true
	if e, err = c.EmailAddresses.Update(ctx, e.ID, emailaddresses.UpdateParams{Primary: &primary}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.EmailAddress, e.Verification.Status)
	// Output:
	// ada@example.com verified
}
