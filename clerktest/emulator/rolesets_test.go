package emulator_test

import (
	"net/http"
	"slices"
	"testing"
)

func setRoleKeys(set map[string]any) []string {
	var out []string
	for _, r := range set["roles"].([]any) {
		out = append(out, r.(map[string]any)["key"].(string))
	}
	return out
}

func TestRoleSets(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	def := a.ok("GET", "/v1/role_sets/role_set:default", nil)
	if def["object"] != "role_set" || def["type"] != "initial" || !slices.Equal(setRoleKeys(def), []string{"org:admin", "org:member"}) ||
		def["default_role"].(map[string]any)["key"] != "org:member" || def["creator_role"].(map[string]any)["key"] != "org:admin" ||
		def["role_set_migration"] != nil {
		t.Fatalf("initial role set: %v", def)
	}
	if got := a.ok("GET", "/v1/role_sets/"+def["id"].(string), nil); got["key"] != "role_set:default" {
		t.Errorf("by id: %v", got)
	}
	a.ok("POST", "/v1/organization_roles", map[string]any{"name": "Viewer", "key": "org:viewer", "include_in_initial_role_set": false})
	a.ok("POST", "/v1/organization_roles", map[string]any{"name": "Guest", "key": "org:guest", "include_in_initial_role_set": false})
	set := a.ok("POST", "/v1/role_sets", map[string]any{"name": "Read only", "description": "Viewers",
		"roles": []string{"org:admin", "org:viewer"}, "default_role_key": "org:viewer", "creator_role_key": "org:admin"})
	if set["key"] != "role_set:read_only" || set["type"] != "custom" || set["description"] != "Viewers" {
		t.Fatalf("created: %v", set)
	}
	if l := a.ok("GET", "/v1/role_sets?query=read&order_by=name", nil); l["total_count"] != 1.0 {
		t.Errorf("query: %v", l)
	}
	if l := a.ok("GET", "/v1/role_sets?limit=1&offset=1&order_by=-created_at", nil); l["total_count"] != 2.0 || keysOf(l)[0] != "role_set:default" {
		t.Errorf("page: %v", l)
	}

	// An organization of the set: its members can have only its roles,
	// its creator gets the set's creator role.
	u1 := a.createUser("u1@example.com", "U1")["id"].(string)
	u2 := a.createUser("u2@example.com", "U2")["id"].(string)
	org := a.ok("POST", "/v1/organizations", map[string]any{"name": "RO", "created_by": u1, "role_set_key": "role_set:read_only"})
	oid := org["id"].(string)
	a.fail("POST", "/v1/organizations/"+oid+"/memberships", map[string]any{"user_id": u2, "role": "org:member"},
		http.StatusUnprocessableEntity, "form_param_value_invalid")
	a.fail("POST", "/v1/organizations/"+oid+"/invitations", map[string]any{"email_address": "z@example.com", "role": "org:member"},
		http.StatusUnprocessableEntity, "form_param_value_invalid")
	a.ok("POST", "/v1/organizations/"+oid+"/memberships", map[string]any{"user_id": u2, "role": "org:viewer"})
	a.fail("PATCH", "/v1/organizations/"+oid+"/memberships/"+u2, map[string]any{"role": "org:member"},
		http.StatusUnprocessableEntity, "form_param_value_invalid")
	a.fail("POST", "/v1/organizations", map[string]any{"name": "X", "role_set_key": "role_set:nope"},
		http.StatusUnprocessableEntity, "form_param_value_invalid")
	// Switching the organization's role set needs its members' roles.
	a.fail("PATCH", "/v1/organizations/"+oid, map[string]any{"role_set_key": "role_set:default"},
		http.StatusUnprocessableEntity, "form_param_value_invalid")
	a.fail("PATCH", "/v1/organizations/"+oid, map[string]any{"role_set_key": "role_set:nope"},
		http.StatusUnprocessableEntity, "form_param_value_invalid")
	plain := a.ok("POST", "/v1/organizations", map[string]any{"name": "Plain", "created_by": u1})["id"].(string)
	a.ok("PATCH", "/v1/organizations/"+plain, map[string]any{"role_set_key": "role_set:read_only"})
	a.fail("POST", "/v1/organizations/"+plain+"/memberships", map[string]any{"user_id": u2, "role": "org:member"},
		http.StatusUnprocessableEntity, "form_param_value_invalid")
	a.ok("DELETE", "/v1/organizations/"+plain, nil)
	set = a.ok("GET", "/v1/role_sets/role_set:read_only", nil)
	if it := set["roles"].([]any)[1].(map[string]any); it["key"] != "org:viewer" || it["members_count"] != 1.0 || it["has_members"] != true {
		t.Errorf("role set item: %v", it)
	}

	// Roles added, a role replaced (its members follow), the set renamed.
	set = a.ok("POST", "/v1/role_sets/role_set:read_only/roles", map[string]any{"role_keys": []string{"org:member"}, "default_role_key": "org:member"})
	if !slices.Equal(setRoleKeys(set), []string{"org:admin", "org:viewer", "org:member"}) || set["default_role"].(map[string]any)["key"] != "org:member" {
		t.Errorf("roles added: %v", set)
	}
	set = a.ok("POST", "/v1/role_sets/role_set:read_only/roles/replace", map[string]any{"role_key": "org:viewer", "to_role_key": "org:guest"})
	if !slices.Equal(setRoleKeys(set), []string{"org:admin", "org:guest", "org:member"}) {
		t.Errorf("role replaced: %v", set)
	}
	if m := a.ok("GET", "/v1/organizations/"+oid+"/memberships?role=org:guest", nil); m["total_count"] != 1.0 {
		t.Errorf("member not reassigned: %v", m)
	}
	set = a.ok("PATCH", "/v1/role_sets/role_set:read_only", map[string]any{"key": "role_set:ro", "name": "RO", "description": nil, "type": "initial"})
	if set["key"] != "role_set:ro" || set["type"] != "initial" || set["description"] != nil {
		t.Errorf("updated: %v", set)
	}
	if got := a.ok("GET", "/v1/role_sets/role_set:default", nil); got["type"] != "custom" {
		t.Errorf("the former initial role set: %v", got)
	}
	// New organizations get the initial role set.
	o2 := a.ok("POST", "/v1/organizations", map[string]any{"name": "New"})["id"].(string)
	a.ok("POST", "/v1/organizations/"+o2+"/memberships", map[string]any{"user_id": u2, "role": "org:guest"})

	// Replacing: members need a mapping to the destination's roles.
	a.fail("POST", "/v1/role_sets/role_set:ro/replace", map[string]any{"dest_role_set_key": "role_set:default"},
		http.StatusUnprocessableEntity, "form_param_value_invalid")
	a.fail("POST", "/v1/role_sets/role_set:ro/replace", map[string]any{"dest_role_set_key": "role_set:default",
		"reassignment_mappings": map[string]string{"org:guest": "org:viewer"}}, http.StatusUnprocessableEntity, "form_param_value_invalid")
	d := a.ok("POST", "/v1/role_sets/role_set:ro/replace", map[string]any{"dest_role_set_key": "role_set:default",
		"reassignment_mappings": map[string]string{"org:guest": "org:member"}})
	if d["object"] != "role_set" || d["deleted"] != true {
		t.Errorf("replaced: %v", d)
	}
	a.fail("GET", "/v1/role_sets/role_set:ro", nil, http.StatusNotFound, "resource_not_found")
	if got := a.ok("GET", "/v1/role_sets/role_set:default", nil); got["type"] != "initial" {
		t.Errorf("the destination of the initial set is not initial: %v", got)
	}
	for _, o := range []string{oid, o2} {
		if m := a.ok("GET", "/v1/organizations/"+o+"/memberships?role=org:member", nil); m["total_count"] != 1.0 {
			t.Errorf("%s: members not migrated: %v", o, m)
		}
	}
}

