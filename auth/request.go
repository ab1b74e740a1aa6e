package auth

import (
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"strings"
)

// SessionCookie is the name of the cookie in which Clerk's browser SDK keeps
// the session token.
const SessionCookie = "__session"

// CookieSuffix returns the suffix Clerk appends to its cookie names for the
// given publishable key, so that apps sharing a domain do not clash: the
// first 8 characters of base64url(SHA-1(publishable key)).
func CookieSuffix(publishableKey string) string {
	sum := sha1.Sum([]byte(publishableKey))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:8]
}

// TokenFromRequest returns the session token a request carries: the
// Authorization header first (the "Bearer" scheme in any case, or a bare
// token with no space), else the __session cookie, else the first
// __session_<suffix> cookie. An Authorization header with another scheme
// ("Basic …") carries no Clerk token and is ignored, as Clerk's SDKs
// ignore it, so the cookie is used. It returns "" when there is none.
func TokenFromRequest(r *http.Request) string {
	if t, ok := headerToken(r); ok {
		return t
	}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		return c.Value
	}
	for _, c := range r.Cookies() {
		if strings.HasPrefix(c.Name, SessionCookie+"_") && c.Value != "" {
			return c.Value
		}
	}
	return ""
}

// TokenFromRequest is like the package function, but with a publishable key
// configured it reads only this instance's cookies: __session_<suffix>
// first, then __session.
func (v *Verifier) TokenFromRequest(r *http.Request) string {
	if v.suffix == "" {
		return TokenFromRequest(r)
	}
	if t, ok := headerToken(r); ok {
		return t
	}
	for _, name := range [...]string{SessionCookie + "_" + v.suffix, SessionCookie} {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			return c.Value
		}
	}
	return ""
}

// BearerToken returns the token of the Authorization header ("Bearer
// <token>", the scheme in any case, or a bare token with no space), or ""
// when there is none or the header uses another scheme. It never reads a
// cookie: it is where machine tokens (API keys, M2M and OAuth tokens) come
// from, which Clerk never puts in cookies.
func BearerToken(r *http.Request) string {
	t, _ := headerToken(r)
	return t
}

// headerToken reads the Authorization header; ok is false when the header
// is absent or uses a scheme other than Bearer, so that cookies are
// consulted. Unlike Clerk's SDKs, which take only "Bearer" spelt so, the
// scheme is matched case-insensitively, as RFC 9110 has it.
func headerToken(r *http.Request) (string, bool) {
	var h string
	if vs := r.Header["Authorization"]; len(vs) > 0 { // r.Header.Get, the key canonical
		h = strings.TrimSpace(vs[0])
	}
	if h == "" {
		return "", false
	}
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), true
	}
	if !strings.ContainsAny(h, " \t") {
		return h, true
	}
	return "", false // another scheme: not a Clerk token, fall back to cookies
}
