package middleware_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/internal/bapi/bapitest"
	"github.com/clerkkit/clerkkit/middleware"
)

type apiFixture struct {
	srv *emulator.Server
	c   *clerkkit.Client
	v   *auth.Verifier
}

func setupAPI(t *testing.T) apiFixture {
	t.Helper()
	srv := emulator.NewServer(t)
	require.NoError(t, srv.Seed(emulator.SeedData{
		Users: []emulator.SeedUser{
			{ID: "user_admin", EmailAddresses: []string{"admin@example.com"}, PublicMetadata: json.RawMessage(`{"role":"admin","theme":"dark"}`)},
			{ID: "user_member", EmailAddresses: []string{"member@example.com"}, PublicMetadata: json.RawMessage(`{"role":"member"}`)},
			{ID: "user_outsider", EmailAddresses: []string{"out@example.com"}},
		},
		Organizations: []emulator.SeedOrganization{
			{ID: "org_acme", Name: "Acme", CreatedBy: "user_admin"},
			{ID: "org_beta", Name: "Beta", CreatedBy: "user_admin"},
		},
		Memberships: []emulator.SeedMembership{
			{OrganizationID: "org_acme", UserID: "user_member"},
		},
	}))
	c, err := clerkkit.New(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL(), HTTPClient: srv.HTTPClient(), Retry: clerkkit.RetryPolicy{Disabled: true}})
	require.NoError(t, err)
	v, err := auth.NewVerifier(srv.AuthConfig())
	require.NoError(t, err)
	return apiFixture{srv, c, v}
}

func (f apiFixture) token(t *testing.T, userID, orgID string) string {
	t.Helper()
	tok, err := f.srv.SessionToken(userID, orgID)
	require.NoError(t, err)
	return tok
}

const getUser = "GET /v1/users/{user_id}"

func TestRequireRoleFromClaims(t *testing.T) {
	f := setupAPI(t)
	m := middleware.New(f.v, middleware.WithUsers(f.c.Users, 0))
	h := m.RequireRole("admin")(echo)
	withClaim := func(role string) string {
		return f.srv.Issuer().Token(clerktest.Claims{UserID: "user_member", Extra: map[string]any{"metadata": map[string]any{"role": role}}})
	}
	assert.Equal(t, 200, do(h, "GET", "/", withClaim("admin"), nil).Code)
	w := do(h, "GET", "/", withClaim("member"), nil)
	assert.Equal(t, 403, w.Code)
	assert.Equal(t, middleware.ReasonUserRoleRequired, decode(t, w)["reason"])
	assert.Zero(t, f.srv.Calls(getUser), "the claim decides: no Backend API call")
	assert.Equal(t, 401, do(h, "GET", "/", "", nil).Code)
}

func TestRequireRoleFromAPI(t *testing.T) {
	f := setupAPI(t)
	m := middleware.New(f.v, middleware.WithUsers(f.c.Users, 0))
	h := m.RequireRole("admin")(echo)
	admin, member := f.token(t, "user_admin", ""), f.token(t, "user_member", "")
	f.srv.ResetCalls()

	var wg sync.WaitGroup
	codes := make(chan int, 1000)
	for range 1000 {
		wg.Go(func() { codes <- do(h, "GET", "/", admin, nil).Code })
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		require.Equal(t, 200, c)
	}
	assert.EqualValues(t, 1, f.srv.Calls(getUser), "1000 concurrent cold requests: one lookup")
	assert.Equal(t, 200, do(h, "GET", "/", admin, nil).Code)
	assert.EqualValues(t, 1, f.srv.Calls(getUser), "within the TTL: none")

	w := do(h, "GET", "/", member, nil)
	assert.Equal(t, 403, w.Code)
	assert.EqualValues(t, 2, f.srv.Calls(getUser))

	f.srv.InjectFault(clerktest.Fault{Route: getUser, Status: 500})
	outsider := f.token(t, "user_outsider", "")
	w = do(h, "GET", "/", outsider, nil)
	assert.Equal(t, 503, w.Code, "a failed lookup fails closed, but is not a 403 or a sign-out")
	assert.Equal(t, middleware.ReasonLookupFailed, decode(t, w)["reason"])

	// Without a role source, a token without the claim is refused.
	noAPI := middleware.New(f.v).RequireRole("admin")(echo)
	assert.Equal(t, 403, do(noAPI, "GET", "/", admin, nil).Code)
}

