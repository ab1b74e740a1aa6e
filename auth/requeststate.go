package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/clerkkit/clerkkit/clerkerr"
)

// RequestStatus is the outcome of AuthenticateRequest, Clerk's AuthStatus.
type RequestStatus string

// Request statuses.
const (
	// SignedIn: the request carries a valid token; RequestState.Principal
	// says whose.
	SignedIn RequestStatus = "signed-in"
	// SignedOut: the request is not authenticated; RequestState.Reason
	// says why.
	SignedOut RequestStatus = "signed-out"
	// Handshake: the request is a page navigation whose cookies cannot be
	// decided yet (typically a session token older than its 60 s
	// lifetime): answer it with a 307 and RequestState.Headers, which send
	// the browser through the Frontend API to refresh its cookies and
	// straight back.
	Handshake RequestStatus = "handshake"
)

// Reasons of signed-out and handshake states that are Clerk's
// AuthErrorReason values (token verification failures use the *Error
// reasons, such as "token-invalid-signature"). An expired session token's
// reason is ReasonSessionTokenExpired followed by "-refresh-" and why no
// refresh was attempted, as in Clerk: "-refresh-non-eligible-no-refresh-cookie",
// "-refresh-non-eligible-non-get" or "-refresh-missing-api-client".
const (
	ReasonClientUATWithoutSessionToken   = "client-uat-but-no-session-token"
	ReasonDevBrowserMissing              = "dev-browser-missing"
	ReasonDevBrowserSync                 = "dev-browser-sync"
	ReasonPrimaryRespondsToSyncing       = "primary-responds-to-syncing"
	ReasonPrimaryDomainCrossOriginSync   = "primary-domain-cross-origin-sync"
	ReasonSatelliteNeedsSyncing          = "satellite-needs-syncing"
	ReasonSessionTokenAndUATMissing      = "session-token-and-uat-missing"
	ReasonSessionTokenMissing            = "session-token-missing"
	ReasonSessionTokenExpired            = "session-token-expired"
	ReasonSessionTokenIATBeforeClientUAT = "session-token-iat-before-client-uat"
	ReasonSessionTokenNBF                = "session-token-nbf"
	ReasonSessionTokenIATInTheFuture     = "session-token-iat-in-the-future"
	ReasonSessionTokenWithoutClientUAT   = "session-token-but-no-client-uat"
	ReasonTokenTypeMismatch              = "token-type-mismatch"
	// ReasonNoTokenInHeader is Clerk's reason when only one machine kind
	// is accepted and the Authorization header carries no token.
	ReasonNoTokenInHeader = "No token in header"
)

// Clerk's cookie and query parameter names.
const (
	// ClientUATCookie holds the client's last update time in seconds ("0":
	// signed out), set by Clerk next to __session.
	ClientUATCookie = "__client_uat"
	// DevBrowserCookie (and query parameter) holds the dev browser token
	// of development instances.
	DevBrowserCookie = "__clerk_db_jwt"
	// RefreshCookie is the cookie of Clerk's session refresh token.
	RefreshCookie = "__refresh"
	// HandshakeParam (query parameter or cookie) carries a signed
	// handshake token back from the Frontend API.
	HandshakeParam = "__clerk_handshake"
	// HandshakeNonceParam (query parameter or cookie) carries a handshake
	// nonce, exchanged through the Backend API.
	HandshakeNonceParam = "__clerk_handshake_nonce"
	// RedirectCountCookie counts handshakes in a row (the redirect-loop
	// guard): at 3 the request is signed out instead.
	RedirectCountCookie = "__clerk_redirect_count"
	// SyncedParam is the satellite sync status: "false" asks for a sync,
	// "true" says it is done.
	SyncedParam = "__clerk_synced"
	// RedirectURLParam is where a primary domain sends a satellite back.
	RedirectURLParam      = "__clerk_redirect_url"
	legacyDevBrowserParam = "__dev_session"
	handshakeHelpParam    = "__clerk_help"
)

// HandshakeAPIVersion is the __clerk_api_version the handshake redirect
// asks the Frontend API for (Clerk's SUPPORTED_BAPI_VERSION in
// @clerk/backend 3.25.0).
const HandshakeAPIVersion = "2026-05-12"

// maxRedirectLoop is the handshake count at which the loop guard signs the
// request out.
const maxRedirectLoop = 3

// Errors of AuthenticateRequest that are not a state.
var (
	// ErrNoPublishableKey: cookie-authenticated requests need
	// Config.PublishableKey (the Frontend API host, the cookie suffix and
	// the instance type come from it).
	ErrNoPublishableKey = fmt.Errorf("%w: AuthenticateRequest needs Config.PublishableKey", clerkerr.ErrInvalidConfig)
	// ErrSatelliteConfig: RequestOptions.IsSatellite without a Domain or
	// Config.ProxyURL, without a SignInURL on a development instance, or
	// with a SignInURL that is not absolute or on the request's origin.
	ErrSatelliteConfig = fmt.Errorf("%w: satellite options", clerkerr.ErrInvalidConfig)
	// ErrHandshakeUnavailable: a handshake could not be resolved on the
	// server's side: the Backend API did not answer the nonce exchange,
	// answered what is not a handshake payload, or refused the secret
	// key; or no secret key is configured to exchange it.
	ErrHandshakeUnavailable = errors.New("clerkkit/auth: handshake unavailable")
	// ErrHandshakeInvalid: on a development instance, the handshake
	// token does not verify (Clerk throws in this case, to stop a loop
	// after keys were switched locally).
	ErrHandshakeInvalid = errors.New("clerkkit/auth: handshake token does not verify")
	// ErrBadRedirectURL: a development primary domain was asked to send a
	// satellite back to a __clerk_redirect_url that is not an absolute
	// http(s) URL.
	ErrBadRedirectURL = errors.New("clerkkit/auth: invalid __clerk_redirect_url")
)

