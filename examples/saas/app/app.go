// Package app is the SaaS example's HTTP layer: a JSON API, server-rendered
// pages and the Clerk webhook endpoint. Browsers sign in on Clerk's hosted
// sign-in page (the Account Portal, or the emulator's) and stay signed in
// through Clerk's cookie flow: when the 60 s session token in the __session
// cookie has expired, a page navigation gets a handshake (a 307 through the
// Frontend API and straight back with fresh cookies), so no browser SDK is
// needed.
//
// Request path: every request gets a request id, browser-hardening headers
// and a structured log line (request id, user id, org id — never a token).
// The session, when the request carries a valid token, is attached once
// (middleware.WithAuth). Every authenticated route, page or API, then runs
// RequireAuth, the per-user rate limit, and only after that the guards that
// may cost a lookup. Organization guards answer from the app's own synced
// membership table (kept by Clerk's webhooks), never from the Backend API:
// an organization the app has never seen costs nothing, and a removal or a
// demotion takes effect as soon as its webhook arrives, even while the
// user's token still claims the old role. Reads come from the database;
// writes that belong to Clerk (invitations, roles, metadata, deletions) go
// to the Backend API, and come back through the webhooks.
//
// Programs call GET and POST /api/projects with an organization's API key
// (Bearer ak_…, scopes projects:read and projects:write), which its admins
// create, list and revoke on the organization's API keys page or the JSON
// API: such requests are rate limited per key before the key is verified
// (verifying calls the Backend API), and act as the organization. Every
// other route accepts sessions only.
package app

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/examples/saas/ratelimit"
	"github.com/clerkkit/clerkkit/examples/saas/store"
	"github.com/clerkkit/clerkkit/middleware"
)

// Config holds the app's dependencies.
type Config struct {
	// Store is the app's database.
	Store *store.Store
	// Verifier verifies Clerk session tokens.
	Verifier *auth.Verifier
	// Clerk is the Backend API client.
	Clerk *clerkkit.Client
	// Webhooks receives Clerk's webhooks (see syncer.NewHandler).
	Webhooks http.Handler
	// Logger receives the request logs. Default: discard.
	Logger *slog.Logger
	// SignInURL is the hosted sign-in page (Clerk's Account Portal, or the
	// emulator's): page requests without a session are sent there with a
	// redirect_url back to PublicURL, and the cookie flow's options name it
	// (auth.RequestOptions.SignInURL). Required: an absolute URL.
	SignInURL string
	// SignOutURL, when set, is a hosted sign-out page that ends the Clerk
	// session and comes back through the handshake, which clears the app's
	// cookies (the emulator's /sign-out): the header's "Sign out" links to
	// it with a redirect_url to PublicURL. Without it (Clerk's Account
	// Portal has no sign-out page), "Sign out" posts to /sign-out, which
	// revokes the session through RevokeSession and clears the cookies.
	SignOutURL string
	// RevokeSession ends a Clerk session through the Backend API (POST
	// /v1/sessions/{id}/revoke), for the app's own /sign-out. Required
	// when SignOutURL is not set.
	RevokeSession func(ctx context.Context, sessionID string) error
	// FrontendAPIURL is the instance's Frontend API (the proxy URL, or
	// https://<host of the publishable key>); when set, the dashboard's
	// "Make active" links send the browser through its handshake with
	// organization_id, which activates that organization in the session
	// and comes back with fresh cookies.
	FrontendAPIURL string
	// PublicURL is the origin browsers reach the app at
	// (https://app.example.com): the redirect_url of sign-in and sign-out
	// is built from it. Required.
	PublicURL string
	// RatePerSecond and Burst bound each user's requests, pages and API
	// alike (token bucket). Defaults 5 per second, burst 20.
	RatePerSecond float64
	Burst         int
	// RoleTTL is how long a user's public-metadata role, read from the
	// synced users table for RequireRole, is remembered. Default
	// middleware.DefaultRoleTTL (30 s).
	RoleTTL time.Duration
}

// App is the HTTP application.
type App struct {
	cfg     Config
	st      *store.Store
	clerk   *clerkkit.Client
	m       *middleware.Middleware
	limiter *ratelimit.Limiter
	// keyLimiter limits API-key requests per key, before verification.
	keyLimiter *ratelimit.Limiter
	pages      pageSet
	log        *slog.Logger
	csp        string
}

//go:embed static
var staticFS embed.FS

// ErrConfig is returned by New for an unusable Config.
var ErrConfig = errors.New("app: invalid configuration")

