package users_test

import (
	"context"
	"fmt"
	"log"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/metadata"
	"github.com/clerkkit/clerkkit/users"
)

// The users package on its own: a Backend from clerkkit.NewBackend (or
// any clerk.Backend) and users.New.
func ExampleNew() {
	srv, err := emulator.StartServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: "user_ann", FirstName: "Ann"}}})

	b, err := clerkkit.NewBackend(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	if err != nil {
		log.Fatal(err)
	}
	c := users.New(b, users.Options{RoleKey: "role"})
	u, err := c.Get(context.Background(), "user_ann")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*u.FirstName)
	// Output: Ann
}

func ExampleClient_All() {
	srv, _ := emulator.StartServer()
	defer srv.Close()
	var seed emulator.SeedData
	for i := range 1200 {
		seed.Users = append(seed.Users, emulator.SeedUser{ID: fmt.Sprintf("user_%04d", i)})
	}
	srv.Seed(seed)
	b, _ := clerkkit.NewBackend(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	c := users.New(b, users.Options{})

	n := 0
	for _, err := range c.All(context.Background(), users.ListParams{}) {
		if err != nil {
			log.Fatal(err)
		}
		n++
	}
	fmt.Println(n, "users in", srv.Calls("GET /v1/users"), "calls")
	// Output: 1200 users in 3 calls
}

// List returns one page (one call); Count gives the total.
func ExampleClient_List() {
	srv, _ := emulator.StartServer()
	defer srv.Close()
	srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{
		{ID: "user_ann", FirstName: "Ann"}, {ID: "user_bob", FirstName: "Bob"}, {ID: "user_cat", FirstName: "Cat"},
	}})
	b, _ := clerkkit.NewBackend(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	c := users.New(b, users.Options{})
	ctx := context.Background()

	page, err := c.List(ctx, users.ListParams{Limit: 2, OrderBy: "+first_name"})
	if err != nil {
		log.Fatal(err)
	}
	for _, u := range page {
		fmt.Println(*u.FirstName)
	}
	n, err := c.Count(ctx, users.ListParams{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(page), "of", n)
	// Output:
	// Ann
	// Bob
	// 2 of 3
}

// UpdateMetadata deep-merges; a metadata.Patch says exactly what changes.
func ExampleClient_UpdateMetadata() {
	srv, _ := emulator.StartServer()
	defer srv.Close()
	srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{
		ID: "user_ann", PublicMetadata: []byte(`{"prefs":{"theme":"light","lang":"en"},"legacy":true}`),
	}}})
	b, _ := clerkkit.NewBackend(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	c := users.New(b, users.Options{})

	u, err := c.UpdateMetadata(context.Background(), "user_ann", users.Metadata{
		Public: metadata.NewPatch().Set("dark", "prefs", "theme").Remove("legacy"),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(u.PublicMetadata))
	// Output: {"prefs":{"lang":"en","theme":"dark"}}
}
