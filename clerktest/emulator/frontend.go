// The part of Clerk's Frontend API that the cookie flow of server-rendered
// pages needs: the handshake, dev browsers, and the Backend API's
// handshake payload. The hosted sign-in and sign-out pages are in
// hosted.go.

package emulator

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit/clerktest"
)

// HandshakeNonceLifetime is how long the nonce a handshake redirects back
// with (format=nonce) can be exchanged at GET
// /v1/clients/handshake_payload, on the Server's clock. A nonce is
// exchanged at most once.
const HandshakeNonceLifetime = 60 * time.Second

// Frontend API routes and paths, served on the Server's own host.
const (
	routeHandshake        = "GET /v1/client/handshake"
	routeDevBrowser       = "POST /v1/dev_browser"
	routeHandshakePayload = "GET /v1/clients/handshake_payload"
	pathSignIn            = "/sign-in"
	pathSignOut           = "/sign-out"
)

// Cookie and query parameter names of Clerk's cookie flow.
const (
	cookieClient     = "__client" // on the Server's host: the browser's client
	cookieSession    = "__session"
	cookieClientUAT  = "__client_uat"
	cookieDevBrowser = "__clerk_db_jwt"
	paramNonce       = "__clerk_handshake_nonce"
	paramHandshake   = "__clerk_handshake"
	paramDevBrowser  = "__clerk_db_jwt"
)

// cookieYear is the Max-Age of the long-lived cookies (one year, as
// Clerk's browser SDK sets them).
const cookieYear = 365 * 24 * 60 * 60

// Bounds of the Frontend API's in-memory records, so that a flood of
// requests cannot grow them without limit.
const (
	maxNonces      = 10_000
	maxDevBrowsers = 10_000
	maxClients     = 10_000
)

// frontendState is what the Frontend API keeps, guarded by Server.mu.
type frontendState struct {
	clients     map[string]*clientRec // by the secret value of the __client cookie
	devBrowsers map[string]time.Time  // dev browser id (dvb_…) -> created at
	nonces      map[string]*nonceRec
}

func newFrontendState() *frontendState {
	return &frontendState{clients: map[string]*clientRec{}, devBrowsers: map[string]time.Time{}, nonces: map[string]*nonceRec{}}
}

// clientRec is a browser's client: at most one signed-in session (Clerk's
// single-session mode) and when it last changed.
type clientRec struct {
	id        string
	sessionID string // "" when signed out
	createdAt time.Time
	updatedAt time.Time
}

// nonceRec is the Set-Cookie directives a handshake nonce stands for.
type nonceRec struct {
	directives []string
	expiresAt  time.Time
}

// cookieSuffix is Clerk's cookie suffix for a publishable key: the first
// 8 characters of base64url(SHA-1(key)).
func cookieSuffix(publishableKey string) string {
	sum := sha1.Sum([]byte(publishableKey))
	return base64.URLEncoding.EncodeToString(sum[:])[:8]
}

// CookieSuffix returns the suffix of the instance's cookie names
// (__session_<suffix>, __client_uat_<suffix>), derived from the
// publishable key as Clerk's SDKs derive it.
func (s *Server) CookieSuffix() string { return s.cookieSuffix }

// FrontendAPIURL returns the URL of the Frontend API the Server serves on
// its own host: URL() itself. It is the proxy URL of the instance
// (CLERK_PROXY_URL, auth.Config.ProxyURL, @clerk/backend's proxyUrl):
// Clerk's SDKs send handshakes to FrontendAPIURL()+"/v1/client/handshake"
// instead of https://<FrontendAPI host>. Tokens keep the iss of the
// publishable key's host (Issuer().IssuerURL()), as Clerk's do behind a
// proxy.
func (s *Server) FrontendAPIURL() string { return s.url }

// SignInURL returns the URL of the hosted sign-in page (CLERK_SIGN_IN_URL):
// URL()+"/sign-in". Send browsers there with ?redirect_url=<app URL>.
func (s *Server) SignInURL() string { return s.url + pathSignIn }

