package emulator_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

func TestOrgDomains(t *testing.T) {
	t.Parallel()
	a := newHookAPI(t)
	oid := a.ok("POST", "/v1/organizations", map[string]any{"name": "Acme"})["id"].(string)
	other := a.ok("POST", "/v1/organizations", map[string]any{"name": "Other"})["id"].(string)
	base := "/v1/organizations/" + oid + "/domains"
	d := a.ok("POST", base, map[string]any{"name": "Acme.COM"})
	did := d["id"].(string)
	if d["object"] != "organization_domain" || d["name"] != "acme.com" || d["enrollment_mode"] != "manual_invitation" ||
		d["verification"] != nil || d["organization_id"] != oid || d["total_pending_invitations"] != 0.0 {
		t.Fatalf("domain: %v", d)
	}
	v := a.ok("POST", base, map[string]any{"name": "acme.io", "enrollment_mode": "automatic_invitation", "verified": true})
	if v["verification"].(map[string]any)["status"] != "verified" || v["affiliation_verification"] == nil {
		t.Errorf("verified domain: %v", v)
	}
	for _, c := range []struct {
		body   any
		status int
		code   string
	}{
		{map[string]any{}, 422, "form_param_missing"},
		{map[string]any{"name": "not a domain"}, 422, "form_param_format_invalid"},
		{map[string]any{"name": "gmail.com"}, 422, "form_param_value_invalid"},
		{map[string]any{"name": "acme.com"}, 422, "form_identifier_exists"},
		{map[string]any{"name": "x.com", "enrollment_mode": "enterprise_sso"}, 422, "form_param_value_invalid"},
		{map[string]any{"name": "x.com", "enrollment_mode": "automatic_invitation"}, 422, "form_param_value_invalid"},
		{map[string]any{"name": "x.com", "verified": "yes"}, 422, "form_param_format_invalid"},
	} {
		a.fail("POST", base, c.body, c.status, c.code)
	}
	a.fail("POST", "/v1/organizations/"+other+"/domains", map[string]any{"name": "acme.com"}, 422, "form_identifier_exists")
	a.fail("POST", "/v1/organizations/org_nope/domains", map[string]any{"name": "y.com"}, 404, "resource_not_found")
	a.ok("POST", "/v1/organizations/"+other+"/domains", map[string]any{"name": "other.org"})

	// Pending invitations to the domain are counted.
	a.ok("POST", "/v1/organizations/"+oid+"/invitations", map[string]any{"email_address": "bob@acme.com", "role": "org:member"})
	l := a.ok("GET", base, nil)
	if l["total_count"] != 2.0 || l["data"].([]any)[1].(map[string]any)["total_pending_invitations"] != 1.0 {
		t.Errorf("list: %v", l)
	}
	if l := a.ok("GET", base+"?verified=true", nil); l["total_count"] != 1.0 {
		t.Errorf("verified filter: %v", l)
	}
	if l := a.ok("GET", base+"?enrollment_mode=manual_invitation&limit=1", nil); l["total_count"] != 1.0 || len(l["data"].([]any)) != 1 {
		t.Errorf("mode filter: %v", l)
	}
	a.fail("GET", base+"?verified=maybe", nil, 422, "form_param_value_invalid")
	a.fail("GET", base+"?enrollment_mode=sometimes", nil, 422, "form_param_value_invalid")

	// Updates: automatic enrollment needs a verified domain.
	a.fail("PATCH", base+"/"+did, map[string]any{"enrollment_mode": "automatic_suggestion"}, 422, "form_param_value_invalid")
	u := a.ok("PATCH", base+"/"+did, map[string]any{"enrollment_mode": "automatic_suggestion", "verified": true})
	if u["enrollment_mode"] != "automatic_suggestion" || u["verification"] == nil {
		t.Errorf("updated: %v", u)
	}
	a.fail("PATCH", base+"/"+did, map[string]any{"enrollment_mode": "open"}, 422, "form_param_value_invalid")
	a.fail("PATCH", "/v1/organizations/"+other+"/domains/"+did, map[string]any{}, 404, "resource_not_found")
	ov := a.ok("POST", base+"/"+did+"/verify_ownership", nil)
	if ov["ownership_verification"].(map[string]any)["status"] != "verified" {
		t.Errorf("ownership: %v", ov)
	}
	a.fail("POST", base+"/orgdmn_nope/verify_ownership", nil, 404, "resource_not_found")

	// The instance's list.
	all := a.ok("GET", "/v1/organization_domains?order_by=name", nil)
	if all["total_count"] != 3.0 || all["data"].([]any)[0].(map[string]any)["name"] != "acme.com" ||
		all["data"].([]any)[0].(map[string]any)["public_organization_data"].(map[string]any)["id"] != oid {
		t.Errorf("all: %v", all)
	}
	if l := a.ok("GET", "/v1/organization_domains?organization_id="+other, nil); l["total_count"] != 1.0 {
		t.Errorf("by organization: %v", l)
	}
	if l := a.ok("GET", "/v1/organization_domains?domains=acme.io&domains=other.org", nil); l["total_count"] != 2.0 {
		t.Errorf("by names: %v", l)
	}
	if l := a.ok("GET", "/v1/organization_domains?query=acme&enrollment_mode=-automatic_invitation", nil); l["total_count"] != 1.0 {
		t.Errorf("query and excluded mode: %v", l)
	}
	a.fail("GET", "/v1/organization_domains?order_by=mode", nil, 422, "form_param_value_invalid")

	if del := a.ok("DELETE", base+"/"+did, nil); del["object"] != "organization_domain" || del["deleted"] != true {
		t.Errorf("deleted: %v", del)
	}
	a.fail("DELETE", base+"/"+did, nil, 404, "resource_not_found")
	a.ok("DELETE", "/v1/organizations/"+other, nil)
	if l := a.ok("GET", "/v1/organization_domains", nil); l["total_count"] != 1.0 {
		t.Errorf("a deleted organization's domains remain: %v", l)
	}
	status, out := a.doAuth("GET", "/v1/organization_domains", nil, "")
	checkAPIError(t, "GET /v1/organization_domains", status, out, 401, "authentication_invalid")

	ev := events(t, a)
	if len(ev["organizationDomain.created"]) != 3 || len(ev["organizationDomain.updated"]) != 2 || len(ev["organizationDomain.deleted"]) != 1 {
		t.Errorf("events: %d created, %d updated, %d deleted", len(ev["organizationDomain.created"]),
			len(ev["organizationDomain.updated"]), len(ev["organizationDomain.deleted"]))
	}
}