// RequestOptions are AuthenticateRequest's options, Clerk's
// AuthenticateRequestOptions of the same names.
type RequestOptions struct {
	// SignInURL and SignUpURL are the application's sign-in and sign-up
	// pages (Clerk's signInUrl and signUpUrl). A satellite of a
	// development instance needs SignInURL: it is where it syncs.
	SignInURL, SignUpURL string
	// IsSatellite marks this application as a satellite domain of the
	// instance.
	IsSatellite bool
	// Domain is the satellite's domain ("satellite.example.com"); on a
	// production instance its Frontend API is clerk.<Domain>.
	Domain string
	// SatelliteAutoSync syncs a satellite on a first visit with no
	// cookies; by default it is signed out until a sync is asked for
	// (__clerk_synced=false), as in Clerk's Core 3.
	SatelliteAutoSync bool
	// AcceptsToken is the kinds of token accepted: none means SessionToken
	// only; one kind is Clerk's acceptsToken given as a string (AnyToken
	// is "any"); several are Clerk's array form.
	AcceptsToken []TokenKind
	// TrustedProxy, when it returns true for a request, lets its
	// X-Forwarded-Host and X-Forwarded-Proto (the first value of each, as
	// Clerk reads them) give the request's public URL; otherwise the Host
	// header and the connection do.
	TrustedProxy func(*http.Request) bool
}

// RequestState is the decision of AuthenticateRequest. Like Session it is
// immutable once returned: the signed-in state of a Cookie header decided
// before is handed to every request that carries it again, so do not
// modify it.
type RequestState struct {
	// Status is SignedIn, SignedOut or Handshake.
	Status RequestStatus
	// Reason is Clerk's reason string, "" when signed in: one of the
	// Reason… constants or a token verification reason (see Error.Reason).
	Reason string
	// Message is a human-readable detail; it never contains a token.
	Message string
	// Principal is who is signed in; nil unless Status is SignedIn.
	Principal *Principal
	// Headers are what to send with the response: for a handshake, the
	// Location of the 307, Cache-Control: no-store and the redirect
	// counter cookie; for a resolved handshake, the cookies it sets (and,
	// on development instances, a Location without the handshake
	// parameters, to redirect to). Nil when there is nothing to send (a
	// plain signed-in or signed-out decision); reading a nil Header is
	// safe.
	Headers http.Header

	// ctx is room for the first WithRequestState context of a state
	// made with it, in the same allocation (see sessionState).
	ctx *stateContext
}

// Redirect reports whether the response must be a redirect to
// Headers' Location: a handshake, or a resolved handshake that cleans
// the URL.
func (s *RequestState) Redirect() bool { return s != nil && s.Headers.Get("Location") != "" }

type requestStateKey struct{}

// WithRequestState returns a copy of ctx carrying st. When st is signed in
// with a session token, the copy also carries that session, as
// WithSession(ctx, st.Principal.Session) would: FromContext returns it.
func WithRequestState(ctx context.Context, st *RequestState) context.Context {
	var c *stateContext
	if st != nil && st.ctx != nil && st.ctx.used.CompareAndSwap(false, true) {
		c = st.ctx // allocated with st, used once
	} else {
		c = new(stateContext)
	}
	c.Context, c.st = ctx, st
	return c
}

// stateContext is the context of WithRequestState: one value for both the
// state and, when signed in, its session.
type stateContext struct {
	context.Context
	st   *RequestState
	used atomic.Bool // RequestState.ctx taken
}

func (c *stateContext) Value(key any) any {
	switch key.(type) {
	case requestStateKey:
		return c.st
	case sessionKey:
		if st := c.st; st != nil && st.Status == SignedIn && st.Principal != nil && st.Principal.Session != nil {
			return st.Principal.Session
		}
	}
	return c.Context.Value(key)
}

func (c *stateContext) String() string {
	return fmt.Sprint(c.Context) + ".WithRequestState"
}

// RequestStateFromContext returns the state stored by WithRequestState
// (as the middleware does for cookie-authenticated requests).
func RequestStateFromContext(ctx context.Context) (*RequestState, bool) {
	st, ok := ctx.Value(requestStateKey{}).(*RequestState)
	return st, ok && st != nil
}

// acceptMode is how Clerk reads acceptsToken: a single kind or a list.
type acceptMode struct {
	single TokenKind // "" when a list
	list   kindSet
}

