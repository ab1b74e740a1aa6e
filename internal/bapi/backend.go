package bapi

import (
	"context"
	"fmt"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerkerr"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/clerk/clerk-sdk-go/v2"
)

// Defaults for Config.
const (
	DefaultAPIURL     = auth.DefaultAPIURL
	DefaultAPIVersion = auth.DefaultAPIVersion
	// SDKVersion is the clerk-sdk-go version clerkkit is built on.
	SDKVersion = "v2.4.2"
)

// Config configures a Backend. See clerkkit.Config for the documentation
// of the exported fields.
type Config struct {
	SecretKey      string
	APIURL         string
	APIVersion     string
	HTTPClient     *http.Client
	RequestTimeout time.Duration
	Retry          RetryPolicy
	UserAgent      string
	// MachineKey says SecretKey is a machine's secret key (for the M2M
	// token endpoints) rather than the instance's; see checkMachineKey.
	MachineKey bool

	// Test hooks: the sleep between attempts, the clock used for
	// Retry-After dates, and the jitter source (uniform in [0, n)).
	Sleep  func(context.Context, time.Duration) error
	Now    func() time.Time
	Jitter func(n int64) int64
}

// Backend is a clerk.Backend for one Clerk instance: clerk-sdk-go's own
// backend over the retrying Transport, whose errors are *clerkerr.APIError.
type Backend struct {
	inner     clerk.Backend
	transport *Transport
	now       func() time.Time
	machine   bool
}

// MachineKey reports whether b authenticates with a machine's secret key
// (Config.MachineKey) rather than the instance's.
func (b *Backend) MachineKey() bool { return b.machine }

// NewBackend validates cfg and builds a Backend.
func NewBackend(cfg Config) (*Backend, error) {
	check := checkSecretKey
	if cfg.MachineKey {
		check = checkMachineKey
	}
	if err := check(cfg.SecretKey); err != nil {
		return nil, err
	}
	apiURL, err := checkAPIURL(cfg.APIURL)
	if err != nil {
		return nil, err
	}
	version := cfg.APIVersion
	if version == "" {
		version = DefaultAPIVersion
	}
	if !printable(version) {
		return nil, fmt.Errorf("%w: APIVersion must be printable ASCII without spaces", clerkerr.ErrInvalidConfig)
	}
	if strings.ContainsFunc(cfg.UserAgent, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, fmt.Errorf("%w: UserAgent must not contain control characters", clerkerr.ErrInvalidConfig)
	}
	if cfg.RequestTimeout < 0 || cfg.Retry.MaxAttempts < 0 || cfg.Retry.MaxWait < 0 ||
		cfg.Retry.BaseDelay < 0 || cfg.Retry.MaxDelay < 0 {
		return nil, fmt.Errorf("%w: RequestTimeout and the Retry durations and attempts must not be negative", clerkerr.ErrInvalidConfig)
	}
	ua := "clerkkit clerk-sdk-go/" + SDKVersion
	if cfg.UserAgent != "" {
		ua = strings.TrimSpace(cfg.UserAgent) + " " + ua
	}
	parsed, err := url.Parse(apiURL)
	if err != nil {
		return nil, fmt.Errorf("%w: APIURL: %v", clerkerr.ErrInvalidConfig, err)
	}
	t := &Transport{
		base:           http.DefaultTransport,
		origin:         originOf(parsed),
		key:            cfg.SecretKey,
		apiVersion:     version,
		userAgent:      ua,
		policy:         cfg.Retry.resolve(),
		requestTimeout: cfg.RequestTimeout,
		sleep:          cfg.Sleep,
		now:            cfg.Now,
		jitter:         cfg.Jitter,
	}
	if t.requestTimeout == 0 {
		t.requestTimeout = DefaultRequestTimeout
	}
	if t.sleep == nil {
		t.sleep = sleepCtx
	}
	if t.now == nil {
		t.now = time.Now
	}
	if t.jitter == nil {
		t.jitter = randInt64N
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
		if c.Transport != nil {
			t.base = c.Transport
		}
	}
	hc.Transport = t
	// Clerk's API never redirects: follow none, whatever the caller's
	// client would do, so the key cannot be handed on (the Transport also
	// refuses any request off the API's origin).
	hc.CheckRedirect = refuseRedirects
	key := cfg.SecretKey
	u := apiURL + "/v1"
	return &Backend{
		inner: clerk.NewBackend(&clerk.BackendConfig{
			HTTPClient: hc,
			URL:        &u,
			Key:        &key,
		}),
		transport: t,
		now:       t.now,
		machine:   cfg.MachineKey,
	}, nil
}

// Call implements clerk.Backend. A failed call returns a *clerkerr.APIError when
// the API answered with an error status (whatever the body), else an error
// naming the call and wrapping the cause.
func (b *Backend) Call(ctx context.Context, req *clerk.APIRequest, setter clerk.ResponseReader) error {
	capt := &capture{}
	err := b.inner.Call(context.WithValue(ctx, captureKey{}, capt), req, setter)
	if err == nil {
		return nil
	}
	if status, h, body, _ := capt.get(); status >= 400 {
		return newAPIError(req.Method, req.Path, status, h, body, b.now(), err)
	}
	return Convert(req.Method, req.Path, err)
}

// Wrap returns b as a clerk.Backend whose errors have clerkkit's shape: a
// *Backend as it is, any other backend behind Convert.
func Wrap(b clerk.Backend) clerk.Backend {
	if b == nil {
		panic("clerkkit: nil clerk.Backend")
	}
	if _, ok := b.(*Backend); ok {
		return b
	}
	if _, ok := b.(foreign); ok {
		return b
	}
	return foreign{b}
}

type foreign struct{ clerk.Backend }

func (f foreign) Call(ctx context.Context, req *clerk.APIRequest, setter clerk.ResponseReader) error {
	return Convert(req.Method, req.Path, f.Backend.Call(ctx, req, setter))
}

func checkSecretKey(k string) error {
	switch {
	case k == "":
		return fmt.Errorf("%w: SecretKey is required (CLERK_SECRET_KEY, sk_test_… or sk_live_…)", clerkerr.ErrInvalidConfig)
	case !strings.HasPrefix(k, "sk_test_") && !strings.HasPrefix(k, "sk_live_"):
		return fmt.Errorf("%w: SecretKey must start with sk_test_ or sk_live_ (is it the publishable key?)", clerkerr.ErrInvalidConfig)
	case len(k) < len("sk_test_")+8:
		return fmt.Errorf("%w: SecretKey is too short", clerkerr.ErrInvalidConfig)
	case !printable(k):
		return fmt.Errorf("%w: SecretKey contains spaces or non-printable characters", clerkerr.ErrInvalidConfig)
	}
	return nil
}

// checkAPIURL returns the normalised base URL (no trailing slash, no /v1).
// Plain http is accepted only for loopback hosts, so the secret key never
// crosses a network in the clear.
func checkAPIURL(raw string) (string, error) {
	if raw == "" {
		return DefaultAPIURL, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%w: APIURL must be an absolute URL such as %s, without credentials, query or fragment", clerkerr.ErrInvalidConfig, DefaultAPIURL)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !loopback(u.Hostname()) {
			return "", fmt.Errorf("%w: APIURL must use https (http is accepted only for loopback hosts)", clerkerr.ErrInvalidConfig)
		}
	default:
		return "", fmt.Errorf("%w: APIURL must be an http(s) URL", clerkerr.ErrInvalidConfig)
	}
	s := strings.TrimRight(u.String(), "/")
	s = strings.TrimSuffix(s, "/v1")
	return s, nil
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func printable(s string) bool {
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}