func TestInstanceMembershipsAndBulkInvitations(t *testing.T) {
	t.Parallel()
	a := newHookAPI(t)
	u1 := a.createUser("m1@example.com", "Zed")["id"].(string)
	u2 := a.createUser("m2@example.com", "Amy")["id"].(string)
	o1 := a.ok("POST", "/v1/organizations", map[string]any{"name": "One", "created_by": u1})["id"].(string)
	o2 := a.ok("POST", "/v1/organizations", map[string]any{"name": "Two", "created_by": u2})["id"].(string)
	a.ok("POST", "/v1/organizations/"+o2+"/memberships", map[string]any{"user_id": u1, "role": "org:member"})
	l := a.ok("GET", "/v1/organization_memberships", nil)
	if l["total_count"] != 3.0 || l["data"].([]any)[0].(map[string]any)["organization"].(map[string]any)["id"] != o2 {
		t.Errorf("memberships: %v", l)
	}
	l = a.ok("GET", "/v1/organization_memberships?order_by=first_name&limit=1&offset=0", nil)
	if len(l["data"].([]any)) != 1 || l["data"].([]any)[0].(map[string]any)["public_user_data"].(map[string]any)["user_id"] != u2 {
		t.Errorf("by first name: %v", l)
	}
	a.fail("GET", "/v1/organization_memberships?order_by=role", nil, 422, "form_param_value_invalid")
	a.fail("GET", "/v1/organization_memberships?limit=x", nil, 422, "form_param_format_invalid")

	base := "/v1/organizations/" + o1 + "/invitations/bulk"
	status, out := a.do("POST", base, []map[string]any{
		{"email_address": "i1@example.com", "role": "org:member"},
		{"email_address": "i2@example.com", "role": "org:admin", "inviter_user_id": u1, "public_metadata": map[string]any{"k": 1}},
	})
	var made struct {
		Data       []map[string]any `json:"data"`
		TotalCount int              `json:"total_count"`
	}
	if status != 200 || json.Unmarshal(out, &made) != nil || made.TotalCount != 2 || made.Data[1]["inviter_id"] != u1 {
		t.Fatalf("bulk: %d %s", status, out)
	}
	a.fail("POST", base, []map[string]any{{"email_address": "i3@example.com", "role": "org:member"}, {"email_address": "i4@example.com"}},
		422, "form_param_missing")
	a.fail("POST", base, []map[string]any{{"email_address": "i3@example.com", "role": "org:member", "inviter_user_id": u2}}, 403, "not_an_admin_in_organization")
	a.fail("POST", base, []map[string]any{}, 422, "form_param_value_invalid")
	a.fail("POST", "/v1/organizations/org_nope/invitations/bulk", []map[string]any{{"email_address": "i5@example.com", "role": "org:member"}}, 404, "resource_not_found")
	inv := a.ok("GET", "/v1/organizations/"+o1+"/invitations", nil)
	var emails []string
	for _, i := range inv["data"].([]any) {
		emails = append(emails, i.(map[string]any)["email_address"].(string))
	}
	slices.Sort(emails)
	if !slices.Equal(emails, []string{"i1@example.com", "i2@example.com"}) {
		t.Errorf("a failed bulk left invitations: %v", emails)
	}
	if ev := events(t, a); len(ev["organizationInvitation.created"]) != 2 {
		t.Errorf("%d organizationInvitation.created events, want 2 (none for a failed bulk)", len(ev["organizationInvitation.created"]))
	}
	status, out = a.doAuth("GET", "/v1/organization_memberships", nil, "Bearer x")
	checkAPIError(t, "GET /v1/organization_memberships", status, out, http.StatusUnauthorized, "authentication_invalid")
}

// exerciseOrgDomainRoutes calls every route of orgdomains.go once with
// success (see TestEveryRouteIsExercised).
func exerciseOrgDomainRoutes(t *testing.T, a *api) {
	t.Helper()
	oid := a.ok("POST", "/v1/organizations", map[string]any{"name": "Domains"})["id"].(string)
	base := "/v1/organizations/" + oid + "/domains"
	did := a.ok("POST", base, map[string]any{"name": "ex-domains.example"})["id"].(string)
	a.ok("GET", base, nil)
	a.ok("PATCH", base+"/"+did, map[string]any{"verified": true})
	a.ok("POST", base+"/"+did+"/verify_ownership", nil)
	a.ok("GET", "/v1/organization_domains", nil)
	a.ok("DELETE", base+"/"+did, nil)
	a.ok("GET", "/v1/organization_memberships", nil)
	if status, out := a.do("POST", "/v1/organizations/"+oid+"/invitations/bulk", []map[string]any{{"email_address": "ex-bulk@example.org", "role": "org:member"}}); status != 200 {
		t.Errorf("bulk: %d %s", status, out)
	}
}
