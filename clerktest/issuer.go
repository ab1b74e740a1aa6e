package clerktest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/clerkkit/clerkkit/auth"
)

// IssuerOptions configures NewIssuer and StartIssuer. Every field is
// optional: the zero value is a development instance with random keys on
// a running clock.
type IssuerOptions struct {
	// FrontendAPI is the instance's Frontend API host, without scheme
	// (e.g. "clerk.example.com"); tokens carry iss https://<FrontendAPI>.
	// Default: a random "<slug>.clerk.accounts.dev", or, with Live, a
	// random "clerk.<slug>.example.com".
	FrontendAPI string
	// SecretKey is the Backend API secret key the server demands on /v1/…
	// (sk_test_… or sk_live_…). Default: a random one whose prefix follows
	// Live.
	SecretKey string
	// Live selects a production instance: pk_live_/sk_live_ keys instead of
	// pk_test_/sk_test_.
	Live bool
	// KeyBits is the RSA modulus size of the signing keys. Default 2048,
	// the least auth accepts.
	KeyBits int
	// Clock supplies the default iat, nbf and exp of tokens, and is the
	// Now of AuthConfig. Default: a running clock (see Clock), so tokens verify
	// against verifiers that read the system clock, and tests can still
	// move time with Advance.
	Clock *Clock
}

// Issuer is a local stand-in for a Clerk instance: it signs session tokens
// and serves its public keys and domains over a loopback HTTP server. It
// is safe for concurrent use. Create one with NewIssuer in tests or
// StartIssuer in programs, and Close it when done.
type Issuer struct {
	host           string
	secretKey      string
	publishableKey string
	keyBits        int
	clock          *Clock
	domainID       string
	srv            *httptest.Server
	handler        http.Handler
	done           chan struct{} // closed by Close; ends injected latency
	closeOnce      sync.Once

	mu        sync.RWMutex
	signing   *signingKey
	published []*signingKey
	faults    faultList

	jwksFetches    atomic.Int64
	domainsFetches atomic.Int64
}

// signingKey is one RSA key and its key id.
type signingKey struct {
	kid string
	key *rsa.PrivateKey
}

// StartIssuer creates an Issuer with one signing key and starts its
// server on the loopback interface; the caller must Close it. opts is at
// most one IssuerOptions (none: the zero value). It fails on more than
// one, an invalid FrontendAPI or SecretKey, an unusable KeyBits, or when
// no loopback port can be opened.
func StartIssuer(options ...IssuerOptions) (*Issuer, error) {
	if len(options) > 1 {
		return nil, errors.New("clerktest: StartIssuer takes at most one IssuerOptions")
	}
	var opts IssuerOptions
	if len(options) == 1 {
		opts = options[0]
	}
	iss := &Issuer{
		host:      opts.FrontendAPI,
		secretKey: opts.SecretKey,
		keyBits:   opts.KeyBits,
		clock:     opts.Clock,
		domainID:  randomID("dmn_"),
		done:      make(chan struct{}),
	}
	if iss.keyBits == 0 {
		iss.keyBits = 2048
	}
	if iss.clock == nil {
		iss.clock = RealClock()
	}
	if iss.host == "" {
		if opts.Live {
			iss.host = "clerk." + randomSlug() + ".example.com"
		} else {
			iss.host = randomSlug() + ".clerk.accounts.dev"
		}
	}
	iss.publishableKey = auth.PublishableKeyFor(iss.host, opts.Live)
	if host, err := auth.FrontendAPIFromPublishableKey(iss.publishableKey); err != nil || host != iss.host {
		return nil, fmt.Errorf("clerktest: FrontendAPI %q is not a bare host name", opts.FrontendAPI)
	}
	prefix := "sk_test_"
	if opts.Live {
		prefix = "sk_live_"
	}
	if iss.secretKey == "" {
		iss.secretKey = prefix + randomString(40)
	} else if !strings.HasPrefix(iss.secretKey, "sk_test_") && !strings.HasPrefix(iss.secretKey, "sk_live_") {
		return nil, errors.New("clerktest: SecretKey must start with sk_test_ or sk_live_")
	}
	k, err := newSigningKey(iss.keyBits)
	if err != nil {
		return nil, err
	}
	iss.signing, iss.published = k, []*signingKey{k}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		if l, err = net.Listen("tcp6", "[::1]:0"); err != nil {
			return nil, fmt.Errorf("clerktest: listen on loopback: %w", err)
		}
	}
	iss.handler = iss.newHandler()
	iss.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: iss.handler}}
	iss.srv.Start()
	return iss, nil
}

// NewIssuer is StartIssuer for tests: it fails t at once on an error and
// closes the Issuer when t ends.
func NewIssuer(t testing.TB, opts ...IssuerOptions) *Issuer {
	t.Helper()
	iss, err := StartIssuer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(iss.Close)
	return iss
}

func newSigningKey(bits int) (*signingKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("clerktest: generate RSA key: %w", err)
	}
	return &signingKey{kid: randomID("ins_"), key: key}, nil
}

