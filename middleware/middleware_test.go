package middleware_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/middleware"
)

type fixture struct {
	iss *clerktest.Issuer
	v   *auth.Verifier
}

func setup(t *testing.T) fixture {
	t.Helper()
	iss := clerktest.NewIssuer(t, clerktest.IssuerOptions{Clock: clerktest.NewClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))})
	v, err := auth.NewVerifier(iss.AuthConfig())
	require.NoError(t, err)
	return fixture{iss, v}
}

// echo answers 200 with the session's user and org, or "anonymous".
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	s, ok := auth.FromContext(r.Context())
	if !ok {
		w.Write([]byte("anonymous"))
		return
	}
	w.Write([]byte(s.UserID + "|" + s.OrgID))
})

func do(h http.Handler, method, target, token string, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func decode(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &m), w.Body.String())
	return m
}

func TestRequireAuth(t *testing.T) {
	f := setup(t)
	m := middleware.New(f.v)
	h := m.RequireAuth(echo)

	w := do(h, "GET", "/api/me", f.iss.Token(clerktest.Claims{UserID: "user_1"}), nil)
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, "user_1|", w.Body.String())

	w = do(h, "GET", "/api/me", "", nil)
	assert.Equal(t, 401, w.Code)
	assert.Equal(t, "Bearer", w.Header().Get("WWW-Authenticate"))
	assert.Equal(t, map[string]any{"error": "unauthorized", "reason": "session-token-missing"}, decode(t, w))
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))

	expired := f.iss.Token(clerktest.Claims{UserID: "user_1", ExpiresAt: f.iss.Clock().Now().Add(-time.Minute), IssuedAt: f.iss.Clock().Now().Add(-2 * time.Minute), NotBefore: f.iss.Clock().Now().Add(-2 * time.Minute)})
	w = do(h, "GET", "/api/me", expired, nil)
	assert.Equal(t, 401, w.Code)
	assert.Equal(t, `Bearer error="invalid_token"`, w.Header().Get("WWW-Authenticate"))
	assert.Equal(t, "token-expired", decode(t, w)["reason"])
	assert.NotContains(t, w.Body.String(), expired)

	w = do(h, "GET", "/api/me", "garbage", nil)
	assert.Equal(t, 401, w.Code)
	assert.Equal(t, "token-invalid", decode(t, w)["reason"])

	// Cookies, as Clerk's browser SDK sets them on a development
	// instance: the session token, __client_uat and the dev browser.
	cookieTok := f.iss.Token(clerktest.Claims{UserID: "user_2"})
	r := httptest.NewRequest("GET", "/api/me", nil)
	r.AddCookie(&http.Cookie{Name: "__session", Value: cookieTok})
	r.AddCookie(&http.Cookie{Name: "__client_uat", Value: "1"})
	r.AddCookie(&http.Cookie{Name: "__clerk_db_jwt", Value: "dvb_1"})
	rw := httptest.NewRecorder()
	h.ServeHTTP(rw, r)
	assert.Equal(t, 200, rw.Code)
	assert.Equal(t, "user_2|", rw.Body.String())

	// A lone __session cookie (no __client_uat, no dev browser) is what
	// Clerk's authenticateRequest signs out on a development instance;
	// this test expected 200 before the cookie flow existed.
	r = httptest.NewRequest("GET", "/api/me", nil)
	r.AddCookie(&http.Cookie{Name: "__session", Value: cookieTok})
	rw = httptest.NewRecorder()
	h.ServeHTTP(rw, r)
	assert.Equal(t, 401, rw.Code)
	assert.Equal(t, "dev-browser-missing", decode(t, rw)["reason"])
	// With the cookie flow off, the cookie is verified as before.
	rw = httptest.NewRecorder()
	middleware.New(f.v, middleware.WithoutCookieFlow()).RequireAuth(echo).ServeHTTP(rw, r)
	assert.Equal(t, 200, rw.Code)
	assert.Equal(t, "user_2|", rw.Body.String())
}

func TestKeysUnavailableIs503(t *testing.T) {
	f := setup(t)
	f.iss.InjectFault(clerktest.Fault{Status: 500})
	w := do(middleware.New(f.v).RequireAuth(echo), "GET", "/", f.iss.Token(clerktest.Claims{UserID: "user_1"}), nil)
	assert.Equal(t, 503, w.Code)
	assert.Equal(t, "5", w.Header().Get("Retry-After"))
	assert.Equal(t, "jwk-remote-failed-to-load", decode(t, w)["reason"])
}

func TestWithAuthNeverBlocks(t *testing.T) {
	f := setup(t)
	h := middleware.New(f.v).WithAuth(echo)
	assert.Equal(t, "anonymous", do(h, "GET", "/", "", nil).Body.String())
	assert.Equal(t, "anonymous", do(h, "GET", "/", "bad.token.here", nil).Body.String())
	assert.Equal(t, "user_1|", do(h, "GET", "/", f.iss.Token(clerktest.Claims{UserID: "user_1"}), nil).Body.String())
}

