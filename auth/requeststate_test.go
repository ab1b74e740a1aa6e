package auth_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/clerktest"
)

// rsEnv is an instance (development unless live) whose Backend API also
// serves /v1/clients/handshake_payload from payloads.
type rsEnv struct {
	iss      *clerktest.Issuer
	v        *auth.Verifier
	sfx      string
	fapi     string
	payloads map[string]string // nonce → body (status 200)
	status   atomic.Int32      // when non-zero, the payload endpoint's status
	calls    atomic.Int32
	auth     atomic.Value // last Authorization header
	ctype    atomic.Value // when set, the payload's Content-Type (else application/json)
}

func newRSEnv(t *testing.T, live bool, edit ...func(*auth.Config)) *rsEnv {
	t.Helper()
	e := &rsEnv{payloads: map[string]string{}}
	e.iss = clerktest.NewIssuer(t, clerktest.IssuerOptions{Clock: clerktest.NewClock(t0), Live: live})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/clients/handshake_payload", func(w http.ResponseWriter, r *http.Request) {
		e.calls.Add(1)
		e.auth.Store(r.Header.Get("Authorization"))
		if s := e.status.Load(); s != 0 {
			w.WriteHeader(int(s))
			return
		}
		body, ok := e.payloads[r.URL.Query().Get("nonce")]
		ct, _ := e.ctype.Load().(string)
		w.Header().Set("Content-Type", cmp.Or(ct, "application/json")) // the one type Clerk's client parses
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			io := `{"errors":[{"code":"resource_not_found"}]}`
			w.Write([]byte(io))
			return
		}
		w.Write([]byte(body))
	})
	mux.Handle("/", e.iss.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg := e.iss.AuthConfig()
	cfg.APIURL = srv.URL
	cfg.HTTPClient = srv.Client()
	for _, f := range edit {
		f(&cfg)
	}
	e.v = newVerifier(t, cfg)
	e.sfx = auth.CookieSuffix(e.iss.PublishableKey())
	e.fapi = e.iss.FrontendAPI()
	return e
}

func (e *rsEnv) token(edit func(*clerktest.Claims)) string {
	c := clerktest.Claims{UserID: "user_1", SessionID: "sess_1"}
	if edit != nil {
		edit(&c)
	}
	return e.iss.Token(c)
}

// handshakeToken signs a handshake token listing directives.
func (e *rsEnv) handshakeToken(directives ...string) string {
	p, _ := json.Marshal(map[string]any{"handshake": directives})
	h := `{"alg":"RS256","kid":"` + e.iss.KeyID() + `","typ":"JWT","cat":"cl_B7d4PD111AAA"}`
	return e.iss.SignRaw([]byte(h), p)
}

// rq describes a request.
type rq struct {
	method  string
	url     string // default https://app.example.com/dashboard
	cookies string
	headers map[string]string
}

// Page and API request headers.
var (
	doc  = map[string]string{"Sec-Fetch-Dest": "document"}
	html = map[string]string{"Accept": "text/html,application/xhtml+xml"}
	api  = map[string]string{"Accept": "application/json", "Sec-Fetch-Dest": "empty"}
)

