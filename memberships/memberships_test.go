package memberships_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/internal/bapi/bapitest"
	"github.com/clerkkit/clerkkit/memberships"
)

func membership(org, user, role string, perms ...string) map[string]any {
	return map[string]any{
		"object": "organization_membership", "id": "orgmem_" + user, "role": role, "permissions": perms,
		"public_metadata": map[string]any{}, "organization": map[string]any{"object": "organization", "id": org},
		"public_user_data": map[string]any{"user_id": user, "identifier": user + "@example.com"},
	}
}

// fakeMembers serves GET /v1/organizations/{org}/memberships from members
// (org -> memberships), honouring the user_id filter unless ignoreFilter.
func fakeMembers(t *testing.T, members map[string][]map[string]any, ignoreFilter bool) *bapitest.Server {
	srv := bapitest.New(t)
	srv.Handle("GET /v1/organizations/{org}/memberships", func(w http.ResponseWriter, r *http.Request) {
		list, ok := members[r.PathValue("org")]
		if !ok {
			bapitest.Error(w, 404, "resource_not_found")
			return
		}
		want := r.URL.Query()["user_id"]
		var out []map[string]any
		for _, m := range list {
			uid := m["public_user_data"].(map[string]any)["user_id"].(string)
			if ignoreFilter || len(want) == 0 || want[0] == uid {
				out = append(out, m)
			}
		}
		bapitest.JSON(w, 200, map[string]any{"data": out, "total_count": len(out)})
	})
	return srv
}

func session(user, org, role string, perms ...string) *auth.Session {
	return &auth.Session{UserID: user, SessionID: "sess_1", OrgID: org, OrgRole: role, OrgPermissions: perms}
}

func ctxWith(s *auth.Session) context.Context { return auth.WithSession(context.Background(), s) }

func TestRequireNoSession(t *testing.T) {
	srv := fakeMembers(t, nil, false)
	c := memberships.New(srv.Backend(), memberships.Options{})
	for _, err := range []error{
		c.RequireOrgMember(context.Background(), "org_1"),
		c.RequireOrgAdmin(context.Background(), "org_1"),
		c.RequireOrgRole(context.Background(), "org_1", "billing"),
		c.RequireOrgPermission(context.Background(), "org_1", "org:sys_memberships:manage"),
		c.RequireOrgAdmin(ctxWith(&auth.Session{}), "org_1"),
	} {
		if !errors.Is(err, clerkerr.ErrUnauthenticated) || errors.Is(err, clerkerr.ErrForbidden) {
			t.Fatalf("err = %v", err)
		}
	}
	if srv.Calls() != 0 {
		t.Fatalf("%d calls", srv.Calls())
	}
}

func TestRequireFromClaimsMakesNoCall(t *testing.T) {
	srv := fakeMembers(t, nil, false)
	c := memberships.New(srv.Backend(), memberships.Options{})
	admin := ctxWith(session("user_1", "org_1", "org:admin", "org:posts:edit"))
	member := ctxWith(session("user_2", "org_1", "org:member"))
	for name, tc := range map[string]struct {
		err  error
		want error
	}{
		"admin is admin":          {c.RequireOrgAdmin(admin, "org_1"), nil},
		"admin is member":         {c.RequireOrgMember(admin, "org_1"), nil},
		"admin role short":        {c.RequireOrgRole(admin, "org_1", "admin"), nil},
		"admin has perm":          {c.RequireOrgPermission(admin, "org_1", "org:posts:edit"), nil},
		"admin has perm short":    {c.RequireOrgPermission(admin, "org_1", "posts:edit"), nil},
		"admin lacks perm":        {c.RequireOrgPermission(admin, "org_1", "org:posts:delete"), clerkerr.ErrForbidden},
		"member is member":        {c.RequireOrgMember(member, "org_1"), nil},
		"member is not admin":     {c.RequireOrgAdmin(member, "org_1"), clerkerr.ErrForbidden},
		"member is not billing":   {c.RequireOrgRole(member, "org_1", "org:billing"), clerkerr.ErrForbidden},
		"member lacks perm":       {c.RequireOrgPermission(member, "org_1", "org:posts:edit"), clerkerr.ErrForbidden},
		"invalid org id":          {c.RequireOrgAdmin(admin, "../org_1"), clerkerr.ErrForbidden},
		"invalid org id is input": {c.RequireOrgAdmin(admin, "org_1?x=1"), clerkerr.ErrInvalidInput},
	} {
		if tc.want == nil && tc.err != nil || tc.want != nil && !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, tc.err, tc.want)
		}
	}
	if srv.Calls() != 0 {
		t.Fatalf("the claims path made %d calls", srv.Calls())
	}
	if r, err := c.Role(admin, "org_1", "user_1"); r != "org:admin" || err != nil {
		t.Fatalf("Role = %q, %v", r, err)
	}
	if ok, err := c.HasRole(member, "org_1", "user_2", "member"); !ok || err != nil {
		t.Fatalf("HasRole = %v, %v", ok, err)
	}
	if ok, err := c.HasPermission(admin, "org_1", "user_1", "posts:edit"); !ok || err != nil {
		t.Fatalf("HasPermission = %v, %v", ok, err)
	}
	if srv.Calls() != 0 {
		t.Fatalf("%d calls", srv.Calls())
	}
}