func TestRoleSetErrors(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	ok := map[string]any{"roles": []string{"org:admin", "org:member"}, "default_role_key": "org:member", "creator_role_key": "org:admin"}
	with := func(kv ...any) map[string]any {
		m := map[string]any{"name": "S"}
		for k, v := range ok {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	eleven := []string{"org:admin", "org:member"}
	for i := range 9 {
		eleven = append(eleven, "org:r"+string(rune('a'+i)))
	}
	for _, k := range eleven[2:] {
		a.ok("POST", "/v1/organization_roles", map[string]any{"name": k, "key": k, "include_in_initial_role_set": false})
	}
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"POST", "/v1/role_sets", with("name", nil), 422, "form_param_missing"},
		{"POST", "/v1/role_sets", with("roles", nil), 422, "form_param_missing"},
		{"POST", "/v1/role_sets", with("roles", eleven), 422, "form_param_value_invalid"},
		{"POST", "/v1/role_sets", with("roles", []string{"org:admin", "org:nope"}), 404, "resource_not_found"},
		{"POST", "/v1/role_sets", with("default_role_key", nil), 422, "form_param_missing"},
		{"POST", "/v1/role_sets", with("creator_role_key", nil), 422, "form_param_missing"},
		{"POST", "/v1/role_sets", with("default_role_key", "org:ra"), 422, "form_param_value_invalid"},
		{"POST", "/v1/role_sets", with("creator_role_key", "org:member"), 422, "form_param_value_invalid"},
		{"POST", "/v1/role_sets", with("key", "default"), 422, "form_param_format_invalid"},
		{"POST", "/v1/role_sets", with("key", "role_set:default"), 422, "form_identifier_exists"},
		{"POST", "/v1/role_sets", with("type", "other"), 422, "form_param_value_invalid"},
		{"GET", "/v1/role_sets/role_set:nope", nil, 404, "resource_not_found"},
		{"PATCH", "/v1/role_sets/role_set:nope", map[string]any{}, 404, "resource_not_found"},
		{"PATCH", "/v1/role_sets/role_set:default", map[string]any{"type": "custom"}, 422, "form_param_value_invalid"},
		{"PATCH", "/v1/role_sets/role_set:default", map[string]any{"creator_role_key": "org:ra"}, 422, "form_param_value_invalid"},
		{"PATCH", "/v1/role_sets/role_set:default", map[string]any{"key": "bad"}, 422, "form_param_format_invalid"},
		{"POST", "/v1/role_sets/role_set:default/roles", map[string]any{}, 422, "form_param_missing"},
		{"POST", "/v1/role_sets/role_set:default/roles", map[string]any{"role_keys": []string{"org:admin"}}, 422, "form_param_value_invalid"},
		{"POST", "/v1/role_sets/role_set:default/roles", map[string]any{"role_keys": []string{"org:nope"}}, 404, "resource_not_found"},
		{"POST", "/v1/role_sets/role_set:default/roles", map[string]any{"role_keys": eleven[2:]}, 422, "form_param_value_invalid"},
		{"POST", "/v1/role_sets/role_set:nope/roles", map[string]any{"role_keys": []string{"org:ra"}}, 404, "resource_not_found"},
		{"POST", "/v1/role_sets/role_set:default/roles/replace", map[string]any{"to_role_key": "org:ra"}, 422, "form_param_missing"},
		{"POST", "/v1/role_sets/role_set:default/roles/replace", map[string]any{"role_key": "org:ra", "to_role_key": "org:rb"}, 422, "form_param_value_invalid"},
		{"POST", "/v1/role_sets/role_set:default/roles/replace", map[string]any{"role_key": "org:member", "to_role_key": "org:nope"}, 404, "resource_not_found"},
		{"POST", "/v1/role_sets/role_set:default/roles/replace", map[string]any{"role_key": "org:member", "to_role_key": "org:admin"}, 422, "form_param_value_invalid"},
		{"POST", "/v1/role_sets/role_set:default/roles/replace", map[string]any{"role_key": "org:admin", "to_role_key": "org:ra"}, 422, "form_param_value_invalid"},
		{"POST", "/v1/role_sets/role_set:default/replace", map[string]any{}, 422, "form_param_missing"},
		{"POST", "/v1/role_sets/role_set:default/replace", map[string]any{"dest_role_set_key": "role_set:nope"}, 404, "resource_not_found"},
		{"POST", "/v1/role_sets/role_set:default/replace", map[string]any{"dest_role_set_key": "role_set:default"}, 422, "form_param_value_invalid"},
		{"POST", "/v1/role_sets/role_set:nope/replace", map[string]any{"dest_role_set_key": "role_set:default"}, 404, "resource_not_found"},
		{"GET", "/v1/role_sets?order_by=members", nil, 422, "form_param_value_invalid"},
	} {
		a.fail(c.method, c.path, c.body, c.status, c.code)
	}
}