// SignOutURL returns the URL of the hosted sign-out page: URL()+"/sign-out"
// (GET shows a confirmation, POST signs out), with ?redirect_url=<app
// URL>.
func (s *Server) SignOutURL() string { return s.url + pathSignOut }

// ErrNotAnOrigin is wrapped by the error StartServer returns for an
// Options.AllowedOrigins entry that is not an origin.
var ErrNotAnOrigin = errors.New("not an origin (scheme://host[:port], http or https, nothing after the host)")

// normalizeOrigins validates Options.AllowedOrigins and returns them as
// origins compare: lower case, without a default port.
func normalizeOrigins(list []string) ([]string, error) {
	var out []string
	for _, raw := range list {
		u, err := parseAbsolute(raw)
		if err != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
			return nil, fmt.Errorf("emulator: Options.AllowedOrigins: %q: %w", raw, ErrNotAnOrigin)
		}
		out = append(out, originOf(u))
	}
	return out, nil
}

// parseAbsolute parses an absolute http(s) URL strictly: no backslash,
// whitespace or control character anywhere (browsers and Go read those
// differently), no user info, a host, and a numeric port if any.
func parseAbsolute(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("empty")
	}
	for _, c := range raw {
		if c == '\\' || c <= ' ' || c == 0x7f {
			return nil, errors.New("a backslash, space or control character")
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" || u.User != nil || u.Hostname() == "" {
		return nil, errors.New("not an absolute http(s) URL without user info")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, errors.New("a bad port")
		}
	}
	return u, nil
}

// originOf returns u's origin: scheme://host[:port] in lower case, without
// the scheme's default port.
func originOf(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host
}

// isLoopbackHost reports whether host (a URL's Hostname) is localhost or a
// loopback IP address written canonically (127.0.0.0/8, ::1; no zone).
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}

// originAllowed reports whether the Frontend API may send a browser (and
// with it a handshake nonce or token) to u: its origin is one of
// Options.AllowedOrigins or, on a development instance, a loopback one.
func (s *Server) originAllowed(u *url.URL) bool {
	return slices.Contains(s.allowedOrigins, originOf(u)) || (s.dev && isLoopbackHost(u.Hostname()))
}

// redirectTarget validates the redirect_url parameter: an absolute
// http(s) URL (see parseAbsolute) whose origin is allowed (originAllowed).
// Anything else is refused, so that the Frontend API is never an open
// redirect and never hands a nonce or token to another host.
func (s *Server) redirectTarget(raw string) (*url.URL, *apiError) {
	if raw == "" {
		return nil, &apiError{status: http.StatusBadRequest, code: "form_param_missing", msg: "redirect_url must be included.",
			long: "redirect_url must be included.", param: "redirect_url"}
	}
	u, err := parseAbsolute(raw)
	if err != nil {
		return nil, &apiError{status: http.StatusBadRequest, code: "form_param_format_invalid", msg: "is invalid",
			long: "redirect_url must be an absolute http(s) URL (" + err.Error() + ").", param: "redirect_url"}
	}
	if !s.originAllowed(u) {
		long := "redirect_url's origin " + originOf(u) + " is not allowed: it must be one of the emulator's allowed origins (Options.AllowedOrigins)"
		if s.dev {
			long += " or a loopback origin (localhost, 127.0.0.1, [::1])"
		}
		return nil, &apiError{status: http.StatusBadRequest, code: "form_param_value_invalid", msg: "is invalid",
			long: long + ".", param: "redirect_url"}
	}
	u.Fragment, u.RawFragment = "", "" // a fragment never reaches a server
	return u, nil
}

// withParams returns u with the Clerk handshake parameters that it may
// already carry removed (the app must see only those of this answer, in
// the order of the rest of its query kept) and params appended.
func withParams(u *url.URL, params ...[2]string) string {
	out := *u
	var kept []string
	for pair := range strings.SplitSeq(u.RawQuery, "&") {
		if pair == "" {
			continue
		}
		k, _, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(k); err == nil && (k == paramNonce || k == paramHandshake || k == paramDevBrowser || k == "__clerk_help") {
			continue
		}
		kept = append(kept, pair)
	}
	for _, p := range params {
		kept = append(kept, url.QueryEscape(p[0])+"="+url.QueryEscape(p[1]))
	}
	out.RawQuery, out.ForceQuery = strings.Join(kept, "&"), false
	return out.String()
}

