package emulator

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
)

// Options configures NewServer and StartServer. Every field is optional:
// the zero value is a development instance with random keys on a running
// clock, listening on a free loopback port, with no rate limit and no
// webhook endpoints.
type Options struct {
	// Clock is what the Server reads time from: the created_at and
	// updated_at of everything it stores, session expiry, the iat and exp
	// of the tokens it mints, rate-limit windows, webhook timestamps, and
	// AuthConfig's Now. Default: a running clock (see clerktest.Clock).
	Clock *clerktest.Clock
	// SecretKey is the secret key (sk_test_… or sk_live_…) the Server
	// demands on /v1; an sk_live_ key makes a production instance
	// (pk_live_ publishable key). Default: a random sk_test_ key.
	SecretKey string
	// FrontendAPI is the instance's Frontend API host (e.g.
	// "clerk.example.com"), which the publishable key encodes and tokens
	// carry as iss https://<host>. Default: a random
	// "<slug>.clerk.accounts.dev".
	FrontendAPI string
	// Addr is the TCP address the Server listens on. Default
	// "127.0.0.1:0" (a free loopback port).
	Addr string
	// RateLimit, when set, makes the Server answer 429 Too Many Requests
	// as Clerk limits each instance (see RateLimit). Default: no limit.
	RateLimit RateLimit
	// Webhooks are endpoints the Server delivers webhooks to from the
	// start, seeding included (see AddWebhookEndpoint for what is
	// delivered and how).
	Webhooks []WebhookEndpoint
	// WebhookRetry is the retry schedule of webhook deliveries. Default:
	// DefaultWebhookAttempts attempts with DefaultWebhookBackoff.
	WebhookRetry WebhookRetry
	// WebhookObserver, when set, is called after every webhook delivery
	// attempt with the delivery as it stands (its last Attempt is the one
	// just made), e.g. to log it. It runs on the endpoint's delivery
	// goroutine: while it runs, that endpoint gets no other delivery. It
	// is not called for an attempt that Close interrupted.
	WebhookObserver func(Delivery)
	// M2MJWTWithoutCategory makes the M2M JWTs the Server mints carry no
	// cat header, as some Clerk instances mint them; by default they carry
	// cat cl_B7d4PD333AAA.
	M2MJWTWithoutCategory bool
	// AllowedOrigins are the origins ("http://localhost:3000",
	// "https://app.example.com") of the apps the Frontend API may send a
	// browser back to, with a handshake nonce or token: the redirect_url
	// of the handshake and of the hosted sign-in and sign-out pages must
	// have one of them or, on a development instance, a loopback origin
	// (localhost, 127.0.0.0/8, [::1], any port). Any other redirect_url is
	// refused (400), never followed. Their pages may also read POST
	// /v1/dev_browser's answer (CORS) and post the sign-out form.
	AllowedOrigins []string

	// observe, when set (by this package's tests, see export_test.go),
	// sees every response the Server writes.
	observe func(*http.Request, int, http.Header, []byte)
}

// RateLimit is a limit of Requests requests per window of length Per, as
// Clerk limits each instance (development instances: 100 per 10 s;
// production: 1000 per 10 s). Once Requests requests have arrived within
// one window, the Server answers 429 with a Retry-After header until the
// window ends. Windows follow the Server's clock. The JWKS endpoints are
// not limited, as at Clerk. The zero value is no limit.
type RateLimit struct {
	// Requests is how many requests a window admits (at least 1).
	Requests int
	// Per is the length of a window (positive).
	Per time.Duration
}

