package middleware_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/middleware"
)

const (
	mUser    = "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
	mOrg     = "org_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
	mCaller  = "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
	mCallee  = "mch_2yGkLpQ7Y3rXSwtU24CzTk9I7Em"
	mMachKey = "ak_caller_machine_secret_0123456789abcdef"
	mUserKey = "ak_user_api_key_secret_0123456789abcdef"
	mOrgKey  = "ak_org_api_key_secret_0123456789abcdef"
)

type machineFixture struct {
	srv     *emulator.Server
	v       *auth.Verifier
	session string
	m2mJWT  string
	m2m     string
}

func machineSetup(t *testing.T) machineFixture {
	t.Helper()
	srv := emulator.NewServer(t, emulator.Options{Clock: clerktest.NewClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))})
	require.NoError(t, srv.Seed(emulator.SeedData{
		Users:         []emulator.SeedUser{{ID: mUser, EmailAddresses: []string{"ada@example.com"}}},
		Organizations: []emulator.SeedOrganization{{ID: mOrg, Name: "Acme", Slug: "acme"}},
		Machines: []emulator.SeedMachine{
			{ID: mCallee, Name: "billing"},
			{ID: mCaller, Name: "cron", SecretKey: mMachKey, ScopedMachines: []string{mCallee}},
		},
		APIKeys: []emulator.SeedAPIKey{
			{Name: "user key", Subject: mUser, Secret: mUserKey, Scopes: []string{"projects:read"}},
			{Name: "org key", Subject: mOrg, Secret: mOrgKey, Scopes: []string{"projects:write"}},
		},
	}))
	v, err := auth.NewVerifier(srv.AuthConfig())
	require.NoError(t, err)
	session, err := srv.SessionToken(mUser, "")
	require.NoError(t, err)
	return machineFixture{srv: srv, v: v, session: session, m2mJWT: mintM2M(t, srv, "jwt"), m2m: mintM2M(t, srv, "opaque")}
}

