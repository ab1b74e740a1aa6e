package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// newHookAPI is newAPI with a webhook endpoint that accepts everything.
func newHookAPI(t *testing.T) *api {
	t.Helper()
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(sink.Close)
	return newAPI(t, emulator.Options{Webhooks: hooks(sink.URL)})
}

// events waits for a's deliveries and returns their data by event type.
func events(t *testing.T, a *api) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for _, d := range waitDeliveries(t, a.srv) {
		var env struct {
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(d.Payload, &env); err != nil {
			t.Fatal(err)
		}
		out[d.EventType] = append(out[d.EventType], env.Data)
	}
	return out
}

// keysOf returns the "key" of each item of a list response's data.
func keysOf(l map[string]any) []string {
	var out []string
	for _, it := range l["data"].([]any) {
		out = append(out, it.(map[string]any)["key"].(string))
	}
	return out
}

func permKeys(role map[string]any) []string {
	var out []string
	for _, p := range role["permissions"].([]any) {
		out = append(out, p.(map[string]any)["key"].(string))
	}
	slices.Sort(out)
	return out
}

func TestRolesAndPermissions(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	roles := a.ok("GET", "/v1/organization_roles?order_by=key", nil)
	if got := keysOf(roles); !slices.Equal(got, []string{"org:admin", "org:member"}) || roles["total_count"] != 2.0 {
		t.Fatalf("default roles: %v", roles)
	}
	admin := roles["data"].([]any)[0].(map[string]any)
	if admin["is_creator_eligible"] != true || len(admin["permissions"].([]any)) != 6 {
		t.Errorf("org:admin: %v", admin)
	}
	if m := roles["data"].([]any)[1].(map[string]any); m["is_creator_eligible"] != false {
		t.Errorf("org:member is creator eligible: %v", m)
	}
	perms := a.ok("GET", "/v1/organization_permissions?limit=100", nil)
	if perms["total_count"] != 6.0 {
		t.Fatalf("system permissions: %v", perms)
	}
	for _, p := range perms["data"].([]any) {
		if p.(map[string]any)["type"] != "system" {
			t.Errorf("permission %v is not a system permission", p)
		}
	}

	edit := a.ok("POST", "/v1/organization_permissions", map[string]any{"name": "Edit posts", "key": "org:posts:edit", "description": "Edit any post"})
	if edit["object"] != "permission" || edit["type"] != "user" || edit["description"] != "Edit any post" {
		t.Fatalf("permission: %v", edit)
	}
	read := a.ok("POST", "/v1/organization_permissions", map[string]any{"name": "Read posts", "key": "org:posts:read"})
	if read["description"] != "" {
		t.Errorf("description without one: %v", read["description"])
	}
	editor := a.ok("POST", "/v1/organization_roles", map[string]any{
		"name": "Editor", "key": "org:editor", "description": "Edits", "permissions": []string{edit["id"].(string), edit["id"].(string)},
	})
	rid := editor["id"].(string)
	if editor["object"] != "role" || editor["description"] != "Edits" || !slices.Equal(permKeys(editor), []string{"org:posts:edit"}) ||
		editor["is_creator_eligible"] != false {
		t.Fatalf("role: %v", editor)
	}
	if got := a.ok("GET", "/v1/organization_roles/"+rid, nil); got["key"] != "org:editor" {
		t.Errorf("get role: %v", got)
	}
	if got := a.ok("GET", "/v1/organization_permissions/"+read["id"].(string), nil); got["key"] != "org:posts:read" {
		t.Errorf("get permission: %v", got)
	}

	// Queries, order and pages.
	if got := keysOf(a.ok("GET", "/v1/organization_roles?query=edit", nil)); !slices.Equal(got, []string{"org:editor"}) {
		t.Errorf("query by name: %v", got)
	}
	if got := keysOf(a.ok("GET", "/v1/organization_roles?query="+rid, nil)); !slices.Equal(got, []string{"org:editor"}) {
		t.Errorf("query by id: %v", got)
	}
	if got := keysOf(a.ok("GET", "/v1/organization_roles", nil)); got[0] != "org:editor" {
		t.Errorf("default order is newest first: %v", got)
	}
	if got := keysOf(a.ok("GET", "/v1/organization_roles?order_by=-key&limit=1&offset=1", nil)); !slices.Equal(got, []string{"org:editor"}) {
		t.Errorf("page of -key: %v", got)
	}
	if got := keysOf(a.ok("GET", "/v1/organization_permissions?query=posts&order_by=%2Bname", nil)); !slices.Equal(got, []string{"org:posts:edit", "org:posts:read"}) {
		t.Errorf("permissions by name: %v", got)
	}

	// A member can have the custom role once it exists, and its
	// permissions are in the membership.
	u := a.createUser("ed@example.com", "Ed")["id"].(string)
	oid := a.ok("POST", "/v1/organizations", map[string]any{"name": "Acme"})["id"].(string)
	a.fail("POST", "/v1/organizations/"+oid+"/memberships", map[string]any{"user_id": u, "role": "org:writer"},
		http.StatusUnprocessableEntity, "form_param_value_invalid")
	m := a.ok("POST", "/v1/organizations/"+oid+"/memberships", map[string]any{"user_id": u, "role": "org:editor"})
	if m["role"] != "org:editor" || m["role_name"] != "Editor" || !slices.Contains(toStrings(m["permissions"]), "org:posts:edit") {
		t.Fatalf("membership: %v", m)
	}

	// Permissions assigned and removed.
	got := a.ok("POST", "/v1/organization_roles/"+rid+"/permissions/"+read["id"].(string), nil)
	if !slices.Equal(permKeys(got), []string{"org:posts:edit", "org:posts:read"}) {
		t.Errorf("assigned: %v", got)
	}
	a.fail("POST", "/v1/organization_roles/"+rid+"/permissions/"+read["id"].(string), nil, http.StatusConflict, "duplicate_record")
	got = a.ok("DELETE", "/v1/organization_roles/"+rid+"/permissions/"+read["id"].(string), nil)
	if !slices.Equal(permKeys(got), []string{"org:posts:edit"}) {
		t.Errorf("removed: %v", got)
	}
	a.fail("DELETE", "/v1/organization_roles/"+rid+"/permissions/"+read["id"].(string), nil, http.StatusUnprocessableEntity, "form_param_value_invalid")

	// A new key carries over to memberships; a permission's new key to
	// roles.
	got = a.ok("PATCH", "/v1/organization_roles/"+rid, map[string]any{"key": "org:writer", "name": "Writer", "description": nil})
	if got["key"] != "org:writer" || got["name"] != "Writer" || got["description"] != nil {
		t.Errorf("updated role: %v", got)
	}
	ms := a.ok("GET", "/v1/organizations/"+oid+"/memberships?role=org:writer", nil)
	if ms["total_count"] != 1.0 {
		t.Errorf("memberships of the renamed role: %v", ms)
	}
	a.ok("PATCH", "/v1/organization_permissions/"+edit["id"].(string), map[string]any{"key": "org:posts:write", "name": "Write"})
	if got := a.ok("GET", "/v1/organization_roles/"+rid, nil); !slices.Equal(permKeys(got), []string{"org:posts:write"}) {
		t.Errorf("role after the permission's new key: %v", got)
	}
	got = a.ok("PATCH", "/v1/organization_roles/"+rid, map[string]any{"permissions": []string{read["id"].(string)}})
	if !slices.Equal(permKeys(got), []string{"org:posts:read"}) {
		t.Errorf("permissions replaced: %v", got)
	}

	// A role in use cannot be deleted; a deleted permission leaves roles.
	a.fail("DELETE", "/v1/organization_roles/"+rid, nil, http.StatusUnprocessableEntity, "form_param_value_invalid")
	a.ok("DELETE", "/v1/organizations/"+oid+"/memberships/"+u, nil)
	a.ok("POST", "/v1/organizations/"+oid+"/invitations", map[string]any{"email_address": "x@example.com", "role": "org:writer"})
	a.fail("DELETE", "/v1/organization_roles/"+rid, nil, http.StatusUnprocessableEntity, "form_param_value_invalid")
	a.ok("DELETE", "/v1/organizations/"+oid, nil)
	if d := a.ok("DELETE", "/v1/organization_permissions/"+read["id"].(string), nil); d["object"] != "permission" || d["deleted"] != true {
		t.Errorf("deleted permission: %v", d)
	}
	if got := a.ok("GET", "/v1/organization_roles/"+rid, nil); len(got["permissions"].([]any)) != 0 {
		t.Errorf("role keeps a deleted permission: %v", got)
	}
	if d := a.ok("DELETE", "/v1/organization_roles/"+rid, nil); d["object"] != "role" || d["id"] != rid || d["deleted"] != true {
		t.Errorf("deleted role: %v", d)
	}
	a.fail("GET", "/v1/organization_roles/"+rid, nil, http.StatusNotFound, "resource_not_found")
	// The default roles are creator or default roles of the initial set.
	for _, r := range a.ok("GET", "/v1/organization_roles", nil)["data"].([]any) {
		a.fail("DELETE", "/v1/organization_roles/"+r.(map[string]any)["id"].(string), nil, http.StatusUnprocessableEntity, "form_param_value_invalid")
	}
}

func toStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

func TestRolesAndPermissionsErrors(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	perm := a.ok("POST", "/v1/organization_permissions", map[string]any{"name": "P", "key": "org:a:b"})
	pid := perm["id"].(string)
	role := a.ok("POST", "/v1/organization_roles", map[string]any{"name": "R", "key": "org:r"})
	rid := role["id"].(string)
	sys := a.ok("GET", "/v1/organization_permissions?query=org:sys_profile:manage", nil)["data"].([]any)[0].(map[string]any)["id"].(string)
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"POST", "/v1/organization_roles", map[string]any{"key": "org:x"}, 422, "form_param_missing"},
		{"POST", "/v1/organization_roles", map[string]any{"name": "X"}, 422, "form_param_missing"},
		{"POST", "/v1/organization_roles", map[string]any{"name": "X", "key": "x"}, 422, "form_param_format_invalid"},
		{"POST", "/v1/organization_roles", map[string]any{"name": "X", "key": "org:Bad-Key"}, 422, "form_param_format_invalid"},
		{"POST", "/v1/organization_roles", map[string]any{"name": "X", "key": "org:r"}, 422, "form_identifier_exists"},
		{"POST", "/v1/organization_roles", map[string]any{"name": "X", "key": "org:x", "permissions": []string{"perm_nope"}}, 404, "resource_not_found"},
		{"POST", "/v1/organization_roles", map[string]any{"name": "X", "key": "org:x", "color": "red"}, 422, "form_param_unknown"},
		{"POST", "/v1/organization_roles", `{"name":`, 400, "malformed_request"},
		{"PATCH", "/v1/organization_roles/" + rid, map[string]any{"key": "org:admin"}, 422, "form_identifier_exists"},
		{"PATCH", "/v1/organization_roles/" + rid, map[string]any{"name": " "}, 422, "form_param_value_invalid"},
		{"PATCH", "/v1/organization_roles/" + rid, map[string]any{"permissions": []string{"perm_nope"}}, 404, "resource_not_found"},
		{"PATCH", "/v1/organization_roles/role_nope", map[string]any{}, 404, "resource_not_found"},
		{"GET", "/v1/organization_roles/role_nope", nil, 404, "resource_not_found"},
		{"DELETE", "/v1/organization_roles/role_nope", nil, 404, "resource_not_found"},
		{"POST", "/v1/organization_roles/role_nope/permissions/" + pid, nil, 404, "resource_not_found"},
		{"POST", "/v1/organization_roles/" + rid + "/permissions/perm_nope", nil, 404, "resource_not_found"},
		{"DELETE", "/v1/organization_roles/" + rid + "/permissions/perm_nope", nil, 404, "resource_not_found"},
		{"GET", "/v1/organization_roles?limit=x", nil, 422, "form_param_format_invalid"},
		{"GET", "/v1/organization_roles?order_by=color", nil, 422, "form_param_value_invalid"},
		{"POST", "/v1/organization_permissions", map[string]any{"key": "org:a:c"}, 422, "form_param_missing"},
		{"POST", "/v1/organization_permissions", map[string]any{"name": "P"}, 422, "form_param_missing"},
		{"POST", "/v1/organization_permissions", map[string]any{"name": "P", "key": "org:a"}, 422, "form_param_format_invalid"},
		{"POST", "/v1/organization_permissions", map[string]any{"name": "P", "key": "org:sys_x:y"}, 422, "form_param_value_invalid"},
		{"POST", "/v1/organization_permissions", map[string]any{"name": "P", "key": "org:a:b"}, 422, "form_identifier_exists"},
		{"PATCH", "/v1/organization_permissions/" + pid, map[string]any{"key": "a:b"}, 422, "form_param_format_invalid"},
		{"PATCH", "/v1/organization_permissions/" + sys, map[string]any{"name": "Mine"}, 403, "forbidden"},
		{"DELETE", "/v1/organization_permissions/" + sys, nil, 403, "forbidden"},
		{"GET", "/v1/organization_permissions/perm_nope", nil, 404, "resource_not_found"},
		{"PATCH", "/v1/organization_permissions/perm_nope", map[string]any{}, 404, "resource_not_found"},
		{"DELETE", "/v1/organization_permissions/perm_nope", nil, 404, "resource_not_found"},
		{"GET", "/v1/organization_permissions?offset=-1", nil, 422, "form_param_value_invalid"},
	} {
		a.fail(c.method, c.path, c.body, c.status, c.code)
	}
	for _, p := range []string{"/v1/organization_roles", "/v1/organization_roles/" + rid, "/v1/organization_permissions", "/v1/role_sets"} {
		status, out := a.doAuth("GET", p, nil, "Bearer sk_test_wrong")
		checkAPIError(t, "GET "+p, status, out, http.StatusUnauthorized, "authentication_invalid")
	}
}