// cookieNames returns name and, when suffixed, name_<suffix> (first, as
// Clerk's SDKs read the suffixed one first).
func (s *Server) cookieNames(name string, suffixed bool) []string {
	if suffixed {
		return []string{name + "_" + s.cookieSuffix, name}
	}
	return []string{name}
}

// directives returns the Set-Cookie directives a handshake hands the app:
// with a token, __session and __client_uat=<uat> (signed in); without,
// __session cleared and __client_uat=0 (signed out); on a development
// instance __clerk_db_jwt=<devBrowser> too. Each cookie comes suffixed
// and unsuffixed when suffixed is true. The cookies are host-only on the
// app, Path=/, SameSite=Lax, Secure when the app is on https; __session
// and __client_uat are readable by the page's JavaScript (not HttpOnly),
// as Clerk's browser SDK needs them.
func (s *Server) directives(token string, uat int64, devBrowser string, suffixed, secure bool) []string {
	attrs := "; Path=/; SameSite=Lax"
	if secure {
		attrs += "; Secure"
	}
	var out []string
	for _, name := range s.cookieNames(cookieSession, suffixed) {
		if token == "" {
			out = append(out, name+"=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"+attrs)
		} else {
			out = append(out, fmt.Sprintf("%s=%s; Max-Age=%d%s", name, token, cookieYear, attrs))
		}
	}
	if token == "" {
		uat = 0
	}
	for _, name := range s.cookieNames(cookieClientUAT, suffixed) {
		out = append(out, fmt.Sprintf("%s=%d; Max-Age=%d%s", name, uat, cookieYear, attrs))
	}
	if devBrowser != "" {
		for _, name := range s.cookieNames(cookieDevBrowser, suffixed) {
			out = append(out, fmt.Sprintf("%s=%s; Max-Age=%d%s", name, devBrowser, cookieYear, attrs))
		}
	}
	return out
}

// currentClient returns the client of r's __client cookie, nil when it
// has none or an unknown one (then stale reports that the cookie should
// be cleared). s.mu must be held.
func (s *Server) currentClient(r *http.Request) (cl *clientRec, stale bool) {
	c, err := r.Cookie(cookieClient)
	if err != nil || c.Value == "" {
		return nil, false
	}
	cl = s.fe.clients[c.Value]
	return cl, cl == nil
}

// activeSession returns the client's session if it is active and its user
// may still use it; otherwise it signs the client out (a session revoked,
// ended or expired since, a user deleted, banned or locked) and returns
// nil. s.mu must be held.
func (s *Server) activeSession(cl *clientRec, now time.Time) *sessRec {
	if cl == nil || cl.sessionID == "" {
		return nil
	}
	se := s.st.sessions[cl.sessionID]
	var u *userRec
	if se != nil {
		u = s.st.users[se.userID]
	}
	if se == nil || se.statusAt(now) != "active" || u == nil || u.banned {
		cl.sessionID, cl.updatedAt = "", now
		return nil
	}
	if locked, _ := u.locked(now); locked {
		cl.sessionID, cl.updatedAt = "", now
		return nil
	}
	return se
}

