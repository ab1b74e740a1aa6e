// Package middleware protects net/http handlers with Clerk sessions.
//
// A Middleware wraps handlers with functions of type
// func(http.Handler) http.Handler, so it works unchanged with
// http.ServeMux, chi and any router that takes standard middleware:
//
//	m := middleware.New(verifier)
//	mux.Handle("GET /api/me", m.RequireAuth(me))
//	mux.Handle("POST /api/orgs/invite", m.RequireOrgAdmin(invite))
//	mux.Handle("POST /api/invoices", m.RequirePermission("org:invoices:create")(create))
//
// Handlers read the session with auth.FromContext(r.Context()).
// Unauthenticated requests get 401 (or, for browser page loads when a
// sign-in URL is configured, a redirect to it); authenticated requests that
// lack a role, permission, feature, plan or recent verification get 403.
// When the signing keys cannot be obtained at all, requests get 503 rather
// than being treated as signed out. Every Require… function authenticates
// on its own, and reuses a session already placed in the context by an
// outer WithAuth or RequireAuth, so chaining them verifies the token once.
package middleware

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/internal/bapi"
)

// Failure describes why a request was refused.
type Failure struct {
	// Status is the HTTP status the default handler answers with: 401,
	// 403 or 503.
	Status int
	// Reason is machine-readable: the auth reason for 401 and 503 (e.g.
	// "token-expired"), or one of the Reason… constants for 403.
	Reason string
	// Err is the verification error for 401 and 503, nil for 403.
	Err error
	// Reverification is the unmet requirement when Reason is
	// ReasonReverification.
	Reverification auth.Reverification
}

// Reasons of 403 failures.
const (
	ReasonOrgRequired        = "org-required"
	ReasonRoleRequired       = "org-role-required"
	ReasonPermissionRequired = "org-permission-required"
	ReasonFeatureRequired    = "feature-required"
	ReasonPlanRequired       = "plan-required"
	ReasonReverification     = "reverification-error"
)

// FailureHandler writes the response for a refused request.
type FailureHandler func(w http.ResponseWriter, r *http.Request, f *Failure)

// Option configures a Middleware.
type Option func(*Middleware)

// WithFailureHandler replaces the default JSON failure responses.
func WithFailureHandler(h FailureHandler) Option {
	return func(m *Middleware) { m.onFailure = h }
}

// WithSignInURL makes unauthenticated browser page requests (GET or HEAD
// asking for text/html, or a document navigation) redirect to signInURL
// with a redirect_url query parameter instead of getting a 401.
func WithSignInURL(signInURL string) Option {
	return func(m *Middleware) { m.signInURL = signInURL }
}

// WithTokenExtractor replaces how the token is read from a request. The
// default is the Verifier's TokenFromRequest (Authorization header, then
// the instance's __session cookie).
func WithTokenExtractor(f func(*http.Request) string) Option {
	return func(m *Middleware) { m.extract = f }
}

// Middleware authenticates and authorizes requests with a Verifier.
type Middleware struct {
	v         *auth.Verifier
	onFailure FailureHandler
	signInURL string
	extract   func(*http.Request) string

	roles       RoleSource
	roleCache   *bapi.Cache[string, string]
	roleClaim   func(*auth.Session) (string, bool)
	memberships MembershipSource
}

// New returns a Middleware for v. It panics when v is nil or an option is
// invalid, as http.ServeMux does for bad patterns: both are programming
// errors.
func New(v *auth.Verifier, opts ...Option) *Middleware {
	if v == nil {
		panic("clerkkit/middleware: New with a nil Verifier")
	}
	m := &Middleware{v: v, onFailure: WriteFailure, extract: v.TokenFromRequest, roleClaim: metadataRole}
	for _, o := range opts {
		o(m)
	}
	if m.signInURL != "" {
		if u, err := url.Parse(m.signInURL); err != nil || (u.Path == "" && u.Host == "") {
			panic("clerkkit/middleware: invalid sign-in URL")
		}
	}
	if m.onFailure == nil || m.extract == nil || m.roleClaim == nil {
		panic("clerkkit/middleware: nil failure handler or token extractor")
	}
	return m
}

