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
	"net/netip"
	"net/url"
	"strings"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/internal/cache"
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
	// ReasonReverificationError.
	Reverification auth.Reverification
	// State is the cookie flow's decision (status, Clerk's reason) when
	// the request was decided by it, nil otherwise (header tokens, or the
	// flow turned off).
	State *auth.RequestState
}

// Reasons of 403 failures. Each constant's name spells its value.
const (
	// ReasonOrgRequired: the session has no active organization.
	ReasonOrgRequired = "org-required"
	// ReasonOrgRoleRequired: the session's role in its active organization
	// is not the one required (e.g. a member where org:admin is required).
	ReasonOrgRoleRequired = "org-role-required"
	// ReasonOrgPermissionRequired: the session's active organization does
	// not grant the permission required.
	ReasonOrgPermissionRequired = "org-permission-required"
	// ReasonFeatureRequired: the session is not entitled to the billing
	// feature required.
	ReasonFeatureRequired = "feature-required"
	// ReasonPlanRequired: the session is not on the billing plan required.
	ReasonPlanRequired = "plan-required"
	// ReasonReverificationError: the session's factors were not verified
	// recently enough; Failure.Reverification says what is required.
	ReasonReverificationError = "reverification-error"
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
// asking for text/html, or a document navigation) redirect (303, with
// Cache-Control: no-store) to signInURL with a redirect_url query parameter
// instead of getting a 401. signInURL is a path ("/sign-in") or an
// absolute http(s) URL.
//
// redirect_url is the request's path and query, made absolute with the
// origin given to WithPublicURL, or else with the X-Forwarded-Host and
// X-Forwarded-Proto of a proxy trusted with WithTrustedProxies; it is never
// built from the Host header. A sign-in page on another origin (such as
// Clerk's Account Portal) needs an absolute redirect_url, so configure
// WithPublicURL with it.
func WithSignInURL(signInURL string) Option {
	return func(m *Middleware) { m.signInURL = signInURL }
}

// WithPublicURL sets the origin at which browsers reach the application
// ("https://app.example.com": a scheme, http or https, and a host, with no
// path, query or credentials), from which WithSignInURL's redirect_url is
// built. New panics when origin is not one.
func WithPublicURL(origin string) Option {
	return func(m *Middleware) { m.publicURL = origin }
}

// WithTrustedProxies makes WithSignInURL's redirect_url honour the
// X-Forwarded-Host and X-Forwarded-Proto headers of requests whose peer
// address (r.RemoteAddr) is in one of prefixes, such as
// netip.MustParsePrefix("10.0.0.0/8"); the last value of each header is
// used, the one the trusted proxy added. From other peers these headers
// are ignored. WithPublicURL, when given, takes precedence. New panics on
// an invalid prefix.
func WithTrustedProxies(prefixes ...netip.Prefix) Option {
	return func(m *Middleware) { m.proxies = append(m.proxies, prefixes...) }
}

// WithTokenExtractor replaces how the token is read from a request. The
// default is the Verifier's TokenFromRequest (Authorization header, then
// the instance's __session cookie).
func WithTokenExtractor(f func(*http.Request) string) Option {
	return func(m *Middleware) { m.extract, m.customExtract = f, true }
}

// Middleware authenticates and authorizes requests with a Verifier.
type Middleware struct {
	v         *auth.Verifier
	onFailure FailureHandler
	signInURL string
	signIn    *url.URL // parsed signInURL
	publicURL string
	origin    string // validated publicURL without a trailing slash
	proxies   []netip.Prefix
	extract   func(*http.Request) string

	customExtract bool // WithTokenExtractor: the cookie flow is off
	noCookieFlow  bool
	reqOpts       auth.RequestOptions

	roles       RoleSource
	roleCache   *cache.Cache[string, string]
	roleClaim   func(*auth.Session) (string, bool)
	memberships MembershipSource

	sessionCheck *auth.SessionChecker // WithSessionCheck
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
		u, err := url.Parse(m.signInURL)
		if err != nil || (u.Path == "" && u.Host == "") || (u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https") {
			panic("clerkkit/middleware: invalid sign-in URL")
		}
		m.signIn = u
	}
	if m.publicURL != "" {
		u, err := url.Parse(m.publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !validHost(u.Host) || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
			panic("clerkkit/middleware: invalid public URL: want an origin such as https://app.example.com")
		}
		m.origin = u.Scheme + "://" + strings.ToLower(u.Host)
	}
	for _, p := range m.proxies {
		if !p.IsValid() {
			panic("clerkkit/middleware: invalid trusted proxy prefix")
		}
	}
	m.initCookieFlow()
	if m.onFailure == nil || m.extract == nil || m.roleClaim == nil {
		panic("clerkkit/middleware: nil failure handler, token extractor or role claim reader")
	}
	return m
}

// authenticate returns the request's session: the one already in the
// context, or a freshly verified one. Cookie-carrying requests are decided
// by the cookie flow (auth.Verifier.AuthenticateRequest); done is true
// when it has answered the request itself (a handshake redirect).
func (m *Middleware) authenticate(w http.ResponseWriter, r *http.Request) (*auth.Session, *http.Request, error, bool) {
	s, r, err, done := m.authenticateToken(w, r)
	if err == nil && !done && m.sessionCheck != nil {
		return m.checkSession(r, s)
	}
	return s, r, err, done
}

