package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/webhooks"
)

const devAbout = `Runs an in-memory Clerk Backend API until Ctrl-C or SIGTERM, and prints the
CLERK_* lines to export for a service to use it: users with their email
addresses, phone numbers, TOTP and backup codes, organizations, memberships,
invitations, domains, roles, permissions and role sets, sessions, clients,
JWT templates and tokens, JWKS, allowlist, blocklist, redirect URLs, the
waitlist, sign-in, testing and actor tokens, satellite domains, OAuth
applications, Billing (plans and subscriptions from the seed), machines, API
keys and M2M tokens. Everything is in memory: nothing is written to disk.

On the same address it serves the Frontend API of Clerk's cookie flow
(CLERK_PROXY_URL): the handshake that keeps server-rendered pages signed in,
dev browsers, and a hosted sign-in page (CLERK_SIGN_IN_URL; choose a seeded
user, or sign in with the email address and "password" of a seeded user)
and sign-out page (/sign-out), plain HTML. They send browsers back only to
loopback origins and to those given with --allowed-origin.

Reads:
  CLERK_WEBHOOK_SIGNING_SECRET  with --webhook-url and no --webhook-secret, the
                                secret to sign webhooks with (the first one)`

func runDev(ctx context.Context, args []string, e env) error {
	fs := newFlags("dev", "[--addr HOST:PORT] [--seed FILE] [--allowed-origin ORIGIN,…] [--webhook-url URL [--webhook-secret whsec_…]]", devAbout, e)
	addr := fs.String("addr", "127.0.0.1:8787", "listen address; anything but a loopback address is warned about")
	seedFile := fs.String("seed", "", "JSON file of permissions, roles, role_sets, users (phone_numbers,\n"+
		"unverified_email_addresses, unverified_phone_numbers, totp_secret, backup_codes, web3_wallets,\n"+
		"external_accounts, passkeys, trusted_devices), organizations (domains), memberships, machines,\n"+
		"api_keys, jwt_templates, plans, subscriptions and discounts (Billing), satellite_domains,\n"+
		"oauth_applications, allowlist_identifiers, blocklist_identifiers, redirect_urls and\n"+
		"waitlist_entries to load (default: the demo data; see emulator.SeedData)")
	origins := fs.String("allowed-origin", "", "comma-separated origins of apps not on loopback (e.g. https://app.test:8443) that\n"+
		"the sign-in page and the handshake may send browsers back to")
	hookURL := fs.String("webhook-url", "", "POST Svix-signed Clerk webhooks for the emulator's changes, the seed's included, to this URL;\n"+
		"each delivery attempt is logged on stderr, failed ones are retried for about 7 minutes")
	hookSecret := fs.String("webhook-secret", "", "the webhook endpoint's signing secret (default $"+webhooks.EnvSigningSecret+";\n"+
		"when that is unset too, a new secret is generated and printed as an export line)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return usagef("--addr %q is not HOST:PORT", *addr)
	}
	if *hookURL != "" {
		if err := checkHTTPURL("--webhook-url", *hookURL); err != nil {
			return err
		}
	}
	secret, generated, err := devWebhookSecret(fs, *hookURL, *hookSecret, e)
	if err != nil {
		return err
	}
	if !isLoopback(host) {
		fmt.Fprintf(e.stderr, "clerkkit dev: warning: --addr %s is not a loopback address, so other machines can reach "+
			"this emulator; it is for local development only (use 127.0.0.1:PORT)\n", *addr)
	}
	seed := emulator.DemoSeed()
	if *seedFile != "" {
		if seed, err = readSeed(*seedFile); err != nil {
			return err
		}
	}
	opts := emulator.Options{Addr: *addr, Clock: clerktest.RealClock()}
	for o := range strings.SplitSeq(*origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			opts.AllowedOrigins = append(opts.AllowedOrigins, o)
		}
	}
	if *hookURL != "" {
		// Given before seeding, so that the seed's changes are delivered.
		opts.Webhooks = []emulator.WebhookEndpoint{{URL: *hookURL, Secret: secret}}
		opts.WebhookObserver = deliveryLogger(e.stderr)
	}
	srv, err := emulator.StartServer(opts)
	if err != nil {
		if errors.Is(err, emulator.ErrNotAnOrigin) {
			return usagef("--allowed-origin: %s", strings.TrimPrefix(err.Error(), "emulator: Options.AllowedOrigins: "))
		}
		return err
	}
	defer srv.Close()
	if err := srv.Seed(seed); err != nil {
		name := *seedFile
		if name == "" {
			name = "the demo seed"
		}
		return fmt.Errorf("%s: %s", name, strings.TrimPrefix(clean(err), "Seed: "))
	}
	fmt.Fprintf(e.stdout, `# Local Clerk emulator on %[1]s. Export these, then run your service (Ctrl-C or SIGTERM stops the emulator):
export CLERK_SECRET_KEY=%[2]s
export CLERK_PUBLISHABLE_KEY=%[3]s
export CLERK_API_URL=%[1]s
export CLERK_JWKS_URL=%[1]s/.well-known/jwks.json
export CLERK_PROXY_URL=%[4]s
export CLERK_SIGN_IN_URL=%[5]s
# Browsers sign in at %[5]s?redirect_url=<your page>; the handshake keeps server-rendered pages signed in.
`, srv.URL(), srv.SecretKey(), srv.PublishableKey(), srv.FrontendAPIURL(), srv.SignInURL())
	if *hookURL != "" {
		fmt.Fprintf(e.stdout, "# Webhooks for the emulator's changes go to %s (deliveries are logged on stderr)\n", *hookURL)
		if generated {
			fmt.Fprintf(e.stdout, "export %s=%s\n", webhooks.EnvSigningSecret, secret)
		}
	}
	fmt.Fprintf(e.stdout, "# A session token for a seeded user:  clerkkit token --user %s [--org ORG_ID]\n", firstUser(seed))
	<-ctx.Done()
	return nil
}

