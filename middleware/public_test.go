package middleware_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/middleware"
)

// publicRoutes is the Public set the router tests protect with.
var publicRoutes = []string{"/", "/pricing", "/status", "/blog/*", "/café"}

func TestPublicMatcher(t *testing.T) {
	public := middleware.Public(publicRoutes...)
	cases := []struct {
		target string
		want   bool
	}{
		{"/", true},
		{"/pricing", true},
		{"/pricing?next=/admin/../x", true}, // the query is not the path
		{"/pricing?", true},
		{"/status", true},
		{"/blog", true},
		{"/blog/", true},
		{"/blog/post-1", true},
		{"/blog/a/b/", true},
		{"/blog/hello%20world", true},
		{"/blog/caf%C3%A9", true},
		{"/blog/caf%c3%a9", true}, // lower-case hex: raw form still under /blog/
		{"/blog/a%2Cb", true},     // a harmless escape
		{"/caf%C3%A9", true},

		// Exact means exact: no trailing slash, case-sensitive, no
		// extension of the last segment.
		{"/pricing/", false},
		{"/status/", false},
		{"/pricing/x", false},
		{"/PRICING", false},
		{"/Pricing", false},
		{"/BLOG/x", false},
		{"/blogx", false},
		{"/blog-x", false},
		{"/blog.x", false},
		{"/pricing%3Fx", false}, // "?" in the path, not a query
		{"/pricing%3F", false},
		{"/pricing%23", false},
		{"/pricing;x", false},
		{"/pric%69ng", false}, // decodes to /pricing, but raw routers see /pric%69ng
		{"/caf%c3%a9", false}, // not the pattern's escaped form
		{"/dashboard", false},

		// Dot segments, empty segments, encoded separators and friends.
		{"/admin/../pricing", false},
		{"/admin/..%2Fpricing", false},
		{"/admin/..%2fpricing", false},
		{"/admin/%2e%2e/pricing", false},
		{"/admin/%2E%2E/pricing", false},
		{"/admin/.%2e/pricing", false},
		{"/admin/%2e./pricing", false},
		{"/admin/%2e%2e%2fpricing", false},
		{"/admin%2F..%2F..%2Fpricing", false},
		{"/blog/../admin", false},
		{"/blog/%2e%2e/admin", false},
		{"/blog/..%2Fadmin", false},
		{"/blog/x/../../admin", false},
		{"/blog/%2Fadmin", false},
		{"/blog/..%5Cadmin", false},
		{"/blog/%5C..%5Cadmin", false},
		{"/blog/..\\admin", false},
		{"/blog/a%00", false},
		{"/blog/a%0Ab", false},
		{"/blog/a%7F", false},
		{"/blog/%252e%252e/admin", false}, // double encoding
		{"/blog/%25", false},
		{"/blog/%2e", false},
		{"/blog/.", false},
		{"/blog/./x", false},
		{"/./pricing", false},
		{"/pricing/.", false},
		{"/pricing/..", false},
		{"//pricing", false},
		{"/blog//x", false},
		{"///", false},
		{"/%2Fpricing", false},
		{"/%2e/pricing", false},
		{"http://example.com/pricing", true}, // absolute form
		{"http://example.com/admin/%2e%2e/pricing", false},
		{"http://example.com", false}, // empty path
		{"*", false},
	}
	for _, tc := range cases {
		for _, method := range []string{"GET", "HEAD", "POST"} {
			r := serverRequest(t, method, tc.target)
			assert.Equal(t, tc.want, public(r), "%s %s", method, tc.target)
		}
	}
}

// serverRequest parses a request line as http.Server does, so that
// RequestURI, URL.Path and URL.RawPath are what a router would get.
func serverRequest(t *testing.T, method, target string) *http.Request {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(method + " " + target + " HTTP/1.1\r\nHost: example.com\r\n\r\n")))
	require.NoError(t, err, target)
	return r
}