func newAcceptMode(kinds []TokenKind) (acceptMode, error) {
	switch len(kinds) {
	case 0:
		return acceptMode{single: SessionToken}, nil
	case 1:
		if kindBit(kinds[0]) == 0 {
			return acceptMode{}, fmt.Errorf("%w: unknown token kind %q in AcceptsToken", clerkerr.ErrInvalidConfig, string(kinds[0]))
		}
		return acceptMode{single: kinds[0]}, nil
	}
	s, err := acceptSet(kinds)
	if err != nil {
		return acceptMode{}, fmt.Errorf("%w: AcceptsToken: %w", clerkerr.ErrInvalidConfig, err)
	}
	return acceptMode{list: s}, nil
}

// accepts reports whether kind k is accepted.
func (m acceptMode) accepts(k TokenKind) bool {
	if m.single == "" {
		return m.list.has(k)
	}
	return m.single == AnyToken || m.single == k
}

// machineSingle reports whether exactly one machine kind is accepted.
func (m acceptMode) machineSingle() bool {
	return m.single == APIKey || m.single == M2MToken || m.single == OAuthToken
}

// clerkTokenKind is the kind Clerk's SDK gives a header token before
// verifying it: by prefix, else an OAuth or M2M JWT, else a session token.
func clerkTokenKind(tok string) TokenKind {
	if k, ok := opaqueKind(tok); ok {
		return k
	}
	if looseIsMachineJWT(tok) {
		j, _ := decodeLoose(tok)
		if typ, ok := j.headerStr("typ"); ok && (typ == "at+jwt" || typ == "application/at+jwt") {
			return OAuthToken
		}
		return M2MToken
	}
	return SessionToken
}

// AuthenticateRequest decides r as Clerk's authenticateRequest
// (@clerk/backend 3.25.0) decides the same request with the same options:
// signed in, signed out with Clerk's reason, or a handshake.
//
// A token in the Authorization header is verified with VerifyToken for the
// kinds accepted; cookies are not read then. Otherwise the instance's
// cookies are: __session and __client_uat (suffixed __session_<suffix>
// and __client_uat_<suffix> where Clerk's rule picks them), the dev
// browser (__clerk_db_jwt, query or cookie) on development instances
// (pk_test_), a handshake being resolved (__clerk_handshake_nonce,
// exchanged through the Backend API, or a signed __clerk_handshake token),
// and the satellite sync parameters. When the cookies cannot be decided
// yet — no dev browser, a __client_uat without a session token or the
// reverse, a session token older than the client, expired or not yet
// valid — a page navigation (a GET with Sec-Fetch-Dest document or
// iframe, or without Sec-Fetch-Dest and with Accept text/html…) gets a
// Handshake state, at most 3 times in a row (the __clerk_redirect_count
// cookie); any other request is signed out with the same reason.
//
// The error is non-nil only when the request could not be decided: keys or
// the Backend API unavailable (Unavailable reports it), the handshake
// exchange failing (ErrHandshakeUnavailable), a development instance's
// invalid handshake token (ErrHandshakeInvalid), or a configuration error
// (wrapping clerkerr.ErrInvalidConfig). It never contains a token.
func (v *Verifier) AuthenticateRequest(ctx context.Context, r *http.Request, o RequestOptions) (*RequestState, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: AuthenticateRequest with a nil request", clerkerr.ErrInvalidConfig)
	}
	mode, err := newAcceptMode(o.AcceptsToken)
	if err != nil {
		return nil, err
	}
	tokenInHeader, _ := headerToken(r)
	// A Cookie header decided signed in before is reused (cookiememo.go).
	key := cookieMemoKey(r, &o, mode, tokenInHeader)
	if st := v.memoHit(key); st != nil {
		return st, nil
	}
	rc := &reqCtx{v: v, r: r, o: o, mode: mode, tokenInHeader: tokenInHeader}
	if !mode.machineSingle() {
		if err := rc.init(); err != nil {
			return nil, err
		}
	}

	if mode.single == "" {
		k := SessionToken
		if rc.tokenInHeader != "" {
			k = clerkTokenKind(rc.tokenInHeader)
		}
		if !mode.accepts(k) {
			return rc.signedOut(ReasonTokenTypeMismatch, ""), nil
		}
	}
	if rc.tokenInHeader != "" {
		return rc.headerFlow(ctx)
	}
	if mode.machineSingle() {
		return rc.signedOut(ReasonNoTokenInHeader, ""), nil
	}
	st, err := rc.cookieFlow(ctx)
	if err == nil {
		v.memoPut(key, st, rc)
	}
	return st, err
}

// reqCtx is Clerk's AuthenticateContext: what the decision reads.
type reqCtx struct {
	v    *Verifier
	r    *http.Request
	o    RequestOptions
	mode acceptMode

	dev          bool   // development instance (pk_test_)
	suffix       string // cookie suffix
	frontendAPI  string // Frontend API host or proxy URL
	originalFAPI string // Frontend API host, for token ownership
	base         string // scheme://host/path of the public URL (publicURL)
	origin       string // scheme://host of the public URL (publicURL)
	urlDone      bool
	rawQuery     string
	queryPairs   [][2]string // rawQuery parsed, once (see query)
	queryDone    bool
	jar          clerkCookies

	tokenInHeader   string
	sessionCookie   string
	clientUAT       float64
	refreshCookie   string
	devBrowser      string
	handshakeToken  string
	handshakeNonce  string
	redirectCounter float64
	suffixed        bool
	unmemoable      bool // the cookies' reading depends on the clock (cookiememo.go)

	peeked [2]struct {
		tok string
		p   tokenPeek
	}
}