// clearClientCookie makes the browser forget its __client cookie.
func clearClientCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: cookieClient, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// handshake is GET /v1/client/handshake, as Clerk's server SDKs redirect
// a page navigation to it: it reads the browser's __client cookie, mints
// a session token for its session (or, with none, signs the app out), and
// redirects (307, Cache-Control: no-store) to redirect_url with
// __clerk_handshake_nonce (format=nonce, to exchange at GET
// /v1/clients/handshake_payload) or __clerk_handshake (format=token, the
// default: a JWT signed with the instance's keys whose "handshake" claim
// lists the directives), plus __clerk_db_jwt on a development instance.
// organization_id (an id, a slug, or "" for none) activates that
// organization first when the user is a member.
func (s *Server) handshake(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	target, e := s.redirectTarget(q.Get("redirect_url"))
	if e != nil {
		s.writeError(w, e)
		return
	}
	format := q.Get("format")
	if format == "" {
		format = "token"
	}
	if format != "token" && format != "nonce" {
		s.writeError(w, &apiError{status: http.StatusBadRequest, code: "form_param_value_invalid", msg: "is invalid",
			long: "format must be nonce or token.", param: "format"})
		return
	}
	var suffixed bool
	switch q.Get("suffixed_cookies") {
	case "", "false":
	case "true":
		suffixed = true
	default:
		s.writeError(w, &apiError{status: http.StatusBadRequest, code: "form_param_value_invalid", msg: "is invalid",
			long: "suffixed_cookies must be true or false.", param: "suffixed_cookies"})
		return
	}
	orgID, setOrg := "", q.Has("organization_id")
	if setOrg {
		orgID = q.Get("organization_id")
	}

	s.mu.Lock()
	now := s.clock.Now()
	cl, stale := s.currentClient(r)
	se := s.activeSession(cl, now)
	var token string
	var uat int64
	if se != nil {
		if setOrg {
			s.activateOrganization(se, orgID, now)
		}
		token, e = s.mintTokenFor(se, clerktest.TokenLifetime, originOf(target))
		if e != nil { // not reached: activeSession checked the session
			s.unlock(r)
			s.writeError(w, e)
			return
		}
		uat = cl.updatedAt.Unix()
	}
	var devBrowser string
	if s.dev {
		devBrowser = q.Get(paramDevBrowser)
		if _, known := s.fe.devBrowsers[devBrowser]; !known {
			devBrowser = s.newDevBrowser(now)
		}
	}
	dirs := s.directives(token, uat, devBrowser, suffixed, target.Scheme == "https")
	var param [2]string
	if format == "nonce" {
		param = [2]string{paramNonce, s.newNonce(dirs, now)}
	} else {
		param = [2]string{paramHandshake, s.signHandshake(dirs, now)}
	}
	s.unlock(r)

	params := [][2]string{param}
	if devBrowser != "" {
		params = append(params, [2]string{paramDevBrowser, devBrowser})
	}
	if stale {
		clearClientCookie(w)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, withParams(target, params...), http.StatusTemporaryRedirect)
}

// activateOrganization makes orgID (an id or a slug; "" for none) the
// session's active organization when the user is a member of it, as
// Clerk's organization sync does; an organization the user is not in is
// ignored. s.mu must be held.
func (s *Server) activateOrganization(se *sessRec, orgID string, now time.Time) {
	if orgID == "" {
		if se.activeOrg != "" {
			se.activeOrg, se.updatedAt = "", now
		}
		return
	}
	o, e := s.st.org(orgID, true)
	if e != nil || s.st.members[o.id][se.userID] == nil || se.activeOrg == o.id {
		return
	}
	se.activeOrg, se.updatedAt = o.id, now
}

// newNonce stores dirs under a new nonce and returns it. s.mu must be
// held.
func (s *Server) newNonce(dirs []string, now time.Time) string {
	if len(s.fe.nonces) >= maxNonces {
		for k, n := range s.fe.nonces {
			if !now.Before(n.expiresAt) {
				delete(s.fe.nonces, k)
			}
		}
		for k := range s.fe.nonces { // still full: drop any
			if len(s.fe.nonces) < maxNonces {
				break
			}
			delete(s.fe.nonces, k)
		}
	}
	n := randomString(48)
	s.fe.nonces[n] = &nonceRec{directives: dirs, expiresAt: now.Add(HandshakeNonceLifetime)}
	return n
}

