package sessions_test

import (
	"context"
	"fmt"
	"log"

	"github.com/clerk/clerk-sdk-go/v2/session"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/sessions"
)

// Signing a user out everywhere: every active session of the user is
// revoked.
func ExampleClient_All() {
	srv, err := emulator.StartServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	const user = "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
	srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: user}}})

	c, err := clerkkit.New(srv.ClientConfig())
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for range 3 { // three devices (POST /v1/sessions exists on test instances only)
		if _, err := c.Sessions.SDK().Create(ctx, &session.CreateParams{UserID: user}); err != nil {
			log.Fatal(err)
		}
	}

	for s, err := range c.Sessions.All(ctx, sessions.ListParams{UserID: user, Status: sessions.StatusActive}) {
		if err != nil {
			log.Fatal(err)
		}
		if _, err := c.Sessions.Revoke(ctx, s.ID); err != nil {
			log.Fatal(err)
		}
	}
	left, err := c.Sessions.List(ctx, sessions.ListParams{UserID: user, Status: sessions.StatusActive})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("active sessions left:", left.TotalCount)
	// Output:
	// active sessions left: 0
}