func (q rq) build() *http.Request {
	if q.method == "" {
		q.method = http.MethodGet
	}
	if q.url == "" {
		q.url = "https://app.example.com/dashboard"
	}
	r := httptest.NewRequest(q.method, q.url, nil)
	if q.cookies != "" {
		r.Header.Set("Cookie", q.cookies)
	}
	for k, v := range q.headers {
		r.Header.Set(k, v)
	}
	return r
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func authReq(t *testing.T, e *rsEnv, q rq, o auth.RequestOptions) *auth.RequestState {
	t.Helper()
	st, err := e.v.AuthenticateRequest(context.Background(), q.build(), o)
	require.NoError(t, err)
	if st.Status != auth.Handshake {
		require.Equal(t, st.Headers == nil, len(st.Headers) == 0, "Headers nil exactly when there is nothing to send")
	}
	return st
}

// handshakeParams checks a handshake's Location and returns its query.
func handshakeParams(t *testing.T, st *auth.RequestState, base string) url.Values {
	t.Helper()
	require.Equal(t, auth.Handshake, st.Status, st.Reason)
	loc := st.Headers.Get("Location")
	require.True(t, strings.HasPrefix(loc, base+"/v1/client/handshake?"), loc)
	assert.Equal(t, "no-store", st.Headers.Get("Cache-Control"))
	u, err := url.Parse(loc)
	require.NoError(t, err)
	q := u.Query()
	assert.Equal(t, auth.HandshakeAPIVersion, q.Get("__clerk_api_version"))
	assert.Equal(t, "nonce", q.Get("format"))
	assert.Equal(t, st.Reason, q.Get("__clerk_hs_reason"))
	return q
}

func TestAuthenticateRequestCookieReasons(t *testing.T) {
	e := newRSEnv(t, false)
	now := t0.Unix()
	valid := e.token(nil)
	expired := e.token(func(c *clerktest.Claims) {
		c.IssuedAt = t0.Add(-2 * time.Minute)
		c.ExpiresAt = t0.Add(-time.Minute)
	})
	notYet := e.token(func(c *clerktest.Claims) { c.NotBefore = t0.Add(time.Minute) })
	future := e.token(func(c *clerktest.Claims) {
		c.IssuedAt = t0.Add(time.Minute)
		c.NotBefore = t0
		c.ExpiresAt = t0.Add(2 * time.Minute)
	})
	template := e.token(func(c *clerktest.Claims) { c.Header = map[string]any{"cat": clerktest.CategoryTemplate} })
	m2m := e.token(func(c *clerktest.Claims) { c.UserID = "mch_1" })
	parts := strings.Split(valid, ".")
	badSig := parts[0] + "." + parts[1] + "." + strings.Split(e.token(func(c *clerktest.Claims) { c.UserID = "user_2" }), ".")[2]
	pending := e.token(func(c *clerktest.Claims) { c.Status = "pending" })
	uat := "__client_uat=" + strconv.FormatInt(now-300, 10)
	db := "__clerk_db_jwt=dvb_1"
	c := func(parts ...string) string { return strings.Join(parts, "; ") }

	cases := []struct {
		name    string
		q       rq
		status  auth.RequestStatus
		reason  string
		user    string
		counter string // redirect counter cookie set by a handshake
	}{
		{"no dev browser, api", rq{headers: api}, auth.SignedOut, auth.ReasonDevBrowserMissing, "", ""},
		{"no dev browser, page", rq{headers: doc}, auth.Handshake, auth.ReasonDevBrowserMissing, "", "1"},
		{"no dev browser, Accept html", rq{headers: html}, auth.Handshake, auth.ReasonDevBrowserMissing, "", "1"},
		{"no dev browser, iframe", rq{headers: map[string]string{"Sec-Fetch-Dest": "iframe"}}, auth.Handshake, auth.ReasonDevBrowserMissing, "", "1"},
		{"no dev browser, html but fetch dest empty", rq{headers: merge(html, map[string]string{"Sec-Fetch-Dest": "empty"})}, auth.SignedOut, auth.ReasonDevBrowserMissing, "", ""},
		{"no dev browser, POST page", rq{method: "POST", headers: doc}, auth.SignedOut, auth.ReasonDevBrowserMissing, "", ""},
		{"no dev browser, HEAD page", rq{method: "HEAD", headers: doc}, auth.SignedOut, auth.ReasonDevBrowserMissing, "", ""},
		{"dev browser in query", rq{url: "https://app.example.com/?__clerk_db_jwt=dvb_q", headers: doc}, auth.Handshake, auth.ReasonDevBrowserSync, "", "1"},
		{"dev browser in query, api", rq{url: "https://app.example.com/?__clerk_db_jwt=dvb_q", headers: api}, auth.SignedOut, auth.ReasonDevBrowserSync, "", ""},
		{"nothing", rq{cookies: db, headers: doc}, auth.SignedOut, auth.ReasonSessionTokenAndUATMissing, "", ""},
		{"client_uat 0", rq{cookies: c(db, "__client_uat=0"), headers: doc}, auth.SignedOut, auth.ReasonSessionTokenAndUATMissing, "", ""},
		{"client_uat garbage", rq{cookies: c(db, "__client_uat=abc"), headers: doc}, auth.SignedOut, auth.ReasonSessionTokenAndUATMissing, "", ""},
		{"session, no uat, page", rq{cookies: c(db, "__session="+valid), headers: doc}, auth.Handshake, auth.ReasonSessionTokenWithoutClientUAT, "", "1"},
		{"session, no uat, api", rq{cookies: c(db, "__session="+valid), headers: api}, auth.SignedOut, auth.ReasonSessionTokenWithoutClientUAT, "", ""},
		{"uat, no session, page", rq{cookies: c(db, uat), headers: doc}, auth.Handshake, auth.ReasonClientUATWithoutSessionToken, "", "1"},
		{"uat, no session, api", rq{cookies: c(db, uat), headers: api}, auth.SignedOut, auth.ReasonClientUATWithoutSessionToken, "", ""},
		{"signed in", rq{cookies: c(db, uat, "__session="+valid), headers: doc}, auth.SignedIn, "", "user_1", ""},
		{"signed in, api", rq{cookies: c(db, uat, "__session="+valid), headers: api}, auth.SignedIn, "", "user_1", ""},
		{"signed in, uat with trailing garbage", rq{cookies: c(db, "__client_uat="+strconv.FormatInt(now-300, 10)+"xyz", "__session="+valid)}, auth.SignedIn, "", "user_1", ""},
		{"expired, page", rq{cookies: c(db, uat, "__session="+expired), headers: doc}, auth.Handshake, "session-token-expired-refresh-non-eligible-no-refresh-cookie", "", "1"},
		{"expired, api", rq{cookies: c(db, uat, "__session="+expired), headers: api}, auth.SignedOut, "session-token-expired-refresh-non-eligible-no-refresh-cookie", "", ""},
		{"expired, POST", rq{method: "POST", cookies: c(db, uat, "__session="+expired), headers: doc}, auth.SignedOut, "session-token-expired-refresh-non-eligible-non-get", "", ""},
		{"expired, refresh cookie", rq{cookies: c(db, uat, "__session="+expired, "__refresh_"+e.sfx+"=r1"), headers: doc}, auth.Handshake, "session-token-expired-refresh-missing-api-client", "", "1"},
		{"expired, unsuffixed refresh cookie", rq{cookies: c(db, uat, "__session="+expired, "__refresh=r1"), headers: doc}, auth.Handshake, "session-token-expired-refresh-non-eligible-no-refresh-cookie", "", "1"},
		{"expired, counter 2", rq{cookies: c(db, uat, "__session="+expired, "__clerk_redirect_count=2"), headers: doc}, auth.Handshake, "session-token-expired-refresh-non-eligible-no-refresh-cookie", "", "3"},
		{"expired, loop", rq{cookies: c(db, uat, "__session="+expired, "__clerk_redirect_count=3"), headers: doc}, auth.SignedOut, "session-token-expired-refresh-non-eligible-no-refresh-cookie", "", ""},
		{"expired, loop counter as JS Number", rq{cookies: c(db, uat, "__session="+expired, "__clerk_redirect_count=0x3"), headers: doc}, auth.SignedOut, "session-token-expired-refresh-non-eligible-no-refresh-cookie", "", ""},
		{"expired, counter 4 is no loop", rq{cookies: c(db, uat, "__session="+expired, "__clerk_redirect_count=4"), headers: doc}, auth.Handshake, "session-token-expired-refresh-non-eligible-no-refresh-cookie", "", "5"},
		{"nbf in the future", rq{cookies: c(db, uat, "__session="+notYet), headers: doc}, auth.Handshake, auth.ReasonSessionTokenNBF, "", "1"},
		{"iat in the future", rq{cookies: c(db, uat, "__session="+future), headers: api}, auth.SignedOut, auth.ReasonSessionTokenIATInTheFuture, "", ""},
		{"iat before client_uat", rq{cookies: c(db, "__client_uat="+strconv.FormatInt(now+30, 10), "__session="+valid), headers: doc}, auth.Handshake, auth.ReasonSessionTokenIATBeforeClientUAT, "", "1"},
		{"iat before client_uat, api", rq{cookies: c(db, "__client_uat="+strconv.FormatInt(now+30, 10), "__session="+valid), headers: api}, auth.SignedOut, auth.ReasonSessionTokenIATBeforeClientUAT, "", ""},
		{"malformed", rq{cookies: c(db, uat, "__session=not-a-jwt"), headers: doc}, auth.SignedOut, "token-invalid", "", ""},
		{"template token", rq{cookies: c(db, uat, "__session="+template), headers: doc}, auth.SignedOut, auth.ReasonTokenTypeMismatch, "", ""},
		{"machine subject", rq{cookies: c(db, uat, "__session="+m2m), headers: doc}, auth.SignedOut, auth.ReasonTokenTypeMismatch, "", ""},
		{"bad signature", rq{cookies: c(db, uat, "__session="+badSig), headers: doc}, auth.SignedOut, "token-invalid-signature", "", ""},
		{"pending", rq{cookies: c(db, uat, "__session="+pending), headers: doc}, auth.SignedOut, "session-token-pending", "", ""},
		{"dev browser cookie suffixed", rq{cookies: c("__clerk_db_jwt_"+e.sfx+"=d", "__client_uat_"+e.sfx+"="+strconv.FormatInt(now-30, 10), "__session_"+e.sfx+"="+valid)}, auth.SignedIn, "", "user_1", ""},
		{"percent-encoded cookie decoded", rq{cookies: c("__clerk_db_jwt=a%20b", uat, "__session="+valid)}, auth.SignedIn, "", "user_1", ""},
		{"first cookie of a name wins", rq{cookies: c(db, uat, "__session="+valid, "__session="+expired), headers: doc}, auth.SignedIn, "", "user_1", ""},
		{"authorization Basic ignored", rq{cookies: c(db, uat, "__session="+valid), headers: map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}}, auth.SignedIn, "", "user_1", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := authReq(t, e, tc.q, auth.RequestOptions{})
			assert.Equal(t, tc.status, st.Status)
			assert.Equal(t, tc.reason, st.Reason)
			if tc.user != "" {
				require.NotNil(t, st.Principal)
				assert.Equal(t, tc.user, st.Principal.Session.UserID)
			} else {
				assert.Nil(t, st.Principal)
			}
			if tc.status == auth.Handshake {
				handshakeParams(t, st, "https://"+e.fapi)
				assert.Equal(t, []string{"__clerk_redirect_count=" + tc.counter + "; SameSite=Lax; HttpOnly; Max-Age=2"}, st.Headers.Values("Set-Cookie"))
			} else {
				assert.Empty(t, st.Headers, "only handshakes send headers here")
			}
			assert.NotContains(t, st.Message, valid)
			assert.NotContains(t, st.Message, expired)
		})
	}
}