func TestRequireFromAPI(t *testing.T) {
	srv := fakeMembers(t, map[string][]map[string]any{
		"org_2": {
			membership("org_2", "user_1", "org:admin", "org:sys_memberships:manage", "org:sys_profile:manage"),
			membership("org_2", "user_2", "org:member", "org:sys_memberships:read"),
		},
	}, false)
	c := memberships.New(srv.Backend(), memberships.Options{})
	// Sessions whose active org is another one (or none).
	admin := ctxWith(session("user_1", "org_1", "org:member"))
	member := ctxWith(session("user_2", "", ""))
	stranger := ctxWith(session("user_3", "", ""))
	for name, tc := range map[string]struct {
		err  error
		want error
	}{
		"admin":                 {c.RequireOrgAdmin(admin, "org_2"), nil},
		"admin sys perm":        {c.RequireOrgPermission(admin, "org_2", "org:sys_memberships:manage"), nil},
		"member":                {c.RequireOrgMember(member, "org_2"), nil},
		"member not admin":      {c.RequireOrgAdmin(member, "org_2"), clerkerr.ErrForbidden},
		"member lacks sys perm": {c.RequireOrgPermission(member, "org_2", "org:sys_memberships:manage"), clerkerr.ErrForbidden},
		"stranger":              {c.RequireOrgMember(stranger, "org_2"), clerkerr.ErrForbidden},
		"no such org":           {c.RequireOrgMember(admin, "org_404"), clerkerr.ErrForbidden},
	} {
		if tc.want == nil && tc.err != nil || tc.want != nil && !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, tc.err, tc.want)
		}
	}
	// One lookup per (org, user) pair, then the cache.
	if srv.Calls() != 4 {
		t.Fatalf("%d calls, want 4", srv.Calls())
	}
	c.RequireOrgAdmin(admin, "org_2")
	c.RequireOrgMember(stranger, "org_2")
	c.Role(context.Background(), "org_2", "user_2")
	if srv.Calls() != 4 {
		t.Fatalf("%d calls after cached checks, want 4", srv.Calls())
	}
	q := srv.Requests()[0].Query
	if q.Get("user_id") == "" || q.Get("limit") == "" {
		t.Fatalf("lookup query %v", q)
	}
}

func TestSystemPermissionNeedsAPIEvenWithClaims(t *testing.T) {
	srv := fakeMembers(t, map[string][]map[string]any{
		"org_1": {membership("org_1", "user_1", "org:admin", "org:sys_memberships:manage")},
	}, false)
	c := memberships.New(srv.Backend(), memberships.Options{})
	ctx := ctxWith(session("user_1", "org_1", "org:admin"))
	if err := c.RequireOrgPermission(ctx, "org_1", "org:sys_memberships:manage"); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.HasPermission(ctx, "org_1", "user_1", "org:sys_domains:manage"); ok || err != nil {
		t.Fatalf("HasPermission = %v, %v", ok, err)
	}
	if srv.Calls() != 1 {
		t.Fatalf("%d calls, want 1", srv.Calls())
	}
}

