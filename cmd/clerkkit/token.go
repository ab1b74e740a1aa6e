package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit"
)

func runToken(ctx context.Context, args []string, e env) error {
	fs := newFlags("token", "--user ID [--org ID] [--ttl D]", e)
	user := fs.String("user", "", "user ID (user_…), required")
	org := fs.String("org", "", "organization ID (org_…) to make active in the session")
	ttl := fs.Duration("ttl", 0, "token lifetime (default: the instance's, 60s); at least 30s")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *user == "" {
		return errors.New("--user is required")
	}
	if *ttl != 0 && *ttl < 30*time.Second {
		return errors.New("--ttl must be at least 30s")
	}
	if strings.TrimSpace(e.getenv("CLERK_SECRET_KEY")) == "" {
		return errors.New("CLERK_SECRET_KEY is not set (run 'clerkkit dev' and export the lines it prints, or use your instance's key)")
	}
	c, err := clerkkit.FromEnv()
	if err != nil {
		return err
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