// peek is peekToken, memoized for the request's two session cookies.
func (rc *reqCtx) peek(tok string) tokenPeek {
	for i := range rc.peeked {
		if rc.peeked[i].tok == tok && tok != "" {
			return rc.peeked[i].p
		}
	}
	p := rc.v.peekToken(tok)
	for i := range rc.peeked {
		if rc.peeked[i].tok == "" {
			rc.peeked[i].tok, rc.peeked[i].p = tok, p
			break
		}
	}
	return p
}

// verifySession is Verify for a session cookie already peeked at: a token
// peek found in the verified-token cache, for the key set still current,
// is not looked up again.
func (rc *reqCtx) verifySession(ctx context.Context, tok string) (*Session, error) {
	for i := range rc.peeked {
		if e := &rc.peeked[i]; e.tok == tok && tok != "" && e.p.cached != nil {
			if ks := rc.v.keys.snap.Load(); ks != nil && ks.gen == e.p.gen {
				return rc.v.acceptCached(tok, e.p.cached, rc.v.cfg.Now())
			}
			break
		}
	}
	return rc.v.Verify(ctx, tok)
}

func (rc *reqCtx) init() error {
	cfg := rc.v.cfg
	if cfg.PublishableKey == "" || cfg.fapiHost == "" {
		return ErrNoPublishableKey
	}
	rc.dev = strings.HasPrefix(cfg.PublishableKey, "pk_test_")
	rc.suffix = rc.v.suffix
	rc.originalFAPI = cfg.fapiHost
	if !rc.dev && rc.o.Domain != "" && rc.o.IsSatellite {
		rc.originalFAPI = "clerk." + rc.o.Domain
	}
	rc.frontendAPI = rc.originalFAPI
	if cfg.ProxyURL != "" {
		rc.frontendAPI = cfg.ProxyURL
	}
	rc.rawQuery = rc.r.URL.RawQuery
	if rc.o.IsSatellite {
		if rc.o.SignInURL == "" && strings.HasPrefix(cfg.SecretKey, "sk_test_") {
			return fmt.Errorf("%w: a satellite of a development instance needs SignInURL", ErrSatelliteConfig)
		}
		if o := rc.r.Header.Get("Origin"); rc.o.SignInURL != "" && o != "" {
			u, err := url.Parse(rc.o.SignInURL)
			if err != nil || u.Scheme == "" || u.Host == "" {
				return fmt.Errorf("%w: SignInURL must be absolute", ErrSatelliteConfig)
			}
			if so, _ := urlOrigin(rc.o.SignInURL); so == o {
				return fmt.Errorf("%w: SignInURL must be on another origin than the satellite", ErrSatelliteConfig)
			}
		}
		if cfg.ProxyURL == "" && rc.o.Domain == "" {
			return fmt.Errorf("%w: a satellite needs Domain or Config.ProxyURL", ErrSatelliteConfig)
		}
	}
	rc.jar.parse(joinCookieLines(rc.r.Header["Cookie"]), rc.suffix)
	rc.suffixed = rc.usesSuffixedCookies()
	rc.sessionCookie = rc.cookieEither(ckSession)
	rc.refreshCookie = rc.jar.get(ckRefreshSfx)
	rc.clientUAT = jsParseInt(rc.cookieEither(ckUAT))
	if rc.rawQuery != "" {
		rc.devBrowser, _ = rc.query(DevBrowserCookie)
		rc.handshakeToken, _ = rc.query(HandshakeParam)
		rc.handshakeNonce, _ = rc.query(HandshakeNonceParam)
	}
	if rc.devBrowser == "" {
		rc.devBrowser = rc.cookieEither(ckDevBrowser)
	}
	if rc.handshakeToken == "" {
		rc.handshakeToken = rc.jar.get(ckHandshake)
	}
	rc.redirectCounter = jsNumber(rc.jar.get(ckRedirectCount))
	if rc.handshakeNonce == "" {
		rc.handshakeNonce = rc.jar.get(ckHandshakeNonce)
	}
	return nil
}

// publicURL derives the request's public URL as Clerk's ClerkRequest does:
// X-Forwarded-Host (else Host) and X-Forwarded-Proto (else the
// connection's scheme), the first value of each, the forwarded headers
// only from a trusted proxy.
func (rc *reqCtx) publicURL() {
	if rc.urlDone {
		return
	}
	rc.urlDone = true
	r := rc.r
	scheme, host, initScheme, initHost := publicSchemeHost(r, &rc.o)
	origin, ok := urlOrigin(scheme + "://" + host)
	if !ok || origin == "null" {
		origin, _ = urlOrigin(initScheme + "://" + initHost)
	}
	rc.origin = origin
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	rc.base = origin + path
}

