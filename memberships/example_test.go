package memberships_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"log"
	"net/http"
	"slices"
	"time"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/memberships"
)

// RequireOrgAdmin in an HTTP handler: 401 without a session, 403 for a
// non-admin, 503 when Clerk could not be asked.
func ExampleClient_RequireOrgAdmin() {
	srv, _ := emulator.StartServer()
	defer srv.Close()
	srv.Seed(emulator.SeedData{
		Users:         []emulator.SeedUser{{ID: "user_ann"}, {ID: "user_bob"}},
		Organizations: []emulator.SeedOrganization{{ID: "org_acme", Name: "Acme", CreatedBy: "user_ann"}},
		Memberships:   []emulator.SeedMembership{{OrganizationID: "org_acme", UserID: "user_bob"}},
	})
	b, _ := clerkkit.NewBackend(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	m := memberships.New(b, memberships.Options{})

	status := func(ctx context.Context, orgID string) int {
		switch err := m.RequireOrgAdmin(ctx, orgID); {
		case err == nil:
			return http.StatusOK
		case errors.Is(err, clerkerr.ErrUnauthenticated):
			return http.StatusUnauthorized
		case errors.Is(err, clerkerr.ErrForbidden):
			return http.StatusForbidden
		default:
			return http.StatusServiceUnavailable
		}
	}
	// Sessions as the middleware package would put them in the context.
	ann := auth.WithSession(context.Background(), &auth.Session{UserID: "user_ann"})
	bob := auth.WithSession(context.Background(), &auth.Session{UserID: "user_bob", OrgID: "org_acme", OrgRole: "org:member"})

	fmt.Println(status(context.Background(), "org_acme"))
	fmt.Println(status(ann, "org_acme"))
	fmt.Println(status(bob, "org_acme"))
	if _, err := m.Get(context.Background(), "org_acme", "user_ann"); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 401
	// 200
	// 403
}

// startEmulator starts a local Backend API where Ann created Acme and
// Beta, and Bob is a member of Acme.
func startEmulator() *emulator.Server {
	srv, err := emulator.StartServer()
	if err != nil {
		log.Fatal(err)
	}
	srv.Seed(emulator.SeedData{
		Users: []emulator.SeedUser{{ID: "user_ann"}, {ID: "user_bob"}},
		Organizations: []emulator.SeedOrganization{
			{ID: "org_acme", Name: "Acme", CreatedBy: "user_ann"},
			{ID: "org_beta", Name: "Beta", CreatedBy: "user_ann"},
		},
		Memberships: []emulator.SeedMembership{{OrganizationID: "org_acme", UserID: "user_bob"}},
	})
	return srv
}

// The memberships package on its own: a Backend from clerkkit.NewBackend
// (or any clerk.Backend) and memberships.New.
func ExampleNew() {
	srv := startEmulator()
	defer srv.Close()
	b, err := clerkkit.NewBackend(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	if err != nil {
		log.Fatal(err)
	}
	// The zero Options are the defaults (a 10s cache of the lookups).
	m := memberships.New(b, memberships.Options{CacheTTL: 5 * time.Second})
	role, err := m.Role(context.Background(), "org_acme", "user_bob")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(role)
	// Output: org:member
}

// An organization's members: All iterates over every page, List returns
// one page with the total count.
func ExampleClient_All() {
	srv := startEmulator()
	defer srv.Close()
	c, _ := clerkkit.New(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	ctx := context.Background()

	for mm, err := range c.Memberships.All(ctx, "org_acme", memberships.ListParams{Roles: []string{"admin"}}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(mm.PublicUserData.UserID, mm.Role)
	}
	page, err := c.Memberships.List(ctx, "org_acme", memberships.ListParams{Limit: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(page.OrganizationMemberships), "of", page.TotalCount)
	// Output:
	// user_ann org:admin
	// 1 of 2
}

// A user's memberships, across organizations: AllForUser and ListForUser
// page them (a user's memberships have no filters).
func ExampleClient_AllForUser() {
	srv := startEmulator()
	defer srv.Close()
	c, _ := clerkkit.New(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	ctx := context.Background()

	var orgs []string
	for mm, err := range c.Memberships.AllForUser(ctx, "user_ann", memberships.ListParams{}) {
		if err != nil {
			log.Fatal(err)
		}
		orgs = append(orgs, mm.Organization.ID)
	}
	slices.Sort(orgs)
	fmt.Println(orgs)
	page, err := c.Memberships.ListForUser(ctx, "user_bob", memberships.ListParams{Limit: 10})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(page.TotalCount, page.OrganizationMemberships[0].Organization.ID)
	// Output:
	// [org_acme org_beta]
	// 1 org_acme
}