func TestPublicMatcherURLForms(t *testing.T) {
	public := middleware.Public(publicRoutes...)

	// Client-side requests (no RequestURI): r.URL alone decides.
	for target, want := range map[string]bool{
		"http://x/pricing": true, "http://x/blog/a": true, "http://x/admin/%2e%2e/pricing": false,
		"http://x/admin/..%2Fpricing": false, "http://x/pric%69ng": false, "http://x": false,
	} {
		r, err := http.NewRequest("GET", target, nil)
		require.NoError(t, err)
		assert.Equal(t, want, public(r), target)
	}

	// A RawPath that does not decode to Path (a middleware rewrote one but
	// not the other): raw routers would route the stale RawPath.
	r := httptest.NewRequest("GET", "/", nil)
	r.URL.Path, r.URL.RawPath = "/pricing", "/admin/x"
	assert.False(t, public(r))
	r.URL.Path, r.URL.RawPath = "/pricing", "/pric%zz"
	assert.False(t, public(r))
	r.URL.Path, r.URL.RawPath = "", ""
	assert.False(t, public(r), "empty path")
	r.URL.Path = "pricing"
	assert.False(t, public(r), "relative path")
	r.URL.Path, r.URL.Opaque = "/pricing", "/admin"
	assert.False(t, public(r), "opaque URL")
	r.URL = nil
	assert.False(t, public(r), "nil URL")

	// After http.StripPrefix the request URI keeps the prefix: it must be
	// canonical too, the match is on r.URL.
	r = httptest.NewRequest("GET", "/app/pricing", nil)
	r.URL.Path = "/pricing"
	assert.True(t, public(r))
	r = httptest.NewRequest("GET", "/app/x/%2e%2e/pricing", nil)
	r.URL.Path, r.URL.RawPath = "/pricing", ""
	assert.False(t, public(r))
	r = httptest.NewRequest("GET", "/pricing", nil)
	r.RequestURI = "/%zz"
	assert.False(t, public(r), "unparsable request URI")

	// "/*" opens every canonical path, still not the tricks.
	all := middleware.Public("/*")
	assert.True(t, all(serverRequest(t, "GET", "/")))
	assert.True(t, all(serverRequest(t, "GET", "/any/thing")))
	assert.False(t, all(serverRequest(t, "GET", "/a/../b")))
	assert.False(t, all(serverRequest(t, "GET", "/a%2Fb")))

	// A pattern with a trailing slash is exact too.
	docs := middleware.Public("/docs/")
	assert.True(t, docs(serverRequest(t, "GET", "/docs/")))
	assert.False(t, docs(serverRequest(t, "GET", "/docs")))
	assert.False(t, docs(serverRequest(t, "GET", "/docs/x")))

	assert.False(t, middleware.Public()(serverRequest(t, "GET", "/")), "no patterns")
}

func TestPublicPanicsOnBadPatterns(t *testing.T) {
	for _, p := range []string{"", "pricing", "*", "/a*b", "/*/x", "/blog*", "/blog/**", "//x", "/a/../b", "/a/./b",
		"/./", "/a//", `/a\b`, "/a%2Fb", "/caf%C3%A9", "/a?b", "/a#b", "/a\x00", "/blog//*"} {
		assert.Panics(t, func() { middleware.Public(p) }, "%q", p)
	}
	for _, p := range []string{"/", "/*", "/a", "/a/", "/a/*", "/café", "/a b", "/a;b"} {
		assert.NotPanics(t, func() { middleware.Public(p) }, "%q", p)
	}
}

// site returns a handler answering "public" or "private:<user>", so that a
// test sees which one a request reached.
func site(kind string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who := "anonymous"
		if s, ok := auth.FromContext(r.Context()); ok {
			who = s.UserID
		}
		fmt.Fprint(w, kind+":"+who)
	})
}

// routers returns the same site on http.ServeMux, chi and a hand-written
// switch on the raw path: public pages are /, /pricing, /status and the
// /blog subtree; /status/…, /admin/… and everything else are private.
func routers() map[string]http.Handler {
	pub, priv := site("public"), site("private")

	mux := http.NewServeMux()
	mux.Handle("GET /{$}", pub)
	mux.Handle("GET /pricing", pub)
	mux.Handle("GET /status", pub)
	mux.Handle("/status/", priv)
	mux.Handle("GET /blog", pub)
	mux.Handle("GET /blog/", pub)
	mux.Handle("/admin/", priv)
	mux.Handle("/", priv)

	r := chi.NewRouter()
	r.Get("/", pub.ServeHTTP)
	r.Get("/pricing", pub.ServeHTTP)
	r.Get("/status", pub.ServeHTTP)
	r.Handle("/status/*", priv)
	r.Get("/blog", pub.ServeHTTP)
	r.Get("/blog/*", pub.ServeHTTP)
	r.Handle("/admin/*", priv)
	r.Handle("/{page}", priv)
	r.NotFound(priv.ServeHTTP)

	prefix := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.EscapedPath(); {
		case p == "/" || p == "/pricing" || p == "/status" || p == "/blog" || strings.HasPrefix(p, "/blog/"):
			pub.ServeHTTP(w, r)
		default:
			priv.ServeHTTP(w, r)
		}
	})
	return map[string]http.Handler{"servemux": mux, "chi": r, "prefix": prefix}
}