func TestOrgInTheURL(t *testing.T) {
	f := setupAPI(t)
	m := middleware.New(f.v, middleware.WithMemberships(f.c.Memberships))
	mux := http.NewServeMux()
	mux.Handle("GET /orgs/{orgID}", m.RequireOrgMemberOf(middleware.PathValue("orgID"))(echo))
	mux.Handle("GET /orgs/{orgID}/admin", m.RequireOrgAdminOf(middleware.PathValue("orgID"))(echo))
	mux.Handle("GET /active/{orgID}", m.RequireActiveOrg(middleware.PathValue("orgID"))(echo))

	memberActive := f.token(t, "user_member", "org_acme")
	memberNoOrg := f.token(t, "user_member", "")
	adminOther := f.token(t, "user_admin", "org_beta")
	outsider := f.token(t, "user_outsider", "")
	listMembers := "GET /v1/organizations/{organization_id}/memberships"
	f.srv.ResetCalls()

	cases := []struct {
		path, token string
		status      int
		reason      string
	}{
		{"/orgs/org_acme", memberActive, 200, ""},
		{"/orgs/org_acme/admin", memberActive, 403, middleware.ReasonOrgRoleRequired},
		{"/active/org_acme", memberActive, 200, ""},
		{"/active/org_beta", memberActive, 403, middleware.ReasonOrgNotActive},
		{"/active/org_acme", memberNoOrg, 403, middleware.ReasonOrgNotActive},
		{"/orgs/org_acme", "", 401, "session-token-missing"},
	}
	for _, tc := range cases {
		w := do(mux, "GET", tc.path, tc.token, nil)
		assert.Equal(t, tc.status, w.Code, tc.path)
		if tc.reason != "" {
			assert.Equal(t, tc.reason, decode(t, w)["reason"], tc.path)
		}
	}
	assert.Zero(t, f.srv.Calls(listMembers), "the active organization is decided by the claims")

	// Not the active organization: the Backend API decides.
	assert.Equal(t, 200, do(mux, "GET", "/orgs/org_acme", memberNoOrg, nil).Code)
	assert.Equal(t, 200, do(mux, "GET", "/orgs/org_acme/admin", adminOther, nil).Code)
	w := do(mux, "GET", "/orgs/org_acme/admin", memberNoOrg, nil)
	assert.Equal(t, 403, w.Code)
	assert.Equal(t, middleware.ReasonOrgRoleRequired, decode(t, w)["reason"], "a member, not an admin, through the API")
	w = do(mux, "GET", "/orgs/org_acme/admin", outsider, nil)
	assert.Equal(t, 403, w.Code)
	assert.Equal(t, middleware.ReasonOrgMembershipRequired, decode(t, w)["reason"], "not a member at all")

	// The same member gets the same reason from the active-org guard.
	plain := m.RequireOrgAdmin(echo)
	w = do(plain, "GET", "/", memberActive, nil)
	assert.Equal(t, 403, w.Code)
	assert.Equal(t, middleware.ReasonOrgRoleRequired, decode(t, w)["reason"], "RequireOrgAdmin and RequireOrgAdminOf agree")
	w = do(mux, "GET", "/orgs/org_beta", outsider, nil)
	assert.Equal(t, 403, w.Code)
	assert.Equal(t, middleware.ReasonOrgMembershipRequired, decode(t, w)["reason"])
	assert.Equal(t, 403, do(mux, "GET", "/orgs/org_beta", memberNoOrg, nil).Code)
	assert.Equal(t, 403, do(mux, "GET", "/orgs/..%2Fusers", memberNoOrg, nil).Code, "a malformed id is refused without a call")
	assert.Positive(t, f.srv.Calls(listMembers))

	assert.Panics(t, func() { middleware.New(f.v).RequireOrgMemberOf(middleware.PathValue("orgID")) })
	assert.Panics(t, func() { middleware.New(f.v).RequireRole("") })
}

func TestRoleGuardsOnChi(t *testing.T) {
	f := setupAPI(t)
	m := middleware.New(f.v, middleware.WithUsers(f.c.Users, 0))
	// chi-style: a stack of func(http.Handler) http.Handler.
	var h http.Handler = echo
	for _, mw := range []func(http.Handler) http.Handler{m.RequireAuth, m.RequireRole("admin")} {
		h = mw(h)
	}
	r := httptest.NewRequest("DELETE", "/api/admin/users/user_member", nil)
	r.Header.Set("Authorization", "Bearer "+f.token(t, "user_admin", ""))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	assert.Equal(t, 200, w.Code)
}

// A role changed through the Client that RequireRole looks roles up in is
// seen by the very next request.
func TestRequireRoleSeesOwnWritesAtOnce(t *testing.T) {
	f := setupAPI(t)
	m := middleware.New(f.v, middleware.WithUsers(f.c.Users, 0))
	h := m.RequireRole("admin")(echo)
	admin, member := f.token(t, "user_admin", ""), f.token(t, "user_member", "")
	require.Equal(t, 200, do(h, "GET", "/", admin, nil).Code)
	require.Equal(t, 403, do(h, "GET", "/", member, nil).Code)

	ctx := t.Context()
	require.NoError(t, f.c.Users.SetRole(ctx, "user_admin", "member"))
	require.NoError(t, f.c.Users.SetRole(ctx, "user_member", "admin"))
	assert.Equal(t, 403, do(h, "GET", "/", admin, nil).Code, "demoted: refused at once")
	assert.Equal(t, 200, do(h, "GET", "/", member, nil).Code, "promoted: let through at once")
}