// New validates cfg and returns the application's handler.
func New(cfg Config) (http.Handler, error) {
	if cfg.Store == nil || cfg.Verifier == nil || cfg.Clerk == nil || cfg.Webhooks == nil {
		return nil, errors.Join(ErrConfig, errors.New("Store, Verifier, Clerk and Webhooks are required"))
	}
	for name, raw := range map[string]string{"SignInURL": cfg.SignInURL, "SignOutURL": cfg.SignOutURL, "FrontendAPIURL": cfg.FrontendAPIURL, "PublicURL": cfg.PublicURL} {
		if raw == "" && (name == "SignOutURL" || name == "FrontendAPIURL") {
			continue
		}
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, errors.Join(ErrConfig, fmt.Errorf("%s must be an absolute http(s) URL without query", name))
		}
	}
	if cfg.SignOutURL == "" && cfg.RevokeSession == nil {
		return nil, errors.Join(ErrConfig, errors.New("RevokeSession is required without a SignOutURL"))
	}
	cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	cfg.FrontendAPIURL = strings.TrimSuffix(cfg.FrontendAPIURL, "/")
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RatePerSecond <= 0 {
		cfg.RatePerSecond = 5
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 20
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, st: cfg.Store, clerk: cfg.Clerk, pages: pages, log: cfg.Logger,
		limiter: ratelimit.New(cfg.RatePerSecond, cfg.Burst), keyLimiter: ratelimit.New(cfg.RatePerSecond, cfg.Burst), csp: contentSecurityPolicy()}
	opts := []middleware.Option{
		middleware.WithSignInURL(cfg.SignInURL),
		// RequireRole reads the role from the synced users table, not
		// from the Backend API.
		middleware.WithUsers(storeRoles{cfg.Store}, cfg.RoleTTL),
		middleware.WithFailureHandler(a.failure),
		middleware.WithPublicURL(cfg.PublicURL),
		// Clerk's cookie flow (the middleware's default): a page
		// navigation whose 60 s session token has expired is answered with
		// a handshake through the Frontend API, which refreshes the
		// cookies and comes straight back; no browser SDK is needed.
		middleware.WithRequestOptions(auth.RequestOptions{SignInURL: cfg.SignInURL}),
	}
	a.m = middleware.New(cfg.Verifier, opts...)
	return a.routes(), nil
}