// authenticateToken is authenticate without WithSessionCheck's check.
func (m *Middleware) authenticateToken(w http.ResponseWriter, r *http.Request) (*auth.Session, *http.Request, error, bool) {
	if s, ok := auth.FromContext(r.Context()); ok {
		return s, r, nil, false
	}
	if _, decided := auth.RequestStateFromContext(r.Context()); !decided && m.useCookieFlow(r) {
		s, r2, err, done := m.cookieAuthenticate(w, r)
		if err != errCookieFallback {
			return s, r2, err, done
		}
	}
	s, r, err := m.verifyExtracted(r)
	return s, r, err, false
}

// verifyExtracted verifies the token the extractor finds.
func (m *Middleware) verifyExtracted(r *http.Request) (*auth.Session, *http.Request, error) {
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
		_, r, _, done := m.authenticate(w, r)
		if done {
			return
		}
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
		s, r, err, done := m.authenticate(w, r)
		if done {
			return
		}
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
	m.refuse(w, r, err, true)
}

// refuse answers a request whose token did not authenticate: 503 when the
// server could not decide (auth.Unavailable: keys or the Backend API
// unavailable, machine verification bounds reached), else a sign-in
// redirect for page loads when signIn allows one, else 401.
func (m *Middleware) refuse(w http.ResponseWriter, r *http.Request, err error, signIn bool) {
	st, _ := auth.RequestStateFromContext(r.Context())
	if auth.Unavailable(err) || errors.Is(err, auth.ErrHandshakeUnavailable) {
		m.onFailure(w, r, &Failure{Status: http.StatusServiceUnavailable, Reason: failureReason(err), Err: err, State: st})
		return
	}
	if signIn && m.signIn != nil && isPageRequest(r) {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, m.signInRedirect(r), http.StatusSeeOther)
		return
	}
	m.onFailure(w, r, &Failure{Status: http.StatusUnauthorized, Reason: failureReason(err), Err: err, State: st})
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

// signInRedirect returns the sign-in URL with redirect_url set to the
// request's URL: the configured origin, or the trusted proxy's forwarded
// one, or none, followed by the path and query.
func (m *Middleware) signInRedirect(r *http.Request) string {
	back := m.origin
	if back == "" {
		back = m.forwardedOrigin(r)
	}
	back += backPath(r)
	u := *m.signIn
	q := u.Query()
	q.Set("redirect_url", back)
	u.RawQuery = q.Encode()
	return u.String()
}

// backPath returns r's escaped path and query, with one leading slash so
// that, on its own, it cannot be read as a URL on another host
// ("//evil.example").
func backPath(r *http.Request) string {
	p := "/" + strings.TrimLeft(r.URL.EscapedPath(), "/\\")
	if r.URL.RawQuery != "" {
		p += "?" + r.URL.RawQuery
	}
	return p
}

// forwardedOrigin returns the origin that a trusted proxy forwarded r for
// (scheme from X-Forwarded-Proto, else from r.TLS; host from
// X-Forwarded-Host), or "" when r's peer is not a trusted proxy or the
// host is missing or invalid.
func (m *Middleware) forwardedOrigin(r *http.Request) string {
	if len(m.proxies) == 0 {
		return ""
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	addr := ap.Addr().Unmap()
	trusted := false
	for _, p := range m.proxies {
		if p.Contains(addr) {
			trusted = true
			break
		}
	}
	if !trusted {
		return ""
	}
	host := lastValue(r.Header.Values("X-Forwarded-Host"))
	if !validHost(host) {
		return ""
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := strings.ToLower(lastValue(r.Header.Values("X-Forwarded-Proto"))); p == "http" || p == "https" {
		scheme = p
	}
	return scheme + "://" + strings.ToLower(host)
}

// lastValue returns the last comma-separated element of a header's values.
func lastValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	v := values[len(values)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}

// validHost reports whether h is a host name or IP address, with an
// optional port, and nothing else.
func validHost(h string) bool {
	if h == "" || len(h) > 261 {
		return false
	}
	name, port := h, ""
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		a, err := netip.ParseAddr(h[1:end])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return false
		}
		name, port = "", h[end+1:]
		if port != "" && port[0] != ':' {
			return false
		}
	} else if i := strings.IndexByte(h, ':'); i >= 0 {
		name, port = h[:i], h[i:]
	}
	if port != "" {
		port = port[1:]
		if port == "" || len(port) > 5 {
			return false
		}
		for i := 0; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return false
			}
		}
	}
	if strings.HasPrefix(h, "[") {
		return true
	}
	if name == "" || name[0] == '.' || name[0] == '-' || strings.Contains(name, "..") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
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
	return m.requireCheck(auth.Check{Role: role}, ReasonOrgRoleRequired)
}

// RequirePermission returns a middleware that lets through sessions whose
// active organization grants permission ("org:<feature>:<permission>").
func (m *Middleware) RequirePermission(permission string) func(http.Handler) http.Handler {
	return m.requireCheck(auth.Check{Permission: permission}, ReasonOrgPermissionRequired)
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
			f := forbidden(ReasonReverificationError)
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
	case f.Reason == ReasonReverificationError:
		var meta any = f.Reverification
		if f.Reverification.Preset != "" {
			meta = f.Reverification.Preset
		}
		body = map[string]any{"clerk_error": map[string]any{
			"type": "forbidden", "reason": ReasonReverificationError,
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
