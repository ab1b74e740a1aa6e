package middleware_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/middleware"
)

func cookieReq(target, cookies string, hdr map[string]string) *http.Request {
	r := httptest.NewRequest("GET", target, nil)
	if cookies != "" {
		r.Header.Set("Cookie", cookies)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	return r
}

func TestCookieFlow(t *testing.T) {
	f := setup(t)
	now := f.iss.Clock().Now()
	uat := "__client_uat=" + strconv.FormatInt(now.Add(-5*time.Minute).Unix(), 10)
	valid := f.iss.Token(clerktest.Claims{UserID: "user_1"})
	expired := f.iss.Token(clerktest.Claims{UserID: "user_1", IssuedAt: now.Add(-2 * time.Minute), ExpiresAt: now.Add(-time.Minute)})
	var got *middleware.Failure
	m := middleware.New(f.v, middleware.WithFailureHandler(func(w http.ResponseWriter, r *http.Request, fl *middleware.Failure) {
		got = fl
		middleware.WriteFailure(w, r, fl)
	}))
	called := 0
	var state *auth.RequestState
	h := m.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called++
		state, _ = auth.RequestStateFromContext(r.Context())
		echo(w, r)
	}))
	page := map[string]string{"Sec-Fetch-Dest": "document"}

	t.Run("signed in", func(t *testing.T) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, cookieReq("/dash", "__clerk_db_jwt=d; "+uat+"; __session="+valid, page))
		assert.Equal(t, 200, w.Code)
		assert.Equal(t, "user_1|", w.Body.String())
		require.NotNil(t, state)
		assert.Equal(t, auth.SignedIn, state.Status)
	})
	t.Run("handshake", func(t *testing.T) {
		before := called
		w := httptest.NewRecorder()
		h.ServeHTTP(w, cookieReq("/dash?x=1", "__clerk_db_jwt=d; "+uat+"; __session="+expired, page))
		assert.Equal(t, http.StatusTemporaryRedirect, w.Code)
		assert.True(t, strings.HasPrefix(w.Header().Get("Location"), "https://"+f.iss.FrontendAPI()+"/v1/client/handshake?"))
		assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
		assert.Contains(t, w.Header().Values("Set-Cookie"), "__clerk_redirect_count=1; SameSite=Lax; HttpOnly; Max-Age=2")
		assert.Equal(t, before, called, "the handler does not run")
	})
	t.Run("api request signed out with Clerk's reason", func(t *testing.T) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, cookieReq("/api", "__clerk_db_jwt=d; "+uat+"; __session="+expired, map[string]string{"Accept": "application/json"}))
		assert.Equal(t, 401, w.Code)
		var body map[string]string
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
		assert.Equal(t, "session-token-expired-refresh-non-eligible-no-refresh-cookie", body["reason"])
		require.NotNil(t, got.State)
		assert.Equal(t, auth.SignedOut, got.State.Status)
		assert.NotContains(t, w.Body.String(), expired)
	})
	t.Run("no token at all", func(t *testing.T) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, cookieReq("/api", "__clerk_db_jwt=d; theme=dark", nil))
		assert.Equal(t, 401, w.Code)
		assert.Equal(t, "Bearer", w.Header().Get("WWW-Authenticate"))
		assert.Equal(t, auth.ReasonSessionTokenAndUATMissing, got.Reason)
	})
	t.Run("resolved handshake sets cookies and redirects", func(t *testing.T) {
		p, _ := json.Marshal(map[string]any{"handshake": []string{"__session=" + valid + "; Path=/", uat + "; Path=/"}})
		tok := f.iss.SignRaw([]byte(`{"alg":"RS256","kid":"`+f.iss.KeyID()+`","typ":"JWT"}`), p)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, cookieReq("/dash?a=1&__clerk_handshake="+tok, "__clerk_db_jwt=d", page))
		assert.Equal(t, http.StatusTemporaryRedirect, w.Code)
		assert.Equal(t, "http://example.com/dash?a=1", w.Header().Get("Location"))
		assert.Len(t, w.Header().Values("Set-Cookie"), 2)
	})
	t.Run("header path unchanged", func(t *testing.T) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, cookieReq("/api", "__session="+expired, map[string]string{"Authorization": "Bearer " + valid}))
		assert.Equal(t, 200, w.Code)
	})
	t.Run("WithAuth redirects a handshake, never blocks otherwise", func(t *testing.T) {
		wa := m.WithAuth(echo)
		w := httptest.NewRecorder()
		wa.ServeHTTP(w, cookieReq("/dash", "__clerk_db_jwt=d; "+uat+"; __session="+expired, page))
		assert.Equal(t, http.StatusTemporaryRedirect, w.Code)
		w = httptest.NewRecorder()
		wa.ServeHTTP(w, cookieReq("/api", "__clerk_db_jwt=d; "+uat+"; __session="+expired, nil))
		assert.Equal(t, "anonymous", w.Body.String())
	})
	t.Run("off", func(t *testing.T) {
		off := middleware.New(f.v, middleware.WithoutCookieFlow()).RequireAuth(echo)
		w := httptest.NewRecorder()
		off.ServeHTTP(w, cookieReq("/dash", "__session="+expired, page))
		assert.Equal(t, 401, w.Code, "no handshake with the flow off")
		ext := middleware.New(f.v, middleware.WithTokenExtractor(func(r *http.Request) string { return valid })).RequireAuth(echo)
		w = httptest.NewRecorder()
		ext.ServeHTTP(w, cookieReq("/dash", "__session="+expired, page))
		assert.Equal(t, 200, w.Code, "a custom extractor keeps the plain path")
	})
	t.Run("satellite options", func(t *testing.T) {
		sm := middleware.New(f.v, middleware.WithRequestOptions(auth.RequestOptions{IsSatellite: true, Domain: "sat.example.org", SignInURL: "https://app.example.com/sign-in"}))
		w := httptest.NewRecorder()
		sm.RequireAuth(echo).ServeHTTP(w, cookieReq("https://sat.example.org/p?__clerk_synced=false", "x=1", page))
		assert.Equal(t, http.StatusTemporaryRedirect, w.Code)
		assert.True(t, strings.HasPrefix(w.Header().Get("Location"), "https://app.example.com/sign-in?__clerk_redirect_url="))
	})
}
