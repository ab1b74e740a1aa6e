// Package clerkkit is a Go toolkit for web services whose users sign in
// with Clerk.
//
// This package is the entry point to Clerk's Backend API: New builds a
// Client for one Clerk instance, with the users, organizations and
// memberships packages ready to use:
//
//	c, err := clerkkit.New(clerkkit.Config{SecretKey: os.Getenv("CLERK_SECRET_KEY")})
//	role, err := c.Users.Role(ctx, userID)
//	err = c.Memberships.RequireOrgAdmin(ctx, orgID)
//
// Every call goes through clerk-sdk-go v2 and returns its resource types
// (*clerk.User, *clerk.Organization, …), so code mixes freely with the
// official SDK; Client.Backend plugs into any clerk-sdk-go client. Unlike
// that SDK, nothing here is package-level: two Clients for two instances
// in one process share nothing.
//
// Calls are retried when that is safe (see RetryPolicy), inputs are
// validated before any request (errors wrap clerkerr.ErrInvalidInput), and every
// Backend API failure is a *clerkerr.APIError carrying the HTTP status, Clerk's
// error entries, the trace id and Retry-After, even when the body was not
// JSON. Errors and logs never contain the secret key, and it is sent to
// APIURL's scheme, host and port only: redirects are never followed (Clerk's
// API does not redirect; a call answered with one fails with clerkerr.ErrRedirect).
//
// Users.Role and the membership checks are cached (30s and 10s by default,
// see users.Options and memberships.Options). A change made through the
// Client (SetRole, metadata, ban, lock, Delete, membership Add, UpdateRole,
// Remove, organization Delete) is seen by the next lookup; one made
// elsewhere once the entry expires, or at once after Client.ForgetUser,
// Users.Forget or Memberships.Forget (and ForgetMembership, ForgetUser,
// ForgetOrganization), which webhook handlers call (see the
// Client.ForgetUser example).
//
// Session tokens are verified by package auth, HTTP handlers protected by
// package middleware, webhooks received by package webhooks, and tests run
// against the local emulator in package clerktest.
package clerkkit

import (
	"context"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/apikeys"
	"github.com/clerkkit/clerkkit/emailaddresses"
	"github.com/clerkkit/clerkkit/internal/bapi"
	"github.com/clerkkit/clerkkit/jwttemplates"
	"github.com/clerkkit/clerkkit/m2mtokens"
	"github.com/clerkkit/clerkkit/machines"
	"github.com/clerkkit/clerkkit/memberships"
	"github.com/clerkkit/clerkkit/oauthapps"
	"github.com/clerkkit/clerkkit/organizations"
	"github.com/clerkkit/clerkkit/orgdomains"
	"github.com/clerkkit/clerkkit/orgroles"
	"github.com/clerkkit/clerkkit/sessions"
	"github.com/clerkkit/clerkkit/users"
)

// Defaults used when the corresponding Config field is zero.
const (
	DefaultRequestTimeout = bapi.DefaultRequestTimeout
	DefaultMaxAttempts    = bapi.DefaultMaxAttempts
	DefaultMaxWait        = bapi.DefaultMaxWait
	DefaultBaseDelay      = bapi.DefaultBaseDelay
	DefaultMaxDelay       = bapi.DefaultMaxDelay
)

