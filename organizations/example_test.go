package organizations_test

import (
	"context"
	"fmt"
	"log"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/organizations"
)

// startEmulator starts a local Backend API with two users, Ann and Bob.
func startEmulator() *emulator.Server {
	srv, err := emulator.StartServer()
	if err != nil {
		log.Fatal(err)
	}
	srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{
		{ID: "user_ann", EmailAddresses: []string{"ann@example.com"}},
		{ID: "user_bob", EmailAddresses: []string{"bob@example.com"}},
	}})
	return srv
}

func ExampleNew() {
	srv := startEmulator()
	defer srv.Close()
	b, err := clerkkit.NewBackend(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	if err != nil {
		log.Fatal(err)
	}
	// The zero Options are the defaults; clerkkit.New sets OnDelete to
	// drop the organization's cached memberships.
	var deleted string
	orgs := organizations.New(b, organizations.Options{
		OnDelete: func(orgID string) { deleted = orgID },
	})
	ctx := context.Background()
	org, err := orgs.Create(ctx, organizations.CreateParams{Name: "Acme", Slug: "acme", CreatedBy: "user_ann"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(org.Name, org.Slug)
	if err := orgs.Delete(ctx, org.ID); err != nil {
		log.Fatal(err)
	}
	fmt.Println("OnDelete called:", deleted == org.ID)
	// Output:
	// Acme acme
	// OnDelete called: true
}

func ExampleClient_CreateInvitation() {
	srv := startEmulator()
	defer srv.Close()
	c, _ := clerkkit.New(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	ctx := context.Background()

	org, err := c.Organizations.Create(ctx, organizations.CreateParams{Name: "Acme", CreatedBy: "user_ann"})
	if err != nil {
		log.Fatal(err)
	}
	inv, err := c.Organizations.CreateInvitation(ctx, org.ID, organizations.InvitationParams{
		EmailAddress: "bob@example.com", Role: "org:member", InviterUserID: "user_ann",
	})
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

func ExampleClient_AllInvitations() {
	srv := startEmulator()
	defer srv.Close()
	c, _ := clerkkit.New(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	ctx := context.Background()
	org, _ := c.Organizations.Create(ctx, organizations.CreateParams{Name: "Acme", CreatedBy: "user_ann"})
	for _, email := range []string{"bob@example.com", "cat@example.com"} {
		c.Organizations.CreateInvitation(ctx, org.ID, organizations.InvitationParams{EmailAddress: email, Role: "org:member"})
	}

	// The invitations that can still be accepted, newest first.
	pending := organizations.InvitationListParams{Statuses: []string{organizations.StatusPending}}
	for inv, err := range c.Organizations.AllInvitations(ctx, org.ID, pending) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(inv.EmailAddress)
	}
	// One page, with the total count.
	page, err := c.Organizations.ListInvitations(ctx, org.ID, organizations.InvitationListParams{Limit: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(page.OrganizationInvitations), "of", page.TotalCount)
	// Output:
	// cat@example.com
	// bob@example.com
	// 1 of 2
}

func ExampleClient_All() {
	srv := startEmulator()
	defer srv.Close()
	c, _ := clerkkit.New(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	ctx := context.Background()
	for _, name := range []string{"Acme", "Beta", "Gamma"} {
		c.Organizations.Create(ctx, organizations.CreateParams{Name: name, CreatedBy: "user_ann"})
	}

	// Every organization Ann belongs to, in name order.
	for org, err := range c.Organizations.All(ctx, organizations.ListParams{UserIDs: []string{"user_ann"}, OrderBy: "+name"}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(org.Name)
	}
	// One page, with the total count.
	page, err := c.Organizations.List(ctx, organizations.ListParams{Limit: 2})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(page.Organizations), "of", page.TotalCount)
	// Output:
	// Acme
	// Beta
	// Gamma
	// 2 of 3
}