func TestAuthenticateRequestHandshakeURL(t *testing.T) {
	e := newRSEnv(t, false)
	expired := e.token(func(c *clerktest.Claims) {
		c.IssuedAt = t0.Add(-2 * time.Minute)
		c.ExpiresAt = t0.Add(-time.Minute)
	})
	uat := "__client_uat=" + strconv.FormatInt(t0.Unix()-300, 10)

	t.Run("parameters", func(t *testing.T) {
		st := authReq(t, e, rq{url: "https://app.example.com/a%20b/c?x=%20y&z=a~b*c&__clerk_db_jwt=old&__dev_session=l",
			cookies: "__clerk_db_jwt=dvb_1; " + uat + "; __session=" + expired, headers: doc}, auth.RequestOptions{})
		// The dev browser in the query asks for a sync first.
		assert.Equal(t, auth.ReasonDevBrowserSync, st.Reason)
		loc := st.Headers.Get("Location")
		// Clerk re-serializes the query (URLSearchParams): space as +, ~ escaped, * kept.
		want := "https://" + e.fapi + "/v1/client/handshake?redirect_url=" +
			strings.ReplaceAll(url.QueryEscape("https://app.example.com/a%20b/c?x=+y&z=a%7Eb*c"), "%2A", "*") +
			"&__clerk_api_version=2026-05-12&suffixed_cookies=false&__clerk_hs_reason=dev-browser-sync&format=nonce" +
			"&__session=" + expired + "&__clerk_db_jwt=old"
		assert.Equal(t, want, loc)
	})
	t.Run("suffixed", func(t *testing.T) {
		sfx := e.sfx
		st := authReq(t, e, rq{cookies: "__clerk_db_jwt_" + sfx + "=d; __client_uat_" + sfx + "=" + strconv.FormatInt(t0.Unix()-300, 10) + "; __session_" + sfx + "=" + expired, headers: doc}, auth.RequestOptions{})
		q := handshakeParams(t, st, "https://"+e.fapi)
		assert.Equal(t, "true", q.Get("suffixed_cookies"))
		assert.Equal(t, expired, q.Get("__session"))
		assert.Equal(t, "d", q.Get("__clerk_db_jwt"))
		assert.Equal(t, "https://app.example.com/dashboard", q.Get("redirect_url"))
	})
	t.Run("proxy", func(t *testing.T) {
		p := newRSEnv(t, true, func(c *auth.Config) { c.ProxyURL = "https://app.example.com/__clerk/" })
		st := authReq(t, p, rq{cookies: "__session=" + p.token(func(c *clerktest.Claims) {
			c.IssuedAt = t0.Add(-2 * time.Minute)
			c.ExpiresAt = t0.Add(-time.Minute)
		}) + "; " + uat, headers: doc}, auth.RequestOptions{})
		q := handshakeParams(t, st, "https://app.example.com/__clerk")
		assert.Empty(t, q.Get("__clerk_db_jwt"), "production has no dev browser")
	})
	t.Run("forwarded headers only from a trusted proxy", func(t *testing.T) {
		hdr := merge(doc, map[string]string{"X-Forwarded-Host": "public.example.com, inner", "X-Forwarded-Proto": "https"})
		q := rq{url: "http://10.0.0.1:8080/p?a=1", cookies: "__clerk_db_jwt=d; " + uat, headers: hdr}
		st := authReq(t, e, q, auth.RequestOptions{})
		assert.Equal(t, "http://10.0.0.1:8080/p?a=1", handshakeParams(t, st, "https://"+e.fapi).Get("redirect_url"))
		st = authReq(t, e, q, auth.RequestOptions{TrustedProxy: func(*http.Request) bool { return true }})
		assert.Equal(t, "https://public.example.com/p?a=1", handshakeParams(t, st, "https://"+e.fapi).Get("redirect_url"))
		st = authReq(t, e, q, auth.RequestOptions{TrustedProxy: func(*http.Request) bool { return false }})
		assert.Equal(t, "http://10.0.0.1:8080/p?a=1", handshakeParams(t, st, "https://"+e.fapi).Get("redirect_url"))
	})
	t.Run("default port dropped", func(t *testing.T) {
		st := authReq(t, e, rq{url: "https://APP.example.com:443/x", headers: doc}, auth.RequestOptions{})
		assert.Equal(t, "https://app.example.com/x", handshakeParams(t, st, "https://"+e.fapi).Get("redirect_url"))
	})
}