func TestLookupDoesNotTrustIgnoredFilter(t *testing.T) {
	// A server that ignores user_id must not make user_3 a member.
	srv := fakeMembers(t, map[string][]map[string]any{
		"org_1": {membership("org_1", "user_1", "org:admin")},
	}, true)
	c := memberships.New(srv.Backend(), memberships.Options{})
	if err := c.RequireOrgMember(ctxWith(session("user_3", "", "")), "org_1"); !errors.Is(err, clerkerr.ErrForbidden) {
		t.Fatalf("err = %v", err)
	}
	if _, err := c.Get(context.Background(), "org_1", "user_3"); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("Get err = %v", err)
	}
	m, err := c.Get(context.Background(), "org_1", "user_1")
	if err != nil || m.Role != "org:admin" {
		t.Fatalf("Get = %v, %v", m, err)
	}
}

func TestAPIFailureIsNotForbidden(t *testing.T) {
	srv := bapitest.New(t)
	srv.Handle("GET /v1/organizations/{org}/memberships", func(w http.ResponseWriter, r *http.Request) {
		bapitest.Error(w, 500, "internal_clerk_error")
	})
	c := memberships.New(srv.Backend(), memberships.Options{})
	err := c.RequireOrgAdmin(ctxWith(session("user_1", "", "")), "org_1")
	var ae *clerkerr.APIError
	if errors.Is(err, clerkerr.ErrForbidden) || !errors.As(err, &ae) || ae.Status != 500 {
		t.Fatalf("err = %v", err)
	}
	// Errors are not cached.
	c.RequireOrgAdmin(ctxWith(session("user_1", "", "")), "org_1")
	if srv.Calls() != 2 {
		t.Fatalf("%d calls", srv.Calls())
	}
}

func TestConcurrentColdLookupsMakeOneCall(t *testing.T) {
	var calls atomic.Int64
	release := make(chan struct{})
	srv := bapitest.New(t)
	srv.Handle("GET /v1/organizations/{org}/memberships", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		<-release
		bapitest.JSON(w, 200, map[string]any{"data": []any{membership("org_1", "user_1", "org:admin")}, "total_count": 1})
	})
	c := memberships.New(srv.Backend(), memberships.Options{})
	ctx := ctxWith(session("user_1", "org_other", "org:member"))
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for i := range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				errs <- c.RequireOrgAdmin(ctx, "org_1")
				return
			}
			r, err := c.Role(ctx, "org_1", "user_1")
			if err == nil && r != "org:admin" {
				err = errors.New("role " + r)
			}
			errs <- err
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("%d Backend API calls, want 1", calls.Load())
	}
}

func TestCacheTTLAndInvalidation(t *testing.T) {
	srv := fakeMembers(t, map[string][]map[string]any{
		"org_1": {membership("org_1", "user_1", "org:member")},
	}, false)
	srv.JSON("PATCH /v1/organizations/{org}/memberships/{user}", membership("org_1", "user_1", "org:admin"))
	clk := bapitest.NewClock(time.Unix(1_700_000_000, 0))
	c := memberships.New(srv.Backend(), memberships.Options{CacheTTL: 5 * time.Second, Now: clk.Now})
	ctx := context.Background()
	c.Role(ctx, "org_1", "user_1")
	clk.Add(4 * time.Second)
	c.Role(ctx, "org_1", "user_1")
	if srv.Calls() != 1 {
		t.Fatalf("%d calls within the TTL", srv.Calls())
	}
	clk.Add(time.Second)
	c.Role(ctx, "org_1", "user_1")
	if srv.Calls() != 2 {
		t.Fatalf("%d calls after the TTL", srv.Calls())
	}
	// A change through the Client drops the entry.
	if _, err := c.UpdateRole(ctx, "org_1", "user_1", "admin"); err != nil {
		t.Fatal(err)
	}
	if got := srv.Last().Body; got != `{"role":"org:admin"}` {
		t.Fatalf("UpdateRole body %s", got)
	}
	c.Role(ctx, "org_1", "user_1")
	if srv.Calls() != 4 {
		t.Fatalf("%d calls after UpdateRole, want 4", srv.Calls())
	}
}