// Server is an in-memory Clerk Backend API for tests and local
// development. It serves, on a loopback HTTP server, the users,
// organizations (logos, domains), memberships, organization invitations,
// organization roles, permissions and role sets, application invitations,
// allowlist and blocklist identifiers, redirect URLs, waitlist entries,
// sessions and session tokens endpoints with the paths, status codes and
// JSON shapes of
// Clerk's Backend API (version 2025-04-10), the machine authentication
// endpoints (machines, API keys, M2M tokens, OAuth access token
// verification: see Routes) under /v1 and, as Clerk's JS SDK calls them,
// without it, plus /v1/jwks, /v1/domains and
// /.well-known/jwks.json from its Issuer (see clerktest.Issuer.Handler), so
// that Clerk's SDKs, clerkkit and plain HTTP clients can run against it
// unchanged.
//
// On the same host it serves the part of Clerk's Frontend API that the
// cookie flow of server-rendered pages needs (FrontendAPIURL, the
// instance's proxy URL): the handshake (GET /v1/client/handshake, format
// nonce or token, answered with GET /v1/clients/handshake_payload on the
// Backend API), dev browsers (POST /v1/dev_browser), and hosted sign-in
// and sign-out pages (SignInURL, SignOutURL; plain HTML forms) that set and
// clear the browser's __client cookie on the Server's host and send it
// back to the app through the handshake. Those pages and the handshake
// redirect only to Options.AllowedOrigins or, on a development instance,
// loopback origins.
//
// Every /v1 request needs "Authorization: Bearer <SecretKey>", except
// that the M2M token endpoints take a machine secret key (POST
// /m2m_tokens only that). Tests can
// count requests per route (Calls), inject faults (InjectFault), enable a
// rate limit (Options.RateLimit), seed data (Seed), and do what has no
// Backend API endpoint (AcceptInvitation, SetActiveOrganization,
// EndSession, RemoveSession). It delivers Svix-signed webhooks for the
// user, organization, membership, invitation and session changes it makes
// to the endpoints given in Options.Webhooks or with AddWebhookEndpoint
// (see AddWebhookEndpoint and Deliveries).
//
// Users' email addresses and phone numbers have their own endpoints
// (verification by one-time code: see VerificationCode), users' TOTP
// (RFC 6238: see TOTPCode) and backup codes are verified and removed
// through POST /v1/users/{id}/verify_totp and DELETE …/totp,
// …/backup_code and …/mfa, and the clients of browsers and sessions are
// read through /v1/clients. Web3 wallets (POST /v1/users web3_wallet),
// external OAuth accounts with their access tokens, passkeys and trusted
// devices (seeded: see SeedUser) are read and deleted through their
// user endpoints. Instance-wide it serves JWT templates and session
// tokens from them, organization roles, permissions and role sets,
// organization domains, satellite domains, OAuth applications, machines,
// API keys and M2M tokens, allowlist and blocklist, redirect URLs, sign-in,
// testing and actor tokens, the waitlist, and Billing (plans,
// subscriptions, credits, discounts; seeded: see SeedPlan).
//
// What it does not emulate: OAuth, WebAuthn and web3 sign-in flows, SAML
// accounts, passwords beyond password_enabled, emails and SMS (invitations
// and codes are never sent), the Frontend API beyond its JWKS and the cookie flow above
// (no sign-up, multi-session clients, MFA or satellite domains), webhook events other
// than those AddWebhookEndpoint lists, enterprise and SAML connections,
// email and SMS templates, instance settings, and Clerk's per-object rate
// limits. Routes lists what it serves; other
// paths answer Clerk's 404. Like Clerk, it ignores a limit outside 1..500
// (the default, 10, applies), so a client that asks for 1000 gets 10.
//
// A Server is safe for concurrent use. Create it with NewServer in tests
// or StartServer in programs, and Close it when done.
type Server struct {
	iss       *clerktest.Issuer
	clock     *clerktest.Clock
	srv       *http.Server
	listener  net.Listener
	url       string
	mux       *http.ServeMux
	routes    map[string]bool // registered route templates
	selfAuth  map[string]bool // routes that check the bearer key themselves (machineRoute)
	transport *http.Transport
	done      chan struct{}
	closeOnce sync.Once
	serveDone chan struct{}

	mu sync.Mutex // guards st
	st *state

	calls   sync.Map // route -> *atomic.Int64
	total   atomic.Int64
	faultMu sync.Mutex
	faults  []*activeFault

	rate       RateLimit
	rateMu     sync.Mutex
	rateStart  time.Time
	rateCount  int
	rateActive bool

	observe func(*http.Request, int, http.Header, []byte)

	wh *webhookHub // webhook endpoints, queues and deliveries

	m2mNoCategory bool // Options.M2MJWTWithoutCategory

	dev            bool            // a development instance (sk_test_ key)
	allowedOrigins []string        // Options.AllowedOrigins, normalized
	cookieSuffix   string          // of the publishable key
	frontend       map[string]bool // Frontend API routes: no Backend API rate limit
	fe             *frontendState  // guarded by mu
	ext            *extStore       // guarded by mu: satellite domains, OAuth apps (extstore.go)
}

