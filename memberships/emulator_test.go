package memberships_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"sync"
	"testing"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/memberships"
	"github.com/clerkkit/clerkkit/metadata"
)

const routeMembers = "GET /v1/organizations/{organization_id}/memberships"

func emulated(t *testing.T, seed emulator.SeedData) (*emulator.Server, *clerkkit.Client, *auth.Verifier) {
	t.Helper()
	srv := emulator.NewServer(t)
	if err := srv.Seed(seed); err != nil {
		t.Fatal(err)
	}
	c, err := clerkkit.New(srv.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(srv.AuthConfig())
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, v
}

// signedIn returns a context with the verified session of a fresh token
// for userID with orgID active ("" for none).
func signedIn(t *testing.T, srv *emulator.Server, v *auth.Verifier, userID, orgID string) context.Context {
	t.Helper()
	tok, err := srv.SessionToken(userID, orgID)
	if err != nil {
		t.Fatal(err)
	}
	s, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	return auth.WithSession(context.Background(), s)
}

func acmeSeed() emulator.SeedData {
	return emulator.SeedData{
		Roles: []emulator.SeedRole{{Key: "org:editor", Permissions: []string{"org:posts:edit", "org:posts:read"}}},
		Users: []emulator.SeedUser{
			{ID: "user_admin", EmailAddresses: []string{"admin@example.com"}},
			{ID: "user_ed", EmailAddresses: []string{"ed@example.com"}},
			{ID: "user_mem", EmailAddresses: []string{"mem@example.com"}},
			{ID: "user_out", EmailAddresses: []string{"out@example.com"}},
		},
		Organizations: []emulator.SeedOrganization{
			{ID: "org_acme", Name: "Acme", Slug: "acme", CreatedBy: "user_admin"},
			{ID: "org_beta", Name: "Beta", Slug: "beta", CreatedBy: "user_out"},
		},
		Memberships: []emulator.SeedMembership{
			{OrganizationID: "org_acme", UserID: "user_ed", Role: "org:editor"},
			{OrganizationID: "org_acme", UserID: "user_mem"},
			{OrganizationID: "org_beta", UserID: "user_admin"},
		},
	}
}

func TestEmulatorRequireFromClaimsMakesNoCall(t *testing.T) {
	srv, c, v := emulated(t, acmeSeed())
	admin := signedIn(t, srv, v, "user_admin", "org_acme")
	editor := signedIn(t, srv, v, "user_ed", "org_acme")
	member := signedIn(t, srv, v, "user_mem", "org_acme")
	srv.ResetCalls()
	m := c.Memberships
	for name, tc := range map[string]struct {
		err  error
		want error
	}{
		"admin":              {m.RequireOrgAdmin(admin, "org_acme"), nil},
		"editor not admin":   {m.RequireOrgAdmin(editor, "org_acme"), clerkerr.ErrForbidden},
		"editor role":        {m.RequireOrgRole(editor, "org_acme", "editor"), nil},
		"editor permission":  {m.RequireOrgPermission(editor, "org_acme", "org:posts:edit"), nil},
		"member permission":  {m.RequireOrgPermission(member, "org_acme", "org:posts:edit"), clerkerr.ErrForbidden},
		"member is a member": {m.RequireOrgMember(member, "org_acme"), nil},
		"member not admin":   {m.RequireOrgAdmin(member, "org_acme"), clerkerr.ErrForbidden},
	} {
		if tc.want == nil && tc.err != nil || tc.want != nil && !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", name, tc.err, tc.want)
		}
	}
	if r, err := m.Role(editor, "org_acme", "user_ed"); r != "org:editor" || err != nil {
		t.Errorf("Role = %q, %v", r, err)
	}
	if ok, err := m.HasPermission(editor, "org_acme", "user_ed", "posts:read"); !ok || err != nil {
		t.Errorf("HasPermission = %v, %v", ok, err)
	}
	if n := srv.Calls(""); n != 0 {
		t.Fatalf("the claims path made %d Backend API calls", n)
	}
}

