package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDevSeedExampleBilling: the seed example of clerktest/emulator loads
// with `clerkkit dev --seed`, its Billing plans and subscriptions (and the
// default plan's for a user without one) and its redirect URLs and
// allowlist served.
func TestDevSeedExampleBilling(t *testing.T) {
	stdout, _ := devRun(t, nil, "--seed", "../../clerktest/emulator/testdata/seed.json")
	env := waitExports(t, stdout)
	key := env["CLERK_SECRET_KEY"]

	status, plans := bapi(t, env, key, "GET", "/v1/commerce/plans", nil)
	require.Equal(t, 200, status, plans)
	assert.EqualValues(t, 3, plans["total_count"])
	status, sub := bapi(t, env, key, "GET", "/v1/users/user_alice/billing/subscription", nil)
	require.Equal(t, 200, status, sub)
	items := sub["subscription_items"].([]any)
	require.Len(t, items, 1)
	assert.Equal(t, "cplan_pro", items[0].(map[string]any)["plan_id"])
	assert.Equal(t, "annual", items[0].(map[string]any)["plan_period"])
	status, sub = bapi(t, env, key, "GET", "/v1/organizations/org_acme/billing/subscription", nil)
	require.Equal(t, 200, status, sub)
	status, bob := bapi(t, env, key, "GET", "/v1/users/user_bob/billing/subscription", nil) // the default plan's
	require.Equal(t, 200, status, bob)
	assert.Equal(t, "cplan_free", bob["subscription_items"].([]any)[0].(map[string]any)["plan_id"])
	status, r := bapi(t, env, key, "GET", "/v1/redirect_urls?paginated=true", nil)
	require.Equal(t, 200, status, r)
	assert.EqualValues(t, 1, r["total_count"])
	status, al := bapi(t, env, key, "GET", "/v1/allowlist_identifiers?paginated=true", nil)
	require.Equal(t, 200, status, al)
	assert.EqualValues(t, 1, al["total_count"])
}

// TestDevSeedInstanceResources: a seed file declares a role set, a
// satellite domain, an OAuth application with its credentials, a blocked
// identifier and waitlist entries; the running emulator serves them.
func TestDevSeedInstanceResources(t *testing.T) {
	f := filepath.Join(t.TempDir(), "seed.json")
	require.NoError(t, os.WriteFile(f, []byte(`{
		"role_sets":[{"key":"role_set:lean","name":"Lean","roles":["org:admin","org:member"],
		              "default_role_key":"org:member","creator_role_key":"org:admin"}],
		"organizations":[{"id":"org_lean","name":"Lean","role_set_key":"role_set:lean"}],
		"satellite_domains":[{"name":"satellite.example.com"}],
		"oauth_applications":[{"id":"oa_local","name":"Local","client_id":"local-client","client_secret":"local-secret-0123456789",
		                       "redirect_uris":["http://localhost:3000/oauth/callback"]}],
		"blocklist_identifiers":["spam@example.org"],
		"waitlist_entries":[{"email_address":"early@example.com"},{"email_address":"vip@example.com","status":"invited"}]}`), 0o600))
	stdout, _ := devRun(t, nil, "--seed", f)
	env := waitExports(t, stdout)
	key := env["CLERK_SECRET_KEY"]

	status, rs := bapi(t, env, key, "GET", "/v1/role_sets/role_set:lean", nil)
	require.Equal(t, 200, status, rs)
	assert.Equal(t, "Lean", rs["name"])
	status, d := bapi(t, env, key, "GET", "/v1/domains", nil)
	require.Equal(t, 200, status, d)
	assert.EqualValues(t, 2, d["total_count"])
	status, app := bapi(t, env, key, "GET", "/v1/oauth_applications/oa_local", nil)
	require.Equal(t, 200, status, app)
	assert.Equal(t, "local-client", app["client_id"])
	status, bl := bapi(t, env, key, "GET", "/v1/blocklist_identifiers", nil)
	require.Equal(t, 200, status, bl)
	assert.EqualValues(t, 1, bl["total_count"])
	status, w := bapi(t, env, key, "GET", "/v1/waitlist_entries?status=invited", nil)
	require.Equal(t, 200, status, w)
	assert.EqualValues(t, 1, w["total_count"])
}

// TestDevSeedBillingAndInstanceErrors: a bad plan, subscription, OAuth
// application or waitlist entry, and an unknown key, fail the seed with
// one line naming it.
func TestDevSeedBillingAndInstanceErrors(t *testing.T) {
	for name, tc := range map[string]struct{ seed, want string }{
		"plan payer type":    {`{"plans":[{"name":"Pro","payer_type":"team"}]}`, `plans[0]: payer_type "team" must be user or org`},
		"subscription payer": {`{"plans":[{"name":"Pro","payer_type":"user"}],"subscriptions":[{"payer":"user_x","items":[{"plan":"pro"}]}]}`, "subscriptions[0]: payer"},
		"OAuth app secret":   {`{"oauth_applications":[{"name":"X","client_secret":"short"}]}`, "oauth_applications[0]: client_secret"},
		"waitlist status":    {`{"waitlist_entries":[{"email_address":"a@example.com","status":"done"}]}`, "waitlist_entries[0]: status"},
		"unknown key":        {`{"subscriptions":[{"payer":"user_x","plan":"pro"}]}`, `unknown key "plan" in subscriptions[0]`},
	} {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "seed.json")
			require.NoError(t, os.WriteFile(f, []byte(tc.seed), 0o600))
			code, _, errOut := cli(t, nil, "dev", "--addr", "127.0.0.1:0", "--seed", f)
			assert.Equal(t, 1, code)
			assert.Contains(t, errOut, tc.want)
			assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
		})
	}
}