// NewServer is StartServer for tests: on failure it calls tb.Fatal, and it
// closes the Server when the test ends.
func NewServer(tb testing.TB, opts ...Options) *Server {
	tb.Helper()
	s, err := StartServer(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// StartServer starts a Server and returns it; the caller must Close it.
// opts is at most one Options (none: the zero value). It fails on more
// than one, an invalid secret key or Frontend API host, an invalid rate
// limit, webhook endpoint or retry schedule, or an address it cannot
// listen on.
func StartServer(opts ...Options) (*Server, error) {
	if len(opts) > 1 {
		return nil, errors.New("emulator: StartServer takes at most one Options")
	}
	var o Options
	if len(opts) == 1 {
		o = opts[0]
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Clock == nil {
		o.Clock = clerktest.RealClock()
	}
	if o.RateLimit != (RateLimit{}) && (o.RateLimit.Requests < 1 || o.RateLimit.Per <= 0) {
		return nil, errors.New("emulator: Options.RateLimit needs Requests >= 1 and Per > 0")
	}
	origins, err := normalizeOrigins(o.AllowedOrigins)
	if err != nil {
		return nil, err
	}
	wh, err := newWebhookHub(o, o.Clock)
	if err != nil {
		return nil, err
	}
	iss, err := clerktest.StartIssuer(clerktest.IssuerOptions{
		FrontendAPI: o.FrontendAPI,
		SecretKey:   o.SecretKey,
		Live:        strings.HasPrefix(o.SecretKey, "sk_live_"),
		Clock:       o.Clock,
	})
	if err != nil {
		wh.close()
		return nil, err
	}
	l, err := net.Listen("tcp", o.Addr)
	if err != nil {
		iss.Close()
		wh.close()
		return nil, fmt.Errorf("emulator: listen on %s: %w", o.Addr, err)
	}
	s := &Server{
		iss:            iss,
		clock:          o.Clock,
		listener:       l,
		url:            "http://" + l.Addr().String(),
		routes:         map[string]bool{},
		selfAuth:       map[string]bool{},
		done:           make(chan struct{}),
		serveDone:      make(chan struct{}),
		st:             newState(),
		rate:           o.RateLimit,
		observe:        o.observe,
		wh:             wh,
		m2mNoCategory:  o.M2MJWTWithoutCategory,
		dev:            !strings.HasPrefix(iss.SecretKey(), "sk_live_"),
		allowedOrigins: origins,
		cookieSuffix:   cookieSuffix(iss.PublishableKey()),
		frontend:       map[string]bool{},
		fe:             newFrontendState(),
		ext:            newExtStore(),
		transport: &http.Transport{
			Proxy:               nil, // loopback: never through a proxy
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
		},
	}
	s.st.hooks = len(o.Webhooks) > 0
	s.st.initAuthz(o.Clock.Now())
	s.mux = http.NewServeMux()
	s.registerRoutes()
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.serveDone)
		s.srv.Serve(l)
	}()
	return s, nil
}

// Close stops the Server: it closes the listener and every connection,
// ends injected latency, stops webhook deliveries (abandoning pending
// ones), and closes the Issuer. Close may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.srv.Close()
		<-s.serveDone
		s.wh.close()
		s.transport.CloseIdleConnections()
		s.iss.Close()
	})
}

// URL returns the base URL, e.g. "http://127.0.0.1:PORT". The Backend API
// is under URL()+"/v1" (clerk-sdk-go's BackendConfig.URL); auth.Config's
// APIURL is URL() itself.
func (s *Server) URL() string { return s.url }

// SecretKey returns the secret key the Server demands on /v1.
func (s *Server) SecretKey() string { return s.iss.SecretKey() }

// PublishableKey returns the instance's publishable key, which decodes to
// the Frontend API host of the Issuer (so auth.ConfigFromEnv works with
// CLERK_SECRET_KEY=SecretKey() and CLERK_PUBLISHABLE_KEY=PublishableKey()).
func (s *Server) PublishableKey() string { return s.iss.PublishableKey() }

// Issuer returns the token issuer whose keys the Server publishes at
// /v1/jwks and /.well-known/jwks.json and whose Frontend API URL
// /v1/domains reports. Rotating its keys or injecting faults into it
// affects those endpoints of the Server too.
func (s *Server) Issuer() *clerktest.Issuer { return s.iss }

// Clock returns the Server's clock.
func (s *Server) Clock() *clerktest.Clock { return s.clock }

