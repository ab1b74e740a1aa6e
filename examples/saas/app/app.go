// Package app is the SaaS example's HTTP layer: a JSON API, server-rendered
// pages, the Clerk webhook endpoint and, in local mode, a demo sign-in.
//
// Request path: every request gets a request id and a structured log line
// (request id, user id, org id — never a token). The session, when the
// request carries a valid token, is attached once (middleware.WithAuth);
// routes then require what they need (RequireAuth, RequireOrgAdminOf,
// RequireRole…), reusing that session. Reads come from the app's own
// database, which Clerk's webhooks keep in step; writes that belong to
// Clerk (invitations, roles, metadata, deletions) go to the Backend API,
// and come back through the webhooks.
package app

import (
	"errors"
	"log/slog"
	"net/http"
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
	// SignInURL is where page requests without a session are sent, with a
	// redirect_url back. Default "/sign-in".
	SignInURL string
	// LocalSignIn, when set, serves /sign-in with the instance's users to
	// choose from (local mode only; never with real Clerk).
	LocalSignIn *LocalSignIn
	// PublishableKey, with real Clerk, loads Clerk's browser SDK on pages so
	// that it keeps the __session cookie fresh.
	PublishableKey string
	// RatePerSecond and Burst bound each user's API requests (token
	// bucket). Defaults 5 per second, burst 20.
	RatePerSecond float64
	Burst         int
}

// LocalSignIn mints session tokens for the demo sign-in page.
type LocalSignIn struct {
	// TokenTTL is the lifetime of the tokens set as cookies. Default 8 h.
	TokenTTL time.Duration
}

// App is the HTTP application.
type App struct {
	cfg   Config
	st    *store.Store
	clerk *clerkkit.Client
	m     *middleware.Middleware
	pages pageSet
	log   *slog.Logger
}

// New validates cfg and returns the application's handler.
func New(cfg Config) (http.Handler, error) {
	if cfg.Store == nil || cfg.Verifier == nil || cfg.Clerk == nil || cfg.Webhooks == nil {
		return nil, errors.New("app: Store, Verifier, Clerk and Webhooks are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SignInURL == "" {
		cfg.SignInURL = "/sign-in"
	}
	if cfg.RatePerSecond <= 0 {
		cfg.RatePerSecond = 5
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 20
	}
	if cfg.LocalSignIn != nil && cfg.LocalSignIn.TokenTTL <= 0 {
		cfg.LocalSignIn.TokenTTL = 8 * time.Hour
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, st: cfg.Store, clerk: cfg.Clerk, pages: pages, log: cfg.Logger}
	a.m = middleware.New(cfg.Verifier,
		middleware.WithSignInURL(cfg.SignInURL),
		middleware.WithUsers(cfg.Clerk.Users, 0),
		middleware.WithMemberships(cfg.Clerk.Memberships),
		middleware.WithFailureHandler(a.failure),
	)
	return a.routes(), nil
}

func (a *App) routes() http.Handler {
	m := a.m
	org := middleware.PathValue("orgID")
	limiter := ratelimit.New(a.cfg.RatePerSecond, a.cfg.Burst)
	perUser := func(h http.Handler) http.Handler {
		return m.RequireAuth(limiter.Middleware(userKey)(h))
	}
	api := http.NewServeMux()
	api.Handle("GET /api/projects", perUser(http.HandlerFunc(a.listProjects)))
	api.Handle("POST /api/projects", perUser(http.HandlerFunc(a.createProject)))
	api.Handle("GET /api/orgs/{orgID}", perUser(m.RequireActiveOrg(org)(http.HandlerFunc(a.getOrg))))
	api.Handle("GET /api/orgs/{orgID}/members", perUser(m.RequireOrgMemberOf(org)(http.HandlerFunc(a.listMembers))))
	api.Handle("POST /api/orgs/{orgID}/invitations", perUser(m.RequireOrgAdminOf(org)(http.HandlerFunc(a.invite))))
	api.Handle("PATCH /api/orgs/{orgID}/members/{userID}", perUser(m.RequireOrgAdminOf(org)(http.HandlerFunc(a.updateMemberRole))))
	api.Handle("DELETE /api/orgs/{orgID}/members/{userID}", perUser(m.RequireOrgAdminOf(org)(http.HandlerFunc(a.removeMember))))
	api.Handle("POST /api/onboarding", perUser(http.HandlerFunc(a.onboarding)))
	api.Handle("DELETE /api/admin/users/{userID}", perUser(m.RequireRole("admin")(http.HandlerFunc(a.deleteUser))))
	api.Handle("PATCH /api/admin/users/{userID}/role", perUser(m.RequireRole("admin")(http.HandlerFunc(a.setUserRole))))
	api.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such API route")
	}))

	mux := http.NewServeMux()
	mux.Handle("/api/", api)
	mux.Handle("POST /api/webhooks/clerk", a.cfg.Webhooks)
	mux.HandleFunc("GET /{$}", a.home)
	mux.Handle("GET /dashboard", m.RequireAuth(http.HandlerFunc(a.dashboard)))
	mux.Handle("GET /orgs/{orgID}", m.RequireOrgMemberOf(org)(http.HandlerFunc(a.orgPage)))
	mux.Handle("GET /orgs/{orgID}/members", m.RequireOrgMemberOf(org)(http.HandlerFunc(a.membersPage)))
	mux.Handle("POST /orgs/{orgID}/members/invite", m.RequireOrgAdminOf(org)(http.HandlerFunc(a.invitePage)))
	mux.Handle("POST /orgs/{orgID}/members/{userID}/role", m.RequireOrgAdminOf(org)(http.HandlerFunc(a.rolePage)))
	mux.Handle("POST /orgs/{orgID}/members/{userID}/remove", m.RequireOrgAdminOf(org)(http.HandlerFunc(a.removePage)))
	mux.Handle("GET /admin", m.RequireRole("admin")(http.HandlerFunc(a.adminPage)))
	mux.HandleFunc("POST /sign-out", a.signOut)
	if a.cfg.LocalSignIn != nil {
		mux.HandleFunc("GET /sign-in", a.signInPage)
		mux.HandleFunc("POST /sign-in", a.signIn)
	}

	// Browsers' cross-site form posts are refused (CSRF); API clients,
	// which send no Origin or Sec-Fetch-Site, are not affected.
	csrf := http.NewCrossOriginProtection()
	csrf.AddInsecureBypassPattern("POST /api/webhooks/clerk")
	return a.logRequests(m.WithAuth(recordSession(csrf.Handler(mux))))
}

// userKey keys the rate limit by signed-in user.
func userKey(r *http.Request) string {
	if s, ok := auth.FromContext(r.Context()); ok {
		return s.UserID
	}
	return "anonymous"
}