func TestDisableCache(t *testing.T) {
	srv := fakeMembers(t, map[string][]map[string]any{"org_1": {membership("org_1", "user_1", "org:member")}}, false)
	c := memberships.New(srv.Backend(), memberships.Options{DisableCache: true})
	for range 3 {
		c.Role(context.Background(), "org_1", "user_1")
	}
	if srv.Calls() != 3 {
		t.Fatalf("%d calls", srv.Calls())
	}
}

func TestInvalidInputMakesNoRequest(t *testing.T) {
	srv := bapitest.New(t)
	c := memberships.New(srv.Backend(), memberships.Options{})
	ctx := context.Background()
	check := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	_, err := c.List(ctx, "org/1", memberships.ListParams{})
	check("List org", err)
	_, err = c.List(ctx, "org_1", memberships.ListParams{Limit: 501})
	check("List limit", err)
	_, err = c.List(ctx, "org_1", memberships.ListParams{Limit: -1})
	check("List negative limit", err)
	_, err = c.List(ctx, "org_1", memberships.ListParams{Roles: []string{"bad role"}})
	check("List role", err)
	_, err = c.List(ctx, "org_1", memberships.ListParams{UserIDs: []string{"-user_1"}})
	check("List user id operator", err)
	for _, err := range c.All(ctx, "org_1", memberships.ListParams{Offset: -1}) {
		check("All offset", err)
	}
	for _, err := range c.AllForUser(ctx, "user 1", memberships.ListParams{}) {
		check("AllForUser", err)
	}
	for _, err := range c.AllForUser(ctx, "user_1", memberships.ListParams{Limit: 501}) {
		check("AllForUser limit", err)
	}
	_, err = c.ListForUser(ctx, "user_1", memberships.ListParams{Offset: -5})
	check("ListForUser offset", err)
	_, err = c.ListForUser(ctx, "user/1", memberships.ListParams{})
	check("ListForUser user", err)
	// A user's memberships are paged, not filtered: a filter is an error,
	// not silently ignored.
	for name, p := range map[string]memberships.ListParams{
		"OrderBy": {OrderBy: "-created_at"}, "Query": {Query: "ann"}, "Roles": {Roles: []string{"admin"}},
		"UserIDs": {UserIDs: []string{"user_1"}}, "EmailAddresses": {EmailAddresses: []string{"a@b.c"}},
	} {
		_, err = c.ListForUser(ctx, "user_1", p)
		check("ListForUser "+name, err)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("ListForUser %s: error %v does not name the field", name, err)
		}
		for _, err := range c.AllForUser(ctx, "user_1", p) {
			check("AllForUser "+name, err)
		}
	}
	_, err = c.Get(ctx, "org_1", "")
	check("Get", err)
	_, err = c.Add(ctx, "org_1", "user_1", "")
	check("Add role", err)
	_, err = c.Add(ctx, "org_1#x", "user_1", "admin")
	check("Add org", err)
	_, err = c.UpdateRole(ctx, "org_1", "user_1", "org:")
	check("UpdateRole", err)
	check("Remove", c.Remove(ctx, "org_1", "%2e%2e"))
	_, err = c.UpdateMetadata(ctx, "org_1", "user_1", memberships.Metadata{})
	check("UpdateMetadata empty", err)
	_, err = c.UpdateMetadata(ctx, "org_1", "user_1", memberships.Metadata{Public: []int{1}})
	check("UpdateMetadata array", err)
	_, err = c.Role(ctx, "..", "user_1")
	check("Role", err)
	_, err = c.HasRole(ctx, "org_1", "user_1", "")
	check("HasRole", err)
	_, err = c.HasPermission(ctx, "org_1", "user_1", "posts")
	check("HasPermission", err)
	check("RequireOrgRole", c.RequireOrgRole(ctxWith(session("user_1", "", "")), "org_1", "a b"))
	check("RequireOrgPermission", c.RequireOrgPermission(ctxWith(session("user_1", "", "")), "org_1", "org:x:y:z"))
	if srv.Calls() != 0 {
		t.Fatalf("%d requests", srv.Calls())
	}
}

