package apikeys_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/apikeys"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// An API key for an organization: created with its secret, listed, then
// revoked.
func ExampleNew() {
	srv, err := emulator.StartServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	const org = "org_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
	srv.Seed(emulator.SeedData{Organizations: []emulator.SeedOrganization{{ID: org, Name: "Acme"}}})

	b, err := clerkkit.NewBackend(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	if err != nil {
		log.Fatal(err)
	}
	keys := apikeys.New(b, apikeys.Options{})
	ctx := context.Background()

	k, err := keys.Create(ctx, apikeys.CreateParams{Subject: org, Name: "CI deploys", Scopes: []string{"deploy"}})
	if err != nil {
		log.Fatal(err)
	}
	// Hand k.Secret to the program that will use the key; never log it.
	fmt.Println(k.Name, "secret returned:", strings.HasPrefix(k.Secret, "ak_"))

	for k, err := range keys.All(ctx, org, apikeys.ListParams{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("listed:", k.Name, k.Scopes)
	}
	if k, err = keys.Revoke(ctx, k.ID, "rotated"); err != nil {
		log.Fatal(err)
	}
	fmt.Println("revoked:", k.Revoked)
	// Output:
	// CI deploys secret returned: true
	// listed: CI deploys [deploy]
	// revoked: true
}