func (a *App) routes() http.Handler {
	m := a.m
	// authed: signed in, then rate limited per user, then the guards.
	authed := func(guards ...func(http.Handler) http.Handler) func(http.HandlerFunc) http.Handler {
		return func(h http.HandlerFunc) http.Handler {
			var out http.Handler = h
			for i := len(guards) - 1; i >= 0; i-- {
				out = guards[i](out)
			}
			return apiClient(m.RequireAuth(a.rateLimit(out)))
		}
	}
	// projects: a session, as on every route, or an organization's API
	// key carrying scope; API keys are rate limited per key before they
	// are verified (which may call the Backend API), sessions per user
	// after.
	projects := func(scope string, h http.HandlerFunc) http.Handler {
		return apiClient(a.limitAPIKeys(m.RequireToken(auth.SessionToken, auth.APIKey)(recordPrincipal(a.rateLimit(requireKeyScope(scope, h))))))
	}
	user := authed()
	member := authed(a.requireOrg(false))
	active := authed(a.requireActiveOrg)
	orgAdmin := authed(a.requireOrg(true))
	siteAdmin := authed(m.RequireRole("admin"))

	api := http.NewServeMux()
	api.Handle("GET /api/projects", projects(ScopeProjectsRead, a.listProjects))
	api.Handle("POST /api/projects", projects(ScopeProjectsWrite, a.createProject))
	api.Handle("GET /api/orgs/{orgID}", active(a.getOrg))
	api.Handle("GET /api/orgs/{orgID}/members", member(a.listMembers))
	api.Handle("GET /api/orgs/{orgID}/invitations", orgAdmin(a.listInvitations))
	api.Handle("POST /api/orgs/{orgID}/invitations", orgAdmin(a.invite))
	api.Handle("POST /api/orgs/{orgID}/invitations/{invitationID}/revoke", orgAdmin(a.revokeInvitation))
	api.Handle("PATCH /api/orgs/{orgID}/members/{userID}", orgAdmin(a.updateMemberRole))
	api.Handle("DELETE /api/orgs/{orgID}/members/{userID}", orgAdmin(a.removeMember))
	api.Handle("GET /api/orgs/{orgID}/api-keys", orgAdmin(a.listKeys))
	api.Handle("POST /api/orgs/{orgID}/api-keys", orgAdmin(a.createKeyAPI))
	api.Handle("POST /api/orgs/{orgID}/api-keys/{keyID}/revoke", orgAdmin(a.revokeKeyAPI))
	api.Handle("POST /api/onboarding", user(a.onboarding))
	api.Handle("DELETE /api/admin/users/{userID}", siteAdmin(a.deleteUser))
	api.Handle("PATCH /api/admin/users/{userID}/role", siteAdmin(a.setUserRole))
	api.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such API route")
	}))

	mux := http.NewServeMux()
	mux.Handle("/api/", api)
	mux.Handle("POST /api/webhooks/clerk", a.cfg.Webhooks)
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("/", a.notFound)
	mux.Handle("GET /dashboard", user(a.dashboard))
	mux.Handle("GET /orgs/{orgID}", member(a.orgPage))
	mux.Handle("POST /orgs/{orgID}/projects", member(a.createProjectPage))
	mux.Handle("GET /orgs/{orgID}/members", member(a.membersPage))
	mux.Handle("POST /orgs/{orgID}/members/invite", orgAdmin(a.invitePage))
	mux.Handle("POST /orgs/{orgID}/invitations/{invitationID}/revoke", orgAdmin(a.revokePage))
	mux.Handle("POST /orgs/{orgID}/members/{userID}/role", orgAdmin(a.rolePage))
	mux.Handle("GET /orgs/{orgID}/members/{userID}/remove", orgAdmin(a.confirmRemovePage))
	mux.Handle("POST /orgs/{orgID}/members/{userID}/remove", orgAdmin(a.removePage))
	mux.Handle("GET /orgs/{orgID}/api-keys", orgAdmin(a.keysPage))
	mux.Handle("POST /orgs/{orgID}/api-keys", orgAdmin(a.createKeyPage))
	mux.Handle("GET /orgs/{orgID}/api-keys/{keyID}/revoke", orgAdmin(a.confirmRevokeKeyPage))
	mux.Handle("POST /orgs/{orgID}/api-keys/{keyID}/revoke", orgAdmin(a.revokeKeyPage))
	mux.Handle("GET /admin", siteAdmin(a.adminPage))
	mux.HandleFunc("GET /sign-in", a.signInRedirect)
	if a.cfg.SignOutURL == "" {
		mux.HandleFunc("POST /sign-out", a.signOut)
	}

	// Browsers' cross-site form posts are refused (CSRF); API clients,
	// which send no Origin or Sec-Fetch-Site, are not affected.
	csrf := http.NewCrossOriginProtection()
	csrf.AddInsecureBypassPattern("POST /api/webhooks/clerk")
	return a.logRequests(a.securityHeaders(m.WithAuth(recordSession(csrf.Handler(mux)))))
}

// rateLimit refuses a user's requests beyond the configured rate with 429:
// a JSON body for the API, a page for browsers. API-key requests pass:
// limitAPIKeys has counted them already, per key.
func (a *App) rateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := auth.PrincipalFromContext(r.Context()); ok && p.Machine != nil {
			next.ServeHTTP(w, r)
			return
		}
		ok, wait := a.limiter.Allow(userKey(r))
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		a.tooMany(w, r, wait)
	})
}

// tooMany answers 429 with Retry-After (whole seconds, at least 1).
func (a *App) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	secs := max(1, int((wait+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", itoa(secs))
	if wantsHTML(r) {
		a.renderError(w, r, http.StatusTooManyRequests, "Slow down", "Too many requests: please wait a moment and try again.")
		return
	}
	writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": "rate_limited", "message": "too many requests", "retry_after": secs})
}

// userKey keys the rate limit by signed-in user; it runs behind
// RequireAuth.
func userKey(r *http.Request) string {
	if s, ok := auth.FromContext(r.Context()); ok {
		return "user:" + s.UserID
	}
	return "anonymous"
}

// apiClient treats a request with an Authorization header as an API
// client's, never a browser navigation: when its token is not a valid
// session (WithAuth found none: an API key, an M2M token, an expired
// token), the refusal is a JSON 401, not the sign-in redirect, whatever
// Accept says. Browsers never send the header on page loads.
func apiClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := auth.FromContext(r.Context()); !ok && auth.BearerToken(r) != "" {
			r = r.Clone(r.Context())
			r.Header.Del("Accept")
			r.Header.Del("Sec-Fetch-Dest")
			r.Header.Set("Accept", "application/json")
		}
		next.ServeHTTP(w, r)
	})
}
