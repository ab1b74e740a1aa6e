package organizations_test

import (
	"context"
	"fmt"
	"log"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/organizations"
)

func ExampleClient_Invite() {
	srv, _ := emulator.StartServer()
	defer srv.Close()
	srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{
		{ID: "user_ann", EmailAddresses: []string{"ann@example.com"}},
		{ID: "user_bob", EmailAddresses: []string{"bob@example.com"}},
	}})
	c, _ := clerkkit.New(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	ctx := context.Background()

	org, err := c.Organizations.Create(ctx, organizations.CreateParams{Name: "Acme", CreatedBy: "user_ann"})
	if err != nil {
		log.Fatal(err)
	}
	inv, err := c.Organizations.Invite(ctx, org.ID, "bob@example.com", "org:member", "user_ann")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(inv.Status, inv.Role)

	srv.AcceptInvitation(inv.ID, "user_bob") // what Bob does from the email
	role, _ := c.Memberships.Role(ctx, org.ID, "user_bob")
	fmt.Println(role)
	// Output:
	// pending org:member
	// org:member
}
