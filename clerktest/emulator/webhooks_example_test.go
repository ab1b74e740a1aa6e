package emulator_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/webhooks"
)

// A Server delivers Svix-signed webhooks for the changes it makes, as
// Clerk does, so a service's webhook receiver can be tested end to end.
// WaitForDeliveries waits for them; Deliveries reports every attempt.
func ExampleOptions_webhooks() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

	// The service's receiver.
	h, err := webhooks.NewHandler(webhooks.Config{SigningSecret: secret})
	if err != nil {
		panic(err)
	}
	webhooks.On(h, webhooks.UserCreated, func(ctx context.Context, u *clerk.User, ev *webhooks.Event) error {
		fmt.Println("received", ev.Type, u.ID, u.EmailAddresses[0].EmailAddress)
		return nil
	})
	webhooks.On(h, webhooks.OrganizationMembershipCreated, func(ctx context.Context, m *clerk.OrganizationMembership, ev *webhooks.Event) error {
		fmt.Println("received", ev.Type, m.PublicUserData.UserID, m.Organization.Slug, m.Role)
		return nil
	})
	receiver := httptest.NewServer(h)
	defer receiver.Close()

	srv, err := emulator.StartServer(emulator.Options{Webhooks: []emulator.WebhookEndpoint{{URL: receiver.URL, Secret: secret}}})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	err = srv.Seed(emulator.SeedData{
		Users:         []emulator.SeedUser{{ID: "user_ada", EmailAddresses: []string{"ada@example.com"}}},
		Organizations: []emulator.SeedOrganization{{ID: "org_acme", Name: "Acme", Slug: "acme", CreatedBy: "user_ada"}},
	})
	if err != nil {
		panic(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.WaitForDeliveries(ctx); err != nil {
		panic(err)
	}
	for _, d := range srv.Deliveries() {
		fmt.Println(d.EventType, "delivered:", d.Delivered, "attempts:", len(d.Attempts), "status:", d.Attempts[0].Status)
	}
	// Output:
	// received user.created user_ada ada@example.com
	// received organizationMembership.created user_ada acme org:admin
	// user.created delivered: true attempts: 1 status: 200
	// organization.created delivered: true attempts: 1 status: 200
	// organizationMembership.created delivered: true attempts: 1 status: 200
}