// rawGet sends target verbatim on a fresh connection to srv, as an
// attacker's client would (no cleaning, no re-encoding).
func rawGet(t *testing.T, srv *httptest.Server, target string, hdr ...string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	req := "GET " + target + " HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n"
	for _, h := range hdr {
		req += h + "\r\n"
	}
	_, err = io.WriteString(c, req+"\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err, target)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func TestProtectBypassAttemptsThroughRouters(t *testing.T) {
	f := setup(t)
	m := middleware.New(f.v)
	tok := f.iss.Token(clerktest.Claims{UserID: "user_1"})

	// Each attempt names the routers that, unprotected, send it to a
	// private handler while an earlier matcher (cleaning the path, or
	// treating /status like /status/) called it public.
	attempts := []struct {
		target string
		reach  string // routers reaching the private handler
	}{
		{"/admin/../pricing", "chi prefix"},
		{"/admin/..%2Fpricing", "servemux chi prefix"},
		{"/admin/..%2fpricing", "servemux chi prefix"},
		{"/admin/%2e%2e/pricing", "servemux chi prefix"},
		{"/admin/%2E%2E/pricing", "servemux chi prefix"},
		{"/admin/.%2e/pricing", "servemux chi prefix"},
		{"/admin/%2e%2e%2fpricing", "servemux chi prefix"},
		{"/admin/x/../../pricing", "chi prefix"},
		{"/admin/./../pricing", "chi prefix"},
		{"/admin/%2e/%2e%2e/pricing", "servemux chi prefix"},
		{"/admin/..%5Cpricing", "servemux chi prefix"},
		{"/admin/%252e%252e/pricing", "servemux chi prefix"},
		{"/admin/..%252Fpricing", "servemux chi prefix"},
		{"/admin%2F..%2Fpricing", "servemux chi prefix"},
		{"/status/", "servemux chi prefix"},
		{"/status/.", "chi prefix"},
		{"/status/..", "chi prefix"},
		{"//pricing", "chi prefix"},
		{"/./pricing", "chi prefix"},
		{"/pricing/.", "chi prefix"},
		{"/pric%69ng", "chi prefix"},
		{"/PRICING", "servemux chi prefix"},
		{"/pricing%3F", "servemux chi prefix"},
		{"/blogx", "servemux chi prefix"},
		// Tricks no router here resolves to a private handler: private
		// all the same.
		{"/blog/../admin/x", ""},
		{"/blog/%2e%2e/admin/x", ""},
		{"/blog/..%2Fadmin", ""},
	}
	for name, router := range routers() {
		bare := httptest.NewServer(router)
		protected := httptest.NewServer(m.Protect(router, middleware.Public(publicRoutes...)))
		for _, a := range attempts {
			_, body := rawGet(t, bare, a.target)
			reached := strings.HasPrefix(body, "private:")
			assert.Equal(t, strings.Contains(" "+a.reach+" ", " "+name+" "), reached,
				"%s, unprotected: %s reaches the private handler (%q)", name, a.target, body)

			status, body := rawGet(t, protected, a.target)
			assert.Equal(t, http.StatusUnauthorized, status, "%s %s: %q", name, a.target, body)
			assert.NotContains(t, body, "private:", "%s %s", name, a.target)
			assert.NotContains(t, body, "public:", "%s %s", name, a.target)
		}

		// The public pages stay public, the private ones need a session.
		for target, want := range map[string]string{"/": "public:anonymous", "/pricing": "public:anonymous",
			"/status": "public:anonymous", "/blog": "public:anonymous", "/blog/post-1": "public:anonymous", "/pricing?x=1": "public:anonymous"} {
			status, body := rawGet(t, protected, target)
			assert.Equal(t, 200, status, "%s %s", name, target)
			assert.Equal(t, want, body, "%s %s", name, target)
		}
		for _, target := range []string{"/admin/", "/admin/users", "/status/internal", "/dashboard"} {
			status, body := rawGet(t, protected, target)
			assert.Equal(t, http.StatusUnauthorized, status, "%s %s: %q", name, target, body)
			status, body = rawGet(t, protected, target, "Authorization: Bearer "+tok)
			assert.Equal(t, 200, status, "%s %s", name, target)
			assert.Equal(t, "private:user_1", body, "%s %s", name, target)
		}
		bare.Close()
		protected.Close()
	}
}
