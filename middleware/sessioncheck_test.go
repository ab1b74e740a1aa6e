package middleware_test

import (
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

const routeGetSession = "GET /v1/sessions/{session_id}"

type checkFixture struct {
	srv   *emulator.Server
	v     *auth.Verifier
	c     *auth.SessionChecker
	token string
	sid   string
}

func newCheckFixture(t *testing.T) checkFixture {
	t.Helper()
	f := machineSetup(t)
	c, err := auth.NewSessionChecker(f.v, auth.SessionCheckOptions{})
	require.NoError(t, err)
	s, err := f.v.Verify(t.Context(), f.session)
	require.NoError(t, err)
	return checkFixture{srv: f.srv, v: f.v, c: c, token: f.session, sid: s.SessionID}
}

func (f checkFixture) revoke(t *testing.T) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL()+"/v1/sessions/"+f.sid+"/revoke", nil)
	req.Header.Set("Authorization", "Bearer "+f.srv.SecretKey())
	resp, err := f.srv.HTTPClient().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// serve runs h on a request bearing the fixture's token and returns the
// status and the reason of a failure body.
func (f checkFixture) serve(t *testing.T, h http.Handler) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api", nil)
	req.Header.Set("Authorization", "Bearer "+f.token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var body struct{ Reason string }
	json.Unmarshal(rec.Body.Bytes(), &body)
	return rec.Code, body.Reason
}

var signedIn = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if _, ok := auth.FromContext(r.Context()); ok {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.WriteHeader(http.StatusNoContent) // reached, signed out
})

func TestWithSessionCheck(t *testing.T) {
	f := newCheckFixture(t)
	m := middleware.New(f.v, middleware.WithSessionCheck(f.c))
	plain := middleware.New(f.v)
	routes := map[string]http.Handler{
		"RequireAuth": m.RequireAuth(signedIn), "RequireFeature chained": m.RequireAuth(m.RequireFeature("x")(signedIn)),
	}
	code, _ := f.serve(t, m.RequireAuth(signedIn))
	require.Equal(t, http.StatusOK, code)
	code, _ = f.serve(t, m.WithAuth(signedIn))
	require.Equal(t, http.StatusOK, code)
	f.revoke(t)
	code, _ = f.serve(t, m.RequireAuth(signedIn))
	require.Equal(t, http.StatusOK, code, "within the TTL")
	f.srv.Clock().Advance(f.c.TTL())
	for name, h := range routes {
		code, reason := f.serve(t, h)
		assert.Equal(t, http.StatusUnauthorized, code, name)
		assert.Equal(t, "session-revoked", reason, name)
	}
	code, _ = f.serve(t, m.WithAuth(signedIn))
	assert.Equal(t, http.StatusNoContent, code, "WithAuth: reached signed out")
	code, _ = f.serve(t, m.WithAuth(m.RequireAuth(signedIn)))
	assert.Equal(t, http.StatusUnauthorized, code, "a refused session is not left in the context")
	code, _ = f.serve(t, plain.RequireAuth(signedIn))
	assert.Equal(t, http.StatusOK, code, "without the option the token alone decides")
	assert.EqualValues(t, 2, f.srv.Calls(routeGetSession))
}

func TestRequireActiveSession(t *testing.T) {
	f := newCheckFixture(t)
	m := middleware.New(f.v)
	h := m.RequireActiveSession(f.c)(signedIn)
	code, _ := f.serve(t, h)
	require.Equal(t, http.StatusOK, code)
	require.NoError(t, f.srv.EndSession(f.sid))
	f.srv.Clock().Advance(f.c.TTL())
	code, reason := f.serve(t, h)
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Equal(t, "session-revoked", reason)
	code, _ = f.serve(t, m.RequireAuth(signedIn))
	assert.Equal(t, http.StatusOK, code, "other routes keep trusting the token")

	// No token: as RequireAuth.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api", nil))
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, "Bearer", rec.Header().Get("WWW-Authenticate"))
	assert.Panics(t, func() { m.RequireActiveSession(nil) })
	assert.Panics(t, func() { middleware.New(f.v, middleware.WithSessionCheck(nil)) })
}

// A Backend API failure is 503, not 401, on both forms.
func TestSessionCheckUnavailableIs503(t *testing.T) {
	for name, fault := range map[string]clerktest.Fault{
		"500": {Status: 500}, "down": {Kind: clerktest.FaultDown}, "429": {Status: 429, RetryAfter: time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			f := newCheckFixture(t)
			fault.Route = routeGetSession
			f.srv.InjectFault(fault)
			m := middleware.New(f.v)
			for form, h := range map[string]http.Handler{
				"WithSessionCheck":     middleware.New(f.v, middleware.WithSessionCheck(f.c)).RequireAuth(signedIn),
				"RequireActiveSession": m.RequireActiveSession(f.c)(signedIn),
			} {
				req := httptest.NewRequest(http.MethodGet, "/api", nil)
				req.Header.Set("Authorization", "Bearer "+f.token)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				assert.Equal(t, http.StatusServiceUnavailable, rec.Code, form)
				assert.Equal(t, "5", rec.Header().Get("Retry-After"), form)
				assert.Contains(t, rec.Body.String(), `"reason":"clerk-api-unavailable"`, form)
			}
		})
	}
}
