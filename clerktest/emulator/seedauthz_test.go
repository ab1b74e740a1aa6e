package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

func TestSeedPermissionsRolesAndDomains(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	var d emulator.SeedData
	if err := json.Unmarshal([]byte(`{
	  "permissions": [{"key": "org:posts:edit", "name": "Edit posts", "description": "Any post"}],
	  "roles": [{"key": "org:editor", "name": "Editor", "description": "Edits", "permissions": ["org:posts:edit", "org:posts:read"]}],
	  "users": [{"id": "user_ed", "email_addresses": ["ed@acme.com"]}],
	  "organizations": [{"id": "org_acme", "name": "Acme", "role_set_key": "role_set:default",
	                     "domains": [{"name": "acme.com", "enrollment_mode": "automatic_invitation", "verified": true}, {"name": "acme.dev"}]}],
	  "memberships": [{"organization_id": "org_acme", "user_id": "user_ed", "role": "org:editor"}]
	}`), &d); err != nil {
		t.Fatal(err)
	}
	if err := a.srv.Seed(d); err != nil {
		t.Fatal(err)
	}
	p := a.ok("GET", "/v1/organization_permissions?query=org:posts:edit", nil)["data"].([]any)[0].(map[string]any)
	if p["name"] != "Edit posts" || p["description"] != "Any post" || p["type"] != "user" {
		t.Errorf("seeded permission: %v", p)
	}
	r := a.ok("GET", "/v1/organization_roles?query=org:editor", nil)["data"].([]any)[0].(map[string]any)
	if r["description"] != "Edits" || !slices.Equal(permKeys(r), []string{"org:posts:edit", "org:posts:read"}) {
		t.Errorf("seeded role: %v", r)
	}
	ds := a.ok("GET", "/v1/organizations/org_acme/domains", nil)
	if ds["total_count"] != 2.0 {
		t.Errorf("seeded domains: %v", ds)
	}

	// Each failure adds nothing.
	for _, c := range []struct{ json, want string }{
		{`{"permissions": [{"key": "org:sys_x:y", "name": "X"}]}`, "permissions[0]"},
		{`{"permissions": [{"key": "org:posts:edit", "name": "Again"}]}`, "permissions[0]"},
		{`{"organizations": [{"name": "B", "domains": [{"name": "acme.com"}]}]}`, "domains[0]"},
		{`{"organizations": [{"name": "B", "role_set_key": "role_set:nope"}]}`, "organizations[0]"},
		{`{"organizations": [{"name": "B", "domains": [{"name": "b.com", "enrollment_mode": "automatic_suggestion"}]}]}`, "domains[0]"},
	} {
		var sd emulator.SeedData
		if err := json.Unmarshal([]byte(c.json), &sd); err != nil {
			t.Fatalf("%s: %v", c.json, err)
		}
		if err := a.srv.Seed(sd); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error about %s", c.json, err, c.want)
		}
	}
	if l := a.ok("GET", "/v1/organizations", nil); l["total_count"] != 1.0 {
		t.Errorf("a failed seed added organizations: %v", l)
	}
	var sd emulator.SeedData
	var keyErr *emulator.SeedKeyError
	if err := json.Unmarshal([]byte(`{"organizations": [{"name": "B", "domains": [{"domain": "b.com"}]}]}`), &sd); !errors.As(err, &keyErr) {
		t.Errorf("unknown seed key: %v", err)
	}
}

// TestTokensCarryPermissionsFromTheAPI: a permission assigned to a role
// through the API is in the session tokens of its members; a removed one
// is not.
func TestTokensCarryPermissionsFromTheAPI(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	u := a.createUser("tok@example.com", "T")["id"].(string)
	oid := a.ok("POST", "/v1/organizations", map[string]any{"name": "Tok"})["id"].(string)
	p1 := a.ok("POST", "/v1/organization_permissions", map[string]any{"name": "Read", "key": "org:reports:read"})["id"].(string)
	p2 := a.ok("POST", "/v1/organization_permissions", map[string]any{"name": "Write", "key": "org:reports:write"})["id"].(string)
	rid := a.ok("POST", "/v1/organization_roles", map[string]any{"name": "Analyst", "key": "org:analyst", "permissions": []string{p1}})["id"].(string)
	a.ok("POST", "/v1/organizations/"+oid+"/memberships", map[string]any{"user_id": u, "role": "org:analyst"})
	a.ok("POST", "/v1/organization_roles/"+rid+"/permissions/"+p2, nil)
	a.ok("DELETE", "/v1/organization_roles/"+rid+"/permissions/"+p1, nil)
	token, err := a.srv.SessionToken(u, oid)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(a.srv.AuthConfig())
	if err != nil {
		t.Fatal(err)
	}
	s, err := v.Verify(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	if s.OrgRole != "org:analyst" || !slices.Equal(s.OrgPermissions, []string{"org:reports:write"}) {
		t.Errorf("token: role %q, permissions %v", s.OrgRole, s.OrgPermissions)
	}
}
