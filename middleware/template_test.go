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

const reportsAud = "https://reports.example.com"

type templateFixture struct {
	srv      *emulator.Server
	v        *auth.Verifier
	tv       *auth.TemplateVerifier
	session  string
	sid      string
	template string
}

func newTemplateFixture(t *testing.T) templateFixture {
	t.Helper()
	srv := emulator.NewServer(t, emulator.Options{Clock: clerktest.NewClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))})
	require.NoError(t, srv.Seed(emulator.SeedData{
		Users: []emulator.SeedUser{{ID: mUser, EmailAddresses: []string{"ada@example.com"}}},
		JWTTemplates: []emulator.SeedJWTTemplate{
			{Name: "reports", Claims: json.RawMessage(`{"aud":"` + reportsAud + `","email":"{{user.primary_email_address}}"}`)},
		},
	}))
	v, err := auth.NewVerifier(srv.AuthConfig())
	require.NoError(t, err)
	tv, err := auth.NewTemplateVerifier(v, auth.TemplateOptions{Name: "reports", Audience: []string{reportsAud}, RequiredClaims: []string{"email"}})
	require.NoError(t, err)
	session, err := srv.SessionToken(mUser, "")
	require.NoError(t, err)
	s, err := v.Verify(t.Context(), session)
	require.NoError(t, err)
	f := templateFixture{srv: srv, v: v, tv: tv, session: session, sid: s.SessionID}
	f.template = f.mint(t)
	return f
}

func (f templateFixture) mint(t *testing.T) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL()+"/v1/sessions/"+f.sid+"/tokens/reports", bytes.NewReader([]byte(`{}`)))
	req.Header.Set("Authorization", "Bearer "+f.srv.SecretKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out struct{ JWT string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out.JWT
}

// reached answers 200 with who the request is: "template", "session" or
// "nobody".
var reached = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, isSession := auth.FromContext(r.Context())
	tt, isTemplate := auth.TemplateTokenFromContext(r.Context())
	switch {
	case isTemplate && !isSession:
		w.Write([]byte("template " + tt.UserID))
	case isSession:
		w.Write([]byte("session"))
	default:
		w.Write([]byte("nobody"))
	}
})

func doTemplate(h http.Handler, authz string, cookie *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/api/reports", nil)
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRequireTemplateToken(t *testing.T) {
	f := newTemplateFixture(t)
	m := middleware.New(f.v)
	h := m.RequireTemplateToken(f.tv)(reached)

	rec := doTemplate(h, "Bearer "+f.template, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "template "+mUser, rec.Body.String())

	for name, tc := range map[string]struct {
		authz  string
		cookie *http.Cookie
		reason string
	}{
		"no token":                 {"", nil, "session-token-missing"},
		"session token":            {"Bearer " + f.session, nil, "token-type-mismatch"},
		"template token as cookie": {"", &http.Cookie{Name: "__session", Value: f.template}, "session-token-missing"},
		"garbage":                  {"Bearer abc", nil, "token-invalid"},
	} {
		rec := doTemplate(h, tc.authz, tc.cookie)
		assert.Equal(t, http.StatusUnauthorized, rec.Code, name)
		assert.Contains(t, rec.Body.String(), `"reason":"`+tc.reason+`"`, name)
	}

	// Template tokens are refused by every session route, and a session
	// guard inside RequireTemplateToken still wants a session token.
	for name, sh := range map[string]http.Handler{
		"RequireAuth":               m.RequireAuth(reached),
		"RequireFeature":            m.RequireFeature("reports")(reached),
		"template then RequireAuth": m.RequireTemplateToken(f.tv)(m.RequireAuth(reached)),
	} {
		rec := doTemplate(sh, "Bearer "+f.template, nil)
		assert.Equal(t, http.StatusUnauthorized, rec.Code, name)
		assert.Contains(t, rec.Body.String(), `"reason":"token-type-mismatch"`, name)
	}
	rec = doTemplate(m.WithAuth(reached), "Bearer "+f.template, nil)
	assert.Equal(t, "nobody", rec.Body.String(), "WithAuth does not take a template token as a session")
	// An outer WithAuth's session does not satisfy RequireTemplateToken.
	rec = doTemplate(m.WithAuth(h), "Bearer "+f.session, nil)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)

	// Expired.
	f.srv.Clock().Advance(time.Hour)
	rec = doTemplate(h, "Bearer "+f.template, nil)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Contains(t, rec.Body.String(), `"reason":"token-expired"`)
	assert.Panics(t, func() { m.RequireTemplateToken(nil) })
	assert.Panics(t, func() { m.RequireTemplateToken(f.tv)(nil) })
}

// With WithSessionCheck, a template token of a revoked session is refused
// too; a failed lookup is 503.
func TestRequireTemplateTokenSessionCheck(t *testing.T) {
	f := newTemplateFixture(t)
	c, err := auth.NewSessionChecker(f.v, auth.SessionCheckOptions{})
	require.NoError(t, err)
	m := middleware.New(f.v, middleware.WithSessionCheck(c))
	h := m.RequireTemplateToken(f.tv)(reached)
	require.Equal(t, http.StatusOK, doTemplate(h, "Bearer "+f.template, nil).Code)
	require.NoError(t, f.srv.EndSession(f.sid))
	f.srv.Clock().Advance(c.TTL())
	rec := doTemplate(h, "Bearer "+f.template, nil)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Contains(t, rec.Body.String(), `"reason":"session-revoked"`)

	c.Forget(f.sid)
	f.srv.InjectFault(clerktest.Fault{Route: routeGetSession, Status: 500})
	rec = doTemplate(h, "Bearer "+f.template, nil)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Contains(t, rec.Body.String(), `"reason":"clerk-api-unavailable"`)
}
