package orgroles_test

import (
	"context"
	"fmt"
	"log"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/orgroles"
)

// A custom permission and a role granting it, which members can then be
// given (memberships.Client.UpdateRole).
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

	perm, err := c.OrgRoles.CreatePermission(ctx, orgroles.PermissionParams{Name: "Manage invoices", Key: "invoices:manage"})
	if err != nil {
		log.Fatal(err)
	}
	role, err := c.OrgRoles.Create(ctx, orgroles.CreateParams{Name: "Billing", Key: "billing", PermissionIDs: []string{perm.ID}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(role.Key, role.HasPermission("org:invoices:manage"))
	// Output:
	// org:billing true
}