// AuthConfig returns an auth.Config that verifies the session tokens of
// this Server the way a service configured with its keys does: keys from
// URL()/v1/jwks with the secret key, the issuer from the publishable key,
// the Server's clock as Now, and HTTPClient.
func (s *Server) AuthConfig() auth.Config {
	return auth.Config{
		SecretKey:      s.SecretKey(),
		PublishableKey: s.PublishableKey(),
		APIURL:         s.URL(),
		Now:            s.clock.Now,
		HTTPClient:     s.HTTPClient(),
	}
}

// ClientConfig returns the clerkkit.Config of a client of this Server:
// its SecretKey, APIURL and HTTPClient, the rest left to clerkkit's
// defaults. Set more fields on the result before clerkkit.New, e.g.
//
//	cfg := srv.ClientConfig()
//	cfg.Retry.Disabled = true
//	client, err := clerkkit.New(cfg)
func (s *Server) ClientConfig() clerkkit.Config {
	return clerkkit.Config{SecretKey: s.SecretKey(), APIURL: s.URL(), HTTPClient: s.HTTPClient()}
}

// HTTPClient returns an HTTP client for the Server: a transport of its
// own that never uses a proxy, whose idle connections Close closes. It
// has no timeout; bound requests with their context.
func (s *Server) HTTPClient() *http.Client {
	return &http.Client{Transport: s.transport}
}

// Calls reports how many requests arrived for route, whatever the answer
// (including 401s, injected faults and 429s). route is "METHOD
// /v1/path/template" as the Backend API spec writes it, e.g. "GET
// /v1/users/{user_id}" or "GET /.well-known/jwks.json"; "" counts every
// request, including those to unknown paths. It panics on a route the
// Server does not serve, to catch typos.
func (s *Server) Calls(route string) int64 {
	if route == "" {
		return s.total.Load()
	}
	s.mustKnowRoute("Calls", route)
	if c, ok := s.calls.Load(route); ok {
		return c.(*atomic.Int64).Load()
	}
	return 0
}

// ResetCalls sets every count Calls reports back to zero.
func (s *Server) ResetCalls() {
	s.calls.Range(func(k, _ any) bool { s.calls.Delete(k); return true })
	s.total.Store(0)
}

// Routes returns the route templates the Server serves, sorted, in the
// form Calls and Fault.Route take.
func (s *Server) Routes() []string {
	out := make([]string, 0, len(s.routes))
	for r := range s.routes {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

func (s *Server) mustKnowRoute(fn, route string) {
	if !s.routes[route] {
		panic(fmt.Sprintf("emulator: %s: the Server has no route %q; routes look like \"GET /v1/users/{user_id}\" (see Routes)", fn, route))
	}
}

type activeFault struct {
	clerktest.Fault
	left int // remaining uses when Times > 0
}

// InjectFault adds f (see clerktest.Fault), for the Server's routes (see
// Routes; "" matches every request). Faults apply in the order they were
// added: a request meets the first one whose Route matches and that has
// uses left. Faults of the Issuer (Issuer().InjectFault) apply after the
// Server's, to the Issuer's routes. It panics on an unknown Route, on
// clerktest.FaultEmptySet for a route other than the Issuer's, on Kind
// combined with Status, on RetryAfter without Status, on a negative Times,
// Latency or RetryAfter, and on a Status outside 100..599.
func (s *Server) InjectFault(f clerktest.Fault) {
	if f.Route != "" {
		s.mustKnowRoute("InjectFault", f.Route)
	}
	bad := f.Kind < clerktest.FaultNone || f.Kind > clerktest.FaultEmptySet ||
		(f.Status != 0 && (f.Status < 100 || f.Status > 599)) || (f.Status != 0 && f.Kind != clerktest.FaultNone) ||
		(f.RetryAfter != 0 && f.Status == 0) || f.Times < 0 || f.Latency < 0 || f.RetryAfter < 0 ||
		(f.Kind == clerktest.FaultEmptySet && !slices.Contains(s.iss.Routes(), f.Route))
	if bad {
		panic(fmt.Sprintf("emulator: InjectFault: invalid fault %+v", f))
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = append(s.faults, &activeFault{Fault: f, left: f.Times})
}

// ClearFaults removes every fault InjectFault added (not the Issuer's).
func (s *Server) ClearFaults() {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = nil
}

// takeFault returns the fault that applies to a request for route, using
// one of its uses, or nil.
func (s *Server) takeFault(route string) *clerktest.Fault {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	for i, f := range s.faults {
		if f.Route != "" && f.Route != route {
			continue
		}
		out := f.Fault
		if f.Times > 0 {
			f.left--
			if f.left == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
		}
		return &out
	}
	return nil
}

// applyFault carries out f and reports whether the request is finished.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *clerktest.Fault) bool {
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		case <-s.done:
			t.Stop()
			hangUp(w)
			return true
		}
	}
	switch {
	case f.Kind == clerktest.FaultDown:
		hangUp(w)
	case f.Kind == clerktest.FaultGarbage:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("<html><body>502 Bad Gateway</body></html>\n"))
	case f.Kind == clerktest.FaultEmptySet && r.URL.Path == pathDomains:
		writeJSON(w, http.StatusOK, listResponse[any]{Data: []any{}})
	case f.Kind == clerktest.FaultEmptySet:
		writeJSON(w, http.StatusOK, map[string][]any{"keys": {}})
	case f.Status != 0:
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
		}
		s.writeError(w, faultError(f.Status))
	default:
		return false
	}
	return true
}

