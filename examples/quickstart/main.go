// Command quickstart is the smallest clerkkit service: a public page, an
// endpoint for signed-in users and one for organization admins.
//
//	go run ./examples/quickstart
//	go run ./examples/quickstart -addr 127.0.0.1:9090
//
// It listens on 127.0.0.1:8090 by default (the SaaS example takes 8080, so
// both can run at once). SIGINT (Ctrl-C) and SIGTERM (docker stop,
// Kubernetes) shut it down gracefully.
//
// With no CLERK_* variables set it runs against a local Clerk issuer
// (clerktest) and prints curl lines with freshly minted demo tokens. With
// CLERK_SECRET_KEY and/or CLERK_PUBLISHABLE_KEY (or CLERK_JWT_KEY) set it
// verifies your instance's real session tokens instead.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/middleware"
)

func main() {
	addr := flag.String("addr", DefaultAddr, "listen address (host:port)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *addr, os.Getenv, os.Stdout, nil)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// DefaultAddr is the quickstart's listen address; the SaaS example uses
// 127.0.0.1:8080.
const DefaultAddr = "127.0.0.1:8090"

// shutdownTimeout bounds the graceful shutdown.
const shutdownTimeout = 10 * time.Second

// run serves until ctx ends. When ready is not nil it receives the base URL
// once the server listens.
func run(ctx context.Context, addr string, getenv func(string) string, out io.Writer, ready chan<- string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	base := "http://" + ln.Addr().String()

	var cfg auth.Config
	var demo *clerktest.Issuer
	if getenv("CLERK_SECRET_KEY") != "" || getenv("CLERK_PUBLISHABLE_KEY") != "" || getenv("CLERK_JWT_KEY") != "" {
		cfg = auth.ConfigFromEnv()
	} else {
		// The embedded local default: a Clerk issuer on loopback.
		demo, err = clerktest.StartIssuer(clerktest.IssuerOptions{Clock: clerktest.RealClock()})
		if err != nil {
			return err
		}
		defer demo.Close()
		cfg = demo.AuthConfig()
	}
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		return fmt.Errorf("clerk configuration: %w", err)
	}
	warmCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err = v.Warm(warmCtx)
	cancel()
	if err != nil {
		return fmt.Errorf("loading Clerk's signing keys: %w", err)
	}

	srv := &http.Server{Handler: routes(v), ReadHeaderTimeout: 10 * time.Second}
	if demo != nil {
		printDemo(out, base, demo)
	} else {
		fmt.Fprintf(out, "clerkkit quickstart on %s, verifying your Clerk instance's session tokens\n", base)
	}
	if ready != nil {
		ready <- base
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(out, "shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func routes(v *auth.Verifier) http.Handler {
	m := middleware.New(v)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "Public page. Try /api/me and /api/admin with a session token.")
	})
	mux.Handle("GET /api/me", m.RequireAuth(http.HandlerFunc(me)))
	mux.Handle("GET /api/admin", m.RequireOrgAdmin(http.HandlerFunc(admin)))
	return mux
}

func me(w http.ResponseWriter, r *http.Request) {
	s, _ := auth.FromContext(r.Context())
	writeJSON(w, map[string]any{
		"user_id": s.UserID, "session_id": s.SessionID,
		"organization_id": s.OrgID, "organization_slug": s.OrgSlug, "organization_role": s.OrgRole,
		"organization_permissions": s.OrgPermissions,
		"expires_at":               s.ExpiresAt.UTC(),
	})
}

func admin(w http.ResponseWriter, r *http.Request) {
	s, _ := auth.FromContext(r.Context())
	writeJSON(w, map[string]any{"message": "welcome, admin of " + s.OrgID, "user_id": s.UserID, "organization_id": s.OrgID})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// demoTTL is how long the printed demo tokens stay valid: a few minutes,
// like Clerk's own short-lived (60 s) session tokens; restart for fresh
// ones.
const demoTTL = 5 * time.Minute

// demoTokens mints the member and admin tokens of the local demo.
func demoTokens(iss *clerktest.Issuer) (member, admin string) {
	now := time.Now()
	org := func(role string) *clerktest.Org {
		return &clerktest.Org{ID: "org_demo", Slug: "demo", Role: role, Permissions: []string{"org:projects:read"}}
	}
	member = iss.Token(clerktest.Claims{UserID: "user_member", Org: org("member"), ExpiresAt: now.Add(demoTTL)})
	admin = iss.Token(clerktest.Claims{UserID: "user_admin", Org: org("admin"), ExpiresAt: now.Add(demoTTL)})
	return member, admin
}

func printDemo(out io.Writer, base string, iss *clerktest.Issuer) {
	member, admin := demoTokens(iss)
	// These are local demo tokens, printed on purpose for the curl lines.
	fmt.Fprintf(out, `clerkkit quickstart on %[1]s (local Clerk issuer %[2]s; set CLERK_SECRET_KEY to use your instance)
Demo tokens are valid for %[3]s (short-lived on purpose); restart for fresh ones.

  MEMBER=%[4]s
  ADMIN=%[5]s

  curl -i %[1]s/                                              # 200, public
  curl -i %[1]s/api/me                                        # 401, no token
  curl -i -H "Authorization: Bearer $MEMBER" %[1]s/api/me     # 200
  curl -i -H "Authorization: Bearer $MEMBER" %[1]s/api/admin  # 403, not an org admin
  curl -i -H "Authorization: Bearer $ADMIN" %[1]s/api/admin   # 200
`, base, iss.IssuerURL(), demoTTL, member, admin)
}