func TestOrgGuards(t *testing.T) {
	f := setup(t)
	m := middleware.New(f.v)
	admin := f.iss.Token(clerktest.Claims{UserID: "user_a", Org: &clerktest.Org{ID: "org_1", Role: "admin", Permissions: []string{"org:invoices:create"}}, Features: []string{"u:export"}, Plans: []string{"o:pro"}})
	member := f.iss.Token(clerktest.Claims{UserID: "user_m", Org: &clerktest.Org{ID: "org_1", Role: "member", Permissions: []string{"org:invoices:read"}}})
	noOrg := f.iss.Token(clerktest.Claims{UserID: "user_n"})

	cases := []struct {
		name   string
		h      http.Handler
		token  string
		status int
		reason string
	}{
		{"org: admin", m.RequireOrg(echo), admin, 200, ""},
		{"org: none", m.RequireOrg(echo), noOrg, 403, middleware.ReasonOrgRequired},
		{"org: anonymous", m.RequireOrg(echo), "", 401, "session-token-missing"},
		{"admin: admin", m.RequireOrgAdmin(echo), admin, 200, ""},
		{"admin: member", m.RequireOrgAdmin(echo), member, 403, middleware.ReasonOrgRoleRequired},
		{"admin: no org", m.RequireOrgAdmin(echo), noOrg, 403, middleware.ReasonOrgRequired},
		{"admin: anonymous", m.RequireOrgAdmin(echo), "", 401, "session-token-missing"},
		{"role member: member", m.RequireOrgRole("member")(echo), member, 200, ""},
		{"role member: admin", m.RequireOrgRole("org:member")(echo), admin, 403, middleware.ReasonOrgRoleRequired},
		{"permission: granted", m.RequirePermission("org:invoices:create")(echo), admin, 200, ""},
		{"permission: missing", m.RequirePermission("org:invoices:create")(echo), member, 403, middleware.ReasonOrgPermissionRequired},
		{"permission: no org", m.RequirePermission("org:invoices:create")(echo), noOrg, 403, middleware.ReasonOrgRequired},
		{"feature: granted", m.RequireFeature("user:export")(echo), admin, 200, ""},
		{"feature: missing", m.RequireFeature("export")(echo), member, 403, middleware.ReasonFeatureRequired},
		{"plan: granted", m.RequirePlan("pro")(echo), admin, 200, ""},
		{"plan: missing", m.RequirePlan("org:pro")(echo), noOrg, 403, middleware.ReasonPlanRequired},
	}
	for _, tc := range cases {
		w := do(tc.h, "POST", "/x", tc.token, nil)
		assert.Equal(t, tc.status, w.Code, tc.name)
		if tc.status != 200 {
			assert.Equal(t, tc.reason, decode(t, w)["reason"], tc.name)
		}
	}
}

func TestRequireReverification(t *testing.T) {
	f := setup(t)
	h := middleware.New(f.v).RequireReverification(auth.Reverify(auth.Strict))(echo)
	fresh := f.iss.Token(clerktest.Claims{UserID: "user_1", FVA: &[2]int{0, 2}})
	stale := f.iss.Token(clerktest.Claims{UserID: "user_1", FVA: &[2]int{20, 30}})
	assert.Equal(t, 200, do(h, "GET", "/", fresh, nil).Code)
	w := do(h, "GET", "/", stale, nil)
	assert.Equal(t, 403, w.Code)
	assert.JSONEq(t, `{"clerk_error":{"type":"forbidden","reason":"reverification-error","metadata":{"reverification":"strict"}}}`, w.Body.String())

	custom := middleware.New(f.v).RequireReverification(auth.Reverification{Level: auth.FirstFactor, AfterMinutes: 1})(echo)
	w = do(custom, "GET", "/", stale, nil)
	assert.JSONEq(t, `{"clerk_error":{"type":"forbidden","reason":"reverification-error","metadata":{"reverification":{"level":"first_factor","afterMinutes":1}}}}`, w.Body.String())
}

