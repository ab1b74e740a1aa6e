package clerkkit_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"log"
	"os"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/users"
	"github.com/clerkkit/clerkkit/webhooks"
)

// startEmulator starts a local Clerk Backend API with a few users and an
// organization. Real programs point Config at Clerk instead.
func startEmulator() *emulator.Server {
	srv, err := emulator.StartServer()
	if err != nil {
		log.Fatal(err)
	}
	err = srv.Seed(emulator.SeedData{
		Users: []emulator.SeedUser{
			{ID: "user_ann", EmailAddresses: []string{"ann@example.com"}, FirstName: "Ann"},
			{ID: "user_bob", EmailAddresses: []string{"bob@example.com"}, FirstName: "Bob"},
			{ID: "user_cat", EmailAddresses: []string{"cat@example.com"}, FirstName: "Cat"},
		},
		Organizations: []emulator.SeedOrganization{{ID: "org_acme", Name: "Acme", CreatedBy: "user_ann"}},
		Memberships:   []emulator.SeedMembership{{OrganizationID: "org_acme", UserID: "user_bob"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	return srv
}

func ExampleNew() {
	srv := startEmulator()
	defer srv.Close()

	// In production: clerkkit.New(clerkkit.Config{SecretKey: os.Getenv("CLERK_SECRET_KEY")}),
	// or clerkkit.New(clerkkit.ConfigFromEnv()).
	c, err := clerkkit.New(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	if err != nil {
		log.Fatal(err)
	}
	u, err := c.Users.Get(context.Background(), "user_ann")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.ID, *u.FirstName)

	_, err = clerkkit.New(clerkkit.Config{SecretKey: "pk_test_oops"})
	fmt.Println(errors.Is(err, clerkerr.ErrInvalidConfig))
	// Output:
	// user_ann Ann
	// true
}

// Iterate over every user, page after page; the loop may break early.
func Example_allUsers() {
	srv := startEmulator()
	defer srv.Close()
	c, _ := clerkkit.New(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})

	for u, err := range c.Users.All(context.Background(), users.ListParams{OrderBy: "+created_at"}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(u.ID, u.EmailAddresses[0].EmailAddress)
	}
	// Output:
	// user_ann ann@example.com
	// user_bob bob@example.com
	// user_cat cat@example.com
}

// SetRole merges the role into public metadata: other keys stay.
func Example_setRole() {
	srv := startEmulator()
	defer srv.Close()
	c, _ := clerkkit.New(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	ctx := context.Background()

	if _, err := c.Users.UpdateMetadata(ctx, "user_bob", users.Metadata{Public: map[string]any{"plan": "pro"}}); err != nil {
		log.Fatal(err)
	}
	if err := c.Users.SetRole(ctx, "user_bob", "admin"); err != nil {
		log.Fatal(err)
	}
	role, _ := c.Users.Role(ctx, "user_bob")
	u, _ := c.Users.Get(ctx, "user_bob")
	fmt.Println(role)
	fmt.Println(string(u.PublicMetadata))
	// Output:
	// admin
	// {"plan":"pro","role":"admin"}
}

// RequireOrgAdmin guards an organization's admin pages. The session comes
// from the middleware package in a real server.
func Example_requireOrgAdmin() {
	srv := startEmulator()
	defer srv.Close()
	c, _ := clerkkit.New(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	v, _ := auth.NewVerifier(srv.AuthConfig())

	check := func(userID, activeOrg string) {
		tok, _ := srv.SessionToken(userID, activeOrg)
		s, err := v.Verify(context.Background(), tok)
		if err != nil {
			log.Fatal(err)
		}
		ctx := auth.WithSession(context.Background(), s)
		err = c.Memberships.RequireOrgAdmin(ctx, "org_acme")
		switch {
		case err == nil:
			fmt.Println(userID, "may administer org_acme")
		case errors.Is(err, clerkerr.ErrForbidden):
			fmt.Println(userID, "is forbidden")
		default:
			fmt.Println(userID, "could not be checked:", err)
		}
	}
	const lookups = "GET /v1/organizations/{organization_id}/memberships"
	check("user_ann", "org_acme") // active org: the token's claims decide
	fmt.Println("membership lookups:", srv.Calls(lookups))
	check("user_bob", "") // no active org: one lookup, then cached
	check("user_cat", "")
	fmt.Println("membership lookups:", srv.Calls(lookups))

	err := c.Memberships.RequireOrgAdmin(context.Background(), "org_acme")
	fmt.Println(errors.Is(err, clerkerr.ErrUnauthenticated))
	// Output:
	// user_ann may administer org_acme
	// membership lookups: 0
	// user_bob is forbidden
	// user_cat is forbidden
	// membership lookups: 2
	// true
}

// Every Backend API failure is an *APIError, whichever package returned it.
func ExampleAPIError() {
	srv := startEmulator()
	defer srv.Close()
	c, _ := clerkkit.New(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})

	_, err := c.Users.Get(context.Background(), "user_nobody")
	var apiErr *clerkerr.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Status, apiErr.Code(), errors.Is(err, clerkerr.ErrNotFound))
	}

	_, err = c.Users.Get(context.Background(), "../user_ann")
	fmt.Println(errors.Is(err, clerkerr.ErrInvalidInput))
	// Output:
	// 404 resource_not_found true
	// true
}

// Roles and memberships are cached. A change made through the Client is
// seen at once; one made elsewhere (the Dashboard, another service) once
// the entry expires, or at once when the webhook handler forgets it.
func ExampleClient_ForgetUser() {
	srv := startEmulator()
	defer srv.Close()
	c, _ := clerkkit.New(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	dashboard, _ := clerkkit.New(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	ctx := context.Background()

	// Forget what Clerk's webhooks say changed elsewhere.
	h, err := webhooks.NewHandler(webhooks.Config{SigningSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
	if err != nil {
		log.Fatal(err)
	}
	webhooks.On(h, webhooks.UserUpdated, func(ctx context.Context, u *clerk.User, _ *webhooks.Event) error {
		c.ForgetUser(u.ID)
		return nil
	})
	webhooks.On(h, webhooks.UserDeleted, func(ctx context.Context, u *webhooks.DeletedObject, _ *webhooks.Event) error {
		c.ForgetUser(u.ID)
		return nil
	})
	webhooks.On(h, webhooks.OrganizationMembershipUpdated, func(ctx context.Context, m *clerk.OrganizationMembership, _ *webhooks.Event) error {
		c.Memberships.ForgetMembership(m)
		return nil
	})

	c.Users.SetRole(ctx, "user_cat", "editor")
	role, _ := c.Users.Role(ctx, "user_cat")
	fmt.Println("after SetRole:", role)

	dashboard.Users.SetRole(ctx, "user_cat", "viewer")
	role, _ = c.Users.Role(ctx, "user_cat")
	fmt.Println("changed elsewhere:", role)

	c.ForgetUser("user_cat") // what the user.updated handler does
	role, _ = c.Users.Role(ctx, "user_cat")
	fmt.Println("after ForgetUser:", role)
	// Output:
	// after SetRole: editor
	// changed elsewhere: editor
	// after ForgetUser: viewer
}

// ConfigFromEnv reads CLERK_SECRET_KEY, CLERK_API_URL and
// CLERK_API_VERSION; the rest of the Config is set in code.
func ExampleConfigFromEnv() {
	srv := startEmulator()
	defer srv.Close()
	os.Setenv("CLERK_SECRET_KEY", srv.SecretKey()) // set by the deployment
	os.Setenv("CLERK_API_URL", srv.URL())
	defer os.Unsetenv("CLERK_API_URL")

	cfg := clerkkit.ConfigFromEnv()
	cfg.UserAgent = "myapp/1.4"
	c, err := clerkkit.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	u, err := c.Users.Get(context.Background(), "user_bob")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*u.FirstName)

	os.Unsetenv("CLERK_SECRET_KEY")
	_, err = clerkkit.New(clerkkit.ConfigFromEnv())
	fmt.Println(errors.Is(err, clerkerr.ErrInvalidConfig))
	// Output:
	// Bob
	// true
}

// NewBackend gives one package's client, or any clerk-sdk-go client, the
// same retrying, origin-bound transport as New.
func ExampleNewBackend() {
	srv := startEmulator()
	defer srv.Close()
	b, err := clerkkit.NewBackend(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	if err != nil {
		log.Fatal(err)
	}
	u, err := users.New(b, users.Options{}).Get(context.Background(), "user_cat")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*u.FirstName)
	// Output: Cat
}
