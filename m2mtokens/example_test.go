package m2mtokens_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/m2mtokens"
)

// A worker service, holding only its machine secret key, creates a token
// for its calls to the API service; the instance lists and revokes it.
func ExampleNew() {
	srv, err := emulator.StartServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	const machineKey = "ak_workerworkerworkerworkerworker1" // CLERK_MACHINE_SECRET_KEY
	srv.Seed(emulator.SeedData{Machines: []emulator.SeedMachine{
		{ID: apiID, Name: "api"},
		{ID: workerID, Name: "worker", SecretKey: machineKey, ScopedMachines: []string{apiID}},
	}})
	ctx := context.Background()

	// In the worker.
	b, err := clerkkit.NewMachineBackend(clerkkit.Config{SecretKey: machineKey, APIURL: srv.URL()})
	if err != nil {
		log.Fatal(err)
	}
	tokens := m2mtokens.New(b, m2mtokens.Options{})
	tok, err := tokens.Create(ctx, m2mtokens.CreateParams{ExpiresIn: 10 * time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	// Sent as "Authorization: Bearer "+tok.Token; auth verifies it.
	fmt.Println("opaque token:", strings.HasPrefix(tok.Token, "mt_"), "scopes:", tok.Scopes)

	// With the instance's key, through clerkkit.New.
	c, err := clerkkit.New(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	if err != nil {
		log.Fatal(err)
	}
	admin := c.M2MTokens
	page, err := admin.List(ctx, workerID, m2mtokens.ListParams{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("worker's tokens:", page.TotalCount)
	if _, err := admin.Revoke(ctx, tok.ID, "job done"); err != nil {
		log.Fatal(err)
	}
	page, _ = admin.List(ctx, workerID, m2mtokens.ListParams{})
	fmt.Println("after revoking:", page.TotalCount)
	// Output:
	// opaque token: true scopes: [mch_2yGkLpQ7Y3rXSwtU24CzTk9I7Em]
	// worker's tokens: 1
	// after revoking: 0
}