// hangUp closes the connection without writing a response.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // the server drops the connection
	}
	conn.Close()
}

// rateLimited reports whether a request is over the rate limit, and if so
// how long until the window ends.
func (s *Server) rateLimited() (bool, time.Duration) {
	if s.rate.Requests == 0 {
		return false, 0
	}
	now := s.clock.Now()
	s.rateMu.Lock()
	defer s.rateMu.Unlock()
	if !s.rateActive || !now.Before(s.rateStart.Add(s.rate.Per)) || now.Before(s.rateStart) {
		s.rateActive, s.rateStart, s.rateCount = true, now, 0
	}
	if s.rateCount >= s.rate.Requests {
		return true, s.rateStart.Add(s.rate.Per).Sub(now)
	}
	s.rateCount++
	return false, 0
}

// serveHTTP is the Server's handler: it counts the request, applies
// faults, checks the secret key and the rate limit, then routes it.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.mux.Handler(r)
	route := pattern
	if !s.routes[route] {
		route = "" // the catch-all
	}
	s.total.Add(1)
	if route != "" {
		c, _ := s.calls.LoadOrStore(route, new(atomic.Int64))
		c.(*atomic.Int64).Add(1)
	}
	if s.observe != nil {
		rec := &recorder{ResponseWriter: w}
		defer func() {
			if rec.status != 0 && !rec.hijacked {
				s.observe(r, rec.status, w.Header().Clone(), rec.body)
			}
		}()
		w = rec
	}
	if f := s.takeFault(route); f != nil && s.applyFault(w, r, f) {
		return
	}
	isJWKS := route == "GET "+pathBackendJWKS || route == "GET "+pathFrontendJWKS
	if (strings.HasPrefix(r.URL.Path, "/v1/") || r.URL.Path == "/v1") && !s.selfAuth[route] {
		if e := s.checkSecret(r); e != nil {
			s.writeError(w, e)
			return
		}
	}
	if !isJWKS && !s.frontend[route] {
		if limited, wait := s.rateLimited(); limited {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
			s.writeError(w, errTooManyRequests())
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// checkSecret requires "Authorization: Bearer <secret key>". The key is
// compared in constant time, so response timing does not reveal how much
// of a guess was right.
func (s *Server) checkSecret(r *http.Request) *apiError {
	h := r.Header.Get("Authorization")
	scheme, key, _ := strings.Cut(h, " ")
	switch {
	case h == "":
		return &apiError{status: http.StatusUnauthorized, code: "authentication_invalid", msg: "Invalid authentication",
			long: "The Authorization header is missing. Send your secret key as \"Authorization: Bearer sk_…\"."}
	case !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(key)), []byte(s.SecretKey())) != 1:
		return &apiError{status: http.StatusUnauthorized, code: "authentication_invalid", msg: "Invalid authentication",
			long: "The secret key in the Authorization header is not valid for this instance."}
	}
	return nil
}

// recorder captures a response for the test observer.
type recorder struct {
	http.ResponseWriter
	status   int
	body     []byte
	hijacked bool
}

// WriteHeader records the status and passes it on.
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

