package middleware

import (
	"net/http"
	"net/url"
	"strings"
)

// Matcher reports whether a request matches a set of routes.
type Matcher func(*http.Request) bool

// Public returns a Matcher for public routes, for use with Protect. A
// pattern is an exact path ("/pricing" matches "/pricing" only, not
// "/pricing/" nor "/PRICING") or a subtree ending in "/*" ("/blog/*" matches
// "/blog", "/blog/" and everything below, but not "/blogx"; "/*" matches
// every path). Patterns are decoded paths and are compared byte for byte.
//
// Whatever the router, a request is public only when its path is canonical
// in every form a router may route on (r.URL.Path, r.URL.RawPath and
// r.RequestURI) and matches a pattern in both its decoded and its escaped
// form. So a path with an empty segment ("//"), a dot segment ("." or
// ".."), a backslash, a control character, or a percent-encoded "/", ".",
// "\", "%" (double encoding) or control character is private, as is an empty path or a
// RawPath that does not decode to Path: routers that route the raw path
// (chi, gorilla/mux with SkipClean) might send it elsewhere than the
// pattern says.
//
// Public panics on a pattern that does not start with "/", is not
// canonical in that sense, contains "%", "?" or "#", or has "*" anywhere
// but in a trailing "/*".
func Public(patterns ...string) Matcher {
	type route struct {
		path, escaped string // decoded and default-escaped forms
		subtree       bool
	}
	routes := make([]route, 0, len(patterns))
	for _, p := range patterns {
		base, subtree := strings.CutSuffix(p, "/*")
		switch {
		case !strings.HasPrefix(p, "/"):
			panic("clerkkit/middleware: public route pattern must start with /: " + p)
		case strings.Contains(base, "*"):
			panic("clerkkit/middleware: only a trailing /* is allowed: " + p)
		case strings.ContainsAny(base, "%?#"):
			panic("clerkkit/middleware: a public route pattern is a decoded path without %, ? or #: " + p)
		case base != "" && !canonicalPath(base), subtree && strings.HasSuffix(base, "/"):
			panic("clerkkit/middleware: public route pattern is not a canonical path: " + p)
		}
		routes = append(routes, route{base, (&url.URL{Path: base}).EscapedPath(), subtree})
	}
	matches := func(p, pattern string, subtree bool) bool {
		if !subtree {
			return p == pattern
		}
		return p == pattern || strings.HasPrefix(p, pattern+"/")
	}
	return func(r *http.Request) bool {
		if r.URL == nil || r.URL.Opaque != "" || !canonicalURLPath(r.URL) {
			return false
		}
		if r.RequestURI != "" && !sameRawPath(r) {
			// The path as received, before a middleware rewrote r.URL.
			u, err := url.ParseRequestURI(r.RequestURI)
			if err != nil || u.Opaque != "" || !canonicalURLPath(u) {
				return false
			}
		}
		for _, rt := range routes {
			if matches(r.URL.Path, rt.path, rt.subtree) && (r.URL.RawPath == "" || matches(r.URL.RawPath, rt.escaped, rt.subtree)) {
				return true
			}
		}
		return false
	}
}

// sameRawPath reports whether r.RequestURI is r.URL's raw path and an
// optional query, which r.URL has been checked for already.
func sameRawPath(r *http.Request) bool {
	p, _, _ := strings.Cut(r.RequestURI, "?")
	if r.URL.RawPath != "" {
		return p == r.URL.RawPath
	}
	return p == r.URL.Path
}

// canonicalURLPath reports whether u's path is canonical (see
// canonicalPath) and its raw form, when there is one, decodes to it and
// escapes none of the characters that change how a path is split or
// decoded.
func canonicalURLPath(u *url.URL) bool {
	if !canonicalPath(u.Path) {
		return false
	}
	if u.RawPath == "" {
		return true
	}
	if dec, err := url.PathUnescape(u.RawPath); err != nil || dec != u.Path {
		return false
	}
	for i := 0; i < len(u.RawPath); i++ {
		if u.RawPath[i] != '%' {
			continue
		}
		// PathUnescape accepted it, so two hex digits follow.
		switch b := unhex(u.RawPath[i+1])<<4 | unhex(u.RawPath[i+2]); {
		case b == '/', b == '.', b == '\\', b == '%', b < 0x20, b == 0x7f:
			return false
		}
		i += 2
	}
	return true
}

// canonicalPath reports whether p is an absolute decoded path with no
// empty segment (but a trailing slash), no "." or ".." segment, no
// backslash, no control character and no "%" (which, decoded, means the
// raw path was encoded twice).
func canonicalPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c == '\\' || c == '%' || c < 0x20 || c == 0x7f {
			return false
		}
	}
	rest := p[1:]
	for rest != "" {
		seg, tail, more := strings.Cut(rest, "/")
		if seg == "." || seg == ".." || (seg == "" && more) {
			return false
		}
		rest = tail
	}
	return true
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}

// Protect requires authentication on every request except those that
// public matches, which still get the session attached when they carry a
// valid token (as WithAuth does). It is the net/http form of the
// "everything is private except publicRoutes" pattern:
//
//	http.ListenAndServe(addr, m.Protect(mux, middleware.Public("/", "/pricing", "/blog/*")))
//
// Protect wraps the whole router, so that no route can be left out. A nil
// public makes every request private.
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
