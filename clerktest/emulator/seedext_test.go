package emulator_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// instanceSeed seeds every instance-wide key.
const instanceSeed = `{
  "roles": [{"key": "org:editor", "name": "Editor", "permissions": ["org:posts:edit"]}],
  "role_sets": [{"key": "role_set:editors", "name": "Editors", "roles": ["org:admin", "org:editor"],
                 "default_role_key": "org:editor", "creator_role_key": "org:admin", "description": "For newsrooms"}],
  "users": [{"id": "user_ed", "email_addresses": ["ed@example.com"]}],
  "organizations": [{"id": "org_news", "name": "News", "role_set_key": "role_set:editors", "created_by": "user_ed"}],
  "satellite_domains": [{"name": "satellite.example.com"}],
  "oauth_applications": [{"id": "oa_partner", "name": "Partner", "client_id": "partner-client", "client_secret": "a-secret-of-24-characters",
                          "redirect_uris": ["https://partner.example/cb"], "scopes": "profile email openid", "pkce_required": true},
                         {"name": "Mobile", "public": true, "consent_screen_enabled": false}],
  "allowlist_identifiers": ["*@example.com", "+15555550100"],
  "blocklist_identifiers": ["spam@example.org"],
  "redirect_urls": ["https://app.example.com/callback", "myapp://callback"],
  "waitlist_entries": [{"email_address": "wait@example.com"}, {"email_address": "vip@example.com", "status": "invited"},
                       {"email_address": "no@example.com", "status": "rejected"}]
}`

// TestSeedInstanceResources: every instance-wide seed key is served by
// its Backend API endpoints.
func TestSeedInstanceResources(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	var d emulator.SeedData
	if err := json.Unmarshal([]byte(instanceSeed), &d); err != nil {
		t.Fatal(err)
	}
	if err := a.srv.Seed(d); err != nil {
		t.Fatal(err)
	}
	rs := a.ok("GET", "/v1/role_sets/role_set:editors", nil)
	if rs["name"] != "Editors" || rs["description"] != "For newsrooms" || len(rs["roles"].([]any)) != 2 {
		t.Fatalf("role set: %v", rs)
	}
	if m := a.page("/v1/organizations/org_news/memberships"); m.TotalCount != 1 || m.Data[0]["role"] != "org:admin" {
		t.Fatalf("creator's membership: %v", m)
	}
	domains := a.page("/v1/domains")
	if domains.TotalCount != 2 || domains.Data[1]["name"] != "satellite.example.com" || domains.Data[1]["is_satellite"] != true {
		t.Fatalf("domains: %v", domains)
	}
	app := a.ok("GET", "/v1/oauth_applications/oa_partner", nil)
	if app["client_id"] != "partner-client" || app["scopes"] != "profile email openid" || app["pkce_required"] != true ||
		app["public"] != false || app["redirect_uris"].([]any)[0] != "https://partner.example/cb" {
		t.Fatalf("OAuth application: %v", app)
	}
	apps := a.page("/v1/oauth_applications")
	if apps.TotalCount != 2 || apps.Data[1]["name"] != "Mobile" || apps.Data[1]["public"] != true || apps.Data[1]["consent_screen_enabled"] != false {
		t.Fatalf("OAuth applications: %v", apps)
	}
	if l := a.list("/v1/allowlist_identifiers"); len(l) != 2 || l[0]["identifier_type"] != "phone_number" || l[1]["identifier"] != "*@example.com" {
		t.Fatalf("allowlist: %v", l)
	}
	if l := a.page("/v1/blocklist_identifiers"); l.TotalCount != 1 || l.Data[0]["identifier"] != "spam@example.org" {
		t.Fatalf("blocklist: %v", l)
	}
	if l := a.list("/v1/redirect_urls"); len(l) != 2 || l[0]["url"] != "https://app.example.com/callback" || l[1]["url"] != "myapp://callback" {
		t.Fatalf("redirect URLs: %v", l)
	}
	w := a.page("/v1/waitlist_entries?order_by=email_address")
	if w.TotalCount != 3 || w.Data[0]["email_address"] != "no@example.com" || w.Data[0]["status"] != "rejected" ||
		w.Data[1]["status"] != "invited" || w.Data[1]["invitation"] == nil || w.Data[2]["status"] != "pending" {
		t.Fatalf("waitlist: %v", w)
	}
	if inv := a.list("/v1/invitations"); len(inv) != 1 || inv[0]["email_address"] != "vip@example.com" {
		t.Fatalf("the invited entry's invitation: %v", inv)
	}
}