// Config configures a Client (or a bare Backend). Only SecretKey is
// required.
type Config struct {
	// SecretKey is the instance's Backend API key, sk_test_… or sk_live_…
	// (CLERK_SECRET_KEY). It is sent only as the Authorization header, only
	// to APIURL's scheme, host and port, and never appears in errors.
	SecretKey string
	// APIURL is the Backend API's base URL, without /v1. Default
	// https://api.clerk.com (auth.DefaultAPIURL). Plain http is accepted for loopback hosts
	// only (local emulators such as clerktest).
	APIURL string
	// APIVersion is sent as the Clerk-API-Version header. Default
	// 2025-04-10 (auth.DefaultAPIVersion), the version clerk-sdk-go v2.4.2 is written for.
	APIVersion string
	// HTTPClient sends the requests; its Transport (default
	// http.DefaultTransport) is used under clerkkit's retrying transport,
	// and the client itself is not modified. Its Timeout, if any, bounds a
	// whole call, retries and waits included. Its CheckRedirect is not
	// used: Clerk's API never redirects, so no redirect is followed, even
	// within the API (the call fails with an error wrapping clerkerr.ErrRedirect),
	// and no request leaves APIURL's origin. Default: a plain client.
	HTTPClient *http.Client
	// RequestTimeout bounds each attempt, reading the response included;
	// an attempt that times out counts as a connection error. Default 15s.
	RequestTimeout time.Duration
	// Retry says how failed requests are retried. The zero value retries
	// (see RetryPolicy); set Retry.Disabled to send every request once.
	Retry RetryPolicy
	// UserAgent is prepended to the User-Agent header, e.g. "myapp/1.4".
	UserAgent string

	// Users tunes Client.Users (role key, Role and Current caches). Its
	// OnDelete, if set, is called after the Client's own: New makes
	// Users.Delete drop the user's memberships from Memberships' cache.
	Users users.Options
	// Organizations tunes Client.Organizations. Its OnDelete, if set, is
	// called after the Client's own: New makes Organizations.Delete drop
	// the organization's memberships from Memberships' cache.
	Organizations organizations.Options
	// Memberships tunes Client.Memberships (authorization cache).
	Memberships memberships.Options

	// Test hooks, see export_test.go.
	sleep  func(context.Context, time.Duration) error
	now    func() time.Time
	jitter func(int64) int64
}

// RetryPolicy says how failed Backend API requests are retried. The zero
// value is the default policy:
//
//   - 429 Too Many Requests is retried for every method (the request was
//     not processed), after the Retry-After delay (seconds or an HTTP date)
//     when the response has one, else after a backoff;
//   - 502, 503 and 504 and connection errors (including an attempt
//     exceeding RequestTimeout) are retried for idempotent methods only:
//     GET, HEAD, PUT, DELETE and OPTIONS, never POST or PATCH;
//   - backoff is exponential from BaseDelay, capped at MaxDelay, with full
//     jitter; a Retry-After on a 503 is honoured too;
//   - at most MaxAttempts attempts and MaxWait of total waiting per call: a
//     Retry-After longer than what is left ends the call at once with the
//     429 *clerkerr.APIError, its RetryAfter set;
//   - the wait ends at once when the call's context does, with the
//     context's error;
//   - request bodies are replayed for each attempt.
type RetryPolicy struct {
	// Disabled turns retries off: every request is sent once.
	Disabled bool
	// MaxAttempts bounds the attempts per call, the first included.
	// Default 4.
	MaxAttempts int
	// MaxWait bounds the total time spent waiting between the attempts of
	// one call. Default 30s.
	MaxWait time.Duration
	// BaseDelay is the backoff before the second attempt; it doubles for
	// each later one. Default 250ms.
	BaseDelay time.Duration
	// MaxDelay caps one backoff delay. Default 5s.
	MaxDelay time.Duration
}

func (c Config) internal() bapi.Config {
	return bapi.Config{
		SecretKey:      c.SecretKey,
		APIURL:         c.APIURL,
		APIVersion:     c.APIVersion,
		HTTPClient:     c.HTTPClient,
		RequestTimeout: c.RequestTimeout,
		Retry:          bapi.RetryPolicy(c.Retry), // same fields: a compile-time check they stay so
		UserAgent:      c.UserAgent,
		Sleep:          c.sleep,
		Now:            c.now,
		Jitter:         c.jitter,
	}
}

// ConfigFromEnv returns a Config read from the environment variables that
// Clerk users already set: CLERK_SECRET_KEY (SecretKey), CLERK_API_URL
// (APIURL) and CLERK_API_VERSION (APIVersion), with surrounding spaces
// trimmed; no other variable is read, and the other fields keep their
// defaults. An unset variable leaves its field empty: the default, or for
// SecretKey an error from New. Adjust it and pass it to New or NewBackend,
// which validate it, as auth.ConfigFromEnv goes to auth.NewVerifier and
// webhooks.ConfigFromEnv to webhooks.NewHandler.
func ConfigFromEnv() Config {
	return Config{
		SecretKey:  strings.TrimSpace(os.Getenv("CLERK_SECRET_KEY")),
		APIURL:     strings.TrimSpace(os.Getenv("CLERK_API_URL")),
		APIVersion: strings.TrimSpace(os.Getenv("CLERK_API_VERSION")),
	}
}