func TestUpdateMetadataRequest(t *testing.T) {
	srv := bapitest.New(t)
	srv.JSON("PATCH /v1/organizations/{org}/memberships/{user}/metadata", membership("org_1", "user_1", "org:member"))
	c := memberships.New(srv.Backend(), memberships.Options{})
	_, err := c.UpdateMetadata(context.Background(), "org_1", "user_1", memberships.Metadata{
		Public: map[string]any{"team": "red", "old": nil},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := srv.Last()
	if r.Method != "PATCH" || r.Path != "/v1/organizations/org_1/memberships/user_1/metadata" || r.Body != `{"public_metadata":{"old":null,"team":"red"}}` {
		t.Fatalf("%+v", r)
	}
}

func TestForbiddenMessage(t *testing.T) {
	c := memberships.New(bapitest.New(t).Backend(), memberships.Options{})
	err := c.RequireOrgAdmin(ctxWith(session("user_1", "org_1", "org:member")), "org_1")
	if !strings.Contains(err.Error(), "user_1") || !strings.Contains(err.Error(), "org:admin") || !strings.Contains(err.Error(), "org_1") {
		t.Fatalf("Error() = %q", err)
	}
}

// userMemberships serves GET /v1/users/{user}/organization_memberships: n
// memberships of the user, paged by limit and offset.
func userMemberships(t *testing.T, n int) *bapitest.Server {
	srv := bapitest.New(t)
	srv.Handle("GET /v1/users/{user}/organization_memberships", func(w http.ResponseWriter, r *http.Request) {
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit == 0 {
			limit = 10
		}
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		out := []map[string]any{}
		for i := offset; i < min(n, offset+limit); i++ {
			out = append(out, membership(fmt.Sprintf("org_%d", i), r.PathValue("user"), "org:member"))
		}
		bapitest.JSON(w, 200, map[string]any{"data": out, "total_count": n})
	})
	return srv
}

func TestListForUserPage(t *testing.T) {
	srv := userMemberships(t, 30)
	c := memberships.New(srv.Backend(), memberships.Options{})
	list, err := c.ListForUser(context.Background(), "user_1", memberships.ListParams{Limit: 5, Offset: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.OrganizationMemberships) != 5 || list.TotalCount != 30 || list.OrganizationMemberships[0].Organization.ID != "org_20" {
		t.Fatalf("%d of %d", len(list.OrganizationMemberships), list.TotalCount)
	}
	if r := srv.Last(); r.Path != "/v1/users/user_1/organization_memberships" || r.Query.Get("limit") != "5" || r.Query.Get("offset") != "20" {
		t.Fatalf("%+v", r)
	}
	// The zero ListParams leave the page size to the API.
	if _, err := c.ListForUser(context.Background(), "user_1", memberships.ListParams{}); err != nil {
		t.Fatal(err)
	}
	if q := srv.Last().Query; q.Has("limit") || q.Has("offset") {
		t.Fatalf("query %v", q)
	}
}

func TestAllForUserPagesFromOffset(t *testing.T) {
	srv := userMemberships(t, 1200)
	c := memberships.New(srv.Backend(), memberships.Options{})
	n := 100
	for m, err := range c.AllForUser(context.Background(), "user_1", memberships.ListParams{Offset: 100}) {
		if err != nil || m.Organization.ID != fmt.Sprintf("org_%d", n) {
			t.Fatalf("%d: %v %v", n, m, err)
		}
		n++
	}
	// 1100 memberships in pages of 500: three calls, the last from 1100.
	if n != 1200 || srv.Calls() != 3 || srv.Last().Query.Get("offset") != "1100" || srv.Last().Query.Get("limit") != "500" {
		t.Fatalf("up to %d over %d calls, last %v", n, srv.Calls(), srv.Last().Query)
	}
	srv = userMemberships(t, 7)
	c = memberships.New(srv.Backend(), memberships.Options{})
	n = 0
	for _, err := range c.AllForUser(context.Background(), "user_1", memberships.ListParams{Limit: 3}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 7 || srv.Calls() != 3 || srv.Last().Query.Get("limit") != "3" {
		t.Fatalf("%d over %d calls", n, srv.Calls())
	}
}