// TestSeedInstanceRefused: a bad instance-wide seed entry is refused,
// naming its key, and nothing of the seed stays (neither what state nor
// what the domains' and OAuth applications' store would have kept).
func TestSeedInstanceRefused(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	requireSeedsRefused(t, a.srv, []struct{ seed, want string }{
		{`{"role_sets":[{"name":"X","roles":["org:nope"],"default_role_key":"org:nope","creator_role_key":"org:nope"}]}`, "role_sets[0]:"},
		{`{"role_sets":[{"name":"X","roles":["org:admin"],"creator_role_key":"org:admin"}]}`, "role_sets[0]: emulator: 422 form_param_missing"},
		{`{"satellite_domains":[{"name":"https://x.example.com"}]}`, "satellite_domains[0]:"},
		{`{"satellite_domains":[{"name":"a.example.com"},{"name":"A.example.com"}]}`, "satellite_domains[1]:"},
		{`{"oauth_applications":[{"name":""}]}`, "oauth_applications[0]:"},
		{`{"oauth_applications":[{"id":"app_1","name":"X"}]}`, "oauth_applications[0]: id"},
		{`{"oauth_applications":[{"name":"X","client_id":"c"},{"name":"Y","client_id":"c"}]}`, "oauth_applications[1]: client_id"},
		{`{"oauth_applications":[{"name":"X","public":true,"client_secret":"a-secret-of-24-characters"}]}`, "oauth_applications[0]: client_secret"},
		{`{"oauth_applications":[{"name":"X","scopes":"admin"}]}`, "oauth_applications[0]:"},
		{`{"allowlist_identifiers":["not an identifier"]}`, "allowlist_identifiers[0]:"},
		{`{"blocklist_identifiers":["a@example.com","A@example.com"]}`, "blocklist_identifiers[1]:"},
		{`{"redirect_urls":["/relative"]}`, "redirect_urls[0]:"},
		{`{"waitlist_entries":[{"email_address":"nope"}]}`, "waitlist_entries[0]:"},
		{`{"waitlist_entries":[{"email_address":"a@example.com","status":"completed"}]}`, "waitlist_entries[0]: status"},
	})
	// All or nothing, across both stores.
	var d emulator.SeedData
	json.Unmarshal([]byte(`{"users":[{"id":"user_x"}],"satellite_domains":[{"name":"kept.example.com"}],
		"oauth_applications":[{"id":"oa_kept","name":"Kept"}],"redirect_urls":["https://kept.example.com/cb"],
		"waitlist_entries":[{"email_address":"kept@example.com"}],"blocklist_identifiers":["bad"]}`), &d)
	if err := a.srv.Seed(d); err == nil || !strings.Contains(err.Error(), "blocklist_identifiers[0]") {
		t.Fatalf("seed: %v", err)
	}
	a.fail("GET", "/v1/users/user_x", nil, 404, "resource_not_found")
	a.fail("GET", "/v1/oauth_applications/oa_kept", nil, 404, "resource_not_found")
	if n := a.page("/v1/domains").TotalCount; n != 1 {
		t.Fatalf("%d domains after a refused seed", n)
	}
	if l := a.list("/v1/redirect_urls"); len(l) != 0 {
		t.Fatalf("redirect URLs after a refused seed: %v", l)
	}
	if w := a.page("/v1/waitlist_entries"); w.TotalCount != 0 {
		t.Fatalf("waitlist after a refused seed: %v", w)
	}
	var key *emulator.SeedKeyError
	err := json.Unmarshal([]byte(`{"oauth_applications":[{"name":"X","secret":"s"}]}`), &d)
	if !asSeedKeyError(err, &key) || key.Key != "secret" || key.Path != "oauth_applications[0]" {
		t.Fatalf("unknown key: %v", err)
	}
	err = json.Unmarshal([]byte(`{"domains":[{"name":"x.example.com"}]}`), &d)
	if !asSeedKeyError(err, &key) || key.Key != "domains" || key.Path != "" {
		t.Fatalf("unknown top-level key: %v", err)
	}
}

// requireSeedsRefused seeds srv with each case's JSON and requires the
// refusal to name what the case wants.
func requireSeedsRefused(t *testing.T, srv *emulator.Server, cases []struct{ seed, want string }) {
	t.Helper()
	for _, tc := range cases {
		var d emulator.SeedData
		if err := json.Unmarshal([]byte(tc.seed), &d); err != nil {
			t.Fatalf("%s: %v", tc.seed, err)
		}
		if err := srv.Seed(d); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.seed, err, tc.want)
		}
	}
}
