package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/auth"
)

var tokenAbout = `Creates a session for the user (POST /v1/sessions, which Clerk offers on
development and test instances only) and prints a session token for it.
Without --org the session has no active organization.

Reads:
  CLERK_SECRET_KEY   the instance's secret key (required; 'clerkkit dev' prints one)
  CLERK_API_URL      the Backend API (default ` + auth.DefaultAPIURL + `)
  CLERK_API_VERSION  the Backend API version (default ` + auth.DefaultAPIVersion + `)`

func runToken(ctx context.Context, args []string, e env) error {
	fs := newFlags("token", "--user ID [--org ID] [--ttl D]", tokenAbout, e)
	user := fs.String("user", "", "user ID (user_…), required")
	org := fs.String("org", "", "organization ID (org_…) to make active in the session (default: none)")
	ttl := fs.Duration("ttl", 0, "token lifetime, at least 30s (default: the instance's, 60s)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *user == "" {
		return usagef("--user is required")
	}
	if *ttl != 0 && *ttl < 30*time.Second {
		return usagef("--ttl must be at least 30s")
	}
	cfg := clerkkit.Config{
		SecretKey:  strings.TrimSpace(e.getenv("CLERK_SECRET_KEY")),
		APIURL:     strings.TrimSpace(e.getenv("CLERK_API_URL")),
		APIVersion: strings.TrimSpace(e.getenv("CLERK_API_VERSION")),
	}
	if cfg.SecretKey == "" {
		return fmt.Errorf("CLERK_SECRET_KEY is not set (run 'clerkkit dev' and export the lines it prints, or use your instance's key)")
	}
	c, err := clerkkit.New(cfg)
	if err != nil {
		return configError(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tok, err := c.SessionToken(ctx, *user, *org, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, tok)
	return nil
}
