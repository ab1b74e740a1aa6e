package main

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/clerkkit/clerkkit/auth"
)

// ErrConfig is wrapped by every configuration error: the program refuses
// to start rather than guess.
var ErrConfig = errors.New("configuration")

// productionSettings are the variables the example reads in production
// mode. Any of them, present and not empty, means "production": local mode
// is then refused, and an incomplete set is an error naming what is
// missing.
var productionSettings = []string{
	"CLERK_SECRET_KEY",
	"CLERK_PUBLISHABLE_KEY",
	"NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY",
	"CLERK_WEBHOOK_SIGNING_SECRET",
	"CLERK_WEBHOOK_SECRET",
	"CLERK_JWT_KEY",
	"CLERK_API_URL",
	"CLERK_API_VERSION",
	"CLERK_JWKS_URL",
	"CLERK_ISSUER",
	"CLERK_PROXY_URL",
	"CLERK_AUTHORIZED_PARTIES",
	"CLERK_SIGN_IN_URL",
	"DATABASE_URL",
	"PUBLIC_URL",
}

// envLocal asks for local mode, like the -local flag.
const envLocal = "CLERK_LOCAL"

// setup is what the flags and the environment ask for, validated.
type setup struct {
	// Local selects the in-process emulator and the demo sign-in page.
	Local bool
	// WebhookSecret is the whsec_ secret: Clerk's in production; in local
	// mode CLERK_WEBHOOK_SIGNING_SECRET when given, else "" (generate one).
	WebhookSecret string

	// Production only.
	Auth           auth.Config
	SecretKey      string
	APIURL         string
	APIVersion     string
	PublishableKey string
	FrontendAPI    string // host of the Frontend API, from the publishable key
	// FrontendAPIURL is where the Frontend API is reached: CLERK_PROXY_URL,
	// else https://<FrontendAPI>.
	FrontendAPIURL string
	// SignInURL is the hosted sign-in page: CLERK_SIGN_IN_URL, else the
	// Account Portal's.
	SignInURL string
	// SignOutURL is the hosted sign-out page, when the Frontend API serves
	// one (the emulator of `clerkkit dev`: its sign-in page is
	// CLERK_PROXY_URL/sign-in, and /sign-out is next to it); "" with Clerk,
	// whose Account Portal has none.
	SignOutURL  string
	DatabaseURL string
	// PublicURL is the origin browsers reach the app at
	// (https://app.example.com): sign-in redirects come back to it, and it
	// is the default authorized party (azp) of session tokens.
	PublicURL string
}

// loadSetup decides the mode. Local mode runs when asked for (-local, or
// CLERK_LOCAL=1), or when nothing at all is configured — no CLERK_*
// variable and no DATABASE_URL — which is the bare `go run ./examples/saas`
// on a fresh machine. It is refused when any production setting is present
// (except CLERK_WEBHOOK_SIGNING_SECRET, which an explicit local mode uses as
// its emulator's secret). Otherwise production mode needs
// CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY, CLERK_WEBHOOK_SIGNING_SECRET and
// DATABASE_URL, consistent with each other. A CLERK_* variable the example
// does not know (a misspelling) is an error in every mode.
func loadSetup(localFlag bool, environ []string) (setup, error) {
	env := map[string]string{}
	var unknown []string
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if v == "" {
			continue
		}
		env[k] = v
		if strings.HasPrefix(k, "CLERK_") && k != envLocal && !slices.Contains(productionSettings, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return setup{}, fmt.Errorf("%w: unknown variable %s (misspelt? known: %s, %s)",
			ErrConfig, strings.Join(unknown, ", "), envLocal, strings.Join(productionSettings, ", "))
	}
	local := localFlag
	switch v := env[envLocal]; v {
	case "", "0", "false":
	case "1", "true":
		local = true
	default:
		return setup{}, fmt.Errorf("%w: %s must be 1 or 0, not %q", ErrConfig, envLocal, v)
	}
	var present []string
	for _, k := range productionSettings {
		if env[k] != "" {
			present = append(present, k)
		}
	}
	if local {
		return localSetup(env, present)
	}
	if len(present) == 0 {
		return setup{Local: true}, nil
	}
	return productionSetup(env)
}