// publicSchemeHost returns the scheme and host publicURL builds the
// public URL from (X-Forwarded-* from a trusted proxy, else the request's
// own), and the request's own, which publicURL falls back to.
func publicSchemeHost(r *http.Request, o *RequestOptions) (scheme, host, initScheme, initHost string) {
	scheme = r.URL.Scheme
	if scheme == "" {
		scheme = "http"
		if r.TLS != nil {
			scheme = "https"
		}
	}
	host = r.Host
	if host == "" {
		host = r.URL.Host
	}
	initScheme, initHost = scheme, host
	if o.TrustedProxy != nil && o.TrustedProxy(r) {
		if vs, ok := r.Header["X-Forwarded-Host"]; ok && len(vs) > 0 {
			host, _, _ = strings.Cut(strings.Join(vs, ", "), ",")
		}
		if vs, ok := r.Header["X-Forwarded-Proto"]; ok && len(vs) > 0 {
			scheme, _, _ = strings.Cut(strings.Join(vs, ", "), ",")
		}
		if host == "" || scheme == "" {
			scheme, host = initScheme, initHost
		}
	}
	return scheme, host, initScheme, initHost
}

// urlOrigin returns the origin of an absolute URL as WHATWG URL gives it
// (scheme and host lowercased, default port dropped; "null" for schemes
// without origins), and whether s is one.
func urlOrigin(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(u.Host, "[") {
		host = "[" + host + "]"
	}
	port := u.Port()
	switch scheme {
	case "http", "ws":
		if port == "80" {
			port = ""
		}
	case "https", "wss":
		if port == "443" {
			port = ""
		}
	case "ftp":
		if port == "21" {
			port = ""
		}
	default:
		return "null", true
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, true
}

// query is queryGet on the request's query, parsed once. Every name read
// starts with "__": a query with neither "__" nor an escape ("%") has
// none of them and is not parsed at all.
func (rc *reqCtx) query(name string) (string, bool) {
	if !rc.queryDone {
		rc.queryDone = true
		if q := rc.rawQuery; strings.Contains(q, "__") || strings.Contains(q, "%") {
			rc.queryPairs = parseQuery(q)
		}
	}
	for _, p := range rc.queryPairs {
		if p[0] == name {
			return p[1], true
		}
	}
	return "", false
}

// headerValue is r.Header.Get for a key already in canonical form.
func headerValue(r *http.Request, canonicalKey string) string {
	if v := r.Header[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// cookieEither reads the suffixed or the unsuffixed cookie of a pair (c,
// c+1), as Clerk's getSuffixedOrUnSuffixedCookie.
func (rc *reqCtx) cookieEither(c ckName) string {
	if rc.suffixed {
		return rc.jar.get(c + 1)
	}
	return rc.jar.get(c)
}

// ckName indexes the cookies the decision reads.
type ckName int

// The cookies read; a suffixed name follows its unsuffixed one.
const (
	ckSession ckName = iota
	ckSessionSfx
	ckUAT
	ckUATSfx
	ckDevBrowser
	ckDevBrowserSfx
	ckRefreshSfx
	ckHandshake
	ckHandshakeNonce
	ckRedirectCount
	ckCount
)

// clerkCookies holds the first value of each cookie the decision reads,
// from one pass over the Cookie header with no allocation but for
// percent-decoded values.
type clerkCookies struct {
	v   [ckCount]string
	set [ckCount]bool
}

func (j *clerkCookies) get(c ckName) string { return j.v[c] }

// has reports whether the cookie is present and not empty (JavaScript
// reads an empty cookie as absent).
func (j *clerkCookies) has(c ckName) bool { return j.v[c] != "" }

func (j *clerkCookies) parse(header, suffix string) {
	scanCookies(header, func(name, value string) {
		c := cookieIndex(name, suffix)
		if c < 0 || j.set[c] {
			return
		}
		j.set[c] = true
		j.v[c] = decodeCookieValue(value)
	})
}

// cookieIndex returns the index of a cookie name, -1 for others.
func cookieIndex(name, suffix string) ckName {
	base, suffixed := name, false
	if n := len(name) - len(suffix) - 1; suffix != "" && n > 0 && name[n] == '_' && name[n+1:] == suffix {
		base, suffixed = name[:n], true
	}
	var c ckName
	switch base {
	case SessionCookie:
		c = ckSession
	case ClientUATCookie:
		c = ckUAT
	case DevBrowserCookie:
		c = ckDevBrowser
	case RefreshCookie:
		if suffixed {
			return ckRefreshSfx
		}
		return -1
	case HandshakeParam:
		c = ckHandshake
	case HandshakeNonceParam:
		c = ckHandshakeNonce
	case RedirectCountCookie:
		c = ckRedirectCount
	default:
		return -1
	}
	if suffixed {
		if c >= ckRefreshSfx {
			return -1 // not suffixed by Clerk
		}
		return c + 1
	}
	return c
}

// usesSuffixedCookies is Clerk's rule for reading __session_<suffix> and
// __client_uat_<suffix> rather than the unsuffixed cookies.
func (rc *reqCtx) usesSuffixedCookies() bool {
	// JavaScript reads an empty cookie as absent.
	sfxUAT, hasSfxUAT := rc.jar.get(ckUATSfx), rc.jar.has(ckUATSfx)
	uat, hasUAT := rc.jar.get(ckUAT), rc.jar.has(ckUAT)
	sfxSession := rc.jar.get(ckSessionSfx)
	session := rc.jar.get(ckSession)
	notZero := func(v string, has bool) bool { return !has || v != "0" }

	var sp, fp tokenPeek
	if session != "" {
		sp = rc.peek(session)
		if !sp.ok || !sp.issTruthy {
			return false
		}
		if !sp.issIsStr || rc.originalFAPI != stripSchemes(sp.iss) {
			return true
		}
	}
	if !hasSfxUAT && sfxSession == "" {
		return false
	}
	if sfxSession != "" {
		fp = rc.peek(sfxSession)
	}
	sessionIAT, sfxIAT := sp.iat, fp.iat
	if notZero(sfxUAT, hasSfxUAT) && notZero(uat, hasUAT) && sessionIAT > sfxIAT {
		return false
	}
	if hasSfxUAT && sfxUAT == "0" && notZero(uat, hasUAT) {
		return false
	}
	if rc.dev {
		expired := false
		if fp.hasExp {
			expired = fp.exp <= float64(rc.v.cfg.Now().Unix())
			// The answer may change with the clock: not remembered.
			rc.unmemoable = rc.unmemoable || (notZero(sfxUAT, hasSfxUAT) && hasUAT && uat == "0")
		}
		if notZero(sfxUAT, hasSfxUAT) && hasUAT && uat == "0" && expired {
			return false
		}
	}
	if !hasSfxUAT && sfxSession != "" {
		return false
	}
	return true
}

// truthy reports whether payload member k is JavaScript-truthy.
func truthy(j *looseJWT, k string) bool {
	if j == nil || j.payload == nil {
		return false
	}
	switch v := j.payload[k].(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case float64:
		return v != 0
	}
	return true
}

// stripSchemes removes every "http://" and "https://", in any case, as
// Clerk's /https?:\/\//gi replacement does.
func stripSchemes(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	if rest, ok := strings.CutPrefix(s, "https://"); ok && !strings.Contains(rest, "://") {
		return rest
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		low := strings.ToLower(s[i:min(len(s), i+8)])
		switch {
		case strings.HasPrefix(low, "https://"):
			i += 8
		case strings.HasPrefix(low, "http://"):
			i += 7
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String()
}

// eligibleForHandshake is Clerk's isRequestEligibleForHandshake.
func (rc *reqCtx) eligibleForHandshake() bool {
	if rc.r.Method != http.MethodGet {
		return false
	}
	dest := headerValue(rc.r, "Sec-Fetch-Dest")
	if dest == "document" || dest == "iframe" {
		return true
	}
	return dest == "" && strings.HasPrefix(headerValue(rc.r, "Accept"), "text/html")
}

func (rc *reqCtx) signedOut(reason, msg string) *RequestState {
	return &RequestState{Status: SignedOut, Reason: reason, Message: msg}
}

func (rc *reqCtx) signedIn(p *Principal, h http.Header) *RequestState {
	return &RequestState{Status: SignedIn, Principal: p, Headers: h}
}

// maybeHandshake is Clerk's handleMaybeHandshakeStatus: a handshake (with
// h, or the redirect to the Frontend API) for an eligible request not in a
// redirect loop, else signed out with the same reason.
func (rc *reqCtx) maybeHandshake(reason, msg string, h http.Header) *RequestState {
	if !rc.eligibleForHandshake() {
		return rc.signedOut(reason, msg)
	}
	if h == nil {
		h = http.Header{"Location": {rc.handshakeURL(reason)}}
	}
	if h.Get("Location") != "" {
		h.Set("Cache-Control", "no-store")
	}
	if rc.redirectCounter == maxRedirectLoop {
		return rc.signedOut(reason, msg)
	}
	h.Add("Set-Cookie", RedirectCountCookie+"="+jsNumberString(rc.redirectCounter+1)+"; SameSite=Lax; HttpOnly; Max-Age=2")
	return &RequestState{Status: Handshake, Reason: reason, Message: msg, Headers: h}
}

// headerFlow decides a request with a token in the Authorization header.
func (rc *reqCtx) headerFlow(ctx context.Context) (*RequestState, error) {
	tok := rc.tokenInHeader
	kind := clerkTokenKind(tok)
	if rc.mode.single == SessionToken {
		if kind != SessionToken && looseIsMachineJWT(tok) {
			return rc.signedOut(ReasonTokenTypeMismatch, ""), nil
		}
		if _, ok := decodeLoose(tok); !ok {
			// Clerk's session path decodes before anything else, an
			// opaque machine token included.
			return rc.signedOut(ErrMalformed.Reason(), "Invalid JWT form."), nil
		}
		kind = SessionToken
	} else if kind == SessionToken && rc.mode.machineSingle() {
		return rc.signedOut(ReasonTokenTypeMismatch, ""), nil
	} else if kind != SessionToken && !rc.mode.accepts(kind) {
		return rc.signedOut(ReasonTokenTypeMismatch, ""), nil
	}
	if kind == SessionToken {
		j, ok := decodeLoose(tok)
		if ok && looseNonSessionCategory(j) {
			return rc.signedOut(ReasonTokenTypeMismatch, ""), nil
		}
		s, err := rc.v.Verify(ctx, tok)
		if err != nil {
			return rc.sessionError(err)
		}
		return sessionState(s, nil), nil
	}
	p, err := rc.v.VerifyToken(ctx, tok, kind)
	if err != nil {
		if Unavailable(err) {
			return nil, err
		}
		return rc.signedOut(Reason(err), err.Error()), nil
	}
	return rc.signedIn(p, nil), nil
}

// sessionError is Clerk's handleSessionTokenError: a session token that
// failed verification is signed out with the verification reason, except
// a token expired, not yet valid or issued in the future, which may hand
// shake.
func (rc *reqCtx) sessionError(err error) (*RequestState, error) {
	if Unavailable(err) {
		return nil, err
	}
	var reason string
	switch {
	case errors.Is(err, ErrExpired):
		var refresh string
		switch {
		case rc.refreshCookie != "" && rc.r.Method == http.MethodGet:
			// Clerk would try the Backend API's session refresh here;
			// clerkkit does not (as Clerk without an API client).
			refresh = "missing-api-client"
		case rc.r.Method != http.MethodGet:
			refresh = "non-eligible-non-get"
		default:
			refresh = "non-eligible-no-refresh-cookie"
		}
		reason = ReasonSessionTokenExpired + "-refresh-" + refresh
	case errors.Is(err, ErrNotYetValid):
		reason = ReasonSessionTokenNBF
	case errors.Is(err, ErrIssuedInFuture):
		reason = ReasonSessionTokenIATInTheFuture
	default:
		return rc.signedOut(Reason(err), err.Error()), nil
	}
	return rc.maybeHandshake(reason, err.Error(), nil), nil
}

// cookieFlow is Clerk's authenticateRequestWithTokenInCookie.
func (rc *reqCtx) cookieFlow(ctx context.Context) (*RequestState, error) {
	if rc.handshakeNonce != "" || rc.handshakeToken != "" {
		st, err := rc.resolveHandshake(ctx)
		switch {
		case st != nil:
			return st, nil
		case errors.Is(err, errHandshakeContinue):
			// As Clerk: the handshake is ignored and the cookies decide.
		case errors.Is(err, errHandshakeTokenInvalid):
			if rc.dev {
				return nil, fmt.Errorf("%w: %w", ErrHandshakeInvalid, err)
			}
		default:
			return nil, err
		}
	}
	hasSession := rc.sessionCookie != ""
	hasClient := rc.clientUAT != 0
	dest := headerValue(rc.r, "Sec-Fetch-Dest")
	mdSync := rc.o.IsSatellite && dest == "document" && rc.r.Method == http.MethodGet
	synced, _ := rc.query(SyncedParam)
	needsSync := synced == "false"
	syncDone := synced == "true"
	hasCookies := hasSession || hasClient
	skipSatellite := !rc.o.SatelliteAutoSync && !hasCookies && !needsSync

	if mdSync && !syncDone {
		if skipSatellite {
			return rc.signedOut(ReasonSessionTokenAndUATMissing, ""), nil
		}
		if !hasCookies || needsSync {
			if !rc.dev {
				return rc.maybeHandshake(ReasonSatelliteNeedsSyncing, "", nil), nil
			}
			u, err := url.Parse(rc.o.SignInURL)
			if err != nil || u.Scheme == "" || u.Host == "" {
				return nil, fmt.Errorf("%w: SignInURL must be absolute", ErrSatelliteConfig)
			}
			u.RawQuery = appendQuery(u.RawQuery, RedirectURLParam, rc.href())
			return rc.maybeHandshake(ReasonSatelliteNeedsSyncing, "", http.Header{"Location": {u.String()}}), nil
		}
	}

	if back, ok := rc.query(RedirectURLParam); ok && back != "" && rc.dev && !rc.o.IsSatellite {
		u, err := url.Parse(back)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, ErrBadRedirectURL
		}
		q := u.RawQuery
		if rc.devBrowser != "" {
			q = appendQuery(q, DevBrowserCookie, rc.devBrowser)
		}
		q = setQuery(q, SyncedParam, "true")
		u.RawQuery = q
		return rc.maybeHandshake(ReasonPrimaryRespondsToSyncing, "", http.Header{"Location": {u.String()}}), nil
	}

	if _, ok := rc.query(DevBrowserCookie); rc.dev && ok {
		return rc.maybeHandshake(ReasonDevBrowserSync, "", nil), nil
	}
	if rc.dev && rc.devBrowser == "" {
		return rc.maybeHandshake(ReasonDevBrowserMissing, "", nil), nil
	}
	if !hasClient && !hasSession {
		return rc.signedOut(ReasonSessionTokenAndUATMissing, ""), nil
	}
	if !hasClient && hasSession {
		return rc.maybeHandshake(ReasonSessionTokenWithoutClientUAT, "", nil), nil
	}
	if hasClient && !hasSession {
		return rc.maybeHandshake(ReasonClientUATWithoutSessionToken, "", nil), nil
	}

	tok := rc.sessionCookie
	pk := rc.peek(tok)
	if !pk.ok {
		return rc.signedOut(ErrMalformed.Reason(), "Invalid JWT form."), nil
	}
	if pk.machine || pk.nonSession {
		return rc.signedOut(ReasonTokenTypeMismatch, ""), nil
	}
	if pk.hasIat && pk.iat < rc.clientUAT {
		return rc.maybeHandshake(ReasonSessionTokenIATBeforeClientUAT, "", nil), nil
	}
	s, err := rc.verifySession(ctx, tok)
	// A pending session is a verified token that counts as signed out: as in
	// Clerk, the cross-origin sync below runs on it before it is signed out.
	if err != nil && !errors.Is(err, ErrSessionPending) {
		return rc.sessionError(err)
	}
	if !rc.o.IsSatellite && rc.r.Method == http.MethodGet && dest == "document" &&
		rc.crossOriginReferrer() && !rc.knownClerkReferrer() && rc.redirectCounter == 0 {
		return rc.maybeHandshake(ReasonPrimaryDomainCrossOriginSync, "Cross-origin request from satellite domain requires handshake", nil), nil
	}
	if err != nil {
		return rc.sessionError(err)
	}
	return sessionState(s, nil), nil
}

// href is the request's public URL as Clerk's clerkUrl.toString() gives it.
func (rc *reqCtx) href() string {
	rc.publicURL()
	if rc.rawQuery == "" {
		return rc.base
	}
	return rc.base + "?" + rc.rawQuery
}

// appendQuery is URLSearchParams.append: the query re-serialized with
// name=value added.
func appendQuery(rawQuery, name, value string) string {
	return serializeQuery(append(parseQuery(rawQuery), [2]string{name, value}))
}

// setQuery is URLSearchParams.set: the first name=… replaced (the others
// removed), or added at the end.
func setQuery(rawQuery, name, value string) string {
	pairs := parseQuery(rawQuery)
	out := pairs[:0]
	done := false
	for _, p := range pairs {
		if p[0] != name {
			out = append(out, p)
		} else if !done {
			out = append(out, [2]string{name, value})
			done = true
		}
	}
	if !done {
		out = append(out, [2]string{name, value})
	}
	return serializeQuery(out)
}

func (rc *reqCtx) crossOriginReferrer() bool {
	ref := rc.r.Header.Get("Referer")
	if ref == "" {
		return false
	}
	rc.publicURL()
	if rc.origin == "" {
		return false
	}
	o, ok := urlOrigin(ref)
	return ok && o != rc.origin
}

// knownClerkReferrer is Clerk's isKnownClerkReferrer: the Frontend API
// itself, the instance's Account Portal, or (development instances only) a
// development Account Portal host.
func (rc *reqCtx) knownClerkReferrer() bool {
	ref := rc.r.Header.Get("Referer")
	if ref == "" {
		return false
	}
	u, err := url.Parse(ref)
	if err != nil || u.Host == "" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	fapiHost := rc.frontendAPI
	if strings.HasPrefix(fapiHost, "http") {
		f, err := url.Parse(fapiHost)
		if err != nil {
			return false
		}
		fapiHost = f.Hostname()
	}
	if host == fapiHost {
		return true
	}
	if rc.dev {
		for _, s := range [...]string{".lcl.dev", ".lclstage.dev", ".lclclerk.com"} {
			if strings.HasPrefix(host, "accounts.") && strings.HasSuffix(host, s) {
				return true
			}
		}
		for _, s := range [...]string{".accounts.dev", ".accountsstage.dev", ".accounts.lclclerk.com"} {
			if strings.HasSuffix(host, s) && !strings.HasSuffix(host, ".clerk"+s) {
				return true
			}
		}
	}
	accounts := rc.frontendAPI
	if i := strings.Index(accounts, "clerk.accountsstage."); i >= 0 {
		accounts = accounts[:i] + "accountsstage." + accounts[i+len("clerk.accountsstage."):]
	}
	ia, ic := strings.Index(accounts, "clerk.accounts."), strings.Index(accounts, "clerk.")
	switch {
	case ia >= 0 && (ic < 0 || ia <= ic):
		accounts = accounts[:ia] + "accounts." + accounts[ia+len("clerk.accounts."):]
	case ic >= 0:
		accounts = accounts[:ic] + "accounts." + accounts[ic+len("clerk."):]
	}
	want, ok := urlOrigin("https://" + accounts)
	got, ok2 := urlOrigin(ref)
	return ok && ok2 && want == got
}

// handshakeURL is the Location of a handshake: the Frontend API's (or
// proxy's) /v1/client/handshake with Clerk's parameters.
func (rc *reqCtx) handshakeURL(reason string) string {
	rc.publicURL()
	base := rc.frontendAPI
	if !strings.HasPrefix(base, "http") {
		base = "https://" + base
	}
	base = strings.TrimRight(base, "/") + "/"
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
		base = u.String()
	}
	pairs := [][2]string{
		{"redirect_url", withoutParams(rc.base, rc.rawQuery, DevBrowserCookie, legacyDevBrowserParam)},
		{"__clerk_api_version", HandshakeAPIVersion},
		{"suffixed_cookies", fmt.Sprint(rc.suffixed)},
		{"__clerk_hs_reason", reason},
		{"format", "nonce"},
	}
	if t := rc.sessionCookie; t != "" {
		pairs = append(pairs, [2]string{SessionCookie, t})
	} else if t := rc.tokenInHeader; t != "" {
		pairs = append(pairs, [2]string{SessionCookie, t})
	}
	if rc.dev && rc.devBrowser != "" {
		pairs = append(pairs, [2]string{DevBrowserCookie, rc.devBrowser})
	}
	return base + "v1/client/handshake?" + serializeQuery(pairs)
}

// lenient returns a copy of v that applies skew to token times and caches
// nothing: Clerk's development retry of a handshake's session token.
func (v *Verifier) lenient(skew time.Duration) *Verifier {
	cfg := *v.cfg
	cfg.ClockSkew = skew
	c := *v
	c.cfg = &cfg
	c.tokens = nil
	c.cookieMemo = nil
	return &c
}
