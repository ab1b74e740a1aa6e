package emulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// A Server stands in for Clerk's Backend API: Clerk's own SDK and
// clerkkit's verifier run against it unchanged. In a test, use
// emulator.NewServer(t), which closes it when the test ends.
func ExampleNewServer() {
	ctx := context.Background()
	srv, err := emulator.StartServer()
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	users := user.NewClient(&clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		URL:        clerk.String(srv.URL() + "/v1"),
		Key:        clerk.String(srv.SecretKey()),
		HTTPClient: srv.HTTPClient(),
	}})
	u, err := users.Create(ctx, &user.CreateParams{
		EmailAddresses: &[]string{"ada@example.com"},
		FirstName:      clerk.String("Ada"),
		PublicMetadata: rawJSON(`{"plan":"pro"}`),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(u.EmailAddresses[0].EmailAddress, *u.FirstName, string(u.PublicMetadata))

	// A session token for the user, as Clerk's frontend would hold it.
	token, err := srv.SessionToken(u.ID, "")
	if err != nil {
		panic(err)
	}
	v, err := auth.NewVerifier(srv.AuthConfig())
	if err != nil {
		panic(err)
	}
	s, err := v.Verify(ctx, token)
	fmt.Println(s.UserID == u.ID, err)
	// Output:
	// ada@example.com Ada {"plan":"pro"}
	// true <nil>
}

func rawJSON(s string) *json.RawMessage {
	r := json.RawMessage(s)
	return &r
}

// Seed loads users, organizations, roles and memberships, for example
// from a JSON file; tokens then carry the organization claims.
func ExampleServer_Seed() {
	srv, err := emulator.StartServer()
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	var data emulator.SeedData
	err = json.Unmarshal([]byte(`{
	  "roles": [{"key": "org:editor", "name": "Editor", "permissions": ["org:posts:edit"]}],
	  "users": [{"id": "user_ada", "email_addresses": ["ada@example.com"]}],
	  "organizations": [{"id": "org_acme", "name": "Acme", "slug": "acme"}],
	  "memberships": [{"organization_id": "acme", "user_id": "user_ada", "role": "org:editor"}]
	}`), &data)
	if err != nil {
		panic(err)
	}
	if err := srv.Seed(data); err != nil {
		panic(err)
	}

	token, err := srv.SessionToken("user_ada", "org_acme")
	if err != nil {
		panic(err)
	}
	v, err := auth.NewVerifier(srv.AuthConfig())
	if err != nil {
		panic(err)
	}
	s, err := v.Verify(context.Background(), token)
	if err != nil {
		panic(err)
	}
	fmt.Println(s.OrgSlug, s.OrgRole, s.OrgPermissions)
	// Output:
	// acme org:editor [org:posts:edit]
}

// InjectFault makes the Server fail the way Clerk sometimes does, to test
// a client's retries; Calls counts what reached it.
func ExampleServer_InjectFault() {
	srv, err := emulator.StartServer()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	if err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: "user_ada"}}}); err != nil {
		panic(err)
	}

	srv.InjectFault(clerktest.Fault{Route: "GET /v1/users/{user_id}", Status: http.StatusTooManyRequests,
		RetryAfter: 2 * time.Second, Times: 1})
	for range 2 {
		req, _ := http.NewRequest("GET", srv.URL()+"/v1/users/user_ada", nil)
		req.Header.Set("Authorization", "Bearer "+srv.SecretKey())
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Printf("%d Retry-After: %q\n", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	fmt.Println(srv.Calls("GET /v1/users/{user_id}"), "calls")
	// Output:
	// 429 Retry-After: "2"
	// 200 Retry-After: ""
	// 2 calls
}

// AcceptInvitation does what the invitee does by following the emailed
// link, for which the Backend API has no endpoint.
func ExampleServer_AcceptInvitation() {
	srv, err := emulator.StartServer()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	err = srv.Seed(emulator.SeedData{
		Users:         []emulator.SeedUser{{ID: "user_ada", EmailAddresses: []string{"ada@example.com"}}},
		Organizations: []emulator.SeedOrganization{{ID: "org_acme", Name: "Acme"}},
	})
	if err != nil {
		panic(err)
	}
	call := func(method, path, body string) map[string]any {
		req, _ := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+srv.SecretKey())
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return m
	}
	inv := call("POST", "/v1/organizations/org_acme/invitations", `{"email_address":"ada@example.com","role":"org:member"}`)
	if err := srv.AcceptInvitation(inv["id"].(string), "user_ada"); err != nil {
		panic(err)
	}
	fmt.Println(call("GET", "/v1/organizations/org_acme/invitations/"+inv["id"].(string), "")["status"])
	fmt.Println(call("GET", "/v1/organizations/org_acme/memberships", "")["total_count"])
	// Output:
	// accepted
	// 1
}

// ClientConfig is the clerkkit.Config of a client of the Server.
func ExampleServer_ClientConfig() {
	srv, err := emulator.StartServer()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	if err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: "user_ada", FirstName: "Ada"}}}); err != nil {
		panic(err)
	}

	client, err := clerkkit.New(srv.ClientConfig())
	if err != nil {
		panic(err)
	}
	u, err := client.Users.Get(context.Background(), "user_ada")
	if err != nil {
		panic(err)
	}
	fmt.Println(u.ID, *u.FirstName)
	// Output:
	// user_ada Ada
}