// A role changed elsewhere is cached until Client.Users.Forget (the
// user.updated webhook hook), or Middleware.ForgetRole, is called.
func TestRequireRoleChangedElsewhereSeenAfterForget(t *testing.T) {
	f := setupAPI(t)
	elsewhere, err := clerkkit.New(f.srv.ClientConfig())
	require.NoError(t, err)
	m := middleware.New(f.v, middleware.WithUsers(f.c.Users, 0))
	h := m.RequireRole("admin")(echo)
	member := f.token(t, "user_member", "")
	require.Equal(t, 403, do(h, "GET", "/", member, nil).Code)

	require.NoError(t, elsewhere.Users.SetRole(t.Context(), "user_member", "admin"))
	assert.Equal(t, 403, do(h, "GET", "/", member, nil).Code, "cached until forgotten")
	f.c.Users.Forget("user_member")
	assert.Equal(t, 200, do(h, "GET", "/", member, nil).Code, "fresh after Users.Forget")

	require.NoError(t, elsewhere.Users.SetRole(t.Context(), "user_member", "member"))
	assert.Equal(t, 200, do(h, "GET", "/", member, nil).Code, "cached until forgotten")
	m.ForgetRole("user_member")
	assert.Equal(t, 403, do(h, "GET", "/", member, nil).Code, "ForgetRole reaches the source's cache")
}

// A request arriving after Users.Forget does not get the answer of a
// lookup that started before it: the middleware keeps no second layer
// that would share the old lookup.
func TestRequireRoleLookupInFlightDuringForget(t *testing.T) {
	f := setupAPI(t)
	hold := &bapitest.Hold{Base: f.srv.HTTPClient().Transport}
	c, err := clerkkit.New(clerkkit.Config{SecretKey: f.srv.SecretKey(), APIURL: f.srv.URL(), HTTPClient: &http.Client{Transport: hold}})
	require.NoError(t, err)
	elsewhere, err := clerkkit.New(f.srv.ClientConfig())
	require.NoError(t, err)
	h := middleware.New(f.v, middleware.WithUsers(c.Users, 0)).RequireRole("admin")(echo)
	admin := f.token(t, "user_admin", "")

	held := hold.Arm(bapitest.Route(http.MethodGet, "/v1/users/user_admin"))
	before := make(chan int, 1)
	go func() { before <- do(h, "GET", "/", admin, nil).Code }()
	<-held.Answered() // read "admin"; the answer is held
	require.NoError(t, elsewhere.Users.SetRole(t.Context(), "user_admin", "member"))
	c.Users.Forget("user_admin")
	assert.Equal(t, 403, do(h, "GET", "/", admin, nil).Code, "a request after Forget looks the role up anew")
	held.Release()
	assert.Equal(t, 200, <-before, "the request that started first gets what it read")
	n := f.srv.Calls(getUser)
	assert.Equal(t, 403, do(h, "GET", "/", admin, nil).Code, "the stale answer was not cached")
	assert.Equal(t, n, f.srv.Calls(getUser), "the fresh answer is cached")
}

// fakeRoles is a RoleSource that does not cache: RequireRole caches its
// answers for the ttl given to WithUsers.
type fakeRoles struct {
	mu      sync.Mutex
	role    string
	calls   int
	started chan struct{} // when set, the next call closes it and waits for release
	release chan struct{}
}

func (s *fakeRoles) Role(ctx context.Context, userID string) (string, error) {
	s.mu.Lock()
	s.calls++
	role, started, release := s.role, s.started, s.release
	s.started = nil
	s.mu.Unlock()
	if started != nil {
		close(started)
		<-release
	}
	return role, nil
}

func (s *fakeRoles) set(role string) { s.mu.Lock(); s.role = role; s.mu.Unlock() }

func (s *fakeRoles) n() int { s.mu.Lock(); defer s.mu.Unlock(); return s.calls }