// authenticate returns the request's session: the one already in the
// context, or a freshly verified one.
func (m *Middleware) authenticate(r *http.Request) (*auth.Session, *http.Request, error) {
	if s, ok := auth.FromContext(r.Context()); ok {
		return s, r, nil
	}
	tok := m.extract(r)
	if tok == "" {
		return nil, r, auth.ErrNoToken
	}
	s, err := m.v.Verify(r.Context(), tok)
	if err != nil {
		return nil, r, err
	}
	return s, r.WithContext(auth.WithSession(r.Context(), s)), nil
}

// WithAuth attaches the session to the request context when the request
// carries a valid token, and never blocks: requests without one reach next
// unchanged.
func (m *Middleware) WithAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, r, _ = m.authenticate(r)
		next.ServeHTTP(w, r)
	})
}

// RequireAuth lets through only requests with a valid session token.
// Others get 401 with a WWW-Authenticate header and a JSON body
// {"error":"unauthorized","reason":…}, a redirect to the sign-in URL for
// browser page loads, or 503 when the keys are unavailable.
func (m *Middleware) RequireAuth(next http.Handler) http.Handler {
	return m.require(next, nil)
}

// require authenticates, then applies check (when not nil), which returns
// a Failure or nil.
func (m *Middleware) require(next http.Handler, check func(*auth.Session) *Failure) http.Handler {
	if check == nil {
		return m.requireCtx(next, nil)
	}
	return m.requireCtx(next, func(_ *http.Request, s *auth.Session) *Failure { return check(s) })
}

