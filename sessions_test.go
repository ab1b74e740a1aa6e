package clerkkit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
)

func TestSessionToken(t *testing.T) {
	srv := clerktest.NewServer(t)
	seed := clerktest.DemoSeed()
	seed.Users = append(seed.Users, clerktest.SeedUser{ID: "user_solo"})
	if err := srv.Seed(seed); err != nil {
		t.Fatal(err)
	}
	c, err := clerkkit.New(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL(), HTTPClient: srv.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(srv.AuthConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tok, err := c.SessionToken(ctx, "user_demo_admin", "org_demo_acme", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s, err := v.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if s.UserID != "user_demo_admin" || s.OrgID != "org_demo_acme" || s.OrgRole != "org:admin" {
		t.Fatalf("session %+v", s)
	}
	if got := s.ExpiresAt.Sub(s.IssuedAt); got != time.Hour {
		t.Fatalf("lifetime %v, want 1h", got)
	}
	tok, err = c.SessionToken(ctx, "user_solo", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if s, err = v.Verify(ctx, tok); err != nil || s.OrgID != "" {
		t.Fatalf("no active org: %+v, %v", s, err)
	}

	srv.ResetCalls()
	for _, bad := range []struct {
		user, org string
		ttl       time.Duration
	}{{"", "", 0}, {"user_demo_admin/../x", "", 0}, {"user_demo_admin", "org?x", 0}, {"user_demo_admin", "", 10 * time.Second}} {
		if _, err := c.SessionToken(ctx, bad.user, bad.org, bad.ttl); !errors.Is(err, clerkkit.ErrInvalidInput) {
			t.Fatalf("%+v: %v", bad, err)
		}
	}
	if n := srv.Calls(""); n != 0 {
		t.Fatalf("bad input made %d calls", n)
	}
	if _, err := c.SessionToken(ctx, "user_nobody", "", 0); !errors.Is(err, clerkkit.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
}
