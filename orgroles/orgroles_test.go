package orgroles_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/internal/bapi/bapitest"
	"github.com/clerkkit/clerkkit/orgroles"
)

func TestRequestsAndPages(t *testing.T) {
	srv := bapitest.New(t)
	role := map[string]any{"object": "role", "id": "role_1", "key": "org:editor", "name": "Editor", "permissions": []any{map[string]any{"key": "org:doc:edit"}}}
	srv.JSON("POST /v1/organization_roles", role)
	srv.JSON("PATCH /v1/organization_roles/{id}", role)
	srv.JSON("POST /v1/organization_roles/{id}/permissions/{perm}", role)
	srv.JSON("POST /v1/organization_permissions", map[string]any{"object": "permission", "id": "perm_1", "key": "org:doc:edit"})
	srv.Handle("GET /v1/organization_roles", bapitest.Pages("data", 1001, func(i int) any { return map[string]any{"id": fmt.Sprintf("role_%d", i)} }))
	c := orgroles.New(srv.Backend(), orgroles.Options{})
	ctx := context.Background()

	r, err := c.Create(ctx, orgroles.CreateParams{Name: "Editor", Key: "editor", Description: "edits", PermissionIDs: []string{"perm_1"}, IncludeInInitialRoleSet: new(bool)})
	if err != nil || !r.HasPermission("doc:edit") || r.HasPermission("org:doc:read") {
		t.Fatalf("create: %v %+v", err, r)
	}
	if b := srv.Last().Body; b != `{"name":"Editor","key":"org:editor","description":"edits","permissions":["perm_1"],"include_in_initial_role_set":false}` {
		t.Fatalf("create body %s", b)
	}
	key := "org:writer"
	if _, err := c.Update(ctx, "role_1", orgroles.UpdateParams{Key: &key, PermissionIDs: []string{}}); err != nil || srv.Last().Body != `{"key":"org:writer","permissions":[]}` {
		t.Fatalf("update: %v %s", err, srv.Last().Body)
	}
	if _, err := c.AssignPermission(ctx, "role_1", "perm_1"); err != nil || srv.Last().Path != "/v1/organization_roles/role_1/permissions/perm_1" {
		t.Fatalf("assign: %v %+v", err, srv.Last())
	}
	if _, err := c.CreatePermission(ctx, orgroles.PermissionParams{Name: "Edit", Key: "doc:edit"}); err != nil || srv.Last().Body != `{"name":"Edit","key":"org:doc:edit"}` {
		t.Fatalf("create permission: %v %s", err, srv.Last().Body)
	}
	before := srv.Calls()
	n := 0
	for r, err := range c.All(ctx, orgroles.ListParams{Query: "ed", OrderBy: "-name"}) {
		if err != nil || r.ID != fmt.Sprintf("role_%d", n) {
			t.Fatalf("%d: %v %+v", n, err, r)
		}
		n++
	}
	if q := srv.Last().Query; n != 1001 || srv.Calls()-before != 3 || q.Get("query") != "ed" || q.Get("order_by") != "-name" || q.Get("limit") != "500" || q.Get("offset") != "1000" {
		t.Fatalf("%d roles over %d calls, last query %v", n, srv.Calls()-before, q)
	}
}

func TestInvalidInputMakesNoCall(t *testing.T) {
	srv := emulator.NewServer(t)
	cl, err := clerkkit.New(srv.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetCalls()
	c := cl.OrgRoles
	ctx := context.Background()
	nope := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}
	for _, id := range []string{"", "role_", "perm_1", "role_1/x", "role_1?x", "role_..", "org:admin"} {
		_, err := c.Get(ctx, id)
		nope("Get "+id, err)
		_, err = c.Update(ctx, id, orgroles.UpdateParams{})
		nope("Update "+id, err)
		nope("Delete "+id, c.Delete(ctx, id))
		_, err = c.AssignPermission(ctx, id, "perm_1")
		nope("AssignPermission "+id, err)
		_, err = c.RemovePermission(ctx, id, "perm_1")
		nope("RemovePermission "+id, err)
	}
	for _, id := range []string{"", "perm_", "role_1", "perm_1/x", "perm_1#x", "org:doc:edit"} {
		_, err := c.GetPermission(ctx, id)
		nope("GetPermission "+id, err)
		_, err = c.UpdatePermission(ctx, id, orgroles.UpdatePermissionParams{})
		nope("UpdatePermission "+id, err)
		nope("DeletePermission "+id, c.DeletePermission(ctx, id))
		_, err = c.AssignPermission(ctx, "role_1", id)
		nope("AssignPermission perm "+id, err)
		_, err = c.RemovePermission(ctx, "role_1", id)
		nope("RemovePermission perm "+id, err)
	}
	blank, badKey := " ", "Org:Editor"
	for name, p := range map[string]orgroles.CreateParams{
		"no name":       {Key: "editor"},
		"blank name":    {Name: "  ", Key: "editor"},
		"no key":        {Name: "E"},
		"upper key":     {Name: "E", Key: "Editor"},
		"dash key":      {Name: "E", Key: "org:ed-itor"},
		"colon key":     {Name: "E", Key: "org:doc:edit"},
		"bare prefix":   {Name: "E", Key: "org:"},
		"description":   {Name: "E", Key: "editor", Description: "a\x00"},
		"permission id": {Name: "E", Key: "editor", PermissionIDs: []string{"role_1"}},
	} {
		_, err := c.Create(ctx, p)
		nope("Create "+name, err)
	}
	for name, p := range map[string]orgroles.UpdateParams{
		"blank name":    {Name: &blank},
		"bad key":       {Key: &badKey},
		"permission id": {PermissionIDs: []string{""}},
	} {
		_, err := c.Update(ctx, "role_1", p)
		nope("Update "+name, err)
	}
	sys, two := "org:sys_profile:manage", "org:doc"
	for name, p := range map[string]orgroles.PermissionParams{
		"no name":    {Key: "doc:edit"},
		"no key":     {Name: "E"},
		"one part":   {Name: "E", Key: "doc"},
		"three":      {Name: "E", Key: "org:a:b:c"},
		"upper":      {Name: "E", Key: "org:Doc:edit"},
		"empty part": {Name: "E", Key: "org::edit"},
		"system":     {Name: "E", Key: sys},
	} {
		_, err := c.CreatePermission(ctx, p)
		nope("CreatePermission "+name, err)
	}
	_, err = c.UpdatePermission(ctx, "perm_1", orgroles.UpdatePermissionParams{Key: &sys})
	nope("UpdatePermission system key", err)
	_, err = c.UpdatePermission(ctx, "perm_1", orgroles.UpdatePermissionParams{Key: &two})
	nope("UpdatePermission short key", err)
	_, err = c.UpdatePermission(ctx, "perm_1", orgroles.UpdatePermissionParams{Name: &blank})
	nope("UpdatePermission blank name", err)
	for name, p := range map[string]orgroles.ListParams{
		"order":    {OrderBy: "updated_at"},
		"order +-": {OrderBy: "+-name"},
		"query":    {Query: "a\x00"},
		"limit":    {Limit: 501},
		"offset":   {Offset: -1},
	} {
		_, err := c.List(ctx, p)
		nope("List "+name, err)
		_, err = c.ListPermissions(ctx, p)
		nope("ListPermissions "+name, err)
		for _, err := range c.All(ctx, p) {
			nope("All "+name, err)
		}
		for _, err := range c.AllPermissions(ctx, p) {
			nope("AllPermissions "+name, err)
		}
	}
	if n := srv.Calls(""); n != 0 {
		t.Fatalf("%d requests reached the emulator", n)
	}
}