func TestAuthenticateRequestSuffixedCookieRule(t *testing.T) {
	e := newRSEnv(t, false)
	other := newRSEnv(t, false)
	now := t0.Unix()
	tok := e.token(nil)
	older := e.token(func(c *clerktest.Claims) { c.IssuedAt = t0.Add(-20 * time.Second); c.UserID = "user_old" })
	expiredSfx := e.token(func(c *clerktest.Claims) {
		c.UserID = "user_sfx"
		c.IssuedAt = t0.Add(-2 * time.Minute)
		c.ExpiresAt = t0.Add(-time.Minute)
	})
	foreign := other.token(nil)
	noIss := e.token(func(c *clerktest.Claims) { c.Extra = map[string]any{"iss": clerktest.Omit} })
	s, u := "__session_"+e.sfx+"=", "__client_uat_"+e.sfx+"="
	uat := strconv.FormatInt(now-60, 10)
	cases := []struct {
		name, cookies string
		user, reason  string
	}{
		{"only unsuffixed", "__session=" + tok + "; __client_uat=" + uat, "user_1", ""},
		{"only suffixed", s + tok + "; " + u + uat, "user_1", ""},
		{"foreign unsuffixed: trust suffixed", "__session=" + foreign + "; __client_uat=" + uat + "; " + s + tok + "; " + u + uat, "user_1", ""},
		{"unsuffixed newer", "__session=" + tok + "; __client_uat=" + uat + "; " + s + older + "; " + u + uat, "user_1", ""},
		{"suffixed newer", "__session=" + older + "; __client_uat=" + uat + "; " + s + tok + "; " + u + uat, "user_1", ""},
		{"suffixed signed out, unsuffixed in", "__session=" + tok + "; __client_uat=" + uat + "; " + u + "0", "user_1", ""},
		{"suffixed session without its uat", "__session=" + tok + "; __client_uat=" + uat + "; " + s + older, "user_1", ""},
		{"dev: suffixed expired and unsuffixed out", "__client_uat=0; " + s + expiredSfx + "; " + u + uat, "", auth.ReasonSessionTokenAndUATMissing},
		{"suffixed in, unsuffixed out", "__session=; __client_uat=0; " + s + older + "; " + u + uat, "user_old", ""},
		{"unsuffixed without iss: unsuffixed", "__session=" + noIss + "; __client_uat=" + uat + "; " + s + tok + "; " + u + uat, "", "token-invalid-issuer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The dev browser cookie is read with the same suffix rule.
			st := authReq(t, e, rq{cookies: "__clerk_db_jwt=d; __clerk_db_jwt_" + e.sfx + "=d; " + tc.cookies, headers: api}, auth.RequestOptions{})
			assert.Equal(t, tc.reason, st.Reason)
			if tc.user == "" {
				assert.Equal(t, auth.SignedOut, st.Status)
				return
			}
			require.Equal(t, auth.SignedIn, st.Status, st.Reason)
			assert.Equal(t, tc.user, st.Principal.Session.UserID)
		})
	}
}

