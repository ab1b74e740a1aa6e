package clerktest_test

import "testing"

func TestSmoke(t *testing.T) {
	a := newAPI(t)
	u := a.createUser("a@example.com", "Ann")
	id := u["id"].(string)
	a.ok("GET", "/v1/users/"+id, nil)
	a.list("/v1/users")
	a.ok("GET", "/v1/users/count", nil)
	o := a.ok("POST", "/v1/organizations", map[string]any{"name": "Acme", "created_by": id})
	oid := o["id"].(string)
	a.ok("GET", "/v1/organizations", nil)
	a.ok("GET", "/v1/organizations/"+oid+"/memberships", nil)
	a.ok("GET", "/v1/users/"+id+"/organization_memberships", nil)
	a.ok("POST", "/v1/organizations/"+oid+"/invitations", map[string]any{"email_address": "b@example.com", "role": "org:member", "inviter_user_id": id})
	a.ok("GET", "/v1/organizations/"+oid+"/invitations", nil)
	s := a.ok("POST", "/v1/sessions", map[string]any{"user_id": id})
	a.ok("POST", "/v1/sessions/"+s["id"].(string)+"/tokens", nil)
	a.ok("GET", "/v1/jwks", nil)
	a.ok("GET", "/v1/domains", nil)
	a.ok("GET", "/.well-known/jwks.json", nil)
	a.fail("GET", "/v1/users/user_nope", nil, 404, "resource_not_found")
	a.ok("DELETE", "/v1/users/"+id, nil)
}