// Close stops the server, ending any request held by a Fault's Latency. Tokens
// can still be minted afterwards. Close may be called more than once.
func (iss *Issuer) Close() {
	iss.closeOnce.Do(func() {
		close(iss.done)
		iss.srv.Close()
	})
}

// AuthConfig returns an auth.Config that verifies this Issuer's tokens the
// way a service configured with CLERK_SECRET_KEY and CLERK_PUBLISHABLE_KEY
// does: keys from URL()/v1/jwks with the secret key, the issuer from the
// publishable key, the Issuer's Clock as Now, and an HTTP client for the
// loopback server.
func (iss *Issuer) AuthConfig() auth.Config {
	return auth.Config{
		SecretKey:      iss.secretKey,
		PublishableKey: iss.publishableKey,
		APIURL:         iss.URL(),
		Now:            iss.clock.Now,
		HTTPClient:     iss.srv.Client(),
	}
}

// URL returns the base URL of the server ("http://127.0.0.1:<port>"),
// which serves both the Backend API paths (/v1/jwks, /v1/domains) and the
// Frontend API one (/.well-known/jwks.json).
func (iss *Issuer) URL() string { return iss.srv.URL }

// IssuerURL returns the iss claim of the tokens: "https://<FrontendAPI>".
func (iss *Issuer) IssuerURL() string { return "https://" + iss.host }

// FrontendAPI returns the Frontend API host, e.g. "x.clerk.accounts.dev".
func (iss *Issuer) FrontendAPI() string { return iss.host }

// SecretKey returns the Backend API secret key (sk_test_… or sk_live_…).
func (iss *Issuer) SecretKey() string { return iss.secretKey }

// PublishableKey returns the publishable key, which encodes FrontendAPI:
// pk_test_ (or pk_live_) + base64(host + "$").
func (iss *Issuer) PublishableKey() string { return iss.publishableKey }

// Clock returns the Issuer's clock.
func (iss *Issuer) Clock() *Clock { return iss.clock }

// KeyID returns the key id (kid) of the current signing key.
func (iss *Issuer) KeyID() string { return iss.current().kid }

// PrivateKey returns the current signing key.
func (iss *Issuer) PrivateKey() *rsa.PrivateKey { return iss.current().key }

// PublicKeyPEM returns the current signing key's public half as a PKIX
// "PUBLIC KEY" PEM block, the form of auth.Config.JWTKey (CLERK_JWT_KEY).
func (iss *Issuer) PublicKeyPEM() string {
	der, err := x509.MarshalPKIXPublicKey(&iss.current().key.PublicKey)
	if err != nil {
		panic("clerktest: marshal public key: " + err.Error()) // cannot happen for an RSA key
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// KeyIDs returns the key ids of the published keys, oldest first.
func (iss *Issuer) KeyIDs() []string {
	iss.mu.RLock()
	defer iss.mu.RUnlock()
	out := make([]string, len(iss.published))
	for i, k := range iss.published {
		out[i] = k.kid
	}
	return out
}

// Rotate generates a new key, publishes it and signs with it from now on.
// The previous keys stay published until DropKey removes them. It returns
// the new key id, and panics if the key cannot be generated (it can only
// fail for a KeyBits that NewIssuer already accepted).
func (iss *Issuer) Rotate() string {
	k, err := newSigningKey(iss.keyBits)
	if err != nil {
		panic(err)
	}
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.signing = k
	iss.published = append(iss.published, k)
	return k.kid
}

// DropKey removes the key kid from the published set and reports whether
// it was published. Dropping the current signing key does not stop the
// Issuer from signing with it: its tokens then fail with an unknown key,
// as after a botched rotation.
func (iss *Issuer) DropKey(kid string) bool {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	n := len(iss.published)
	iss.published = slices.DeleteFunc(iss.published, func(k *signingKey) bool { return k.kid == kid })
	return len(iss.published) != n
}

func (iss *Issuer) current() *signingKey {
	iss.mu.RLock()
	defer iss.mu.RUnlock()
	return iss.signing
}

// JWKSFetches reports how many requests reached /.well-known/jwks.json and
// /v1/jwks, whatever the answer (including injected faults and 401s).
func (iss *Issuer) JWKSFetches() int64 { return iss.jwksFetches.Load() }

// DomainID returns the id ("dmn_…") of the instance's primary domain, the
// one GET /v1/domains lists.
func (iss *Issuer) DomainID() string { return iss.domainID }

// DomainsFetches reports how many requests reached /v1/domains, whatever
// the answer.
func (iss *Issuer) DomainsFetches() int64 { return iss.domainsFetches.Load() }

// ResetCounters sets JWKSFetches and DomainsFetches back to zero.
func (iss *Issuer) ResetCounters() {
	iss.jwksFetches.Store(0)
	iss.domainsFetches.Store(0)
}

const idAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randomString returns n random characters of [0-9A-Za-z]. (The emulator
// has its own copy.)
func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

// randomID returns a Clerk-style id: prefix and 27 base62 characters.
func randomID(prefix string) string { return prefix + randomString(27) }

// randomSlug returns a lower-case DNS label such as "clerkkit-4f0x9a2m1q".
func randomSlug() string {
	return "clerkkit-" + strings.ToLower(randomString(10))
}
