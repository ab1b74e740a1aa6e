package auth

import (
	"encoding/base64"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Defaults used when the corresponding Config field is zero.
const (
	DefaultAPIURL             = "https://api.clerk.com"
	DefaultAPIVersion         = "2025-04-10"
	DefaultClockSkew          = 5 * time.Second
	DefaultMaxTokenSize       = 8 << 10
	DefaultKeysTTL            = 5 * time.Minute
	DefaultMinRefreshInterval = 5 * time.Second
	DefaultFetchTimeout       = 10 * time.Second
	DefaultMaxRefreshBackoff  = 5 * time.Minute
	DefaultTokenCacheSize     = 10_000
	// DefaultMachineCacheTTL is how long a valid opaque machine token is
	// trusted without asking the Backend API again: the delay before a
	// revocation takes effect.
	DefaultMachineCacheTTL = 10 * time.Second
	// DefaultMachineNegativeTTL is how long an invalid opaque machine
	// token is remembered as invalid.
	DefaultMachineNegativeTTL = 5 * time.Second
	// DefaultMachineCacheSize bounds the in-process cache of opaque machine
	// token verifications (valid and invalid entries are bounded apart).
	DefaultMachineCacheSize = 10_000
	// DefaultMaxMachineVerifications bounds the Backend API verifications
	// of opaque tokens in flight at once.
	DefaultMaxMachineVerifications = 10
	// DefaultMachineVerificationsPerSecond bounds the rate of Backend API
	// verifications of opaque tokens (Clerk's production limit is 100
	// requests per second per instance, for every API call).
	DefaultMachineVerificationsPerSecond = 20
	// DefaultMachineCacheTimeout bounds one MachineCache operation.
	DefaultMachineCacheTimeout = 100 * time.Millisecond
	maxJWKSBody                = 1 << 20
)

// Config configures a Verifier. The zero value of every field is sensible;
// at least one way to obtain keys (JWTKey, JWKSURL, SecretKey or
// PublishableKey) and one way to know the issuer (Issuer, PublishableKey or
// SecretKey) are required.
type Config struct {
	// SecretKey is the instance's Backend API secret key (sk_test_… or
	// sk_live_…). With it, keys are fetched from {APIURL}/v1/jwks and, when
	// neither Issuer nor PublishableKey is set, the issuer is learned from
	// {APIURL}/v1/domains.
	SecretKey string
	// PublishableKey (pk_test_… or pk_live_…) encodes the Frontend API host,
	// from which the expected issuer https://<host> is derived. Without a
	// SecretKey, keys are fetched from https://<host>/.well-known/jwks.json.
	PublishableKey string
	// JWTKey is the instance's PEM public key (with or without the BEGIN/END
	// lines, as Clerk's dashboard shows it). When set, verification is
	// networkless: no key is ever fetched.
	JWTKey string
	// APIURL is the Backend API base URL. Default https://api.clerk.com.
	APIURL string
	// APIVersion is sent as the Clerk-API-Version header. Default 2025-04-10.
	APIVersion string
	// JWKSURL is an explicit JWKS endpoint, used instead of the ones derived
	// from SecretKey or PublishableKey. The secret key is sent to it only
	// when it is on the APIURL host.
	JWKSURL string
	// Issuer is the expected iss claim, compared exactly. Default: derived
	// from PublishableKey, else learned from the Backend API.
	Issuer string
	// ProxyURL, when the Frontend API is proxied, is accepted as an issuer
	// in addition to Issuer.
	ProxyURL string
	// AuthorizedParties, when not empty, is the allowlist of azp origins
	// (e.g. "https://app.example.com"); a token without azp then fails.
	AuthorizedParties []string
	// ClockSkew is the leeway applied to exp, nbf and iat. Default 5s.
	ClockSkew time.Duration
	// Now returns the current time. Default time.Now.
	Now func() time.Time
	// HTTPClient fetches keys and domains. Default: a client with no
	// timeout of its own (FetchTimeout bounds every fetch).
	HTTPClient *http.Client
	// MaxTokenSize caps the token length in bytes, checked before any
	// parsing. Default 8 KiB.
	MaxTokenSize int
	// KeysTTL is how long a fetched key set is used before it is refreshed
	// in the background. Default 5 min, as Clerk's JS SDK. It bounds how
	// long a key removed from the instance's JWKS stays trusted: the first
	// request after KeysTTL starts a refresh, and once it succeeds the
	// removed key, and every cached token verified with it, is rejected. So
	// the bound is KeysTTL plus one fetch, while the endpoint answers; when
	// it does not, the last key set keeps serving so that an outage does not
	// sign everyone out.
	KeysTTL time.Duration
	// MinRefreshInterval is the least time between two fetches caused by
	// unknown key ids. Default 5s.
	MinRefreshInterval time.Duration
	// FetchTimeout bounds one key or domain fetch. Default 10s.
	FetchTimeout time.Duration
	// TokenCacheSize bounds the cache of already verified tokens.
	// Default 10 000 entries.
	TokenCacheSize int
	// DisableTokenCache turns the verified-token cache off.
	DisableTokenCache bool
	// AllowPendingSessions accepts sessions whose sts claim is "pending"
	// (signed in, with tasks left). By default they count as signed out.
	AllowPendingSessions bool
	// Logger receives background refresh failures. Default: discard.
	Logger *slog.Logger

	// OAuthAudience, when not empty, is the list of accepted audiences of
	// OAuth access tokens (VerifyToken with OAuthToken): a token's aud
	// must name one of them. Empty: aud is not checked, as in Clerk.
	OAuthAudience []string
	// MachineCache, when set, shares opaque machine token verifications
	// between Verifiers (replicas): see MachineCache for its contract.
	// Nil: each Verifier keeps them in process only. Either way an
	// in-process cache sits in front.
	MachineCache MachineCache
	// MachineCacheTTL is how long a valid opaque machine token is trusted
	// before the Backend API is asked again (never beyond the token's
	// expiry): a revoked token is accepted for up to this long. Default
	// 10s.
	MachineCacheTTL time.Duration
	// MachineNegativeTTL is how long an opaque token the Backend API
	// rejected (unknown, revoked, expired) is rejected without asking
	// again. Default 5s.
	MachineNegativeTTL time.Duration
	// MachineCacheSize bounds the in-process cache of opaque token
	// verifications; invalid tokens have a bound of their own, so a flood
	// of them cannot evict valid ones. Default 10 000 each.
	MachineCacheSize int
	// MaxMachineVerifications bounds the Backend API verifications in
	// flight; beyond it VerifyToken fails at once with
	// ErrVerificationBusy. Default 10.
	MaxMachineVerifications int
	// MachineVerificationsPerSecond bounds the rate of Backend API
	// verifications (a token bucket of that size, refilled at that rate);
	// beyond it VerifyToken fails at once with ErrVerificationBusy.
	// Default 20.
	MachineVerificationsPerSecond int
	// MachineCacheTimeout bounds each MachineCache operation; a slower or
	// failing store is bypassed (the token is verified directly). Default
	// 100ms.
	MachineCacheTimeout time.Duration
}

// ConfigFromEnv returns a Config read from the environment variables that
// Clerk users already set: CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY (or
// NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY), CLERK_JWT_KEY, CLERK_API_URL,
// CLERK_API_VERSION, CLERK_JWKS_URL, CLERK_ISSUER, CLERK_PROXY_URL and
// CLERK_AUTHORIZED_PARTIES (comma-separated). Pass it to NewVerifier, which
// validates it.
func ConfigFromEnv() Config {
	pk := os.Getenv("CLERK_PUBLISHABLE_KEY")
	if pk == "" {
		pk = os.Getenv("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY")
	}
	var parties []string
	for p := range strings.SplitSeq(os.Getenv("CLERK_AUTHORIZED_PARTIES"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			parties = append(parties, p)
		}
	}
	return Config{
		SecretKey:         strings.TrimSpace(os.Getenv("CLERK_SECRET_KEY")),
		PublishableKey:    strings.TrimSpace(pk),
		JWTKey:            os.Getenv("CLERK_JWT_KEY"),
		APIURL:            strings.TrimSpace(os.Getenv("CLERK_API_URL")),
		APIVersion:        strings.TrimSpace(os.Getenv("CLERK_API_VERSION")),
		JWKSURL:           strings.TrimSpace(os.Getenv("CLERK_JWKS_URL")),
		Issuer:            strings.TrimSpace(os.Getenv("CLERK_ISSUER")),
		ProxyURL:          strings.TrimSpace(os.Getenv("CLERK_PROXY_URL")),
		AuthorizedParties: parties,
	}
}

// Configuration errors returned by NewVerifier, usable with errors.Is.
// They, and every other configuration error of NewVerifier, wrap
// clerkerr.ErrInvalidConfig.
var (
	// ErrNoKeySource means the Config gives no way to obtain keys.
	ErrNoKeySource = fmt.Errorf("%w: no way to obtain keys: set JWTKey, JWKSURL, SecretKey or PublishableKey", clerkerr.ErrInvalidConfig)
	// ErrNoIssuer means the Config gives no way to know the expected issuer.
	ErrNoIssuer = fmt.Errorf("%w: no way to know the issuer: set Issuer or PublishableKey (or SecretKey without JWTKey)", clerkerr.ErrInvalidConfig)
)

// FrontendAPIFromPublishableKey decodes a publishable key (pk_test_… or
// pk_live_…) into its Frontend API host, e.g. "clerk.example.com".
func FrontendAPIFromPublishableKey(pk string) (string, error) {
	var rest string
	switch {
	case strings.HasPrefix(pk, "pk_test_"):
		rest = pk[len("pk_test_"):]
	case strings.HasPrefix(pk, "pk_live_"):
		rest = pk[len("pk_live_"):]
	default:
		return "", fmt.Errorf("%w: publishable key must start with pk_test_ or pk_live_", clerkerr.ErrInvalidConfig)
	}
	raw, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(rest)
	}
	if err != nil {
		return "", fmt.Errorf("%w: publishable key is not base64", clerkerr.ErrInvalidConfig)
	}
	host, ok := strings.CutSuffix(string(raw), "$")
	if !ok || host == "" || strings.ContainsAny(host, "/$ \t\r\n?#@") {
		return "", fmt.Errorf("%w: publishable key does not encode a Frontend API host", clerkerr.ErrInvalidConfig)
	}
	return host, nil
}

