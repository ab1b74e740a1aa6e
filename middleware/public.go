package middleware

import (
	"net/http"
	"path"
	"strings"
)

// Matcher reports whether a request matches a set of routes.
type Matcher func(*http.Request) bool

// Public returns a Matcher for public routes, for use with Protect. A
// pattern is an exact path ("/pricing") or a prefix ending in "/*"
// ("/blog/*" matches "/blog" and everything below it). The request path is
// cleaned before matching, so "/blog/../admin" is not public. Public panics
// on a pattern that does not start with "/" or has "*" elsewhere.
func Public(patterns ...string) Matcher {
	exact := map[string]bool{}
	var prefixes []string
	for _, p := range patterns {
		if !strings.HasPrefix(p, "/") {
			panic("clerkkit/middleware: public route pattern must start with /: " + p)
		}
		if base, ok := strings.CutSuffix(p, "/*"); ok {
			if strings.Contains(base, "*") {
				panic("clerkkit/middleware: only a trailing /* is allowed: " + p)
			}
			prefixes = append(prefixes, base)
			continue
		}
		if strings.Contains(p, "*") {
			panic("clerkkit/middleware: only a trailing /* is allowed: " + p)
		}
		exact[p] = true
	}
	return func(r *http.Request) bool {
		p := path.Clean("/" + r.URL.Path)
		if exact[p] {
			return true
		}
		for _, base := range prefixes {
			if p == base || base == "" || strings.HasPrefix(p, base+"/") {
				return true
			}
		}
		return false
	}
}

// Protect requires authentication on every request except those that
// public matches, which still get the session attached when they carry a
// valid token (as WithAuth does). It is the net/http form of the
// "everything is private except publicRoutes" pattern:
//
//	http.ListenAndServe(addr, m.Protect(mux, middleware.Public("/", "/pricing", "/blog/*")))
func (m *Middleware) Protect(h http.Handler, public Matcher) http.Handler {
	if public == nil {
		public = func(*http.Request) bool { return false }
	}
	open, closed := m.WithAuth(h), m.RequireAuth(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if public(r) {
			open.ServeHTTP(w, r)
			return
		}
		closed.ServeHTTP(w, r)
	})
}
