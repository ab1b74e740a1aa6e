package orgdomains_test

import (
	"context"
	"fmt"
	"log"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/orgdomains"
)

// Users signing up with an @acme.com address are offered to join Acme.
func ExampleClient_Create() {
	srv, err := emulator.StartServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	const org = "org_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
	srv.Seed(emulator.SeedData{Organizations: []emulator.SeedOrganization{{ID: org, Name: "Acme"}}})
	c, err := clerkkit.New(srv.ClientConfig())
	if err != nil {
		log.Fatal(err)
	}
	verified := true
	d, err := c.OrgDomains.Create(context.Background(), org, orgdomains.CreateParams{
		Name: "acme.com", EnrollmentMode: orgdomains.AutomaticSuggestion, Verified: &verified,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Name, d.EnrollmentMode)
	// Output:
	// acme.com automatic_suggestion
}