// PublishableKeyFor returns the publishable key that encodes host, with the
// pk_live_ prefix when live is true and pk_test_ otherwise.
func PublishableKeyFor(host string, live bool) string {
	prefix := "pk_test_"
	if live {
		prefix = "pk_live_"
	}
	return prefix + base64.StdEncoding.EncodeToString([]byte(host+"$"))
}

// resolved is a validated Config with its defaults applied.
type resolved struct {
	Config
	issuers     []string // exact accepted issuers; empty: learn from /v1/domains
	learnIssuer bool
	jwksURL     string
	sendSecret  bool
	parties     map[string]struct{}
	staticKey   *publicKey
	fapiHost    string
}

func (c Config) resolve() (*resolved, error) {
	r := &resolved{Config: c}
	if r.APIURL == "" {
		r.APIURL = DefaultAPIURL
	}
	r.APIURL = strings.TrimRight(r.APIURL, "/")
	if err := checkURL("APIURL", r.APIURL); err != nil {
		return nil, err
	}
	if r.APIVersion == "" {
		r.APIVersion = DefaultAPIVersion
	}
	if r.SecretKey != "" && !strings.HasPrefix(r.SecretKey, "sk_test_") && !strings.HasPrefix(r.SecretKey, "sk_live_") {
		return nil, fmt.Errorf("%w: secret key must start with sk_test_ or sk_live_", clerkerr.ErrInvalidConfig)
	}
	if r.PublishableKey != "" {
		host, err := FrontendAPIFromPublishableKey(r.PublishableKey)
		if err != nil {
			return nil, err
		}
		r.fapiHost = host
	}
	for name, d := range map[string]time.Duration{"ClockSkew": r.ClockSkew, "KeysTTL": r.KeysTTL, "MinRefreshInterval": r.MinRefreshInterval, "FetchTimeout": r.FetchTimeout} {
		if d < 0 {
			return nil, fmt.Errorf("%w: %s must not be negative", clerkerr.ErrInvalidConfig, name)
		}
	}
	if r.MaxTokenSize < 0 || r.TokenCacheSize < 0 {
		return nil, fmt.Errorf("%w: MaxTokenSize and TokenCacheSize must not be negative", clerkerr.ErrInvalidConfig)
	}
	if err := r.resolveMachine(); err != nil {
		return nil, err
	}
	if r.ClockSkew == 0 {
		r.ClockSkew = DefaultClockSkew
	}
	if r.MaxTokenSize == 0 {
		r.MaxTokenSize = DefaultMaxTokenSize
	}
	if r.KeysTTL == 0 {
		r.KeysTTL = DefaultKeysTTL
	}
	if r.MinRefreshInterval == 0 {
		r.MinRefreshInterval = DefaultMinRefreshInterval
	}
	if r.FetchTimeout == 0 {
		r.FetchTimeout = DefaultFetchTimeout
	}
	if r.TokenCacheSize == 0 {
		r.TokenCacheSize = DefaultTokenCacheSize
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.HTTPClient == nil {
		r.HTTPClient = &http.Client{}
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	if len(r.AuthorizedParties) > 0 {
		r.parties = make(map[string]struct{}, len(r.AuthorizedParties))
		for _, p := range r.AuthorizedParties {
			if p == "" {
				return nil, fmt.Errorf("%w: empty entry in AuthorizedParties", clerkerr.ErrInvalidConfig)
			}
			r.parties[p] = struct{}{}
		}
	}

	// Keys.
	switch {
	case strings.TrimSpace(r.JWTKey) != "":
		k, err := parsePEMPublicKey(r.JWTKey)
		if err != nil {
			return nil, err
		}
		r.staticKey = k
	case r.JWKSURL != "":
		if err := checkURL("JWKSURL", r.JWKSURL); err != nil {
			return nil, err
		}
		r.jwksURL = r.JWKSURL
		r.sendSecret = r.SecretKey != "" && sameHost(r.JWKSURL, r.APIURL)
	case r.SecretKey != "":
		r.jwksURL = r.APIURL + "/v1/jwks"
		r.sendSecret = true
	case r.fapiHost != "":
		r.jwksURL = "https://" + r.fapiHost + "/.well-known/jwks.json"
	default:
		return nil, ErrNoKeySource
	}

	// Issuer.
	switch {
	case r.Issuer != "":
		if err := checkURL("Issuer", r.Issuer); err != nil {
			return nil, err
		}
		r.issuers = append(r.issuers, strings.TrimRight(r.Issuer, "/"))
	case r.fapiHost != "":
		r.issuers = append(r.issuers, "https://"+r.fapiHost)
	case r.SecretKey != "" && r.staticKey == nil:
		r.learnIssuer = true
	default:
		return nil, ErrNoIssuer
	}
	if r.ProxyURL != "" {
		if err := checkURL("ProxyURL", r.ProxyURL); err != nil {
			return nil, err
		}
		r.issuers = append(r.issuers, strings.TrimRight(r.ProxyURL, "/"))
	}
	return r, nil
}

// resolveMachine validates the machine-token settings and applies their
// defaults.
func (r *resolved) resolveMachine() error {
	for name, d := range map[string]time.Duration{"MachineCacheTTL": r.MachineCacheTTL, "MachineNegativeTTL": r.MachineNegativeTTL, "MachineCacheTimeout": r.MachineCacheTimeout} {
		if d < 0 {
			return fmt.Errorf("%w: %s must not be negative", clerkerr.ErrInvalidConfig, name)
		}
	}
	if r.MachineCacheSize < 0 || r.MaxMachineVerifications < 0 || r.MachineVerificationsPerSecond < 0 {
		return fmt.Errorf("%w: MachineCacheSize, MaxMachineVerifications and MachineVerificationsPerSecond must not be negative", clerkerr.ErrInvalidConfig)
	}
	for _, a := range r.OAuthAudience {
		if a == "" {
			return fmt.Errorf("%w: empty entry in OAuthAudience", clerkerr.ErrInvalidConfig)
		}
	}
	if r.MachineCacheTTL == 0 {
		r.MachineCacheTTL = DefaultMachineCacheTTL
	}
	if r.MachineNegativeTTL == 0 {
		r.MachineNegativeTTL = DefaultMachineNegativeTTL
	}
	if r.MachineCacheSize == 0 {
		r.MachineCacheSize = DefaultMachineCacheSize
	}
	if r.MaxMachineVerifications == 0 {
		r.MaxMachineVerifications = DefaultMaxMachineVerifications
	}
	if r.MachineVerificationsPerSecond == 0 {
		r.MachineVerificationsPerSecond = DefaultMachineVerificationsPerSecond
	}
	if r.MachineCacheTimeout == 0 {
		r.MachineCacheTimeout = DefaultMachineCacheTimeout
	}
	return nil
}

func checkURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%w: %s must be an absolute http(s) URL", clerkerr.ErrInvalidConfig, field)
	}
	return nil
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Scheme == ub.Scheme && strings.EqualFold(ua.Host, ub.Host)
}