func TestEmulatorRequireFromAPI(t *testing.T) {
	srv, c, v := emulated(t, acmeSeed())
	// Sessions whose active organization is not the one asked about.
	admin := signedIn(t, srv, v, "user_admin", "org_beta")
	editor := signedIn(t, srv, v, "user_ed", "")
	out := signedIn(t, srv, v, "user_out", "org_beta")
	srv.ResetCalls()
	m := c.Memberships
	if err := m.RequireOrgAdmin(admin, "org_acme"); err != nil {
		t.Fatal(err)
	}
	if srv.Calls(routeMembers) != 1 {
		t.Fatalf("%d calls, want 1", srv.Calls(routeMembers))
	}
	// Cached: the same pair again, and Role, HasRole for it.
	if err := m.RequireOrgMember(admin, "org_acme"); err != nil {
		t.Fatal(err)
	}
	if r, _ := m.Role(admin, "org_acme", "user_admin"); r != "org:admin" {
		t.Fatalf("Role %q", r)
	}
	if srv.Calls(routeMembers) != 1 {
		t.Fatalf("%d calls after cached checks", srv.Calls(routeMembers))
	}
	if err := m.RequireOrgPermission(editor, "org_acme", "org:posts:edit"); err != nil {
		t.Fatal(err)
	}
	if err := m.RequireOrgAdmin(editor, "org_acme"); !errors.Is(err, clerkerr.ErrForbidden) {
		t.Fatal(err)
	}
	if err := m.RequireOrgMember(out, "org_acme"); !errors.Is(err, clerkerr.ErrForbidden) {
		t.Fatal(err)
	}
	if err := m.RequireOrgMember(out, "org_nope"); !errors.Is(err, clerkerr.ErrForbidden) {
		t.Fatalf("unknown org: %v", err)
	}
	if srv.Calls(routeMembers) != 4 {
		t.Fatalf("%d calls, want 4", srv.Calls(routeMembers))
	}
	if err := m.RequireOrgAdmin(context.Background(), "org_acme"); !errors.Is(err, clerkerr.ErrUnauthenticated) {
		t.Fatal(err)
	}
}

func TestEmulatorSystemPermissionsUseAPI(t *testing.T) {
	srv, c, v := emulated(t, acmeSeed())
	admin := signedIn(t, srv, v, "user_admin", "org_acme")
	member := signedIn(t, srv, v, "user_mem", "org_acme")
	srv.ResetCalls()
	m := c.Memberships
	if err := m.RequireOrgPermission(admin, "org_acme", "org:sys_memberships:manage"); err != nil {
		t.Fatal(err)
	}
	if err := m.RequireOrgPermission(member, "org_acme", "org:sys_memberships:manage"); !errors.Is(err, clerkerr.ErrForbidden) {
		t.Fatal(err)
	}
	if ok, err := m.HasPermission(member, "org_acme", "user_mem", "org:sys_memberships:read"); !ok || err != nil {
		t.Fatalf("member sys read: %v %v", ok, err)
	}
	if srv.Calls(routeMembers) != 2 {
		t.Fatalf("%d calls, want one per user", srv.Calls(routeMembers))
	}
}