// requireCtx is require for checks that need the request (and the session
// in its context).
func (m *Middleware) requireCtx(next http.Handler, check func(*http.Request, *auth.Session) *Failure) http.Handler {
	if next == nil {
		panic("clerkkit/middleware: nil handler")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, r, err := m.authenticate(r)
		if err != nil {
			m.unauthenticated(w, r, err)
			return
		}
		if check != nil {
			if f := check(r, s); f != nil {
				m.onFailure(w, r, f)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (m *Middleware) unauthenticated(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, auth.ErrKeysUnavailable) {
		m.onFailure(w, r, &Failure{Status: http.StatusServiceUnavailable, Reason: auth.Reason(err), Err: err})
		return
	}
	if m.signInURL != "" && isPageRequest(r) {
		http.Redirect(w, r, m.signInRedirect(r), http.StatusSeeOther)
		return
	}
	m.onFailure(w, r, &Failure{Status: http.StatusUnauthorized, Reason: auth.Reason(err), Err: err})
}

// isPageRequest reports whether r is a browser navigation to a page.
func isPageRequest(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if r.Header.Get("Sec-Fetch-Dest") == "document" {
		return true
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

func (m *Middleware) signInRedirect(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	back := (&url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}).String()
	u, _ := url.Parse(m.signInURL) // validated in New
	q := u.Query()
	q.Set("redirect_url", back)
	u.RawQuery = q.Encode()
	return u.String()
}

// RequireOrg lets through sessions with an active organization.
func (m *Middleware) RequireOrg(next http.Handler) http.Handler {
	return m.require(next, func(s *auth.Session) *Failure {
		if s.OrgID == "" {
			return forbidden(ReasonOrgRequired)
		}
		return nil
	})
}

// RequireOrgAdmin lets through sessions whose active organization role is
// org:admin.
func (m *Middleware) RequireOrgAdmin(next http.Handler) http.Handler {
	return m.RequireOrgRole("org:admin")(next)
}

// RequireOrgRole returns a middleware that lets through sessions whose
// active organization role is role ("admin" and "org:admin" are the same).
func (m *Middleware) RequireOrgRole(role string) func(http.Handler) http.Handler {
	return m.requireCheck(auth.Check{Role: role}, ReasonRoleRequired)
}

// RequirePermission returns a middleware that lets through sessions whose
// active organization grants permission ("org:<feature>:<permission>").
func (m *Middleware) RequirePermission(permission string) func(http.Handler) http.Handler {
	return m.requireCheck(auth.Check{Permission: permission}, ReasonPermissionRequired)
}

// RequireFeature returns a middleware that lets through sessions entitled
// to a billing feature ("org:<f>", "user:<f>" or unscoped).
func (m *Middleware) RequireFeature(feature string) func(http.Handler) http.Handler {
	return m.requireCheck(auth.Check{Feature: feature}, ReasonFeatureRequired)
}

// RequirePlan returns a middleware that lets through sessions on a billing
// plan ("org:<p>", "user:<p>" or unscoped).
func (m *Middleware) RequirePlan(plan string) func(http.Handler) http.Handler {
	return m.requireCheck(auth.Check{Plan: plan}, ReasonPlanRequired)
}

// RequireReverification returns a middleware that lets through sessions
// whose factors were verified recently enough (e.g.
// auth.Reverify(auth.Strict)). Others get 403 with Clerk's reverification
// body, which Clerk's front-end SDKs understand:
// {"clerk_error":{"type":"forbidden","reason":"reverification-error","metadata":{"reverification":…}}}.
func (m *Middleware) RequireReverification(r auth.Reverification) func(http.Handler) http.Handler {
	if r.IsZero() {
		panic("clerkkit/middleware: RequireReverification with an empty requirement")
	}
	return func(next http.Handler) http.Handler {
		return m.require(next, func(s *auth.Session) *Failure {
			if s.Has(auth.Check{Reverification: r}) {
				return nil
			}
			f := forbidden(ReasonReverification)
			f.Reverification = r
			return f
		})
	}
}

func (m *Middleware) requireCheck(c auth.Check, reason string) func(http.Handler) http.Handler {
	if c == (auth.Check{}) {
		panic("clerkkit/middleware: empty role, permission, feature or plan")
	}
	return func(next http.Handler) http.Handler {
		return m.require(next, func(s *auth.Session) *Failure {
			if s.Has(c) {
				return nil
			}
			if (c.Role != "" || c.Permission != "") && s.OrgID == "" {
				return forbidden(ReasonOrgRequired)
			}
			return forbidden(reason)
		})
	}
}

func forbidden(reason string) *Failure {
	return &Failure{Status: http.StatusForbidden, Reason: reason}
}

// WriteFailure is the default FailureHandler. It answers f.Status with a
// JSON body {"error":…,"reason":…}; a 401 also carries WWW-Authenticate
// (RFC 6750: error="invalid_token" when a token was presented), a 503 a
// Retry-After, and a reverification failure Clerk's own body.
func WriteFailure(w http.ResponseWriter, _ *http.Request, f *Failure) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	var body any
	switch {
	case f.Status == http.StatusUnauthorized:
		if errors.Is(f.Err, auth.ErrNoToken) {
			h.Set("WWW-Authenticate", `Bearer`)
		} else {
			h.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		}
		body = errorBody{"unauthorized", f.Reason}
	case f.Status == http.StatusServiceUnavailable:
		h.Set("Retry-After", "5")
		body = errorBody{"unavailable", f.Reason}
	case f.Reason == ReasonReverification:
		var meta any = f.Reverification
		if f.Reverification.Preset != "" {
			meta = f.Reverification.Preset
		}
		body = map[string]any{"clerk_error": map[string]any{
			"type": "forbidden", "reason": ReasonReverification,
			"metadata": map[string]any{"reverification": meta},
		}}
	default:
		body = errorBody{"forbidden", f.Reason}
	}
	w.WriteHeader(f.Status)
	json.NewEncoder(w).Encode(body)
}

type errorBody struct {
	Error  string `json:"error"`
	Reason string `json:"reason"`
}
