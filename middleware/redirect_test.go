package middleware_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/middleware"
)

// pageLoad is an unauthenticated browser navigation to target from peer,
// with extra headers.
func pageLoad(target, peer string, hdr map[string]string) *http.Request {
	r := httptest.NewRequest("GET", target, nil)
	r.RemoteAddr = peer
	r.Header.Set("Accept", "text/html")
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	return r
}

// redirectBack serves r and returns the redirect_url of the sign-in
// redirect, checking the response is one.
func redirectBack(t *testing.T, h http.Handler, r *http.Request) string {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	u, err := url.Parse(w.Header().Get("Location"))
	require.NoError(t, err)
	return u.Query().Get("redirect_url")
}

func TestSignInRedirectIgnoresHostHeader(t *testing.T) {
	f := setup(t)
	relative := middleware.New(f.v, middleware.WithSignInURL("/sign-in")).RequireAuth(echo)
	configured := middleware.New(f.v, middleware.WithSignInURL("/sign-in"), middleware.WithPublicURL("https://app.example.com/")).RequireAuth(echo)

	for _, hdr := range []map[string]string{
		nil,
		{"Host": "evil.example"},
		{"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
		{"Forwarded": "host=evil.example;proto=https"},
		{"X-Forwarded-Host": "evil.example", "X-Original-Host": "evil.example", "X-Host": "evil.example"},
	} {
		r := pageLoad("/dashboard?tab=1", "203.0.113.7:4321", hdr)
		if h, ok := hdr["Host"]; ok {
			r.Host = h
		}
		back := redirectBack(t, relative, r)
		assert.Equal(t, "/dashboard?tab=1", back, "%v", hdr)
		assert.NotContains(t, back, "evil.example")

		r = pageLoad("/dashboard?tab=1", "203.0.113.7:4321", hdr)
		if h, ok := hdr["Host"]; ok {
			r.Host = h
		}
		back = redirectBack(t, configured, r)
		assert.Equal(t, "https://app.example.com/dashboard?tab=1", back, "%v", hdr)
		assert.NotContains(t, back, "evil.example")
	}

	// An absolute request target names a host too: not used either.
	r := pageLoad("http://evil.example/dashboard", "203.0.113.7:4321", nil)
	assert.Equal(t, "/dashboard", redirectBack(t, relative, r))

	// The escaped path is kept as it was sent.
	r = pageLoad("/docs/caf%C3%A9/a%2Fb?q=a+b&x=%26", "203.0.113.7:4321", nil)
	assert.Equal(t, "/docs/caf%C3%A9/a%2Fb?q=a+b&x=%26", redirectBack(t, relative, r))
}

func TestSignInRedirectAbsoluteSignInURL(t *testing.T) {
	f := setup(t)
	m := middleware.New(f.v,
		middleware.WithSignInURL("https://accounts.example.com/sign-in?locale=fr"),
		middleware.WithPublicURL("https://app.example.com:8443"))
	w := httptest.NewRecorder()
	r := pageLoad("/dashboard", "203.0.113.7:4321", map[string]string{"Host": "evil.example"})
	r.Host = "evil.example"
	m.RequireAuth(echo).ServeHTTP(w, r)
	require.Equal(t, http.StatusSeeOther, w.Code)
	loc, err := url.Parse(w.Header().Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "accounts.example.com", loc.Host)
	assert.Equal(t, "/sign-in", loc.Path)
	assert.Equal(t, url.Values{"locale": {"fr"}, "redirect_url": {"https://app.example.com:8443/dashboard"}}, loc.Query())
}

func TestSignInRedirectTrustedProxies(t *testing.T) {
	f := setup(t)
	m := middleware.New(f.v, middleware.WithSignInURL("/sign-in"),
		middleware.WithTrustedProxies(netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")))
	h := m.RequireAuth(echo)
	fwd := map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-Proto": "https"}

	cases := []struct {
		name, peer string
		hdr        map[string]string
		want       string
	}{
		{"trusted IPv4 peer", "10.1.2.3:5555", fwd, "https://app.example.com/dashboard?tab=1"},
		{"trusted IPv6 peer", "[::1]:5555", fwd, "https://app.example.com/dashboard?tab=1"},
		{"trusted IPv4-mapped peer", "[::ffff:10.1.2.3]:5555", fwd, "https://app.example.com/dashboard?tab=1"},
		{"untrusted peer", "203.0.113.7:4321", fwd, "/dashboard?tab=1"},
		{"untrusted peer next to the range", "11.0.0.1:4321", fwd, "/dashboard?tab=1"},
		{"untrusted IPv6 peer", "[2001:db8::1]:4321", fwd, "/dashboard?tab=1"},
		{"peer without a port", "10.1.2.3", fwd, "/dashboard?tab=1"},
		{"peer not an address", "unix-socket", fwd, "/dashboard?tab=1"},
		{"no forwarded host", "10.1.2.3:5555", map[string]string{"X-Forwarded-Proto": "https"}, "/dashboard?tab=1"},
		{"no forwarded proto", "10.1.2.3:5555", map[string]string{"X-Forwarded-Host": "app.example.com"}, "http://app.example.com/dashboard?tab=1"},
		{"forwarded proto upper case", "10.1.2.3:5555", map[string]string{"X-Forwarded-Host": "App.Example.com:8443", "X-Forwarded-Proto": "HTTPS"}, "https://app.example.com:8443/dashboard?tab=1"},
		{"last forwarded value wins", "10.1.2.3:5555", map[string]string{"X-Forwarded-Host": "evil.example, app.example.com", "X-Forwarded-Proto": "http, https"}, "https://app.example.com/dashboard?tab=1"},
		{"bad forwarded proto", "10.1.2.3:5555", map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-Proto": "javascript"}, "http://app.example.com/dashboard?tab=1"},
		{"forwarded IPv6 host", "10.1.2.3:5555", map[string]string{"X-Forwarded-Host": "[2001:db8::5]:8443", "X-Forwarded-Proto": "https"}, "https://[2001:db8::5]:8443/dashboard?tab=1"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, redirectBack(t, h, pageLoad("/dashboard?tab=1", tc.peer, tc.hdr)), tc.name)
	}

	// A TLS connection from the proxy without X-Forwarded-Proto is https.
	r := pageLoad("/dashboard", "10.1.2.3:5555", map[string]string{"X-Forwarded-Host": "app.example.com"})
	r.TLS = &tls.ConnectionState{}
	assert.Equal(t, "https://app.example.com/dashboard", redirectBack(t, h, r))

	// Forwarded hosts that are not a bare host[:port] are ignored, even
	// from a trusted proxy.
	for _, host := range []string{"evil.example/x", "evil.example/", "app.example.com@evil.example", "evil.example?x",
		"evil.example#x", "evil.example:", "evil.example:80x", "evil.example:123456", `evil.example\x`, "evil example",
		"//evil.example", ".evil.example", "-evil.example", "a..evil.example", "[::1", "[fe80::1%25eth0]", "[10.0.0.1]", "[::1]x", "https://evil.example"} {
		r := pageLoad("/dashboard", "10.1.2.3:5555", map[string]string{"X-Forwarded-Host": host})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		require.Equal(t, http.StatusSeeOther, w.Code)
		loc, err := url.Parse(w.Header().Get("Location"))
		require.NoError(t, err)
		assert.Equal(t, "/dashboard", loc.Query().Get("redirect_url"), "%q", host)
	}

	// A configured public URL takes precedence over forwarded headers.
	pinned := middleware.New(f.v, middleware.WithSignInURL("/sign-in"), middleware.WithPublicURL("https://app.example.com"),
		middleware.WithTrustedProxies(netip.MustParsePrefix("10.0.0.0/8"))).RequireAuth(echo)
	r = pageLoad("/dashboard", "10.1.2.3:5555", map[string]string{"X-Forwarded-Host": "other.example.org", "X-Forwarded-Proto": "http"})
	assert.Equal(t, "https://app.example.com/dashboard", redirectBack(t, pinned, r))
}

func TestSignInRedirectNoOpenRedirect(t *testing.T) {
	f := setup(t)
	relative := middleware.New(f.v, middleware.WithSignInURL("/sign-in")).RequireAuth(echo)
	configured := middleware.New(f.v, middleware.WithSignInURL("/sign-in"), middleware.WithPublicURL("https://app.example.com")).RequireAuth(echo)

	for _, target := range []string{"//evil.example", "//evil.example/x?y=1", "///evil.example/x", "////evil.example",
		`/\evil.example`, `/\/evil.example`, "/%2Fevil.example", "/%5Cevil.example", "//evil.example@app.example.com/"} {
		r := serverRequest(t, "GET", target)
		r.Header.Set("Accept", "text/html")
		r.RemoteAddr = "203.0.113.7:4321"
		back := redirectBack(t, relative, r)
		u, err := url.Parse(back)
		require.NoError(t, err, back)
		assert.Empty(t, u.Scheme, "%s → %s", target, back)
		assert.Empty(t, u.Host, "%s → %s", target, back)
		assert.True(t, strings.HasPrefix(back, "/"), "%s → %s", target, back)
		assert.False(t, strings.HasPrefix(back, "//") || strings.HasPrefix(back, `/\`), "%s → %s", target, back)

		r = serverRequest(t, "GET", target)
		r.Header.Set("Accept", "text/html")
		back = redirectBack(t, configured, r)
		u, err = url.Parse(back)
		require.NoError(t, err, back)
		assert.Equal(t, "app.example.com", u.Host, "%s → %s", target, back)
		assert.Empty(t, u.User, "%s → %s", target, back)
	}
	r := serverRequest(t, "GET", "//evil.example/x?y=1")
	r.Header.Set("Accept", "text/html")
	assert.Equal(t, "/evil.example/x?y=1", redirectBack(t, relative, r))
}

func TestFailuresAreNotCached(t *testing.T) {
	f := setup(t)
	m := middleware.New(f.v, middleware.WithSignInURL("/sign-in"))
	for _, w := range []*httptest.ResponseRecorder{
		do(m.RequireAuth(echo), "GET", "/api/me", "", nil),
		do(m.RequireAuth(echo), "GET", "/api/me", "garbage", nil),
		do(m.RequireOrgAdmin(echo), "GET", "/api/admin", f.iss.Token(clerktest.Claims{UserID: "u"}), nil),
		do(m.RequireAuth(echo), "GET", "/page", "", map[string]string{"Accept": "text/html"}),
	} {
		assert.Contains(t, []int{401, 403, 303}, w.Code)
		assert.Equal(t, "no-store", w.Header().Get("Cache-Control"), "%d", w.Code)
	}
}

func TestRedirectConfigValidation(t *testing.T) {
	f := setup(t)
	for _, bad := range []string{"app.example.com", "//app.example.com", "ftp://app.example.com", "https://", "https:",
		"https://user:pw@app.example.com", "https://app.example.com/app", "https://app.example.com/?x=1", "https://app.example.com?",
		"https://app.example.com#top", "javascript:alert(1)", "https://app.example.com:port", "https://evil example", "/relative",
		"https://app..example.com", "https://[::1"} {
		assert.Panics(t, func() { middleware.New(f.v, middleware.WithPublicURL(bad)) }, "%q", bad)
	}
	for _, good := range []string{"https://app.example.com", "https://app.example.com/", "http://localhost:8080", "https://[::1]:8443", "HTTPS://App.Example.com"} {
		assert.NotPanics(t, func() { middleware.New(f.v, middleware.WithPublicURL(good)) }, "%q", good)
	}
	assert.Panics(t, func() { middleware.New(f.v, middleware.WithTrustedProxies(netip.Prefix{})) })
	assert.Panics(t, func() {
		middleware.New(f.v, middleware.WithTrustedProxies(netip.MustParsePrefix("10.0.0.0/8"), netip.Prefix{}))
	})
	for _, bad := range []string{"://bad", "javascript:alert(1)", "ftp://accounts.example.com/sign-in", "?x=1"} {
		assert.Panics(t, func() { middleware.New(f.v, middleware.WithSignInURL(bad)) }, "%q", bad)
	}
}