func TestAuthenticateRequestProduction(t *testing.T) {
	e := newRSEnv(t, true)
	valid := e.token(nil)
	uat := "__client_uat=" + strconv.FormatInt(t0.Unix()-30, 10)
	st := authReq(t, e, rq{headers: doc}, auth.RequestOptions{})
	assert.Equal(t, auth.SignedOut, st.Status)
	assert.Equal(t, auth.ReasonSessionTokenAndUATMissing, st.Reason, "no dev browser on production")
	st = authReq(t, e, rq{cookies: uat + "; __session=" + valid, headers: doc}, auth.RequestOptions{})
	assert.Equal(t, auth.SignedIn, st.Status)
	st = authReq(t, e, rq{url: "https://app.example.com/?__clerk_db_jwt=x", cookies: uat + "; __session=" + valid, headers: doc}, auth.RequestOptions{})
	assert.Equal(t, auth.SignedIn, st.Status, "the dev browser parameter means nothing on production")

	t.Run("cross-origin referrer", func(t *testing.T) {
		ck := uat + "; __session=" + valid
		st := authReq(t, e, rq{cookies: ck, headers: merge(doc, map[string]string{"Referer": "https://satellite.example.org/x"})}, auth.RequestOptions{})
		require.Equal(t, auth.Handshake, st.Status)
		assert.Equal(t, auth.ReasonPrimaryDomainCrossOriginSync, st.Reason)
		assert.NotEmpty(t, st.Message)
		for _, ref := range []string{
			"https://app.example.com/other",                                             // same origin
			"https://" + e.fapi + "/v1/client",                                          // the Frontend API
			"https://" + strings.Replace(e.fapi, "clerk.", "accounts.", 1) + "/sign-in", // the Account Portal
		} {
			st := authReq(t, e, rq{cookies: ck, headers: merge(doc, map[string]string{"Referer": ref})}, auth.RequestOptions{})
			assert.Equal(t, auth.SignedIn, st.Status, ref)
		}
		st = authReq(t, e, rq{cookies: ck, headers: merge(html, map[string]string{"Referer": "https://satellite.example.org/x"})}, auth.RequestOptions{})
		assert.Equal(t, auth.SignedIn, st.Status, "only Sec-Fetch-Dest: document")
		st = authReq(t, e, rq{cookies: ck + "; __clerk_redirect_count=1", headers: merge(doc, map[string]string{"Referer": "https://satellite.example.org/x"})}, auth.RequestOptions{})
		assert.Equal(t, auth.SignedIn, st.Status, "not while handshaking")
		st = authReq(t, e, rq{cookies: ck, headers: merge(doc, map[string]string{"Referer": "https://x.accounts.dev/"})}, auth.RequestOptions{})
		assert.Equal(t, auth.Handshake, st.Status, "development portals are not trusted on production")
	})
}

func TestAuthenticateRequestSatellite(t *testing.T) {
	prod := newRSEnv(t, true)
	dev := newRSEnv(t, false)
	sat := auth.RequestOptions{IsSatellite: true, Domain: "satellite.example.org", SignInURL: "https://app.example.com/sign-in"}
	surl := "https://satellite.example.org/page"
	uat := "__client_uat=" + strconv.FormatInt(t0.Unix()-30, 10)

	st := authReq(t, prod, rq{url: surl, headers: doc}, sat)
	assert.Equal(t, auth.SignedOut, st.Status)
	assert.Equal(t, auth.ReasonSessionTokenAndUATMissing, st.Reason, "no auto sync by default")

	st = authReq(t, prod, rq{url: surl + "?__clerk_synced=false", headers: doc}, sat)
	assert.Equal(t, auth.ReasonSatelliteNeedsSyncing, st.Reason)
	handshakeParams(t, st, "https://clerk.satellite.example.org")

	auto := sat
	auto.SatelliteAutoSync = true
	st = authReq(t, prod, rq{url: surl, headers: doc}, auto)
	assert.Equal(t, auth.ReasonSatelliteNeedsSyncing, st.Reason)
	st = authReq(t, prod, rq{url: surl + "?__clerk_synced=true", headers: doc}, auto)
	assert.Equal(t, auth.SignedOut, st.Status)
	assert.Equal(t, auth.ReasonSessionTokenAndUATMissing, st.Reason, "sync done")
	st = authReq(t, prod, rq{url: surl, headers: html}, auto)
	assert.Equal(t, auth.SignedOut, st.Status, "sync needs Sec-Fetch-Dest: document")

	// The satellite's own token is issued by clerk.<domain> on production;
	// with cookies the normal flow runs.
	st = authReq(t, prod, rq{url: surl, cookies: uat, headers: doc}, sat)
	assert.Equal(t, auth.ReasonClientUATWithoutSessionToken, st.Reason)
	handshakeParams(t, st, "https://clerk.satellite.example.org")

	// Development satellites sync through the primary's sign-in page.
	st = authReq(t, dev, rq{url: surl + "?__clerk_synced=false&x=1", headers: doc}, sat)
	require.Equal(t, auth.Handshake, st.Status)
	assert.Equal(t, auth.ReasonSatelliteNeedsSyncing, st.Reason)
	assert.Equal(t, "https://app.example.com/sign-in?__clerk_redirect_url="+url.QueryEscape(surl+"?__clerk_synced=false&x=1"), st.Headers.Get("Location"))
	assert.Equal(t, "no-store", st.Headers.Get("Cache-Control"))

	// The primary sends it back with the dev browser.
	back := "https://app.example.com/sign-in?__clerk_redirect_url=" + url.QueryEscape(surl+"?__clerk_synced=false")
	st = authReq(t, dev, rq{url: back, cookies: "__clerk_db_jwt=dvb_9", headers: doc}, auth.RequestOptions{})
	require.Equal(t, auth.Handshake, st.Status)
	assert.Equal(t, auth.ReasonPrimaryRespondsToSyncing, st.Reason)
	assert.Equal(t, surl+"?__clerk_synced=true&__clerk_db_jwt=dvb_9", st.Headers.Get("Location"))
	_, err := dev.v.AuthenticateRequest(context.Background(), rq{url: "https://app.example.com/?__clerk_redirect_url=javascript%3Aalert(1)", cookies: "__clerk_db_jwt=d"}.build(), auth.RequestOptions{})
	assert.ErrorIs(t, err, auth.ErrBadRedirectURL)

	t.Run("config errors", func(t *testing.T) {
		for name, o := range map[string]auth.RequestOptions{
			"no domain":         {IsSatellite: true, SignInURL: "https://app.example.com/sign-in"},
			"no sign-in on dev": {IsSatellite: true, Domain: "s.example.org"},
			"sign-in on origin": {IsSatellite: true, Domain: "s.example.org", SignInURL: "https://satellite.example.org/sign-in"},
			"relative sign-in":  {IsSatellite: true, Domain: "s.example.org", SignInURL: "/sign-in"},
		} {
			_, err := dev.v.AuthenticateRequest(context.Background(), rq{url: surl, headers: map[string]string{"Origin": "https://satellite.example.org"}}.build(), o)
			assert.ErrorIs(t, err, auth.ErrSatelliteConfig, name)
			assert.ErrorIs(t, err, clerkerr.ErrInvalidConfig, name)
		}
	})
}