// newDevBrowser creates a dev browser and returns its id. s.mu must be
// held.
func (s *Server) newDevBrowser(now time.Time) string {
	for k := range s.fe.devBrowsers { // full: drop any
		if len(s.fe.devBrowsers) < maxDevBrowsers {
			break
		}
		delete(s.fe.devBrowsers, k)
	}
	id := "dvb_" + randomString(27)
	s.fe.devBrowsers[id] = now
	return id
}

// signHandshake returns the handshake token of format=token: a JWT signed
// with the Issuer's current key (header alg, kid, typ; no cat, which
// Clerk's SDKs refuse on a handshake unless it is a session's) whose
// "handshake" claim lists dirs, with iat and exp (HandshakeNonceLifetime).
func (s *Server) signHandshake(dirs []string, now time.Time) string {
	header := map[string]any{"alg": "RS256", "kid": s.iss.KeyID(), "typ": "JWT"}
	payload := map[string]any{
		"handshake": dirs, "iss": s.iss.IssuerURL(),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(HandshakeNonceLifetime).Unix(),
	}
	return s.iss.SignRaw(mustMarshal(header), mustMarshal(payload))
}

type handshakePayloadJSON struct {
	Directives []string `json:"directives"`
}

// handshakePayload is the Backend API's GET
// /v1/clients/handshake_payload?nonce=…: the Set-Cookie directives a
// handshake nonce stands for, {"directives":[…]}. A nonce is answered
// once, within HandshakeNonceLifetime; an unknown, used or expired one is
// a 404.
func (s *Server) handshakePayload(c *call) (any, *apiError) {
	n := c.r.URL.Query().Get("nonce")
	if n == "" {
		return nil, errMissing("nonce")
	}
	rec := s.fe.nonces[n]
	delete(s.fe.nonces, n)
	if rec == nil || !c.now.Before(rec.expiresAt) {
		return nil, &apiError{status: http.StatusNotFound, code: "resource_not_found", msg: "not found",
			long: "No handshake payload was found for this nonce: it is unknown, already used or expired."}
	}
	return handshakePayloadJSON{Directives: rec.directives}, nil
}

type devBrowserJSON struct {
	Object string `json:"object"`
	ID     string `json:"id"`
}

// createDevBrowser is POST /v1/dev_browser, as Clerk's browser SDK calls
// it on a development instance: it answers {"object":"dev_browser",
// "id":"dvb_…"}, the value of the __clerk_db_jwt cookie and parameter.
// The answer is readable by an allowed origin's JavaScript (CORS). A
// production instance has no dev browsers (404).
func (s *Server) createDevBrowser(w http.ResponseWriter, r *http.Request) {
	s.allowCORS(w, r)
	if !s.dev {
		s.writeError(w, &apiError{status: http.StatusNotFound, code: "resource_not_found", msg: "not found",
			long: "Dev browsers exist on development instances only."})
		return
	}
	s.mu.Lock()
	id := s.newDevBrowser(s.clock.Now())
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, devBrowserJSON{Object: "dev_browser", ID: id})
}

// allowCORS lets an allowed origin's page read the answer with
// credentials.
func (s *Server) allowCORS(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	if u, err := parseAbsolute(origin); err == nil && u.Path == "" && s.originAllowed(u) {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}
}

// frontendRoute registers a Frontend API handler: no secret key, no
// Backend API rate limit; faults and call counts apply.
func (s *Server) frontendRoute(route string, h http.HandlerFunc) {
	s.routes[route] = true
	s.selfAuth[route] = true
	s.frontend[route] = true
	s.mux.HandleFunc(route, h)
}

func (s *Server) registerFrontendRoutes() {
	s.frontendRoute(routeHandshake, s.handshake)
	s.frontendRoute(routeDevBrowser, s.createDevBrowser)
	s.frontendRoute("GET "+pathSignIn, s.signInPage)
	s.frontendRoute("POST "+pathSignIn, s.signIn)
	s.frontendRoute("GET "+pathSignOut, s.signOutPage)
	s.frontendRoute("POST "+pathSignOut, s.signOut)
	s.handle(routeHandshakePayload, s.handshakePayload)
}
