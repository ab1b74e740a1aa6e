package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/clerkkit/clerkkit/clerktest"
)

func runDev(ctx context.Context, args []string, e env) error {
	fs := newFlags("dev", "[--addr HOST:PORT] [--seed FILE]", e)
	addr := fs.String("addr", "127.0.0.1:8787", "listen address")
	seedFile := fs.String("seed", "", "JSON file of roles, users, organizations and memberships to load (default: the demo data)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	seed := clerktest.DemoSeed()
	if *seedFile != "" {
		raw, err := os.ReadFile(*seedFile)
		if err != nil {
			return err
		}
		seed = clerktest.SeedData{}
		if err := json.Unmarshal(raw, &seed); err != nil {
			return fmt.Errorf("%s: %w", *seedFile, err)
		}
	}
	srv, err := clerktest.StartServer(clerktest.WithAddr(*addr), clerktest.WithClock(clerktest.RealClock()))
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.Seed(seed); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(e.stdout, `# Local Clerk emulator on %[1]s. Export these, then run your service (Ctrl-C stops the emulator):
export CLERK_SECRET_KEY=%[2]s
export CLERK_PUBLISHABLE_KEY=%[3]s
export CLERK_API_URL=%[1]s
export CLERK_JWKS_URL=%[1]s/.well-known/jwks.json
# A session token for a seeded user:  clerkkit token --user %[4]s [--org ORG_ID]
`, srv.URL(), srv.SecretKey(), srv.PublishableKey(), firstUser(seed))
	<-ctx.Done()
	return nil
}

func firstUser(s clerktest.SeedData) string {
	if len(s.Users) > 0 && s.Users[0].ID != "" {
		return s.Users[0].ID
	}
	return "USER_ID"
}