func TestRoleAndPermissionWebhooks(t *testing.T) {
	t.Parallel()
	a := newHookAPI(t)
	p := a.ok("POST", "/v1/organization_permissions", map[string]any{"name": "P", "key": "org:a:b"})
	a.ok("PATCH", "/v1/organization_permissions/"+p["id"].(string), map[string]any{"name": "Q"})
	r := a.ok("POST", "/v1/organization_roles", map[string]any{"name": "R", "key": "org:r", "permissions": []string{p["id"].(string)}})
	a.ok("PATCH", "/v1/organization_roles/"+r["id"].(string), map[string]any{"name": "S"})
	a.ok("DELETE", "/v1/organization_roles/"+r["id"].(string)+"/permissions/"+p["id"].(string), nil)
	a.ok("DELETE", "/v1/organization_permissions/"+p["id"].(string), nil)
	a.ok("DELETE", "/v1/organization_roles/"+r["id"].(string), nil)
	ev := events(t, a)
	want := map[string]int{"permission.created": 1, "permission.updated": 1, "permission.deleted": 1,
		"role.created": 1, "role.updated": 2, "role.deleted": 1}
	for typ, n := range want {
		if len(ev[typ]) != n {
			t.Errorf("%d %s events, want %d", len(ev[typ]), typ, n)
		}
	}
	if d := ev["role.created"][0]; d["key"] != "org:r" || len(d["permissions"].([]any)) != 1 {
		t.Errorf("role.created: %v", d)
	}
	if d := ev["permission.updated"][0]; d["name"] != "Q" {
		t.Errorf("permission.updated: %v", d)
	}
	if d := ev["role.deleted"][0]; d["id"] != r["id"] || d["deleted"] != true {
		t.Errorf("role.deleted: %v", d)
	}
}