func TestAuthenticateRequestHeaderAndKinds(t *testing.T) {
	e := newRSEnv(t, false)
	valid := e.token(nil)
	expired := e.token(func(c *clerktest.Claims) {
		c.IssuedAt = t0.Add(-2 * time.Minute)
		c.ExpiresAt = t0.Add(-time.Minute)
	})
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	ctx := context.Background()

	st := authReq(t, e, rq{headers: bearer(valid)}, auth.RequestOptions{})
	require.Equal(t, auth.SignedIn, st.Status, "cookies are not needed with a header token")
	assert.Equal(t, auth.SessionToken, st.Principal.Kind)

	st = authReq(t, e, rq{headers: bearer(expired)}, auth.RequestOptions{})
	assert.Equal(t, auth.SignedOut, st.Status)
	assert.Equal(t, "session-token-expired-refresh-non-eligible-no-refresh-cookie", st.Reason)

	st = authReq(t, e, rq{headers: bearer("ak_" + strings.Repeat("x", 20))}, auth.RequestOptions{})
	assert.Equal(t, "token-invalid", st.Reason, "Clerk's session path decodes an API key as a JWT")

	st = authReq(t, e, rq{headers: bearer("ak_" + strings.Repeat("x", 20))}, auth.RequestOptions{AcceptsToken: []auth.TokenKind{auth.M2MToken}})
	assert.Equal(t, auth.ReasonTokenTypeMismatch, st.Reason)
	st = authReq(t, e, rq{headers: bearer(valid)}, auth.RequestOptions{AcceptsToken: []auth.TokenKind{auth.APIKey}})
	assert.Equal(t, auth.ReasonTokenTypeMismatch, st.Reason)
	st = authReq(t, e, rq{}, auth.RequestOptions{AcceptsToken: []auth.TokenKind{auth.APIKey}})
	assert.Equal(t, auth.ReasonNoTokenInHeader, st.Reason)
	st = authReq(t, e, rq{}, auth.RequestOptions{AcceptsToken: []auth.TokenKind{auth.APIKey, auth.M2MToken}})
	assert.Equal(t, auth.ReasonTokenTypeMismatch, st.Reason, "a list without session_token and no header token")
	st = authReq(t, e, rq{headers: bearer(valid)}, auth.RequestOptions{AcceptsToken: []auth.TokenKind{auth.APIKey, auth.M2MToken}})
	assert.Equal(t, auth.ReasonTokenTypeMismatch, st.Reason)
	st = authReq(t, e, rq{headers: bearer(valid)}, auth.RequestOptions{AcceptsToken: []auth.TokenKind{auth.AnyToken}})
	assert.Equal(t, auth.SignedIn, st.Status)
	st = authReq(t, e, rq{cookies: "__clerk_db_jwt=d", headers: doc}, auth.RequestOptions{AcceptsToken: []auth.TokenKind{auth.SessionToken, auth.APIKey}})
	assert.Equal(t, auth.ReasonSessionTokenAndUATMissing, st.Reason, "a list with session_token reads cookies")

	_, err := e.v.AuthenticateRequest(ctx, rq{}.build(), auth.RequestOptions{AcceptsToken: []auth.TokenKind{"nope"}})
	assert.ErrorIs(t, err, clerkerr.ErrInvalidConfig)
	_, err = e.v.AuthenticateRequest(ctx, nil, auth.RequestOptions{})
	assert.ErrorIs(t, err, clerkerr.ErrInvalidConfig)

	noPK := newVerifier(t, auth.Config{JWTKey: e.iss.PublicKeyPEM(), Issuer: e.iss.IssuerURL()})
	_, err = noPK.AuthenticateRequest(ctx, rq{}.build(), auth.RequestOptions{})
	assert.ErrorIs(t, err, auth.ErrNoPublishableKey)
}