func TestChainingVerifiesOnce(t *testing.T) {
	f := setup(t)
	m := middleware.New(f.v, middleware.WithTokenExtractor(func(r *http.Request) string {
		calls := r.Context().Value(ctxCalls{}).(*int)
		*calls++
		return auth.TokenFromRequest(r)
	}))
	h := m.RequireAuth(m.RequireOrgAdmin(m.RequirePermission("org:a:b")(echo)))
	calls := 0
	r := httptest.NewRequest("GET", "/", nil)
	r = r.WithContext(contextWith(r, &calls))
	r.Header.Set("Authorization", "Bearer "+f.iss.Token(clerktest.Claims{UserID: "u", Org: &clerktest.Org{ID: "o", Role: "admin", Permissions: []string{"org:a:b"}}}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, 1, calls, "the token is read and verified once along the chain")
}

func TestSignInRedirect(t *testing.T) {
	f := setup(t)
	m := middleware.New(f.v, middleware.WithSignInURL("/sign-in"))
	h := m.RequireAuth(echo)
	w := do(h, "GET", "http://app.example.com/dashboard?tab=1", "", map[string]string{"Accept": "text/html,application/xhtml+xml"})
	assert.Equal(t, http.StatusSeeOther, w.Code)
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	loc, err := url.Parse(w.Header().Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "/sign-in", loc.Path)
	// No public URL configured: the path and query only, not the Host.
	assert.Equal(t, "/dashboard?tab=1", loc.Query().Get("redirect_url"))

	w = do(h, "GET", "/dashboard", "", map[string]string{"Sec-Fetch-Dest": "document"})
	assert.Equal(t, http.StatusSeeOther, w.Code)
	// API calls and non-GET requests still get 401.
	assert.Equal(t, 401, do(h, "GET", "/api/me", "", map[string]string{"Accept": "application/json"}).Code)
	assert.Equal(t, 401, do(h, "POST", "/form", "", map[string]string{"Accept": "text/html"}).Code)
	// A signed-in user without rights sees 403, not a redirect.
	w = do(m.RequireOrgAdmin(echo), "GET", "/admin", f.iss.Token(clerktest.Claims{UserID: "u"}), map[string]string{"Accept": "text/html"})
	assert.Equal(t, 403, w.Code)
}

func TestFailureHandler(t *testing.T) {
	f := setup(t)
	var got *middleware.Failure
	m := middleware.New(f.v, middleware.WithFailureHandler(func(w http.ResponseWriter, r *http.Request, fl *middleware.Failure) {
		got = fl
		w.WriteHeader(418)
	}))
	w := do(m.RequireAuth(echo), "GET", "/", "a.b.c", nil)
	assert.Equal(t, 418, w.Code)
	require.NotNil(t, got)
	assert.Equal(t, 401, got.Status)
	assert.Equal(t, "token-invalid", got.Reason)
	assert.ErrorIs(t, got.Err, auth.ErrMalformed)

	w = do(m.RequireOrgAdmin(echo), "GET", "/", f.iss.Token(clerktest.Claims{UserID: "u"}), nil)
	assert.Equal(t, 418, w.Code)
	assert.Equal(t, 403, got.Status)
	assert.Equal(t, middleware.ReasonOrgRequired, got.Reason)
}

func TestProtectPublicRoutes(t *testing.T) {
	f := setup(t)
	m := middleware.New(f.v)
	h := m.Protect(echo, middleware.Public("/", "/pricing", "/blog/*"))
	tok := f.iss.Token(clerktest.Claims{UserID: "user_1"})
	for path, want := range map[string]int{
		"/": 200, "/pricing": 200, "/blog": 200, "/blog/post-1": 200, "/blog/a/b": 200,
		"/pricing/x": 401, "/blogger": 401, "/dashboard": 401, "/blog/../admin": 401, "/api/me": 401,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.Path = path
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		assert.Equal(t, want, w.Code, path)
	}
	// Public routes still see the session when there is one.
	assert.Equal(t, "user_1|", do(h, "GET", "/pricing", tok, nil).Body.String())
	assert.Equal(t, 200, do(h, "GET", "/dashboard", tok, nil).Code)

	assert.Panics(t, func() { middleware.Public("pricing") })
	assert.Panics(t, func() { middleware.Public("/a*b") })
	assert.Panics(t, func() { middleware.Public("/*/x") })
}

func TestNewPanicsOnMisuse(t *testing.T) {
	f := setup(t)
	assert.Panics(t, func() { middleware.New(nil) })
	assert.Panics(t, func() { middleware.New(f.v, middleware.WithSignInURL("://bad")) })
	assert.Panics(t, func() { middleware.New(f.v).RequirePermission("") })
	assert.Panics(t, func() { middleware.New(f.v).RequireReverification(auth.Reverification{}) })
	assert.Panics(t, func() { middleware.New(f.v).RequireAuth(nil) })
}

func TestServeMuxAndChiStyle(t *testing.T) {
	f := setup(t)
	m := middleware.New(f.v)
	mux := http.NewServeMux()
	mux.Handle("GET /api/me", m.RequireAuth(echo))
	mux.Handle("POST /api/orgs/invite", m.RequireOrgAdmin(echo))
	mux.Handle("POST /api/invoices", m.RequirePermission("org:invoices:create")(echo))
	admin := f.iss.Token(clerktest.Claims{UserID: "u", Org: &clerktest.Org{ID: "org_1", Role: "admin"}})
	assert.Equal(t, 200, do(mux, "GET", "/api/me", admin, nil).Code)
	assert.Equal(t, 200, do(mux, "POST", "/api/orgs/invite", admin, nil).Code)
	assert.Equal(t, 403, do(mux, "POST", "/api/invoices", admin, nil).Code)
	// A chi-style stack: a slice of func(http.Handler) http.Handler.
	stack := []func(http.Handler) http.Handler{m.RequireAuth, m.RequireOrg, m.RequireOrgRole("admin")}
	var h http.Handler = echo
	for i := len(stack) - 1; i >= 0; i-- {
		h = stack[i](h)
	}
	assert.Equal(t, 200, do(h, "GET", "/", admin, nil).Code)
	assert.True(t, strings.HasPrefix(do(h, "GET", "/", "", nil).Body.String(), `{"error":"unauthorized"`))
}