// devWebhookSecret returns the secret to sign webhooks with: --webhook-secret,
// else the first secret of $CLERK_WEBHOOK_SIGNING_SECRET, else a new one
// (generated reports that). Without --webhook-url there is none.
func devWebhookSecret(fs *flag.FlagSet, hookURL, flagSecret string, e env) (secret string, generated bool, err error) {
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "webhook-secret" })
	if hookURL == "" {
		if explicit {
			return "", false, usagef("--webhook-secret needs --webhook-url")
		}
		return "", false, nil
	}
	secret = flagSecret
	if !explicit {
		if env := secretList(e.getenv(webhooks.EnvSigningSecret)); len(env) > 0 {
			secret = env[0]
		}
	}
	if secret == "" {
		key := make([]byte, 24) // as long as Svix's
		rand.Read(key)
		return "whsec_" + base64.StdEncoding.EncodeToString(key), true, nil
	}
	// StartServer checks it too; checking here names where it came from.
	if _, err := webhooks.NewVerifier(webhooks.Config{SigningSecret: secret}); err != nil {
		if !explicit {
			return "", false, fmt.Errorf("$%s: %s", webhooks.EnvSigningSecret, secretError(err))
		}
		return "", false, usagef("--webhook-secret: %s", secretError(err))
	}
	return secret, false, nil
}

// deliveryLogger returns an Options.WebhookObserver function that writes one
// line per delivery attempt to w, e.g. "webhook msg_… user.created -> 200".
func deliveryLogger(w io.Writer) func(emulator.Delivery) {
	var mu sync.Mutex // one line at a time
	return func(d emulator.Delivery) {
		a := d.Attempts[len(d.Attempts)-1]
		outcome := fmt.Sprint(a.Status)
		if a.Status == 0 {
			outcome = "error: " + a.Error
		}
		var note string
		switch {
		case d.Delivered:
		case d.Failed:
			note = fmt.Sprintf(" (attempt %d; giving up)", len(d.Attempts))
		default:
			wait := d.NextAttempt.Sub(a.At.Add(a.Duration)).Round(100 * time.Millisecond)
			note = fmt.Sprintf(" (attempt %d; retrying in %s)", len(d.Attempts), wait)
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "webhook %s %s -> %s%s\n", d.MessageID, d.EventType, outcome, note)
	}
}

// readSeed reads a seed file, strictly: an unknown key is an error that
// names it and the file.
func readSeed(file string) (emulator.SeedData, error) {
	var seed emulator.SeedData
	raw, err := os.ReadFile(file)
	if err != nil {
		return seed, fmt.Errorf("--seed: %w", err)
	}
	if err := json.Unmarshal(raw, &seed); err != nil {
		var ke *emulator.SeedKeyError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &ke):
			return seed, fmt.Errorf("%s: %s", file, ke.Detail())
		case errors.As(err, &se):
			line := 1 + bytes.Count(raw[:min(int(se.Offset), len(raw))], []byte("\n"))
			return seed, fmt.Errorf("%s:%d: %w", file, line, err)
		}
		return seed, fmt.Errorf("%s: %w", file, err)
	}
	return seed, nil
}

// isLoopback reports whether host (of a listen address) is a loopback
// address: localhost, 127.0.0.0/8 or ::1. An empty host (":8080") listens
// on every interface, so it is not.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}

func firstUser(s emulator.SeedData) string {
	if len(s.Users) > 0 && s.Users[0].ID != "" {
		return s.Users[0].ID
	}
	return "USER_ID"
}
