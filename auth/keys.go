package auth

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// minRSABits is the smallest RSA modulus accepted, from PEM or JWKS.
const minRSABits = 2048

// publicKey is one verification key.
type publicKey struct {
	kid string
	alg string // "" when the JWK does not restrict it
	key *rsa.PublicKey
}

// keySet is an immutable snapshot of the keys (and learned issuers) in use.
type keySet struct {
	keys      map[string]*publicKey
	any       *publicKey // the networkless key, used whatever the kid
	issuers   []string   // learned from /v1/domains
	gen       uint64     // changes whenever keys or issuers change
	fetchedAt time.Time
}

func (ks *keySet) lookup(kid string) *publicKey {
	if ks.any != nil {
		return ks.any
	}
	return ks.keys[kid]
}

// fetchCall is one fetch in flight; done is closed when set or err is final.
type fetchCall struct {
	done chan struct{}
	set  *keySet
	err  error
}

// keyCache is a Verifier's key store. Readers load the snapshot atomically
// and take no lock; the mutex guards only the fetch bookkeeping.
type keyCache struct {
	cfg  *resolved
	snap atomic.Pointer[keySet]

	mu          sync.Mutex
	inflight    *fetchCall
	lastAttempt time.Time // start of the last fetch
	backoff     time.Duration
	lastErr     error

	// refreshAt (Unix ns) is when the snapshot is next refreshed in the
	// background: fetch time + KeysTTL, or the end of a failure backoff.
	// Read without the lock on the hot path.
	refreshAt atomic.Int64

	fetches atomic.Int64
}

func newKeyCache(cfg *resolved) *keyCache {
	c := &keyCache{cfg: cfg}
	if cfg.staticKey != nil {
		c.snap.Store(&keySet{any: cfg.staticKey, gen: 1})
	}
	return c
}

// get returns the key for kid and the snapshot it came from.
func (c *keyCache) get(ctx context.Context, kid string) (*publicKey, *keySet, error) {
	ks := c.snap.Load()
	if ks != nil {
		if k := ks.lookup(kid); k != nil {
			c.maybeRefresh(c.cfg.Now())
			return k, ks, nil
		}
		if c.cfg.staticKey != nil {
			return nil, nil, fail(ErrUnknownKey, "no networkless key") // unreachable: any is set
		}
	}
	call, err := c.start(ks == nil)
	if err != nil {
		return nil, nil, err
	}
	if call == nil {
		return nil, nil, fail(ErrUnknownKey, "kid not in key set (refresh throttled)")
	}
	select {
	case <-call.done:
	case <-ctx.Done():
		return nil, nil, failCause(ErrKeysUnavailable, "waiting for key fetch", ctx.Err())
	}
	if call.err != nil {
		if cur := c.snap.Load(); cur != nil {
			// A refresh failed but an older key set is still in use.
			if k := cur.lookup(kid); k != nil {
				return k, cur, nil
			}
			return nil, nil, fail(ErrUnknownKey, "kid not in key set")
		}
		return nil, nil, failCause(ErrKeysUnavailable, "fetch", call.err)
	}
	if k := call.set.lookup(kid); k != nil {
		return k, call.set, nil
	}
	return nil, nil, fail(ErrUnknownKey, "kid not in key set")
}

// start joins the fetch in flight or starts one, unless the last one began
// less than MinRefreshInterval ago. cold is true when no key set exists;
// then a throttled call reports the last fetch error.
func (c *keyCache) start(cold bool) (*fetchCall, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inflight != nil {
		return c.inflight, nil
	}
	if cold {
		if set := c.snap.Load(); set != nil {
			// A fetch completed after the caller saw no key set.
			done := &fetchCall{done: make(chan struct{}), set: set}
			close(done.done)
			return done, nil
		}
	}
	now := c.cfg.Now()
	if !c.lastAttempt.IsZero() && now.Sub(c.lastAttempt) < c.cfg.MinRefreshInterval {
		if cold {
			return nil, failCause(ErrKeysUnavailable, "last fetch failed; retry throttled", c.lastErr)
		}
		return nil, nil
	}
	return c.launch(now), nil
}