// Write records the body and passes it on.
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body = append(r.body, b...)
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection. Only hangUp
// uses a ResponseController, to hijack and close the connection, so an
// unwrapped recorder has no response to report.
func (r *recorder) Unwrap() http.ResponseWriter {
	r.hijacked = true
	return r.ResponseWriter
}

// call is one API request being answered. Handlers registered with handle
// and handleBody get it while they hold s.mu: they read and change c.st
// freely, c.now is the Server's clock at the start, and the webhook events
// of their changes are published, attributed to c.r, when they return.
type call struct {
	r   *http.Request
	st  *state
	now time.Time
}

// handle registers h for a route template: the request has passed the
// secret key check, faults and the rate limit (serveHTTP); h runs with the
// state locked, and its answer or error is written as JSON.
func (s *Server) handle(route string, h func(*call) (any, *apiError)) {
	s.route(route, func(r *http.Request) (any, *apiError) {
		s.mu.Lock()
		defer s.unlock(r)
		return h(&call{r: r, st: s.st, now: s.clock.Now()})
	})
}

// handleBody is handle for a route with a JSON body: the body is decoded
// strictly into a new B (decodeBody, accepting and ignoring the members
// named in ignored) before the state is locked, and h gets it.
func handleBody[B any](s *Server, route string, h func(*call, *B) (any, *apiError), ignored ...string) {
	s.route(route, func(r *http.Request) (any, *apiError) {
		b := new(B)
		if e := decodeBody(r, b, ignored...); e != nil {
			return nil, e
		}
		s.mu.Lock()
		defer s.unlock(r)
		return h(&call{r: r, st: s.st, now: s.clock.Now()}, b)
	})
}

