package auth

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Verifier verifies Clerk session tokens. It is safe for concurrent use;
// create one per Clerk instance and reuse it. Verifiers share nothing: each
// has its own key set and token cache.
type Verifier struct {
	cfg      *resolved
	keys     *keyCache
	tokens   *tokenCache // nil when disabled
	suffix   string      // cookie suffix, "" without a publishable key
	machines *machineState
	// cookieMemo remembers signed-in Cookie headers (cookiememo.go); nil
	// when the token cache is disabled.
	cookieMemo *tokenCache
}

// NewVerifier validates cfg and returns a Verifier. It fails fast on a bad
// PEM key, a malformed publishable or secret key, no way to obtain keys or
// no way to know the issuer. It does not fetch anything; call Warm to load
// the keys before serving.
func NewVerifier(cfg Config) (*Verifier, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	v := &Verifier{cfg: r, keys: newKeyCache(r), machines: newMachineState(r)}
	if !r.DisableTokenCache {
		v.tokens = newTokenCache(r.TokenCacheSize)
		v.cookieMemo = newTokenCache(max(r.TokenCacheSize/4, 1))
	}
	if r.PublishableKey != "" {
		v.suffix = CookieSuffix(r.PublishableKey)
	}
	return v, nil
}

// Warm loads the key set (and learned issuers) now, so that the first
// request does not wait for it. It returns an error wrapping
// ErrKeysUnavailable when they cannot be fetched. It does nothing for a
// networkless Verifier or one whose keys are already loaded.
func (v *Verifier) Warm(ctx context.Context) error {
	if v.keys.snap.Load() != nil {
		return nil
	}
	call, err := v.keys.start(true)
	if err != nil {
		return err
	}
	select {
	case <-call.done:
		if call.err != nil {
			return failCause(ErrKeysUnavailable, "fetch", call.err)
		}
		return nil
	case <-ctx.Done():
		return failCause(ErrKeysUnavailable, "waiting for key fetch", ctx.Err())
	}
}

// KeyFetches reports how many key-set fetches this Verifier has made.
func (v *Verifier) KeyFetches() int64 { return v.keys.fetches.Load() }

// MachineVerifications reports how many Backend API calls this Verifier
// has made to verify opaque machine tokens.
func (v *Verifier) MachineVerifications() int64 { return v.machines.calls.Load() }

// machinePrefixes are the prefixes of Clerk's opaque machine tokens.
var machinePrefixes = [...]string{"ak_", "mt_", "oat_"}

// Verify verifies a session token and returns its session. The checks run
// in this order and fail closed: size cap before any parsing; algorithm
// allowlist; typ; token category; signature; sub; exp (required), nbf and
// iat with the clock skew; azp allowlist; exact iss; pending status. Every
// error wraps one of the package's sentinel *Error values and never
// contains the token.
func (v *Verifier) Verify(ctx context.Context, token string) (*Session, error) {
	if token == "" {
		return nil, ErrNoToken
	}
	if len(token) > v.cfg.MaxTokenSize {
		return nil, fail(ErrTokenTooLarge, fmt.Sprintf("%d bytes, limit %d", len(token), v.cfg.MaxTokenSize))
	}
	now := v.cfg.Now()
	if v.tokens != nil {
		if ks := v.keys.snap.Load(); ks != nil {
			if s, ok := v.tokens.getSession(token, ks.gen); ok {
				return v.acceptCached(token, s, now)
			}
		}
	}
	for _, p := range machinePrefixes {
		if strings.HasPrefix(token, p) {
			return nil, fail(ErrTokenType, "machine token, not a session token")
		}
	}
	p, err := parseCompact(token)
	if err != nil {
		return nil, err
	}
	key, ks, err := v.keys.get(ctx, p.hdr.Kid)
	if err != nil {
		return nil, err
	}
	if err := p.verifySignature(key); err != nil {
		return nil, err
	}
	var c claims
	if err := c.decode(p.payload); err != nil {
		return nil, failCause(ErrMalformed, "claims", err)
	}
	if c.Sub == nil || *c.Sub == "" {
		return nil, fail(ErrMalformed, "sub must be a non-empty string")
	}
	if strings.HasPrefix(*c.Sub, "mch_") {
		return nil, fail(ErrTokenType, "machine subject, not a user")
	}
	if !c.Exp.set {
		return nil, fail(ErrMalformed, "exp is required")
	}
	s, err := newSession(&c, p.payload)
	if err != nil {
		return nil, failCause(ErrMalformed, "claims", err)
	}
	if err := v.checkTimes(s, now); err != nil {
		return nil, err
	}
	if v.cfg.parties != nil {
		if _, ok := v.cfg.parties[s.AuthorizedParty]; !ok {
			if s.AuthorizedParty == "" {
				return nil, fail(ErrUnauthorizedParty, "azp is required")
			}
			return nil, fail(ErrUnauthorizedParty, "azp is not an authorized party")
		}
	}
	if !v.issuerOK(s.Issuer, ks) {
		return nil, fail(ErrInvalidIssuer, "iss is not the instance's issuer")
	}
	if s.Pending() && !v.cfg.AllowPendingSessions {
		return nil, fail(ErrSessionPending, "pending sessions are not signed in")
	}
	if s.Status != "" && s.Status != "active" && s.Status != "pending" {
		return nil, fail(ErrMalformed, "unknown session status")
	}
	if v.tokens != nil {
		v.tokens.put(token, s, ks.gen, now)
	}
	return s, nil
}

// acceptCached finishes Verify for a token found in the verified-token
// cache with session s: only its times are checked again (an entry that
// has expired is dropped).
func (v *Verifier) acceptCached(token string, s *Session, now time.Time) (*Session, error) {
	return v.acceptFrom(v.tokens, token, s, now)
}

// acceptFrom accepts session s found under key in cache c (the token
// cache, or the Cookie memo): the key set is refreshed when due and the
// session's times are checked again; an entry that fails them is dropped.
func (v *Verifier) acceptFrom(c *tokenCache, key string, s *Session, now time.Time) (*Session, error) {
	v.keys.maybeRefresh(now)
	if err := v.checkTimes(s, now); err != nil {
		c.delete(key)
		return nil, err
	}
	return s, nil
}

// checkTimes applies exp, nbf and iat with the clock skew.
func (v *Verifier) checkTimes(s *Session, now time.Time) error {
	return v.checkTimesAt(s.ExpiresAt, s.NotBefore, s.IssuedAt, now)
}

func (v *Verifier) issuerOK(iss string, ks *keySet) bool {
	if iss == "" {
		return false
	}
	for _, want := range v.cfg.issuers {
		if iss == want {
			return true
		}
	}
	if v.cfg.learnIssuer {
		for _, want := range ks.issuers {
			if iss == want {
				return true
			}
		}
	}
	return false
}