// maybeRefresh starts a background refresh when the key set is due for
// one. It costs one atomic load when it is not.
func (c *keyCache) maybeRefresh(now time.Time) {
	if c.cfg.staticKey == nil && now.UnixNano() >= c.refreshAt.Load() {
		c.refreshInBackground()
	}
}

// refreshInBackground starts a refresh of a stale key set unless one is in
// flight or a failed one is backing off. It never waits.
func (c *keyCache) refreshInBackground() {
	if !c.mu.TryLock() {
		return
	}
	defer c.mu.Unlock()
	now := c.cfg.Now()
	if c.inflight != nil || now.UnixNano() < c.refreshAt.Load() {
		return
	}
	c.launch(now)
}

// launch starts a fetch; c.mu must be held.
func (c *keyCache) launch(now time.Time) *fetchCall {
	call := &fetchCall{done: make(chan struct{})}
	c.inflight = call
	c.lastAttempt = now
	c.refreshAt.Store(math.MaxInt64)
	go c.run(call)
	return call
}

func (c *keyCache) run(call *fetchCall) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.FetchTimeout)
	defer cancel()
	set, err := c.fetch(ctx)

	c.mu.Lock()
	now := c.cfg.Now()
	if err != nil {
		c.lastErr = err
		c.backoff = min(max(2*c.backoff, c.cfg.MinRefreshInterval), DefaultMaxRefreshBackoff)
		c.refreshAt.Store(now.Add(c.backoff).UnixNano())
		c.cfg.Logger.Warn("clerkkit: key set refresh failed; serving the last good set",
			"error", err.Error(), "retry_in", c.backoff)
	} else {
		c.lastErr, c.backoff = nil, 0
		c.refreshAt.Store(now.Add(c.cfg.KeysTTL).UnixNano())
		set.fetchedAt = now
		set.gen = 1
		if old := c.snap.Load(); old != nil {
			set.gen = old.gen
			if !sameKeys(old, set) {
				set.gen++
			}
		}
		c.snap.Store(set)
	}
	call.set, call.err = set, err
	c.inflight = nil
	c.mu.Unlock()
	close(call.done)
}

// fetch loads the JWKS and, when the issuer is to be learned, the domains.
func (c *keyCache) fetch(ctx context.Context) (*keySet, error) {
	c.fetches.Add(1)
	body, err := c.getJSON(ctx, c.cfg.jwksURL, c.cfg.sendSecret)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	set := &keySet{keys: keys}
	if c.cfg.learnIssuer {
		body, err := c.getJSON(ctx, c.cfg.APIURL+"/v1/domains", true)
		if err != nil {
			return nil, fmt.Errorf("domains: %w", err)
		}
		if set.issuers, err = parseDomains(body); err != nil {
			return nil, fmt.Errorf("domains: %w", err)
		}
	}
	return set, nil
}

// errFetchStatus is wrapped when the server answers with a non-200 status.
var errFetchStatus = errors.New("unexpected HTTP status")

