package jwttemplates_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/jwttemplates"
)

// A template for tokens that another service accepts, with claims built
// from the user's record.
func ExampleClient_Create() {
	srv, err := emulator.StartServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	c, err := clerkkit.New(srv.ClientConfig())
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	tp, err := c.JWTTemplates.Create(ctx, jwttemplates.Params{
		Name: "hasura",
		Claims: map[string]any{"https://hasura.io/jwt/claims": map[string]any{
			"x-hasura-user-id":      "{{user.id}}",
			"x-hasura-default-role": "user",
		}},
		Lifetime: 5 * time.Minute,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tp.Name, tp.Lifetime, "s, signed with", tp.SigningAlgorithm)
	// A session's token from it: c.Sessions.TemplateToken(ctx, sessionID, "hasura", 0)
	// Output:
	// hasura 300 s, signed with RS256
}
