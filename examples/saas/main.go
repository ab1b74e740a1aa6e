// Command saas is clerkkit's SaaS example: teams (Clerk organizations) own
// projects; admins invite, promote and remove members; Clerk's webhooks
// keep the app's database in step.
//
//	go run ./examples/saas
//
// With no CLERK_* variables it runs fully locally: a Clerk emulator
// (clerktest.Server) starts in-process with demo users and organizations,
// delivers its webhooks to this app (so the database fills through the
// real webhook path), and /sign-in lets you choose a demo user. With
// CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY and CLERK_WEBHOOK_SIGNING_SECRET
// set, it runs against your Clerk instance instead. DATABASE_URL selects
// PostgreSQL (postgres://…); the default is SQLite.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/examples/saas/app"
	"github.com/clerkkit/clerkkit/examples/saas/store"
	"github.com/clerkkit/clerkkit/examples/saas/syncer"
	"github.com/clerkkit/clerkkit/webhooks"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, options{Addr: *addr, Getenv: os.Getenv, Out: os.Stdout, Logger: logger}); err != nil {
		log.Fatal(err)
	}
}

// options are run's inputs, so that tests can run the whole program.
type options struct {
	Addr   string
	Getenv func(string) string
	Out    io.Writer
	Logger *slog.Logger
	// Ready, when set, receives the running program once it serves.
	Ready chan<- *running
}

// running is a started program, for tests.
type running struct {
	URL           string
	Emulator      *clerktest.Server // nil with real Clerk
	Store         *store.Store
	Clerk         *clerkkit.Client
	WebhookSecret string
}

// run serves until ctx ends.
func run(ctx context.Context, o options) error {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	base := "http://" + ln.Addr().String()
	local := o.Getenv("CLERK_SECRET_KEY") == ""

	var (
		verifier *auth.Verifier
		client   *clerkkit.Client
		emulator *clerktest.Server
		secret   = o.Getenv("CLERK_WEBHOOK_SIGNING_SECRET")
		cfg      = app.Config{Logger: o.Logger}
		dbURL    = o.Getenv("DATABASE_URL")
	)
	if local {
		secret = randomSecret()
		emulator, err = clerktest.StartServer(
			clerktest.WithClock(clerktest.RealClock()),
			clerktest.WithWebhook(base+"/api/webhooks/clerk", secret),
		)
		if err != nil {
			return err
		}
		defer emulator.Close()
		if verifier, err = auth.NewVerifier(emulator.AuthConfig()); err != nil {
			return err
		}
		if client, err = clerkkit.New(clerkkit.Config{SecretKey: emulator.SecretKey(), APIURL: emulator.URL(), HTTPClient: emulator.HTTPClient()}); err != nil {
			return err
		}
		cfg.LocalSignIn = &app.LocalSignIn{}
		if dbURL == "" {
			// The emulator forgets everything when it stops: so does the demo database.
			dir, err := os.MkdirTemp("", "clerkkit-saas-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			dbURL = filepath.Join(dir, "saas.db")
		}
	} else {
		if secret == "" {
			return errors.New("CLERK_WEBHOOK_SIGNING_SECRET is required with CLERK_SECRET_KEY (the database is filled by Clerk's webhooks)")
		}
		if verifier, err = auth.NewVerifier(auth.ConfigFromEnv()); err != nil {
			return fmt.Errorf("clerk configuration: %w", err)
		}
		if client, err = clerkkit.FromEnv(); err != nil {
			return fmt.Errorf("clerk configuration: %w", err)
		}
		cfg.SignInURL = signInURL(o.Getenv)
		cfg.PublishableKey = o.Getenv("CLERK_PUBLISHABLE_KEY")
		if dbURL == "" {
			dbURL = "saas.db"
		}
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

	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	if local {
		// Seeding through the emulator sends user.created, organization.created
		// and organizationMembership.created webhooks to this app.
		if err := emulator.Seed(clerktest.DemoSeed()); err != nil {
			return err
		}
		if err := printLocal(ctx, o.Out, base, client); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(o.Out, "saas example on %s with your Clerk instance (webhooks: POST %s/api/webhooks/clerk)\n", base, base)
	}
	if o.Ready != nil {
		o.Ready <- &running{URL: base, Emulator: emulator, Store: st, Clerk: client, WebhookSecret: secret}
	}

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// printLocal prints how to use the local demo.
func printLocal(ctx context.Context, out io.Writer, base string, c *clerkkit.Client) error {
	admin, err := c.SessionToken(ctx, "user_demo_admin", "org_demo_acme", time.Hour)
	if err != nil {
		return err
	}
	member, err := c.SessionToken(ctx, "user_demo_member", "org_demo_acme", time.Hour)
	if err != nil {
		return err
	}
	// Local demo tokens, printed on purpose for the curl lines.
	fmt.Fprintf(out, `saas example on %[1]s — local mode (in-process Clerk emulator, demo data)

  Open %[1]s/dashboard and choose a demo user.

  ADMIN=%[2]s
  MEMBER=%[3]s

  curl -s -H "Authorization: Bearer $ADMIN" %[1]s/api/projects
  curl -s -H "Authorization: Bearer $ADMIN" -d '{"title":"Launch"}' %[1]s/api/projects
  curl -s -H "Authorization: Bearer $ADMIN" %[1]s/api/orgs/org_demo_acme/members
  curl -s -H "Authorization: Bearer $MEMBER" -X DELETE %[1]s/api/orgs/org_demo_acme/members/user_demo_admin   # 403
`, base, admin, member)
	return nil
}

// signInURL is CLERK_SIGN_IN_URL, else the instance's Account Portal.
func signInURL(getenv func(string) string) string {
	if u := getenv("CLERK_SIGN_IN_URL"); u != "" {
		return u
	}
	host, err := auth.FrontendAPIFromPublishableKey(getenv("CLERK_PUBLISHABLE_KEY"))
	if err != nil {
		return "/sign-in"
	}
	// clerk.example.com → accounts.example.com; x.clerk.accounts.dev → x.accounts.dev
	if rest, ok := strings.CutPrefix(host, "clerk."); ok {
		return "https://accounts." + rest + "/sign-in"
	}
	return "https://" + strings.Replace(host, ".clerk.accounts.", ".accounts.", 1) + "/sign-in"
}

// randomSecret returns a fresh whsec_ signing secret.
func randomSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}
