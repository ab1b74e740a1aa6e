package clerkkit_test

import (
	"context"
	"errors"
	"github.com/clerkkit/clerkkit/clerkerr"
	"strings"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

func TestSessionToken(t *testing.T) {
	srv := emulator.NewServer(t)
	seed := emulator.DemoSeed()
	seed.Users = append(seed.Users, emulator.SeedUser{ID: "user_solo"})
	if err := srv.Seed(seed); err != nil {
		t.Fatal(err)
	}
	c, err := clerkkit.New(srv.ClientConfig())
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
	// "" is no active organization, also for members of several (the
	// emulator once fell back to the organization last joined) and after
	// a session in an organization.
	for _, user := range []string{"user_solo", "user_demo_member", "user_demo_admin"} {
		tok, err = c.SessionToken(ctx, user, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if s, err = v.Verify(ctx, tok); err != nil || s.UserID != user || s.OrgID != "" || s.OrgRole != "" || len(s.OrgPermissions) != 0 {
			t.Fatalf("%s with no active org: %+v, %v", user, s, err)
		}
	}

	srv.ResetCalls()
	for _, bad := range []struct {
		user, org string
		ttl       time.Duration
	}{{"", "", 0}, {"user_demo_admin/../x", "", 0}, {"user_demo_admin", "org?x", 0}, {"user_demo_admin", "", 10 * time.Second}} {
		if _, err := c.SessionToken(ctx, bad.user, bad.org, bad.ttl); !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Fatalf("%+v: %v", bad, err)
		}
	}
	if n := srv.Calls(""); n != 0 {
		t.Fatalf("bad input made %d calls", n)
	}
	// One clean error that names the call, not a stack of prefixes.
	_, err = c.SessionToken(ctx, "user_nobody", "", 0)
	if !errors.Is(err, clerkerr.ErrNotFound) || !strings.HasPrefix(err.Error(), "clerkkit: POST /sessions: 404") ||
		strings.Count(err.Error(), "clerkkit") != 1 {
		t.Fatalf("unknown user: %v", err)
	}
	_, err = c.SessionToken(ctx, "user_demo_member", "org_nope", 0)
	if !errors.Is(err, clerkerr.ErrNotFound) || !strings.Contains(err.Error(), "org_nope") {
		t.Fatalf("unknown organization: %v", err)
	}
	_, err = c.SessionToken(ctx, "user_solo", "org_demo_acme", 0)
	var apiErr *clerkerr.APIError
	if !errors.As(err, &apiErr) || !apiErr.HasCode("not_a_member_in_organization") {
		t.Fatalf("not a member: %v", err)
	}
}