func TestSeededRolesAreRoles(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	if err := a.srv.Seed(emulator.SeedData{Roles: []emulator.SeedRole{
		{Key: "org:editor", Name: "Editor", Permissions: []string{"org:posts:edit"}},
		{Key: "org:member", Permissions: []string{"org:posts:read"}},
	}}); err != nil {
		t.Fatal(err)
	}
	r := a.ok("GET", "/v1/organization_roles?query=org:editor", nil)["data"].([]any)[0].(map[string]any)
	if r["id"] == "" || r["name"] != "Editor" || !slices.Equal(permKeys(r), []string{"org:posts:edit"}) {
		t.Errorf("seeded role: %v", r)
	}
	if p := a.ok("GET", "/v1/organization_permissions?query=org:posts", nil); p["total_count"] != 2.0 {
		t.Errorf("seeded permissions: %v", p)
	}
	set := a.ok("GET", "/v1/role_sets/role_set:default", nil)
	if got := keysOf(map[string]any{"data": set["roles"]}); !slices.Contains(got, "org:editor") {
		t.Errorf("seeded role not in the initial role set: %v", got)
	}
}

// exerciseRoleRoutes calls every role, permission and role set route once
// with success (see TestEveryRouteIsExercised).
func exerciseRoleRoutes(t *testing.T, a *api) {
	t.Helper()
	p := a.ok("POST", "/v1/organization_permissions", map[string]any{"name": "P", "key": "org:ex:p"})["id"].(string)
	a.ok("GET", "/v1/organization_permissions", nil)
	a.ok("GET", "/v1/organization_permissions/"+p, nil)
	a.ok("PATCH", "/v1/organization_permissions/"+p, map[string]any{"description": "d"})
	r := a.ok("POST", "/v1/organization_roles", map[string]any{"name": "R", "key": "org:ex"})["id"].(string)
	a.ok("GET", "/v1/organization_roles", nil)
	a.ok("GET", "/v1/organization_roles/"+r, nil)
	a.ok("PATCH", "/v1/organization_roles/"+r, map[string]any{"name": "R2"})
	a.ok("POST", "/v1/organization_roles/"+r+"/permissions/"+p, nil)
	a.ok("DELETE", "/v1/organization_roles/"+r+"/permissions/"+p, nil)
	r2 := a.ok("POST", "/v1/organization_roles", map[string]any{"name": "R3", "key": "org:ex3", "include_in_initial_role_set": false})

	a.ok("GET", "/v1/role_sets", nil)
	set := a.ok("POST", "/v1/role_sets", map[string]any{"name": "Ex", "roles": []string{"org:admin", "org:member"},
		"default_role_key": "org:member", "creator_role_key": "org:admin"})
	a.ok("GET", "/v1/role_sets/"+set["id"].(string), nil)
	a.ok("PATCH", "/v1/role_sets/"+set["key"].(string), map[string]any{"description": "d"})
	a.ok("POST", "/v1/role_sets/"+set["key"].(string)+"/roles", map[string]any{"role_keys": []string{"org:ex"}})
	a.ok("POST", "/v1/role_sets/"+set["key"].(string)+"/roles/replace", map[string]any{"role_key": "org:ex", "to_role_key": r2["key"]})
	a.ok("POST", "/v1/role_sets/"+set["key"].(string)+"/replace", map[string]any{"dest_role_set_key": "role_set:default"})

	a.ok("DELETE", "/v1/organization_roles/"+r, nil)
	a.ok("DELETE", "/v1/organization_permissions/"+p, nil)
}