func TestAuthenticateRequestKeysUnavailable(t *testing.T) {
	e := newRSEnv(t, false, func(c *auth.Config) { c.APIURL = "http://127.0.0.1:1" })
	st, err := e.v.AuthenticateRequest(context.Background(), rq{cookies: "__clerk_db_jwt=d; __client_uat=1; __session=" + e.token(nil)}.build(), auth.RequestOptions{})
	assert.Nil(t, st)
	assert.True(t, auth.Unavailable(err), "%v", err)
}

func TestAuthenticateRequestHandshakeResolution(t *testing.T) {
	ctx := context.Background()
	uat := "__client_uat=" + strconv.FormatInt(t0.Unix()-30, 10)
	for _, live := range []bool{false, true} {
		e := newRSEnv(t, live)
		fresh := e.token(func(c *clerktest.Claims) { c.UserID = "user_new" })
		old := e.token(nil)
		expired := e.token(func(c *clerktest.Claims) {
			c.IssuedAt = t0.Add(-2 * time.Minute)
			c.ExpiresAt = t0.Add(-time.Minute)
		})
		dirs := []string{"__session=" + fresh + "; Path=/; SameSite=Lax", uat + "; Path=/"}
		name := map[bool]string{false: "dev", true: "live"}[live]
		base := "https://app.example.com/p?x=1"
		cookies := "__clerk_db_jwt=d; " + uat + "; __session=" + old

		t.Run(name+"/token", func(t *testing.T) {
			st := authReq(t, e, rq{url: base + "&__clerk_handshake=" + e.handshakeToken(dirs...) + "&__clerk_help=1", cookies: cookies, headers: doc}, auth.RequestOptions{})
			require.Equal(t, auth.SignedIn, st.Status, st.Reason)
			assert.Equal(t, "user_new", st.Principal.Session.UserID)
			assert.Equal(t, dirs, st.Headers.Values("Set-Cookie"))
			assert.Equal(t, "null", st.Headers.Get("Access-Control-Allow-Origin"))
			if live {
				assert.Empty(t, st.Headers.Get("Location"), "production keeps the URL")
				assert.False(t, st.Redirect())
			} else {
				assert.Equal(t, "https://app.example.com/p?x=1", st.Headers.Get("Location"))
				assert.Equal(t, "no-store", st.Headers.Get("Cache-Control"))
				assert.True(t, st.Redirect())
			}
		})
		t.Run(name+"/token in cookie", func(t *testing.T) {
			st := authReq(t, e, rq{cookies: cookies + "; __clerk_handshake=" + e.handshakeToken(dirs...)}, auth.RequestOptions{})
			require.Equal(t, auth.SignedIn, st.Status)
			assert.Equal(t, "user_new", st.Principal.Session.UserID)
		})
		t.Run(name+"/token without session cookie", func(t *testing.T) {
			st := authReq(t, e, rq{url: base + "&__clerk_handshake=" + e.handshakeToken("__client_uat=0; Path=/"), cookies: cookies}, auth.RequestOptions{})
			assert.Equal(t, auth.SignedOut, st.Status)
			assert.Equal(t, auth.ReasonSessionTokenMissing, st.Reason)
			assert.Equal(t, []string{"__client_uat=0; Path=/"}, st.Headers.Values("Set-Cookie"))
		})
		t.Run(name+"/token signed by another key", func(t *testing.T) {
			other := newRSEnv(t, live)
			forged := other.handshakeToken("__session=" + other.token(nil))
			st, err := e.v.AuthenticateRequest(ctx, rq{url: base + "&__clerk_handshake=" + forged, cookies: cookies}.build(), auth.RequestOptions{})
			if !live {
				assert.ErrorIs(t, err, auth.ErrHandshakeInvalid, "development stops")
				assert.Nil(t, st)
				return
			}
			require.NoError(t, err)
			require.Equal(t, auth.SignedIn, st.Status, "production ignores it and decides the cookies")
			assert.Equal(t, "user_1", st.Principal.Session.UserID)
			assert.Empty(t, st.Headers.Values("Set-Cookie"), "none of the forged cookies")
		})
		t.Run(name+"/template-category handshake token", func(t *testing.T) {
			p, _ := json.Marshal(map[string]any{"handshake": []string{"__session=" + fresh}})
			tok := e.iss.SignRaw([]byte(`{"alg":"RS256","kid":"`+e.iss.KeyID()+`","cat":"cl_B7d4PD222AAA"}`), p)
			st, err := e.v.AuthenticateRequest(ctx, rq{url: base + "&__clerk_handshake=" + tok, cookies: cookies}.build(), auth.RequestOptions{})
			if !live {
				assert.ErrorIs(t, err, auth.ErrHandshakeInvalid)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "user_1", st.Principal.Session.UserID)
		})
		t.Run(name+"/header injection ignored", func(t *testing.T) {
			st := authReq(t, e, rq{url: base + "&__clerk_handshake=" + e.handshakeToken("__session="+fresh+"\r\nX-Evil: 1"), cookies: cookies}, auth.RequestOptions{})
			require.Equal(t, auth.SignedIn, st.Status)
			assert.Equal(t, "user_1", st.Principal.Session.UserID)
			assert.Empty(t, st.Headers.Values("Set-Cookie"))
		})
		t.Run(name+"/expired session in handshake", func(t *testing.T) {
			st := authReq(t, e, rq{url: base + "&__clerk_handshake=" + e.handshakeToken("__session="+expired), cookies: cookies}, auth.RequestOptions{})
			require.Equal(t, auth.SignedIn, st.Status)
			if live {
				assert.Equal(t, "user_1", st.Principal.Session.UserID, "production falls back to the cookies")
			} else {
				assert.Equal(t, "user_1", st.Principal.Session.UserID, "development's 1-day retry accepts it")
				assert.NotEmpty(t, st.Headers.Values("Set-Cookie"))
			}
		})
		t.Run(name+"/nonce", func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"object": "handshake_payload", "directives": dirs})
			e.payloads["n1"] = string(body)
			st := authReq(t, e, rq{url: base + "&__clerk_handshake_nonce=n1", cookies: cookies, headers: doc}, auth.RequestOptions{})
			require.Equal(t, auth.SignedIn, st.Status, st.Reason)
			assert.Equal(t, "user_new", st.Principal.Session.UserID)
			assert.Equal(t, dirs, st.Headers.Values("Set-Cookie"))
			assert.Equal(t, "Bearer "+e.iss.SecretKey(), e.auth.Load())
			if !live {
				assert.Equal(t, "https://app.example.com/p?x=1", st.Headers.Get("Location"))
			}
			// nonce wins over a token
			st = authReq(t, e, rq{url: base + "&__clerk_handshake_nonce=n1&__clerk_handshake=garbage", cookies: cookies}, auth.RequestOptions{})
			assert.Equal(t, "user_new", st.Principal.Session.UserID)
			// cookie nonce
			st = authReq(t, e, rq{cookies: cookies + "; __clerk_handshake_nonce=n1"}, auth.RequestOptions{})
			assert.Equal(t, "user_new", st.Principal.Session.UserID)
		})
		t.Run(name+"/unknown nonce", func(t *testing.T) {
			st := authReq(t, e, rq{url: base + "&__clerk_handshake_nonce=unknown", cookies: cookies}, auth.RequestOptions{})
			assert.Equal(t, auth.SignedOut, st.Status)
			assert.Equal(t, auth.ReasonSessionTokenMissing, st.Reason)
		})
		t.Run(name+"/Backend API failing", func(t *testing.T) {
			for _, code := range []int{500, 502, 401, 429} {
				e.status.Store(int32(code))
				st, err := e.v.AuthenticateRequest(ctx, rq{url: base + "&__clerk_handshake_nonce=secretnonce", cookies: cookies}.build(), auth.RequestOptions{})
				assert.Nil(t, st)
				assert.ErrorIs(t, err, auth.ErrHandshakeUnavailable, "%d", code)
				assert.NotContains(t, err.Error(), "secretnonce")
			}
			e.status.Store(0)
		})
		t.Run(name+"/payload not typed application/json", func(t *testing.T) {
			// Clerk's client parses a body as JSON only under exactly
			// this type: anything else is text, with no directives.
			body, _ := json.Marshal(map[string]any{"directives": dirs})
			e.payloads["typed"] = string(body)
			for _, ct := range []string{"text/plain; charset=utf-8", "application/json; charset=utf-8", "Application/JSON", "text/html"} {
				e.ctype.Store(ct)
				st, err := e.v.AuthenticateRequest(ctx, rq{url: base + "&__clerk_handshake_nonce=typed", cookies: cookies}.build(), auth.RequestOptions{})
				assert.Nil(t, st, ct)
				assert.ErrorIs(t, err, auth.ErrHandshakeUnavailable, ct)
				assert.NotContains(t, err.Error(), "typed=")
			}
			e.ctype.Store("")
		})
	}
	t.Run("no secret key", func(t *testing.T) {
		e := newRSEnv(t, false, func(c *auth.Config) { c.SecretKey = ""; c.JWTKey = "" })
		_, err := e.v.AuthenticateRequest(ctx, rq{url: "https://app.example.com/?__clerk_handshake_nonce=n", cookies: "__clerk_db_jwt=d"}.build(), auth.RequestOptions{})
		assert.ErrorIs(t, err, auth.ErrHandshakeUnavailable)
	})
	t.Run("Backend API down", func(t *testing.T) {
		e := newRSEnv(t, true)
		e2 := newVerifier(t, func() auth.Config {
			c := e.iss.AuthConfig()
			c.APIURL = "http://127.0.0.1:1"
			c.JWTKey = e.iss.PublicKeyPEM()
			return c
		}())
		_, err := e2.AuthenticateRequest(ctx, rq{url: "https://app.example.com/?__clerk_handshake_nonce=secretnonce"}.build(), auth.RequestOptions{})
		assert.ErrorIs(t, err, auth.ErrHandshakeUnavailable)
		assert.NotContains(t, err.Error(), "secretnonce")
		assert.False(t, errors.Is(err, auth.ErrHandshakeInvalid))
	})
}

func TestRequestStateContext(t *testing.T) {
	_, ok := auth.RequestStateFromContext(context.Background())
	assert.False(t, ok)
	st := &auth.RequestState{Status: auth.SignedOut, Reason: "x", Headers: http.Header{}}
	got, ok := auth.RequestStateFromContext(auth.WithRequestState(context.Background(), st))
	assert.True(t, ok)
	assert.Same(t, st, got)
	assert.False(t, st.Redirect())
	var nilState *auth.RequestState
	assert.False(t, nilState.Redirect())
}