func localSetup(env map[string]string, present []string) (setup, error) {
	for _, k := range []string{"CLERK_SECRET_KEY", "CLERK_PUBLISHABLE_KEY", "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY"} {
		if v := env[k]; strings.HasPrefix(v, "sk_live_") || strings.HasPrefix(v, "pk_live_") {
			return setup{}, fmt.Errorf("%w: local mode refused: %s holds a live (production) key; local mode signs anyone in as any demo user", ErrConfig, k)
		}
	}
	refused := slices.DeleteFunc(slices.Clone(present), func(k string) bool { return k == "CLERK_WEBHOOK_SIGNING_SECRET" })
	if len(refused) > 0 {
		return setup{}, fmt.Errorf("%w: local mode refused while production settings are present: %s (unset them, or drop -local / %s to run against your Clerk instance)",
			ErrConfig, strings.Join(refused, ", "), envLocal)
	}
	s := setup{Local: true, WebhookSecret: env["CLERK_WEBHOOK_SIGNING_SECRET"]}
	if s.WebhookSecret != "" && !strings.HasPrefix(s.WebhookSecret, "whsec_") {
		return setup{}, fmt.Errorf("%w: CLERK_WEBHOOK_SIGNING_SECRET must start with whsec_", ErrConfig)
	}
	return s, nil
}

func productionSetup(env map[string]string) (setup, error) {
	s := setup{
		SecretKey:      env["CLERK_SECRET_KEY"],
		PublishableKey: env["CLERK_PUBLISHABLE_KEY"],
		WebhookSecret:  env["CLERK_WEBHOOK_SIGNING_SECRET"],
		DatabaseURL:    env["DATABASE_URL"],
		APIURL:         env["CLERK_API_URL"],
		APIVersion:     env["CLERK_API_VERSION"],
		SignInURL:      env["CLERK_SIGN_IN_URL"],
		PublicURL:      strings.TrimSuffix(env["PUBLIC_URL"], "/"),
	}
	if s.PublishableKey == "" {
		s.PublishableKey = env["NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY"]
	}
	if s.WebhookSecret == "" {
		s.WebhookSecret = env["CLERK_WEBHOOK_SECRET"]
	}
	var missing []string
	if s.SecretKey == "" {
		missing = append(missing, "CLERK_SECRET_KEY (sk_test_… or sk_live_…: the Backend API key)")
	}
	if s.PublishableKey == "" {
		missing = append(missing, "CLERK_PUBLISHABLE_KEY (pk_…: the token issuer and the browser SDK)")
	}
	if s.WebhookSecret == "" {
		missing = append(missing, "CLERK_WEBHOOK_SIGNING_SECRET (whsec_…: the database is filled by Clerk's webhooks)")
	}
	if s.DatabaseURL == "" {
		missing = append(missing, "DATABASE_URL (postgres://… or a SQLite path such as saas.db)")
	}
	if s.PublicURL == "" {
		missing = append(missing, "PUBLIC_URL (https://app.example.com: where sign-in sends users back)")
	}
	if len(missing) > 0 {
		return setup{}, fmt.Errorf("%w: running against Clerk (%s set) needs: %s; for the local demo unset them and run with -local",
			ErrConfig, strings.Join(presentOf(env), ", "), strings.Join(missing, "; "))
	}
	skLive := strings.HasPrefix(s.SecretKey, "sk_live_")
	if !skLive && !strings.HasPrefix(s.SecretKey, "sk_test_") {
		return setup{}, fmt.Errorf("%w: CLERK_SECRET_KEY must start with sk_test_ or sk_live_", ErrConfig)
	}
	pkLive := strings.HasPrefix(s.PublishableKey, "pk_live_")
	if !pkLive && !strings.HasPrefix(s.PublishableKey, "pk_test_") {
		return setup{}, fmt.Errorf("%w: CLERK_PUBLISHABLE_KEY must start with pk_test_ or pk_live_", ErrConfig)
	}
	if skLive != pkLive {
		return setup{}, fmt.Errorf("%w: CLERK_SECRET_KEY and CLERK_PUBLISHABLE_KEY belong to different instances (one live, one test)", ErrConfig)
	}
	host, err := auth.FrontendAPIFromPublishableKey(s.PublishableKey)
	if err != nil {
		return setup{}, fmt.Errorf("%w: CLERK_PUBLISHABLE_KEY: %w", ErrConfig, err)
	}
	s.FrontendAPI = host
	if !strings.HasPrefix(s.WebhookSecret, "whsec_") {
		return setup{}, fmt.Errorf("%w: CLERK_WEBHOOK_SIGNING_SECRET must start with whsec_", ErrConfig)
	}
	s.FrontendAPIURL = "https://" + host
	if p := strings.TrimSuffix(env["CLERK_PROXY_URL"], "/"); p != "" {
		if err := checkHTTPSOrLoopback(p, true); err != nil {
			return setup{}, fmt.Errorf("%w: CLERK_PROXY_URL %w", ErrConfig, err)
		}
		s.FrontendAPIURL = p
	}
	if s.SignInURL == "" {
		s.SignInURL = accountPortalSignIn(host)
	} else if err := checkHTTPSOrLoopback(s.SignInURL, true); err != nil {
		return setup{}, fmt.Errorf("%w: CLERK_SIGN_IN_URL %w", ErrConfig, err)
	}
	if s.SignInURL == s.FrontendAPIURL+"/sign-in" && s.FrontendAPIURL != "https://"+host {
		// The Frontend API hosts the sign-in page itself, as the emulator
		// does: its sign-out page is next to it.
		s.SignOutURL = s.FrontendAPIURL + "/sign-out"
	}
	if err := checkOrigin(s.PublicURL); err != nil {
		return setup{}, fmt.Errorf("%w: PUBLIC_URL: %w", ErrConfig, err)
	}
	s.Auth = auth.Config{
		SecretKey:      s.SecretKey,
		PublishableKey: s.PublishableKey,
		JWTKey:         env["CLERK_JWT_KEY"],
		APIURL:         s.APIURL,
		APIVersion:     s.APIVersion,
		JWKSURL:        env["CLERK_JWKS_URL"],
		Issuer:         env["CLERK_ISSUER"],
		ProxyURL:       env["CLERK_PROXY_URL"],
	}
	for p := range strings.SplitSeq(env["CLERK_AUTHORIZED_PARTIES"], ",") {
		if p = strings.TrimSpace(p); p != "" {
			s.Auth.AuthorizedParties = append(s.Auth.AuthorizedParties, p)
		}
	}
	if len(s.Auth.AuthorizedParties) == 0 {
		// Tokens minted for another site of the same instance are refused.
		s.Auth.AuthorizedParties = []string{s.PublicURL}
	}
	return s, nil
}