// NewBackend validates cfg and returns a clerk.Backend for the instance:
// clerk-sdk-go's own backend over clerkkit's retrying transport, whose
// errors are *clerkerr.APIError values. Use it to build a single package's client
// (users.New(b, users.Options{})) or any clerk-sdk-go client
// (&session.Client{Backend: b}). The Users, Organizations and Memberships
// fields of cfg are not used.
func NewBackend(cfg Config) (clerk.Backend, error) {
	b, err := bapi.NewBackend(cfg.internal())
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Client is a Backend API client for one Clerk instance. It is safe for
// concurrent use; create one per instance and share it.
type Client struct {
	// Users manages users: Get, All, Create, Role, SetRole, metadata, the
	// signed-in user, …
	Users *users.Client
	// Organizations manages organizations and their invitations.
	Organizations *organizations.Client
	// Memberships manages organization memberships and answers
	// authorization checks (RequireOrgAdmin, HasPermission, …).
	Memberships *memberships.Client
	// APIKeys manages API keys of users, organizations and machines.
	APIKeys *apikeys.Client
	// Machines manages machines: secret keys, rotation, scopes.
	Machines *machines.Client
	// M2MTokens lists and revokes any machine's M2M tokens; creating one
	// takes the machine's key (NewMachineBackend).
	M2MTokens *m2mtokens.Client
	// OAuthApps manages OAuth applications.
	OAuthApps *oauthapps.Client
	// Sessions reads, lists and revokes sessions and mints their tokens,
	// from JWT templates too.
	Sessions *sessions.Client
	// JWTTemplates manages JWT templates, whose tokens Sessions mints.
	JWTTemplates *jwttemplates.Client
	// OrgRoles manages custom organization roles and permissions.
	OrgRoles *orgroles.Client
	// OrgDomains manages organizations' email domains.
	OrgDomains *orgdomains.Client
	// EmailAddresses manages users' email addresses.
	EmailAddresses *emailaddresses.Client

	backend clerk.Backend
}

// New validates cfg and returns a Client. A missing or malformed secret key
// or API URL is an error wrapping clerkerr.ErrInvalidConfig; New makes no request.
func New(cfg Config) (*Client, error) {
	b, err := NewBackend(cfg)
	if err != nil {
		return nil, err
	}
	mem := memberships.New(b, cfg.Memberships)
	uo, oo := cfg.Users, cfg.Organizations
	uo.OnDelete = chain(mem.ForgetUser, uo.OnDelete)
	oo.OnDelete = chain(mem.ForgetOrganization, oo.OnDelete)
	return &Client{
		Users:          users.New(b, uo),
		Organizations:  organizations.New(b, oo),
		Memberships:    mem,
		APIKeys:        apikeys.New(b, apikeys.Options{}),
		Machines:       machines.New(b, machines.Options{}),
		M2MTokens:      m2mtokens.New(b, m2mtokens.Options{}),
		OAuthApps:      oauthapps.New(b, oauthapps.Options{}),
		Sessions:       sessions.New(b, sessions.Options{}),
		JWTTemplates:   jwttemplates.New(b, jwttemplates.Options{}),
		OrgRoles:       orgroles.New(b, orgroles.Options{}),
		OrgDomains:     orgdomains.New(b, orgdomains.Options{}),
		EmailAddresses: emailaddresses.New(b, emailaddresses.Options{}),
		backend:        b,
	}, nil
}

// chain returns a hook calling first, then next when it is set.
func chain(first, next func(id string)) func(id string) {
	if next == nil {
		return first
	}
	return func(id string) { first(id); next(id) }
}

// ForgetUser drops everything the Client has cached about the user: the
// role and Current entries of Users and the memberships of Memberships, so
// the next check asks the Backend API. Changes made through the Client do
// this themselves; call ForgetUser (or Users.Forget, which leaves the
// memberships) from the handler of the user.updated and user.deleted
// webhooks for changes made elsewhere. Without it, such changes are seen
// once the entries expire: users.Options.RoleCacheTTL (default 30s) and
// memberships.Options.CacheTTL (default 10s).
func (c *Client) ForgetUser(userID string) {
	c.Users.Forget(userID)
	c.Memberships.ForgetUser(userID)
}

// Backend returns the clerk.Backend the Client uses, for clerk-sdk-go
// clients of the resources clerkkit does not wrap:
//
//	phones := &phonenumber.Client{Backend: c.Backend()}
func (c *Client) Backend() clerk.Backend { return c.backend }
