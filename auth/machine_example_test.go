package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// An API that accepts API keys and M2M tokens besides sessions: the
// accepted kinds are explicit, and the principal says which one came.
func ExampleVerifier_VerifyToken() {
	srv, _ := emulator.StartServer()
	defer srv.Close()
	srv.Seed(emulator.SeedData{
		Organizations: []emulator.SeedOrganization{{ID: "org_2xhFjEI5X2qWRvtV13BzSj8H6Dk", Name: "Acme", Slug: "acme"}},
		APIKeys: []emulator.SeedAPIKey{{Name: "ci key", Subject: "org_2xhFjEI5X2qWRvtV13BzSj8H6Dk",
			Secret: "ak_example_secret_0123456789", Scopes: []string{"deploy"}}},
	})
	v, _ := auth.NewVerifier(srv.AuthConfig())
	ctx := context.Background()

	p, err := v.VerifyToken(ctx, "ak_example_secret_0123456789", auth.SessionToken, auth.APIKey, auth.M2MToken)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Kind, p.Machine.OrgID(), p.Machine.HasScope("deploy"))

	// By default only session tokens are accepted, and the API key is
	// refused without a Backend API call.
	_, err = v.VerifyToken(ctx, "ak_example_secret_0123456789")
	fmt.Println(errors.Is(err, auth.ErrTokenType), auth.Reason(err))
	// Output:
	// api_key org_2xhFjEI5X2qWRvtV13BzSj8H6Dk true
	// true token-type-mismatch
}

// An M2M JWT verifies networkless against the instance's keys.
func ExampleVerifier_VerifyToken_m2mJWT() {
	srv, _ := emulator.StartServer()
	defer srv.Close()
	srv.Seed(emulator.SeedData{Machines: []emulator.SeedMachine{
		{ID: "mch_2yGkLpQ7Y3rXSwtU24CzTk9I7Em", Name: "billing"},
		{ID: "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk", Name: "cron", SecretKey: "ak_cron_machine_secret_0123456789",
			ScopedMachines: []string{"mch_2yGkLpQ7Y3rXSwtU24CzTk9I7Em"}},
	}})
	// The cron machine asks for a JWT with its own secret key.
	req, _ := http.NewRequest("POST", srv.URL()+"/m2m_tokens", strings.NewReader(`{"token_format":"jwt"}`))
	req.Header.Set("Authorization", "Bearer ak_cron_machine_secret_0123456789")
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		panic(err)
	}
	var created struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()

	v, _ := auth.NewVerifier(srv.AuthConfig())
	p, err := v.VerifyToken(context.Background(), created.Token, auth.M2MToken)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Machine.MachineID(), p.Machine.Scopes, p.Machine.JWT)
	// Output: mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk [mch_2yGkLpQ7Y3rXSwtU24CzTk9I7Em] true
}

// Replicas share verifications of opaque tokens through a MachineCache
// (here the in-memory one; in production e.g. Redis), so one token costs
// one Backend API call per MachineCacheTTL across all of them.
func ExampleMachineCache() {
	srv, _ := emulator.StartServer()
	defer srv.Close()
	srv.Seed(emulator.SeedData{
		Users:   []emulator.SeedUser{{ID: "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk", EmailAddresses: []string{"ada@example.com"}}},
		APIKeys: []emulator.SeedAPIKey{{Name: "ada key", Subject: "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk", Secret: "ak_ada_secret_0123456789"}},
	})
	cfg := srv.AuthConfig()
	cfg.MachineCache = auth.NewMemoryMachineCache(0, nil)
	replicaA, _ := auth.NewVerifier(cfg)
	replicaB, _ := auth.NewVerifier(cfg)
	for _, v := range []*auth.Verifier{replicaA, replicaB, replicaA} {
		p, err := v.VerifyToken(context.Background(), "ak_ada_secret_0123456789", auth.APIKey)
		if err != nil {
			panic(err)
		}
		fmt.Println(p.Machine.UserID())
	}
	fmt.Println("Backend API calls:", srv.Calls("POST /v1/api_keys/verify"))
	// Output:
	// user_2xhFjEI5X2qWRvtV13BzSj8H6Dk
	// user_2xhFjEI5X2qWRvtV13BzSj8H6Dk
	// user_2xhFjEI5X2qWRvtV13BzSj8H6Dk
	// Backend API calls: 1
}