// route registers h for a route template and writes its answer.
func (s *Server) route(route string, h func(*http.Request) (any, *apiError)) {
	s.routes[route] = true
	s.mux.HandleFunc(route, func(w http.ResponseWriter, r *http.Request) {
		v, e := h(r)
		if e != nil {
			s.writeError(w, e)
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
}

// user is the user of the path's {user_id}.
func (c *call) user() (*userRec, *apiError) { return c.st.user(c.r.PathValue("user_id")) }

// org is the organization of the path's {organization_id}, an id.
func (c *call) org() (*orgRec, *apiError) { return c.st.org(c.r.PathValue("organization_id"), false) }

// orgOrSlug is the organization of the path's {organization_id}, an id or
// a slug.
func (c *call) orgOrSlug() (*orgRec, *apiError) {
	return c.st.org(c.r.PathValue("organization_id"), true)
}

// session is the session of the path's {session_id}.
func (c *call) session() (*sessRec, *apiError) { return c.st.session(c.r.PathValue("session_id")) }

// membership is the membership of the path's {user_id} in the
// organization of its {organization_id}.
func (c *call) membership() (*memberRec, *apiError) {
	o, e := c.org()
	if e != nil {
		return nil, e
	}
	userID := c.r.PathValue("user_id")
	m := c.st.members[o.id][userID]
	if m == nil {
		return nil, errNotFound("organization membership", userID+" in "+o.id)
	}
	return m, nil
}

// invitation is the invitation of the path's {invitation_id}, which must
// be one of the organization of its {organization_id}.
func (c *call) invitation() (*invRec, *apiError) {
	o, e := c.org()
	if e != nil {
		return nil, e
	}
	id := c.r.PathValue("invitation_id")
	inv := c.st.invitations[id]
	if inv == nil || inv.orgID != o.id {
		return nil, errNotFound("organization invitation", id)
	}
	return inv, nil
}

func (s *Server) registerRoutes() {
	// Delegated to the Issuer, which applies its own faults.
	issuerHandler := s.iss.Handler()
	for _, route := range s.iss.Routes() {
		if route == "GET "+pathDomains {
			continue // with the satellite domains: registerDomainRoutes
		}
		s.routes[route] = true
		s.mux.Handle(route, issuerHandler)
	}

	handleBody(s, "POST /v1/users", s.createUser, ignoredCreateUserParams...)
	s.handle("GET /v1/users", s.listUsers)
	s.handle("GET /v1/users/count", s.countUsers)
	s.handle("GET /v1/users/{user_id}", s.getUser)
	handleBody(s, "PATCH /v1/users/{user_id}", s.updateUser, ignoredUpdateUserParams...)
	s.handle("DELETE /v1/users/{user_id}", s.deleteUser)
	s.handle("POST /v1/users/{user_id}/ban", s.banUser(true))
	s.handle("POST /v1/users/{user_id}/unban", s.banUser(false))
	s.handle("POST /v1/users/{user_id}/lock", s.lockUser(true))
	s.handle("POST /v1/users/{user_id}/unlock", s.lockUser(false))
	handleBody(s, "PATCH /v1/users/{user_id}/metadata", s.mergeUserMetadata)
	handleBody(s, "PUT /v1/users/{user_id}/metadata", s.replaceUserMetadata)
	s.handle("GET /v1/users/{user_id}/organization_memberships", s.listUserMemberships)
	s.handle("GET /v1/users/{user_id}/organization_invitations", s.listUserInvitations)

	handleBody(s, "POST /v1/organizations", s.createOrg, ignoredCreateOrgParams...)
	s.handle("GET /v1/organizations", s.listOrgs)
	s.handle("GET /v1/organizations/{organization_id}", s.getOrg)
	handleBody(s, "PATCH /v1/organizations/{organization_id}", s.updateOrg)
	s.handle("DELETE /v1/organizations/{organization_id}", s.deleteOrg)
	handleBody(s, "PATCH /v1/organizations/{organization_id}/metadata", s.mergeOrgMetadata)
	handleBody(s, "PUT /v1/organizations/{organization_id}/metadata", s.replaceOrgMetadata)

	handleBody(s, "POST /v1/organizations/{organization_id}/memberships", s.createMembership)
	s.handle("GET /v1/organizations/{organization_id}/memberships", s.listOrgMemberships)
	handleBody(s, "PATCH /v1/organizations/{organization_id}/memberships/{user_id}", s.updateMembership)
	s.handle("DELETE /v1/organizations/{organization_id}/memberships/{user_id}", s.deleteMembership)
	handleBody(s, "PATCH /v1/organizations/{organization_id}/memberships/{user_id}/metadata", s.mergeMembershipMetadata)

	handleBody(s, "POST /v1/organizations/{organization_id}/invitations", s.createInvitation)
	s.handle("GET /v1/organizations/{organization_id}/invitations", s.listInvitations)
	s.handle("GET /v1/organizations/{organization_id}/invitations/pending", s.listPendingInvitations)
	s.handle("GET /v1/organizations/{organization_id}/invitations/{invitation_id}", s.getInvitation)
	handleBody(s, "POST /v1/organizations/{organization_id}/invitations/{invitation_id}/revoke", s.revokeInvitation)
	s.handle("GET /v1/organization_invitations", s.listInstanceInvitations)

	handleBody(s, "POST /v1/sessions", s.createSession)
	s.handle("GET /v1/sessions", s.listSessions)
	s.handle("GET /v1/sessions/{session_id}", s.getSession)
	s.handle("POST /v1/sessions/{session_id}/revoke", s.revokeSession)
	handleBody(s, "POST /v1/sessions/{session_id}/tokens", s.createSessionToken)

	s.registerMachineRoutes()
	s.registerTemplateRoutes()
	s.registerTicketRoutes()
	s.registerUserRecordRoutes()
	s.registerFrontendRoutes()
	s.registerRoleRoutes()
	s.registerRoleSetRoutes()
	s.registerInstanceRoutes()
	s.registerOrgDomainRoutes()
	s.registerOrgLogoRoutes()
	s.registerEmailAddressRoutes()
	s.registerPhoneNumberRoutes()
	s.registerMFARoutes()
	s.registerClientRoutes()
	s.registerDomainRoutes()
	s.registerOAuthAppRoutes()
	s.registerBillingRoutes()
	s.registerAccountRoutes()

	// Everything else: Clerk's 404.
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, &apiError{status: http.StatusNotFound, code: "resource_not_found", msg: "not found",
			long: "The requested resource " + r.Method + " " + r.URL.Path +
				" was not found (the emulator serves part of the Backend API: see Server.Routes)"})
	})
}

// Paths of the Issuer's routes that the Server treats apart.
const (
	pathFrontendJWKS = "/.well-known/jwks.json"
	pathBackendJWKS  = "/v1/jwks"
	pathDomains      = "/v1/domains"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic("emulator: encode response: " + err.Error()) // only our own values are encoded
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

const idAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randomString returns n random characters of [0-9A-Za-z].
func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

// randomID returns a Clerk-style id: prefix and 27 base62 characters.
func randomID(prefix string) string { return prefix + randomString(27) }