func (c *keyCache) getJSON(ctx context.Context, url string, withSecret bool) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "clerkkit")
	if withSecret {
		req.Header.Set("Authorization", "Bearer "+c.cfg.SecretKey)
		req.Header.Set("Clerk-API-Version", c.cfg.APIVersion)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("%w %d", errFetchStatus, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBody+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxJWKSBody {
		return nil, fmt.Errorf("response larger than %d bytes", maxJWKSBody)
	}
	return body, nil
}

// parseJWKS keeps the usable RSA signing keys of a JWKS. Keys of other
// types, encryption keys, private keys, small moduli and duplicate kids are
// skipped; a set with no usable key is an error.
func parseJWKS(body []byte) (map[string]*publicKey, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("not a JWKS: %w", err)
	}
	keys := make(map[string]*publicKey, len(doc.Keys))
	dup := map[string]bool{}
	for _, raw := range doc.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			continue
		}
		pub, ok := jwk.Key.(*rsa.PublicKey)
		if !ok || jwk.KeyID == "" || (jwk.Use != "" && jwk.Use != "sig") || pub.N.BitLen() < minRSABits {
			continue
		}
		switch jwk.Algorithm {
		case "", "RS256", "RS384", "RS512":
		default:
			continue
		}
		if _, seen := keys[jwk.KeyID]; seen {
			dup[jwk.KeyID] = true
			continue
		}
		keys[jwk.KeyID] = &publicKey{kid: jwk.KeyID, alg: jwk.Algorithm, key: pub}
	}
	for kid := range dup {
		delete(keys, kid) // ambiguous: trust neither
	}
	if len(keys) == 0 {
		return nil, errors.New("no usable RSA signing key")
	}
	return keys, nil
}

// parseDomains returns the issuers of an instance's domains: the Frontend
// API URL and proxy URL of each.
func parseDomains(body []byte) ([]string, error) {
	var doc struct {
		Data []struct {
			FrontendAPIURL string  `json:"frontend_api_url"`
			ProxyURL       *string `json:"proxy_url"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("not a domain list: %w", err)
	}
	var out []string
	for _, d := range doc.Data {
		if d.FrontendAPIURL != "" {
			out = append(out, strings.TrimRight(d.FrontendAPIURL, "/"))
		}
		if d.ProxyURL != nil && *d.ProxyURL != "" {
			out = append(out, strings.TrimRight(*d.ProxyURL, "/"))
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no domain has a Frontend API URL")
	}
	return out, nil
}

func sameKeys(a, b *keySet) bool {
	if len(a.keys) != len(b.keys) || len(a.issuers) != len(b.issuers) {
		return false
	}
	for kid, ka := range a.keys {
		kb, ok := b.keys[kid]
		if !ok || ka.alg != kb.alg || !ka.key.Equal(kb.key) {
			return false
		}
	}
	for i := range a.issuers {
		if a.issuers[i] != b.issuers[i] {
			return false
		}
	}
	return true
}

// parsePEMPublicKey reads an RSA public key from PEM, or from the bare
// base64 body that Clerk's dashboard shows without BEGIN/END lines.
func parsePEMPublicKey(s string) (*publicKey, error) {
	s = strings.TrimSpace(s)
	var der []byte
	if strings.HasPrefix(s, "-----BEGIN") {
		block, rest := pem.Decode([]byte(s))
		if block == nil || strings.TrimSpace(string(rest)) != "" {
			return nil, fmt.Errorf("%w: JWTKey is not a single PEM block", clerkerr.ErrInvalidConfig)
		}
		der = block.Bytes
		if block.Type == "RSA PUBLIC KEY" {
			k, err := x509.ParsePKCS1PublicKey(der)
			if err != nil {
				return nil, fmt.Errorf("%w: JWTKey: %v", clerkerr.ErrInvalidConfig, err)
			}
			return checkRSA(k)
		}
		if block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("%w: JWTKey PEM block must be a PUBLIC KEY", clerkerr.ErrInvalidConfig)
		}
	} else {
		var err error
		der, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return nil, fmt.Errorf("%w: JWTKey is neither PEM nor base64", clerkerr.ErrInvalidConfig)
		}
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: JWTKey: %v", clerkerr.ErrInvalidConfig, err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: JWTKey must be an RSA public key", clerkerr.ErrInvalidConfig)
	}
	return checkRSA(rk)
}

func checkRSA(k *rsa.PublicKey) (*publicKey, error) {
	if k.N.BitLen() < minRSABits {
		return nil, fmt.Errorf("%w: JWTKey RSA modulus must be at least %d bits", clerkerr.ErrInvalidConfig, minRSABits)
	}
	return &publicKey{key: k}, nil
}