// checkHTTPSOrLoopback accepts an absolute https URL, or an http one on a
// loopback host (the emulator of `clerkkit dev`), without query or
// fragment; with path false, without a path either.
func checkHTTPSOrLoopback(raw string, path bool) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" || (!path && u.Path != ""):
		return errors.New("must be an absolute URL without query or fragment")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1"):
		return nil
	}
	return errors.New("must use https (http only for localhost)")
}

// checkOrigin accepts https://host[:port], and http:// for loopback hosts
// only.
func checkOrigin(origin string) error {
	u, err := url.Parse(origin)
	switch {
	case err != nil || u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return errors.New("must be an origin such as https://app.example.com (no path)")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1"):
		return nil
	}
	return errors.New("must use https (http only for localhost)")
}

// presentOf names the production settings present in env.
func presentOf(env map[string]string) []string {
	var out []string
	for _, k := range productionSettings {
		if env[k] != "" {
			out = append(out, k)
		}
	}
	return out
}

// accountPortalSignIn is the sign-in page of the instance's Account Portal:
// clerk.example.com → accounts.example.com; x.clerk.accounts.dev →
// x.accounts.dev.
func accountPortalSignIn(fapiHost string) string {
	if rest, ok := strings.CutPrefix(fapiHost, "clerk."); ok {
		return "https://accounts." + rest + "/sign-in"
	}
	return "https://" + strings.Replace(fapiHost, ".clerk.accounts.", ".accounts.", 1) + "/sign-in"
}