func TestEmulatorLifecycle(t *testing.T) {
	srv := emulator.NewServer(t)
	cl, err := clerkkit.New(srv.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	c := cl.OrgRoles
	ctx := context.Background()
	edit, err := c.CreatePermission(ctx, orgroles.PermissionParams{Name: "Edit docs", Key: "docs:edit", Description: "edit"})
	if err != nil || edit.Key != "org:docs:edit" || edit.Type != "user" {
		t.Fatalf("create permission: %v %+v", err, edit)
	}
	read, err := c.CreatePermission(ctx, orgroles.PermissionParams{Name: "Read docs", Key: "org:docs:read"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := c.GetPermission(ctx, read.ID); err != nil || p.Key != "org:docs:read" {
		t.Fatalf("get permission: %v %+v", err, p)
	}
	name := "Read documents"
	if p, err := c.UpdatePermission(ctx, read.ID, orgroles.UpdatePermissionParams{Name: &name}); err != nil || p.Name != name {
		t.Fatalf("update permission: %v %+v", err, p)
	}

	r, err := c.Create(ctx, orgroles.CreateParams{Name: "Editor", Key: "editor", PermissionIDs: []string{edit.ID}})
	if err != nil || r.Key != "org:editor" || !r.HasPermission("org:docs:edit") || r.HasPermission("org:docs:read") {
		t.Fatalf("create: %v %+v", err, r)
	}
	if r, err = c.AssignPermission(ctx, r.ID, read.ID); err != nil || !r.HasPermission("docs:read") {
		t.Fatalf("assign: %v %+v", err, r)
	}
	if _, err := c.AssignPermission(ctx, r.ID, read.ID); !errors.Is(err, clerkerr.ErrConflict) {
		t.Fatalf("assign twice: %v", err)
	}
	if r, err = c.RemovePermission(ctx, r.ID, edit.ID); err != nil || r.HasPermission("docs:edit") {
		t.Fatalf("remove: %v %+v", err, r)
	}
	desc, key := "writes", "writer"
	if r, err = c.Update(ctx, r.ID, orgroles.UpdateParams{Key: &key, Description: &desc}); err != nil || r.Key != "org:writer" || r.Description == nil || *r.Description != desc {
		t.Fatalf("update: %v %+v", err, r)
	}
	if got, err := c.Get(ctx, r.ID); err != nil || got.Key != "org:writer" {
		t.Fatalf("get: %v %+v", err, got)
	}
	// The default roles and the new one, in pages of 1.
	var keys []string
	for r, err := range c.All(ctx, orgroles.ListParams{OrderBy: "key", Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, r.Key)
	}
	if fmt.Sprint(keys) != "[org:admin org:member org:writer]" {
		t.Fatalf("all roles %v", keys)
	}
	n := 0
	for p, err := range c.AllPermissions(ctx, orgroles.ListParams{Query: "docs", Limit: 1}) {
		if err != nil || p.Type != "user" {
			t.Fatalf("%v %+v", err, p)
		}
		n++
	}
	if page, err := c.ListPermissions(ctx, orgroles.ListParams{}); n != 2 || err != nil || page.TotalCount < 3 {
		t.Fatalf("%d docs permissions; list: %v %+v", n, err, page)
	}
	if err := c.Delete(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, r.ID); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	if err := c.DeletePermission(ctx, edit.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetPermission(ctx, edit.ID); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("get permission after delete: %v", err)
	}
}
