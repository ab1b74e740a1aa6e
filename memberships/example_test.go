package memberships_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"log"
	"net/http"

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