func TestRequireRoleOwnCacheForOtherSources(t *testing.T) {
	f := setupAPI(t)
	src := &fakeRoles{role: "admin"}
	m := middleware.New(f.v, middleware.WithUsers(src, time.Hour))
	h := m.RequireRole("admin")(echo)
	tok := f.token(t, "user_member", "")
	require.Equal(t, 200, do(h, "GET", "/", tok, nil).Code)
	src.set("member")
	assert.Equal(t, 200, do(h, "GET", "/", tok, nil).Code, "cached for the ttl")
	assert.Equal(t, 1, src.n())
	m.ForgetRole("user_admin")
	assert.Equal(t, 200, do(h, "GET", "/", tok, nil).Code, "another user forgotten: still cached")
	m.ForgetRole("user_member")
	assert.Equal(t, 403, do(h, "GET", "/", tok, nil).Code, "fresh after ForgetRole")
	assert.Equal(t, 2, src.n())

	// A lookup in flight during ForgetRole: later requests do not share it,
	// and it is not cached.
	src.set("admin")
	m.ForgetRole("user_member")
	src.mu.Lock()
	src.started, src.release = make(chan struct{}), make(chan struct{})
	started, release := src.started, src.release
	src.mu.Unlock()
	before := make(chan int, 1)
	go func() { before <- do(h, "GET", "/", tok, nil).Code }()
	<-started
	src.set("member")
	m.ForgetRole("user_member")
	assert.Equal(t, 403, do(h, "GET", "/", tok, nil).Code, "a request after ForgetRole looks the role up anew")
	close(release)
	assert.Equal(t, 200, <-before)
	calls := src.n()
	assert.Equal(t, 403, do(h, "GET", "/", tok, nil).Code, "the stale answer was not cached")
	assert.Equal(t, calls, src.n())

	// Without WithUsers, ForgetRole is harmless.
	middleware.New(f.v).ForgetRole("user_member")
}

// TestWithRoleClaim: the function given replaces the default reader of
// metadata.role; when it reports a role, that role decides with no call,
// and only when it reports none does the RoleSource (if any) decide.
func TestWithRoleClaim(t *testing.T) {
	f := setupAPI(t)
	var sawUser []string
	appRole := func(s *auth.Session) (string, bool) {
		sawUser = append(sawUser, s.UserID)
		var c struct {
			AppRole *string `json:"app_role"`
		}
		if err := s.DecodeClaims(&c); err != nil || c.AppRole == nil {
			return "", false
		}
		return *c.AppRole, true
	}
	tok := func(userID string, extra map[string]any) string {
		return f.srv.Issuer().Token(clerktest.Claims{UserID: userID, Extra: extra})
	}
	h := middleware.New(f.v, middleware.WithUsers(f.c.Users, 0), middleware.WithRoleClaim(appRole)).RequireRole("admin")(echo)
	f.srv.ResetCalls()

	// The claim decides, whatever the API says: user_member is a member there.
	assert.Equal(t, 200, do(h, "GET", "/", tok("user_member", map[string]any{"app_role": "admin"}), nil).Code)
	assert.Equal(t, []string{"user_member"}, sawUser, "called with the verified session")
	// The default claim is no longer read: metadata.role admin does not
	// override app_role viewer.
	w := do(h, "GET", "/", tok("user_member", map[string]any{"app_role": "viewer", "metadata": map[string]any{"role": "admin"}}), nil)
	assert.Equal(t, 403, w.Code)
	assert.Equal(t, middleware.ReasonUserRoleRequired, decode(t, w)["reason"])
	// A role reported as empty is the answer, not a reason to ask the API.
	assert.Equal(t, 403, do(h, "GET", "/", tok("user_admin", map[string]any{"app_role": ""}), nil).Code)
	assert.Zero(t, f.srv.Calls(getUser), "the claim decided every request so far")

	// No app_role: the RoleSource decides, even with metadata.role set.
	assert.Equal(t, 403, do(h, "GET", "/", tok("user_member", map[string]any{"metadata": map[string]any{"role": "admin"}}), nil).Code)
	assert.EqualValues(t, 1, f.srv.Calls(getUser))
	assert.Equal(t, 200, do(h, "GET", "/", tok("user_admin", nil), nil).Code)
	assert.EqualValues(t, 2, f.srv.Calls(getUser))

	// No app_role and no RoleSource: refused.
	noAPI := middleware.New(f.v, middleware.WithRoleClaim(appRole)).RequireRole("admin")(echo)
	assert.Equal(t, 403, do(noAPI, "GET", "/", tok("user_admin", map[string]any{"metadata": map[string]any{"role": "admin"}}), nil).Code)
	assert.Equal(t, 200, do(noAPI, "GET", "/", tok("user_member", map[string]any{"app_role": "admin"}), nil).Code)
	// No token: 401 before the function is called.
	sawUser = nil
	assert.Equal(t, 401, do(noAPI, "GET", "/", "", nil).Code)
	assert.Empty(t, sawUser)

	assert.PanicsWithValue(t, "clerkkit/middleware: nil failure handler, token extractor or role claim reader",
		func() { middleware.New(f.v, middleware.WithRoleClaim(nil)) }, "a nil reader is a programming error, caught at New")
}