func TestEmulatorConcurrentColdChecksMakeOneCall(t *testing.T) {
	srv, c, v := emulated(t, acmeSeed())
	ctx := signedIn(t, srv, v, "user_admin", "org_beta") // active org is not org_acme
	srv.ResetCalls()
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for i := range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				errs <- c.Memberships.RequireOrgAdmin(ctx, "org_acme")
				return
			}
			r, err := c.Memberships.Role(ctx, "org_acme", "user_admin")
			if err == nil && r != "org:admin" {
				err = fmt.Errorf("role %q", r)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Calls(""); n != 1 {
		t.Fatalf("%d Backend API calls for 1000 concurrent cold checks, want 1", n)
	}
	// Within the TTL: none.
	for range 100 {
		if err := c.Memberships.RequireOrgAdmin(ctx, "org_acme"); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Calls(""); n != 1 {
		t.Fatalf("%d calls within the TTL", n)
	}
}

func TestEmulatorCRUD(t *testing.T) {
	srv, c, _ := emulated(t, acmeSeed())
	ctx := context.Background()
	m := c.Memberships
	mem, err := m.Add(ctx, "org_acme", "user_out", "member")
	if err != nil || mem.Role != "org:member" {
		t.Fatalf("Add = %+v, %v", mem, err)
	}
	_, err = m.Add(ctx, "org_acme", "user_out", "member")
	var apiErr *clerkerr.APIError
	if !errors.As(err, &apiErr) || apiErr.Status < 400 {
		t.Fatalf("Add twice: %v", err)
	}
	// Cache the role, then change it through the client: seen at once.
	if ok, _ := m.HasRole(ctx, "org_acme", "user_out", "member"); !ok {
		t.Fatal("not a member")
	}
	if _, err := m.UpdateRole(ctx, "org_acme", "user_out", "org:editor"); err != nil {
		t.Fatal(err)
	}
	if r, _ := m.Role(ctx, "org_acme", "user_out"); r != "org:editor" {
		t.Fatalf("role after UpdateRole %q", r)
	}
	got, err := m.Get(ctx, "org_acme", "user_out")
	if err != nil || got.Role != "org:editor" || got.PublicUserData.UserID != "user_out" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if err := m.Remove(ctx, "org_acme", "user_out"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(ctx, "org_acme", "user_out"); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("Get after Remove: %v", err)
	}
	if r, err := m.Role(ctx, "org_acme", "user_out"); r != "" || err != nil {
		t.Fatalf("Role after Remove %q, %v", r, err)
	}
	if err := m.Remove(ctx, "org_acme", "user_out"); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("Remove twice: %v", err)
	}
	var orgs []string
	for mm, err := range m.AllForUser(ctx, "user_admin", memberships.ListParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, mm.Organization.ID)
	}
	if len(orgs) != 2 {
		t.Fatalf("AllForUser: %v", orgs)
	}
	list, err := m.List(ctx, "org_acme", memberships.ListParams{Roles: []string{"admin"}})
	if err != nil || list.TotalCount != 1 || list.OrganizationMemberships[0].PublicUserData.UserID != "user_admin" {
		t.Fatalf("List admins: %+v, %v", list, err)
	}
	_ = srv
}

func TestEmulatorMembershipMetadata(t *testing.T) {
	seed := acmeSeed()
	seed.Memberships[0].PublicMetadata = json.RawMessage(`{"team":{"name":"red","size":3},"title":"Editor"}`)
	_, c, _ := emulated(t, seed)
	mem, err := c.Memberships.UpdateMetadata(context.Background(), "org_acme", "user_ed", memberships.Metadata{
		Public:  metadata.NewPatch().Set(4, "team", "size").Remove("title"),
		Private: map[string]any{"notes": "x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := metadata.Normalize(mem.PublicMetadata)
	if string(got) != `{"team":{"name":"red","size":4}}` {
		t.Fatalf("public %s", got)
	}
	priv, _ := metadata.Normalize(mem.PrivateMetadata)
	if string(priv) != `{"notes":"x"}` {
		t.Fatalf("private %s", priv)
	}
}

func TestEmulatorAllAcrossPages(t *testing.T) {
	seed := emulator.SeedData{Organizations: []emulator.SeedOrganization{{ID: "org_big", Name: "Big"}}}
	for i := range 540 {
		id := fmt.Sprintf("user_%04d", i)
		seed.Users = append(seed.Users, emulator.SeedUser{ID: id})
		seed.Memberships = append(seed.Memberships, emulator.SeedMembership{OrganizationID: "org_big", UserID: id})
	}
	srv, c, _ := emulated(t, seed)
	srv.ResetCalls()
	seen := map[string]bool{}
	for mm, err := range c.Memberships.All(context.Background(), "org_big", memberships.ListParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		seen[mm.PublicUserData.UserID] = true
	}
	if len(seen) != 540 || srv.Calls(routeMembers) != 2 {
		t.Fatalf("%d members over %d calls", len(seen), srv.Calls(routeMembers))
	}
}

func TestEmulatorAPIFailureFailsClosed(t *testing.T) {
	srv, c, v := emulated(t, acmeSeed())
	ctx := signedIn(t, srv, v, "user_admin", "")
	srv.InjectFault(clerktest.Fault{Route: routeMembers, Status: 500})
	err := c.Memberships.RequireOrgAdmin(ctx, "org_acme")
	var apiErr *clerkerr.APIError
	if err == nil || errors.Is(err, clerkerr.ErrForbidden) || !errors.As(err, &apiErr) || apiErr.Status != 500 {
		t.Fatalf("err = %v", err)
	}
	srv.ClearFaults()
	if err := c.Memberships.RequireOrgAdmin(ctx, "org_acme"); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}