func mintM2M(t *testing.T, srv *emulator.Server, format string) string {
	body, _ := json.Marshal(map[string]any{"token_format": format})
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/m2m_tokens", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+mMachKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Less(t, resp.StatusCode, 300)
	var out struct {
		Token string `json:"token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out.Token
}

// who answers the principal's kind and subject.
var who = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p, ok := auth.PrincipalFromContext(r.Context())
	if !ok {
		w.Write([]byte("none"))
		return
	}
	if p.Session != nil {
		s, _ := auth.FromContext(r.Context())
		w.Write([]byte(string(p.Kind) + "|" + s.UserID))
		return
	}
	m, _ := auth.MachineFromContext(r.Context())
	w.Write([]byte(string(p.Kind) + "|" + m.Subject))
})

func verifyCalls(srv *emulator.Server) int64 {
	return srv.Calls("POST /v1/api_keys/verify") + srv.Calls("POST /v1/m2m_tokens/verify") +
		srv.Calls("POST /v1/oauth_applications/access_tokens/verify")
}

func TestRequireToken(t *testing.T) {
	f := machineSetup(t)
	m := middleware.New(f.v)
	m2mOnly := m.RequireToken(auth.M2MToken)(who)
	keysOrSessions := m.RequireToken(auth.SessionToken, auth.APIKey)(who)
	any := m.RequireToken(auth.AnyToken)(who)
	sessionsOnly := m.RequireToken()(who)

	cases := []struct {
		name   string
		h      http.Handler
		token  string
		status int
		body   string // 200: the principal; else the reason
	}{
		{"m2m JWT, m2m accepted", m2mOnly, f.m2mJWT, 200, "m2m_token|" + mCaller},
		{"opaque m2m, m2m accepted", m2mOnly, f.m2m, 200, "m2m_token|" + mCaller},
		{"session where only m2m is accepted", m2mOnly, f.session, 401, "token-type-mismatch"},
		{"api key where only m2m is accepted", m2mOnly, mUserKey, 401, "token-type-mismatch"},
		{"no token where only m2m is accepted", m2mOnly, "", 401, "session-token-missing"},
		{"api key, keys or sessions", keysOrSessions, mOrgKey, 200, "api_key|" + mOrg},
		{"session, keys or sessions", keysOrSessions, f.session, 200, "session_token|" + mUser},
		{"m2m JWT, keys or sessions", keysOrSessions, f.m2mJWT, 401, "token-type-mismatch"},
		{"unknown api key", keysOrSessions, "ak_unknown_0123456789", 401, "token-invalid"},
		{"any: api key", any, mUserKey, 200, "api_key|" + mUser},
		{"any: session", any, f.session, 200, "session_token|" + mUser},
		{"default: session", sessionsOnly, f.session, 200, "session_token|" + mUser},
		{"default: api key", sessionsOnly, mUserKey, 401, "token-type-mismatch"},
		{"default: m2m JWT", sessionsOnly, f.m2mJWT, 401, "token-type-mismatch"},
		{"RequireAuth stays session-only", m.RequireAuth(who), mUserKey, 401, "token-type-mismatch"},
		{"RequireAuth refuses an M2M JWT", m.RequireAuth(who), f.m2mJWT, 401, "token-type-mismatch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := do(tc.h, "GET", "/", tc.token, nil)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			if tc.status == 200 {
				assert.Equal(t, tc.body, w.Body.String())
				return
			}
			assert.Equal(t, tc.body, decode(t, w)["reason"])
			assert.NotEmpty(t, w.Header().Get("WWW-Authenticate"))
		})
	}
}

// TestRequireTokenNoNetworkForRefusedKinds: a kind not accepted costs no
// Backend API call.
func TestRequireTokenNoNetworkForRefusedKinds(t *testing.T) {
	f := machineSetup(t)
	m := middleware.New(f.v)
	before := verifyCalls(f.srv)
	for _, h := range []http.Handler{m.RequireAuth(who), m.RequireToken()(who), m.RequireToken(auth.M2MToken)(who)} {
		for range 100 {
			w := do(h, "GET", "/", "ak_random_0123456789abcdef", nil)
			require.Equal(t, 401, w.Code)
		}
	}
	assert.Equal(t, before, verifyCalls(f.srv))
}

// TestRequireTokenCookies: machine tokens are never read from a cookie.
func TestRequireTokenCookies(t *testing.T) {
	f := machineSetup(t)
	m := middleware.New(f.v)
	withCookie := func(h http.Handler, value string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: value})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := withCookie(m.RequireToken(auth.M2MToken)(who), f.m2mJWT)
	assert.Equal(t, 401, w.Code)
	assert.Equal(t, "session-token-missing", decode(t, w)["reason"], "the cookie is not read when sessions are not accepted")
	for _, tok := range []string{f.m2mJWT, f.m2m, mUserKey} {
		w = withCookie(m.RequireToken(auth.AnyToken)(who), tok)
		assert.Equal(t, 401, w.Code)
		assert.Equal(t, "token-type-mismatch", decode(t, w)["reason"], "a cookie can only carry a session")
	}
	w = withCookie(m.RequireToken(auth.AnyToken)(who), f.session)
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, "session_token|"+mUser, w.Body.String())
}

func TestRequireScope(t *testing.T) {
	f := machineSetup(t)
	m := middleware.New(f.v)
	read := m.RequireScope("projects:read")(who)
	cases := []struct {
		name   string
		h      http.Handler
		token  string
		status int
		reason string
	}{
		{"api key with the scope", read, mUserKey, 200, ""},
		{"api key without it", read, mOrgKey, 403, middleware.ReasonScopeRequired},
		{"m2m JWT scoped to the callee", m.RequireScope(mCallee)(who), f.m2mJWT, 200, ""},
		{"m2m JWT, other scope", read, f.m2mJWT, 403, middleware.ReasonScopeRequired},
		{"two scopes, one missing", m.RequireScope("projects:read", "projects:write")(who), mUserKey, 403, middleware.ReasonScopeRequired},
		{"a session on its own", read, f.session, 401, "token-type-mismatch"},
		{"a session inside RequireToken", m.RequireToken(auth.SessionToken, auth.APIKey)(read), f.session, 403, middleware.ReasonScopeRequired},
		{"an api key inside RequireToken(m2m)", m.RequireToken(auth.M2MToken)(read), mUserKey, 401, "token-type-mismatch"},
		{"inside RequireToken, with the scope", m.RequireToken(auth.APIKey)(read), mUserKey, 200, ""},
		{"no token", read, "", 401, "session-token-missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := do(tc.h, "GET", "/", tc.token, nil)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			if tc.reason != "" {
				assert.Equal(t, tc.reason, decode(t, w)["reason"])
			}
		})
	}
}

// TestRequireTokenReuse: an outer guard's principal is reused (one
// verification), and must be of an accepted kind.
func TestRequireTokenReuse(t *testing.T) {
	f := machineSetup(t)
	m := middleware.New(f.v)
	before := f.srv.Calls("POST /v1/api_keys/verify")
	h := m.RequireToken(auth.AnyToken)(m.RequireToken(auth.APIKey)(m.RequireScope("projects:read")(who)))
	w := do(h, "GET", "/", mUserKey, nil)
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Equal(t, before+1, f.srv.Calls("POST /v1/api_keys/verify"))

	w = do(m.RequireToken(auth.AnyToken)(m.RequireToken(auth.M2MToken)(who)), "GET", "/", mUserKey, nil)
	assert.Equal(t, 401, w.Code)
	assert.Equal(t, "token-type-mismatch", decode(t, w)["reason"])

	// A session from WithAuth is reused by RequireToken and vice versa.
	w = do(m.WithAuth(m.RequireToken(auth.SessionToken)(who)), "GET", "/", f.session, nil)
	assert.Equal(t, "session_token|"+mUser, w.Body.String())
	w = do(m.RequireToken(auth.AnyToken)(m.RequireAuth(echo)), "GET", "/", f.session, nil)
	assert.Equal(t, mUser+"|", w.Body.String())
	// Inside a machine guard, RequireAuth still wants a session.
	w = do(m.RequireToken(auth.APIKey)(m.RequireAuth(echo)), "GET", "/", mUserKey, nil)
	assert.Equal(t, 401, w.Code)
}

// TestRequireTokenUnavailable: a Backend API that cannot answer is a 503,
// not a sign-out; busy is a 503 too.
func TestRequireTokenUnavailable(t *testing.T) {
	f := machineSetup(t)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer down.Close()
	cfg := f.srv.AuthConfig()
	cfg.APIURL = down.URL
	cfg.HTTPClient = down.Client()
	cfg.JWTKey = f.srv.Issuer().PublicKeyPEM()
	v, err := auth.NewVerifier(cfg)
	require.NoError(t, err)
	m := middleware.New(v)
	w := do(m.RequireToken(auth.APIKey)(who), "GET", "/", mUserKey, nil)
	require.Equal(t, 503, w.Code)
	assert.Equal(t, "unexpected-error", decode(t, w)["reason"])
	assert.NotEmpty(t, w.Header().Get("Retry-After"))

	cfg = f.srv.AuthConfig()
	cfg.MachineVerificationsPerSecond = 1
	v, err = auth.NewVerifier(cfg)
	require.NoError(t, err)
	m = middleware.New(v)
	h := m.RequireToken(auth.APIKey)(who)
	require.Equal(t, 200, do(h, "GET", "/", mUserKey, nil).Code)
	w = do(h, "GET", "/", mOrgKey, nil)
	require.Equal(t, 503, w.Code)
	assert.Equal(t, "machine-verification-busy", decode(t, w)["reason"])
}

// TestRequireTokenSignIn: only a guard that accepts sessions redirects a
// page load to the sign-in page.
func TestRequireTokenSignIn(t *testing.T) {
	f := machineSetup(t)
	m := middleware.New(f.v, middleware.WithSignInURL("/sign-in"))
	page := map[string]string{"Accept": "text/html"}
	w := do(m.RequireToken(auth.APIKey)(who), "GET", "/docs", "", page)
	assert.Equal(t, 401, w.Code)
	w = do(m.RequireToken(auth.SessionToken, auth.APIKey)(who), "GET", "/docs", "", page)
	assert.Equal(t, http.StatusSeeOther, w.Code)
}

func TestRequireTokenPanics(t *testing.T) {
	f := machineSetup(t)
	m := middleware.New(f.v)
	assert.Panics(t, func() { m.RequireToken("session") })
	assert.Panics(t, func() { m.RequireScope() })
	assert.Panics(t, func() { m.RequireScope("a", "") })
	assert.Panics(t, func() { m.RequireToken(auth.APIKey)(nil) })
}
