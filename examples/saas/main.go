// Command saas is clerkkit's SaaS example: teams (Clerk organizations) own
// projects; admins invite, promote and remove members; Clerk's webhooks
// keep the app's database in step.
//
//	go run ./examples/saas                 # local demo (nothing configured)
//	go run ./examples/saas -addr 127.0.0.1:9000
//
// Local mode runs a Clerk emulator (emulator.Server) in-process with demo
// users and organizations, delivers its webhooks to this app (so the
// database fills through the real webhook path), and signs browsers in
// on its hosted sign-in page (choose a demo user) and keeps them signed in
// through its handshake, as with Clerk. It starts with -local or CLERK_LOCAL=1, or when
// nothing is configured at all (no CLERK_* variable, no DATABASE_URL), and
// it is refused whenever a production setting is present: a live key,
// DATABASE_URL, CLERK_SECRET_KEY… (see loadSetup). Its database is a
// SQLite file in a temporary directory, removed on exit.
//
// Production mode needs CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY,
// CLERK_WEBHOOK_SIGNING_SECRET, DATABASE_URL (postgres://… or a SQLite
// path) and PUBLIC_URL (the app's origin, e.g. https://app.example.com);
// anything missing is a start-up error naming it.
//
// SIGINT (Ctrl-C) and SIGTERM (docker stop, Kubernetes) shut the server
// down gracefully.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/clerk/clerk-sdk-go/v2/session"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/apikeys"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/examples/saas/app"
	"github.com/clerkkit/clerkkit/examples/saas/store"
	"github.com/clerkkit/clerkkit/examples/saas/syncer"
	"github.com/clerkkit/clerkkit/webhooks"
)

// DefaultAddr is the example's listen address; the quickstart uses another
// port so that both can run at once.
const DefaultAddr = "127.0.0.1:8080"

// DemoTokenTTL is the lifetime of the tokens local mode prints for curl.
// Short on purpose, like Clerk's own 60 s session tokens: a printed token
// is a credential. Access changes (a removal, a demotion) take effect at
// once anyway, through the synced membership table.
const DemoTokenTTL = 5 * time.Minute

// shutdownTimeout bounds the graceful shutdown.
const shutdownTimeout = 10 * time.Second

func main() {
	addr := flag.String("addr", DefaultAddr, "listen address (host:port)")
	local := flag.Bool("local", false, "run the local demo: in-process Clerk emulator and demo sign-in (same as CLERK_LOCAL=1)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	err := run(ctx, options{Addr: *addr, Local: *local, Environ: os.Environ(), Out: os.Stdout, Logger: logger})
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "saas:", err)
		os.Exit(1)
	}
}

// options are run's inputs, so that tests can run the whole program.
type options struct {
	Addr string
	// Local is the -local flag.
	Local bool
	// Environ is the environment, as os.Environ returns it.
	Environ []string
	Out     io.Writer
	Logger  *slog.Logger
	// Ready, when set, receives the running program once it serves.
	Ready chan<- *running

	// For tests only, never set from the environment:
	// LocalDatabaseURL replaces local mode's temporary SQLite file (e.g. a
	// PostgreSQL test schema);
	LocalDatabaseURL string
	// Clock drives local mode's emulator and verifier, and production
	// mode's verifier (default: real time);
	Clock *clerktest.Clock
	// HTTPClient reaches the Backend API and JWKS in production mode.
	HTTPClient *http.Client
	// RatePerSecond and Burst override the per-user rate limit.
	RatePerSecond float64
	Burst         int
}

// running is a started program, for tests.
type running struct {
	URL           string
	Emulator      *emulator.Server // nil with real Clerk
	Store         *store.Store
	Clerk         *clerkkit.Client
	WebhookSecret string
}

// run serves until ctx ends, then shuts down gracefully and removes what
// it created.
func run(ctx context.Context, o options) error {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	su, err := loadSetup(o.Local, o.Environ)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	base := "http://" + ln.Addr().String()

	var (
		verifier *auth.Verifier
		client   *clerkkit.Client
		em       *emulator.Server
		secret   = su.WebhookSecret
		cc       clerkkit.Config
		cfg      = app.Config{Logger: o.Logger, RatePerSecond: o.RatePerSecond, Burst: o.Burst}
		dbURL    = su.DatabaseURL
	)
	if su.Local {
		if secret == "" {
			if secret, err = randomSecret(); err != nil {
				return err
			}
		}
		clock := o.Clock
		if clock == nil {
			clock = clerktest.RealClock()
		}
		// The emulator serves the Frontend API too: its hosted sign-in and
		// sign-out pages and the handshake, the same flow as with Clerk.
		em, err = emulator.StartServer(emulator.Options{
			Clock:    clock,
			Webhooks: []emulator.WebhookEndpoint{{URL: base + "/api/webhooks/clerk", Secret: secret}},
		})
		if err != nil {
			return err
		}
		defer em.Close()
		ac := em.AuthConfig()
		ac.ProxyURL = em.FrontendAPIURL()
		if verifier, err = auth.NewVerifier(ac); err != nil {
			return err
		}
		cc = em.ClientConfig()
		cfg.SignInURL, cfg.SignOutURL, cfg.FrontendAPIURL = em.SignInURL(), em.SignOutURL(), em.FrontendAPIURL()
		cfg.PublicURL = base
		dbURL = o.LocalDatabaseURL
		if dbURL == "" {
			// The emulator forgets everything when it stops: so does the
			// demo database, removed with its directory on exit.
			dir, err := os.MkdirTemp("", "clerkkit-saas-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			dbURL = filepath.Join(dir, "saas.db")
		}
	} else {
		ac := su.Auth
		ac.HTTPClient = o.HTTPClient
		if o.Clock != nil {
			ac.Now = o.Clock.Now
		}
		if verifier, err = auth.NewVerifier(ac); err != nil {
			return fmt.Errorf("clerk configuration: %w", err)
		}
		cc = clerkkit.Config{SecretKey: su.SecretKey, APIURL: su.APIURL, APIVersion: su.APIVersion, HTTPClient: o.HTTPClient}
		cfg.SignInURL, cfg.SignOutURL, cfg.FrontendAPIURL = su.SignInURL, su.SignOutURL, su.FrontendAPIURL
		cfg.PublicURL = su.PublicURL
	}
	if client, err = clerkkit.New(cc); err != nil {
		return fmt.Errorf("clerk configuration: %w", err)
	}
	backend, err := clerkkit.NewBackend(cc)
	if err != nil {
		return fmt.Errorf("clerk configuration: %w", err)
	}
	sessions := &session.Client{Backend: backend}
	cfg.RevokeSession = func(ctx context.Context, id string) error {
		_, err := sessions.Revoke(ctx, &session.RevokeParams{ID: id})
		return err
	}

	st, err := store.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	hooks, err := syncer.NewHandler(ctx, webhooks.Config{SigningSecret: secret}, st, o.Logger)
	if err != nil {
		return err
	}
	warm, cancel := context.WithTimeout(ctx, 10*time.Second)
	err = verifier.Warm(warm)
	cancel()
	if err != nil {
		return fmt.Errorf("loading Clerk's signing keys: %w", err)
	}
	cfg.Store, cfg.Verifier, cfg.Clerk, cfg.Webhooks = st, verifier, client, hooks
	handler, err := app.New(cfg)
	if err != nil {
		return err
	}

	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	defer srv.Close() // on early returns; a no-op after Shutdown

	if su.Local {
		// Seeding through the emulator sends user.created, organization.created
		// and organizationMembership.created webhooks to this app.
		if err := em.Seed(emulator.DemoSeed()); err != nil {
			return err
		}
		if err := printLocal(ctx, o.Out, base, em.SignInURL(), client, secret); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(o.Out, "saas example on %s with your Clerk instance (webhooks: POST %s/api/webhooks/clerk)\n", base, base)
	}
	if o.Ready != nil {
		o.Ready <- &running{URL: base, Emulator: em, Store: st, Clerk: client, WebhookSecret: secret}
	}

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	o.Logger.Info("shutting down", "timeout", shutdownTimeout)
	shutdown, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// printLocal prints how to use the local demo.
func printLocal(ctx context.Context, out io.Writer, base, signIn string, c *clerkkit.Client, secret string) error {
	admin, err := c.SessionToken(ctx, "user_demo_admin", "org_demo_acme", DemoTokenTTL)
	if err != nil {
		return err
	}
	member, err := c.SessionToken(ctx, "user_demo_member", "org_demo_acme", DemoTokenTTL)
	if err != nil {
		return err
	}
	// An API key of Acme, as its admin would create it on /orgs/org_demo_acme/api-keys
	// (the created_by claim names the user who owns the projects it creates),
	// expiring with the tokens.
	key, err := c.APIKeys.Create(ctx, apikeys.CreateParams{
		Subject: "org_demo_acme", Name: "Demo key", Description: "printed by local mode",
		Scopes: []string{app.ScopeProjectsRead, app.ScopeProjectsWrite}, CreatedBy: "user_demo_admin",
		Claims: map[string]string{app.ClaimCreatedBy: "user_demo_admin"}, ExpiresIn: DemoTokenTTL,
	})
	if err != nil {
		return err
	}
	// Local demo tokens, the demo API key and the emulator's webhook secret, printed on
	// purpose: they exist only in this process.
	fmt.Fprintf(out, `saas example on %[1]s — local mode (in-process Clerk emulator, demo data; nothing is kept)

  Open %[1]s/dashboard and choose a demo user on the emulator's sign-in page (%[7]s).

  The tokens below expire %[4]s after start (like Clerk's 60 s tokens, they are short-lived on purpose);
  restart for fresh ones, or use the browser sign-in.

  ADMIN=%[2]s
  MEMBER=%[3]s
  API_KEY=%[6]s
  WEBHOOK_SECRET=%[5]s

  curl -s -H "Authorization: Bearer $ADMIN" %[1]s/api/projects
  curl -s -H "Authorization: Bearer $ADMIN" -d '{"title":"Launch"}' %[1]s/api/projects
  curl -s -H "Authorization: Bearer $ADMIN" %[1]s/api/orgs/org_demo_acme/members
  curl -s -H "Authorization: Bearer $MEMBER" -X DELETE %[1]s/api/orgs/org_demo_acme/members/user_demo_admin   # 403
  curl -s -H "Authorization: Bearer $API_KEY" %[1]s/api/projects                       # Acme's projects (scope projects:read)
  curl -s -H "Authorization: Bearer $API_KEY" -d '{"title":"From CI"}' %[1]s/api/projects   # scope projects:write
  curl -s -H "Authorization: Bearer $API_KEY" %[1]s/api/orgs/org_demo_acme/members     # 401 token-type-mismatch: sessions only
  go run ./cmd/clerkkit webhook send --url %[1]s/api/webhooks/clerk --secret "$WEBHOOK_SECRET" --type user.created
`, base, admin, member, DemoTokenTTL, secret, key.Secret, signIn)
	return nil
}

// randomSecret returns a fresh whsec_ signing secret.
func randomSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", errors.New("no randomness for the webhook secret")
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}
