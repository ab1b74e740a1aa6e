package auth_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func newIssuer(t *testing.T) *clerktest.Issuer {
	return clerktest.NewIssuer(t, clerktest.IssuerOptions{Clock: clerktest.NewClock(t0)})
}

func newVerifier(t *testing.T, cfg auth.Config) *auth.Verifier {
	t.Helper()
	v, err := auth.NewVerifier(cfg)
	require.NoError(t, err)
	return v
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// mutate returns the issuer's standard header and payload for c, with the
// payload members in edit set (or removed, for clerktest.Omit).
func mutate(iss *clerktest.Issuer, c clerktest.Claims, edit map[string]any) (hdr, payload []byte) {
	c.Extra = edit
	return iss.Encode(c)
}

func TestVerifyHostileTokens(t *testing.T) {
	iss := newIssuer(t)
	other := newIssuer(t)
	cfg := iss.AuthConfig()
	cfg.AuthorizedParties = []string{"https://app.example.com"}
	v := newVerifier(t, cfg)
	base := clerktest.Claims{UserID: "user_1", AZP: "https://app.example.com"}
	now := t0.Unix()
	signed := func(edit map[string]any) string {
		h, p := mutate(iss, base, edit)
		return iss.SignRaw(h, p)
	}
	withHeader := func(hdr map[string]any) string {
		c := base
		c.Header = hdr
		return iss.Token(c)
	}
	h, p := iss.Encode(base)
	hmacTok := func() string {
		hs := b64([]byte(`{"alg":"HS256","kid":"`+iss.KeyID()+`","typ":"JWT"}`)) + "." + b64(p)
		m := hmac.New(sha256.New, []byte(iss.PublicKeyPEM()))
		m.Write([]byte(hs))
		return hs + "." + b64(m.Sum(nil))
	}()
	valid := iss.SignRaw(h, p)
	parts := strings.Split(valid, ".")
	otherKeySameKid := func() string {
		c := base
		c.Header = map[string]any{"kid": iss.KeyID()}
		return other.Token(c)
	}()
	tamperedPayload := parts[0] + "." + b64([]byte(strings.Replace(string(p), "user_1", "user_2", 1))) + "." + parts[2]

	cases := []struct {
		name  string
		token string
		want  *auth.Error
	}{
		{"empty", "", auth.ErrNoToken},
		{"alg none", b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64(p) + ".", auth.ErrMalformed},
		{"alg none with signature", b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64(p) + ".AAAA", auth.ErrAlgorithm},
		{"HS256 keyed with the public key", hmacTok, auth.ErrAlgorithm},
		{"ES256", withHeader(map[string]any{"alg": "ES256"}), auth.ErrAlgorithm},
		{"PS256", withHeader(map[string]any{"alg": "PS256"}), auth.ErrAlgorithm},
		{"unknown crit", withHeader(map[string]any{"crit": []string{"urn:x"}, "urn:x": 1}), auth.ErrMalformed},
		{"typ not JWT", withHeader(map[string]any{"typ": "at+jwt"}), auth.ErrTokenType},
		{"JWT template token", withHeader(map[string]any{"cat": clerktest.CategoryTemplate}), auth.ErrTokenType},
		{"machine token category", withHeader(map[string]any{"cat": clerktest.CategoryMachine}), auth.ErrTokenType},
		{"opaque machine token", "mt_" + strings.Repeat("a", 32), auth.ErrTokenType},
		{"machine subject", signed(map[string]any{"sub": "mch_123"}), auth.ErrTokenType},
		{"duplicate keys in payload", iss.SignRaw(h, []byte(strings.Replace(string(p), `"sub":"user_1"`, `"sub":"user_1","sub":"user_2"`, 1))), auth.ErrMalformed},
		{"duplicate keys in header", iss.SignRaw([]byte(`{"alg":"HS256","alg":"RS256","kid":"`+iss.KeyID()+`"}`), p), auth.ErrMalformed},
		{"missing exp", signed(map[string]any{"exp": clerktest.Omit}), auth.ErrMalformed},
		{"expired", signed(map[string]any{"exp": now - 6}), auth.ErrExpired},
		{"nbf in the future", signed(map[string]any{"nbf": now + 6}), auth.ErrNotYetValid},
		{"iat in the future", signed(map[string]any{"iat": now + 6}), auth.ErrIssuedInFuture},
		{"overflowing exp", iss.SignRaw(h, []byte(strings.Replace(string(p), `"exp":`, `"exp":1e400,"x":`, 1))), auth.ErrMalformed},
		{"huge exp", signed(map[string]any{"exp": json.Number("99999999999999999999999")}), auth.ErrMalformed},
		{"negative exp", signed(map[string]any{"exp": -1}), auth.ErrMalformed},
		{"exp as string", signed(map[string]any{"exp": "2000000000"}), auth.ErrMalformed},
		{"iat as string", signed(map[string]any{"iat": "1"}), auth.ErrMalformed},
		{"wrong issuer", signed(map[string]any{"iss": "https://clerk.other.example"}), auth.ErrInvalidIssuer},
		{"attacker prefix issuer", signed(map[string]any{"iss": "https://clerk.attacker.example"}), auth.ErrInvalidIssuer},
		{"issuer with attacker suffix", signed(map[string]any{"iss": iss.IssuerURL() + ".attacker.example"}), auth.ErrInvalidIssuer},
		{"issuer with path", signed(map[string]any{"iss": iss.IssuerURL() + "/x"}), auth.ErrInvalidIssuer},
		{"issuer over http", signed(map[string]any{"iss": "http://" + iss.FrontendAPI()}), auth.ErrInvalidIssuer},
		{"missing issuer", signed(map[string]any{"iss": clerktest.Omit}), auth.ErrInvalidIssuer},
		{"missing azp", signed(map[string]any{"azp": clerktest.Omit}), auth.ErrUnauthorizedParty},
		{"foreign azp", signed(map[string]any{"azp": "https://evil.example"}), auth.ErrUnauthorizedParty},
		{"unknown kid", withHeader(map[string]any{"kid": "ins_unknown"}), auth.ErrUnknownKey},
		{"right kid, another key", otherKeySameKid, auth.ErrSignature},
		{"tampered payload", tamperedPayload, auth.ErrSignature},
		{"signature of another alg", iss.SignRaw([]byte(`{"alg":"RS512","kid":"`+iss.KeyID()+`","typ":"JWT"}`), p)[:0] + parts[0] + "." + parts[1] + "." + strings.Split(iss.SignRaw([]byte(`{"alg":"RS512","kid":"`+iss.KeyID()+`"}`), p), ".")[2], auth.ErrSignature},
		{"oversized", signed(map[string]any{"pad": strings.Repeat("x", 9000)}), auth.ErrTokenTooLarge},
		{"two segments", parts[0] + "." + parts[1], auth.ErrMalformed},
		{"four segments", valid + "." + parts[2], auth.ErrMalformed},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], auth.ErrMalformed},
		{"standard base64 alphabet", parts[0] + "." + parts[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[2]) + "+", auth.ErrMalformed},
		{"JSON serialization", `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`, auth.ErrMalformed},
		{"whitespace inside", parts[0] + ". " + parts[1] + "." + parts[2], auth.ErrMalformed},
		{"empty sub", signed(map[string]any{"sub": ""}), auth.ErrMalformed},
		{"missing sub", signed(map[string]any{"sub": clerktest.Omit}), auth.ErrMalformed},
		{"numeric sub", signed(map[string]any{"sub": 42}), auth.ErrMalformed},
		{"pending session", signed(map[string]any{"sts": "pending"}), auth.ErrSessionPending},
		{"unknown session status", signed(map[string]any{"sts": "revoked"}), auth.ErrMalformed},
		{"sub and case-folded ſub", signed(map[string]any{"ſub": "user_2"}), auth.ErrMalformed},
		{"sub and SUB", signed(map[string]any{"SUB": "user_2"}), auth.ErrMalformed},
		{"only SUB", signed(map[string]any{"sub": clerktest.Omit, "SUB": "user_1"}), auth.ErrMalformed},
		{"org role and case-folded duplicate", signed(map[string]any{"v": 2, "o": map[string]any{"id": "org_1", "rol": "member", "ROL": "admin"}}), auth.ErrMalformed},
		{"header alg only in upper case", iss.SignRaw([]byte(`{"ALG":"RS256","kid":"`+iss.KeyID()+`"}`), p), auth.ErrAlgorithm},
		{"header kid and Kelvin-sign Kid", iss.SignRaw([]byte(`{"alg":"RS256","kid":"`+iss.KeyID()+`","\u212aid":"x"}`), p), auth.ErrMalformed},
		{"v2 fea entry without a scope", signed(map[string]any{"v": 2, "fea": "o:a,dashboard", "o": map[string]any{"id": "org_1", "rol": "admin"}}), auth.ErrMalformed},
		{"v2 empty fea entry", signed(map[string]any{"v": 2, "fea": "o:a,,o:b", "o": map[string]any{"id": "org_1", "rol": "admin", "per": "read", "fpm": "1"}}), auth.ErrMalformed},
		{"invalid JSON in an unknown claim", iss.SignRaw(h, []byte(strings.Replace(string(p), "{", `{"x":tru,`, 1))), auth.ErrMalformed},
	}
	require.GreaterOrEqual(t, len(cases), 30)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := v.Verify(context.Background(), tc.token)
			require.Error(t, err)
			assert.Nil(t, s)
			assert.ErrorIs(t, err, tc.want)
			assert.Equal(t, tc.want.Reason(), auth.Reason(err))
			if len(tc.token) > 10 {
				assert.NotContains(t, err.Error(), tc.token)
				assert.NotContains(t, err.Error(), tc.token[len(tc.token)-10:], "no part of the signature in the error")
			}
		})
	}
	s, err := v.Verify(context.Background(), valid)
	require.NoError(t, err, "the untampered token verifies")
	assert.Equal(t, "user_1", s.UserID)
}

func TestVerifyClockSkew(t *testing.T) {
	iss := newIssuer(t)
	v := newVerifier(t, iss.AuthConfig())
	now := t0.Unix()
	for name, edit := range map[string]map[string]any{
		"exp 4s ago":         {"exp": now - 4},
		"nbf 4s ahead":       {"nbf": now + 4},
		"iat 4s ahead":       {"iat": now + 4, "nbf": now},
		"fractional exp":     {"exp": json.Number(strconv.FormatInt(now+30, 10) + ".5")},
		"no nbf and no iat":  {"nbf": clerktest.Omit, "iat": clerktest.Omit},
		"no azp configured":  {"azp": clerktest.Omit},
		"active session":     {"sts": "active"},
		"explicit version 1": {"v": 1},
	} {
		h, p := mutate(iss, clerktest.Claims{UserID: "user_1"}, edit)
		_, err := v.Verify(context.Background(), iss.SignRaw(h, p))
		assert.NoError(t, err, name)
	}
	_, err := v.Verify(context.Background(), iss.Token(clerktest.Claims{UserID: "user_1", Header: map[string]any{"typ": "jwt"}}))
	assert.NoError(t, err, "typ is compared case-insensitively")
}

func TestSessionClaims(t *testing.T) {
	iss := newIssuer(t)
	v := newVerifier(t, iss.AuthConfig())
	org := &clerktest.Org{ID: "org_1", Slug: "acme", Role: "admin", Permissions: []string{"org:dashboard:manage", "org:dashboard:read", "org:teams:read"}}
	fva := [2]int{3, -1}
	type meta struct {
		Role string `json:"role"`
	}
	for _, version := range []int{1, 2} {
		tok := iss.Token(clerktest.Claims{
			UserID: "user_1", SessionID: "sess_1", Version: version, Org: org,
			Features: []string{"u:export"}, Plans: []string{"o:pro"},
			Actor: &clerktest.Actor{Subject: "user_admin", SessionID: "sess_a"}, FVA: &fva, Status: "active",
			AZP: "https://app.example.com", Extra: map[string]any{"metadata": map[string]any{"role": "admin"}},
		})
		s, err := v.Verify(context.Background(), tok)
		require.NoError(t, err, "version %d", version)
		assert.Equal(t, version, s.Version)
		assert.Equal(t, "user_1", s.UserID)
		assert.Equal(t, "sess_1", s.SessionID)
		assert.Equal(t, iss.IssuerURL(), s.Issuer)
		assert.Equal(t, "https://app.example.com", s.AuthorizedParty)
		assert.Equal(t, "org_1", s.OrgID)
		assert.Equal(t, "acme", s.OrgSlug)
		assert.Equal(t, "org:admin", s.OrgRole)
		assert.ElementsMatch(t, org.Permissions, s.OrgPermissions)
		assert.Equal(t, "user_admin", s.Actor.Subject)
		assert.True(t, s.Impersonated())
		assert.Equal(t, &fva, s.FactorVerificationAge)
		assert.Equal(t, t0.Add(clerktest.TokenLifetime).Unix(), s.ExpiresAt.Unix())
		assert.Equal(t, t0.Unix(), s.IssuedAt.Unix())
		assert.True(t, s.Has(auth.Check{Role: "admin", Permission: "org:teams:read", Plan: "org:pro"}))
		assert.False(t, s.Has(auth.Check{Permission: "org:teams:manage"}))
		if version == 2 {
			assert.True(t, s.Has(auth.Check{Feature: "user:export"}))
			assert.True(t, s.Has(auth.Check{Feature: "org:dashboard"}))
		}
		m, err := auth.Claim[meta](s, "metadata")
		require.NoError(t, err)
		assert.Equal(t, "admin", m.Role)
		_, err = auth.Claim[meta](s, "nope")
		assert.ErrorIs(t, err, auth.ErrClaimNotFound)
		var all struct {
			Sub string `json:"sub"`
		}
		require.NoError(t, s.DecodeClaims(&all))
		assert.Equal(t, "user_1", all.Sub)
	}
	// Without an active organization.
	s, err := v.Verify(context.Background(), iss.Token(clerktest.Claims{UserID: "user_2"}))
	require.NoError(t, err)
	assert.Empty(t, s.OrgID)
	assert.Empty(t, s.OrgRole)
	assert.Nil(t, s.Actor)
	assert.False(t, s.Has(auth.Check{Role: "admin"}))
}

func TestPendingSessionsOptIn(t *testing.T) {
	iss := newIssuer(t)
	cfg := iss.AuthConfig()
	cfg.AllowPendingSessions = true
	v := newVerifier(t, cfg)
	s, err := v.Verify(context.Background(), iss.Token(clerktest.Claims{UserID: "user_1", Status: "pending"}))
	require.NoError(t, err)
	assert.True(t, s.Pending())
}

func TestKeySources(t *testing.T) {
	iss := newIssuer(t)
	tok := iss.Token(clerktest.Claims{UserID: "user_1"})
	ctx := context.Background()

	t.Run("networkless PEM, never fetches", func(t *testing.T) {
		v := newVerifier(t, auth.Config{JWTKey: iss.PublicKeyPEM(), PublishableKey: iss.PublishableKey(), Now: iss.Clock().Now, APIURL: "http://127.0.0.1:1"})
		_, err := v.Verify(ctx, tok)
		require.NoError(t, err)
		c := clerktest.Claims{UserID: "user_1", Header: map[string]any{"kid": "ins_whatever"}}
		_, err = v.Verify(ctx, iss.Token(c))
		require.NoError(t, err, "the networkless key is used whatever the kid")
		assert.Zero(t, v.KeyFetches())
		other := newIssuer(t)
		_, err = v.Verify(ctx, other.Token(clerktest.Claims{UserID: "user_1", Issuer: iss.IssuerURL()}))
		assert.ErrorIs(t, err, auth.ErrSignature)
	})
	t.Run("explicit JWKS URL and issuer", func(t *testing.T) {
		v := newVerifier(t, auth.Config{JWKSURL: iss.URL() + "/.well-known/jwks.json", Issuer: iss.IssuerURL(), Now: iss.Clock().Now})
		_, err := v.Verify(ctx, tok)
		require.NoError(t, err)
	})
	t.Run("issuer learned from the domains", func(t *testing.T) {
		iss.ResetCounters()
		v := newVerifier(t, auth.Config{SecretKey: iss.SecretKey(), APIURL: iss.URL(), Now: iss.Clock().Now})
		_, err := v.Verify(ctx, tok)
		require.NoError(t, err)
		_, err = v.Verify(ctx, iss.Token(clerktest.Claims{UserID: "user_1", Issuer: "https://clerk.attacker.example"}))
		assert.ErrorIs(t, err, auth.ErrInvalidIssuer)
		assert.EqualValues(t, 1, iss.DomainsFetches())
		assert.EqualValues(t, 1, iss.JWKSFetches())
	})
	t.Run("proxy URL accepted as issuer", func(t *testing.T) {
		cfg := iss.AuthConfig()
		cfg.ProxyURL = "https://app.example.com/__clerk"
		v := newVerifier(t, cfg)
		_, err := v.Verify(ctx, iss.Token(clerktest.Claims{UserID: "user_1", Issuer: "https://app.example.com/__clerk"}))
		require.NoError(t, err)
		_, err = v.Verify(ctx, tok)
		require.NoError(t, err)
	})
	t.Run("wrong secret key", func(t *testing.T) {
		cfg := iss.AuthConfig()
		cfg.SecretKey = "sk_test_wrong"
		v := newVerifier(t, cfg)
		_, err := v.Verify(ctx, tok)
		assert.ErrorIs(t, err, auth.ErrKeysUnavailable)
		assert.NotContains(t, err.Error(), "sk_test_wrong")
		assert.Equal(t, "jwk-remote-failed-to-load", auth.Reason(err))
	})
	t.Run("warm", func(t *testing.T) {
		v := newVerifier(t, iss.AuthConfig())
		require.NoError(t, v.Warm(ctx))
		assert.EqualValues(t, 1, v.KeyFetches())
		require.NoError(t, v.Warm(ctx))
		assert.EqualValues(t, 1, v.KeyFetches())
	})
}

func TestKeyFailureModes(t *testing.T) {
	ctx := context.Background()
	for name, f := range map[string]clerktest.Fault{"down": {Kind: clerktest.FaultDown}, "500": {Status: 500},
		"garbage": {Kind: clerktest.FaultGarbage}, "empty set": {Kind: clerktest.FaultEmptySet}} {
		t.Run(name, func(t *testing.T) {
			iss := newIssuer(t)
			tok := iss.Token(clerktest.Claims{UserID: "user_1"})
			iss.InjectFault(f)
			v := newVerifier(t, iss.AuthConfig())
			_, err := v.Verify(ctx, tok)
			assert.ErrorIs(t, err, auth.ErrKeysUnavailable)
			require.NotErrorIs(t, err, auth.ErrUnknownKey)
			// Within the minimum interval a cold verifier does not refetch.
			_, err = v.Verify(ctx, tok)
			assert.ErrorIs(t, err, auth.ErrKeysUnavailable)
			assert.EqualValues(t, 1, v.KeyFetches())
			// Recovery after the interval.
			iss.ClearFaults()
			iss.Clock().Advance(auth.DefaultMinRefreshInterval)
			_, err = v.Verify(ctx, tok)
			require.NoError(t, err)
			assert.EqualValues(t, 2, v.KeyFetches())
		})
	}
}

func TestColdRequestsShareOneFetch(t *testing.T) {
	iss := newIssuer(t)
	iss.InjectFault(clerktest.Fault{Latency: 100 * time.Millisecond})
	v := newVerifier(t, iss.AuthConfig())
	tok := iss.Token(clerktest.Claims{UserID: "user_1"})
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for range 200 {
		wg.Go(func() {
			_, err := v.Verify(context.Background(), tok)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, iss.JWKSFetches())
}

func TestColdWaitHonoursContext(t *testing.T) {
	iss := newIssuer(t)
	iss.InjectFault(clerktest.Fault{Latency: 300 * time.Millisecond})
	v := newVerifier(t, iss.AuthConfig())
	tok := iss.Token(clerktest.Claims{UserID: "user_1"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := v.Verify(ctx, tok)
	assert.ErrorIs(t, err, auth.ErrKeysUnavailable)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 250*time.Millisecond, "the caller's deadline, not the fetch, bounds the wait")
	// The fetch went on without the impatient caller and serves the next one.
	require.Eventually(t, func() bool {
		_, err := v.Verify(context.Background(), tok)
		return err == nil
	}, 2*time.Second, 20*time.Millisecond)
	assert.EqualValues(t, 1, iss.JWKSFetches())
}

func TestUnknownKidFloodCausesOneFetch(t *testing.T) {
	iss := newIssuer(t)
	v := newVerifier(t, iss.AuthConfig())
	good := iss.Token(clerktest.Claims{UserID: "user_1"})
	require.NoError(t, v.Warm(context.Background()))
	iss.Clock().Advance(auth.DefaultMinRefreshInterval)
	iss.ResetCounters()
	iss.InjectFault(clerktest.Fault{Latency: 20 * time.Millisecond})

	h, p := iss.Encode(clerktest.Claims{UserID: "user_1"})
	var hdr map[string]any
	require.NoError(t, json.Unmarshal(h, &hdr))
	flood := make([]string, 1000)
	for i := range flood {
		hdr["kid"] = "ins_random_" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + time.Duration(i).String()
		hb, _ := json.Marshal(hdr)
		flood[i] = iss.SignRaw(hb, p)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	unknown, goodOK := 0, 0
	for _, tok := range flood {
		wg.Go(func() {
			_, err := v.Verify(context.Background(), tok)
			if assert.ErrorIs(t, err, auth.ErrUnknownKey) {
				mu.Lock()
				unknown++
				mu.Unlock()
			}
		})
		wg.Go(func() {
			if _, err := v.Verify(context.Background(), good); assert.NoError(t, err) {
				mu.Lock()
				goodOK++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1000, unknown)
	assert.Equal(t, 1000, goodOK)
	assert.EqualValues(t, 1, iss.JWKSFetches(), "at most one fetch per minimum interval")
	// Still within the interval: no fetch at all.
	_, err := v.Verify(context.Background(), flood[0])
	assert.ErrorIs(t, err, auth.ErrUnknownKey)
	assert.EqualValues(t, 1, iss.JWKSFetches())
}

func TestEndpointDownAfterWarmup(t *testing.T) {
	iss := newIssuer(t)
	v := newVerifier(t, iss.AuthConfig())
	require.NoError(t, v.Warm(context.Background()))
	iss.InjectFault(clerktest.Fault{Kind: clerktest.FaultDown})
	// Past the TTL: the background refresh fails, the stale set serves.
	iss.Clock().Advance(2 * auth.DefaultKeysTTL)
	for i := range 50 {
		_, err := v.Verify(context.Background(), iss.Token(clerktest.Claims{UserID: "user_1", SessionID: "sess_" + string(rune('a'+i%26))}))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return v.KeyFetches() == 2 }, 2*time.Second, 5*time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	assert.EqualValues(t, 2, v.KeyFetches(), "a failed refresh backs off instead of retrying on every request")
	// After the backoff it retries, and recovers once the endpoint does.
	iss.ClearFaults()
	iss.Clock().Advance(auth.DefaultMinRefreshInterval)
	_, err := v.Verify(context.Background(), iss.Token(clerktest.Claims{UserID: "user_1"}))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return v.KeyFetches() == 3 }, 2*time.Second, 5*time.Millisecond)
}

func TestRotation(t *testing.T) {
	iss := newIssuer(t)
	v := newVerifier(t, iss.AuthConfig())
	oldKid := iss.KeyID()
	// Long-lived, so that only the key decides.
	oldTok := iss.Token(clerktest.Claims{UserID: "user_1", ExpiresAt: t0.Add(3 * time.Hour)})
	_, err := v.Verify(context.Background(), oldTok)
	require.NoError(t, err)

	newKid := iss.Rotate()
	require.NotEqual(t, oldKid, newKid)
	newTok := iss.Token(clerktest.Claims{UserID: "user_1", ExpiresAt: t0.Add(3 * time.Hour)})
	iss.Clock().Advance(auth.DefaultMinRefreshInterval)
	_, err = v.Verify(context.Background(), newTok)
	require.NoError(t, err, "the new kid is accepted after one refresh")
	assert.EqualValues(t, 2, iss.JWKSFetches())
	_, err = v.Verify(context.Background(), oldTok)
	require.NoError(t, err, "both keys are published")

	require.True(t, iss.DropKey(oldKid))
	iss.Clock().Advance(auth.DefaultKeysTTL)
	// This request still sees the old set and starts the background refresh.
	_, _ = v.Verify(context.Background(), newTok)
	require.Eventually(t, func() bool { return iss.JWKSFetches() == 3 }, 2*time.Second, 5*time.Millisecond)
	require.Eventually(t, func() bool {
		_, err := v.Verify(context.Background(), oldTok)
		return err != nil
	}, 2*time.Second, 5*time.Millisecond)
	_, err = v.Verify(context.Background(), oldTok)
	assert.ErrorIs(t, err, auth.ErrUnknownKey, "the removed key, and the token cached with it, are no longer accepted")
	_, err = v.Verify(context.Background(), iss.Token(clerktest.Claims{UserID: "user_1"}))
	require.NoError(t, err, "the new key still verifies")
}

func TestVerifiersShareNothing(t *testing.T) {
	a, b := newIssuer(t), newIssuer(t)
	va, vb := newVerifier(t, a.AuthConfig()), newVerifier(t, b.AuthConfig())
	tokB := b.Token(clerktest.Claims{UserID: "user_1"})
	_, err := vb.Verify(context.Background(), tokB)
	require.NoError(t, err)
	_, err = va.Verify(context.Background(), tokB)
	assert.ErrorIs(t, err, auth.ErrUnknownKey, "B's key, cached by B's verifier, means nothing to A's")
	// Even with A's kid in the header, B's signature does not verify for A.
	forged := b.Token(clerktest.Claims{UserID: "user_1", Issuer: a.IssuerURL(), Header: map[string]any{"kid": a.KeyID()}})
	_, err = va.Verify(context.Background(), forged)
	assert.ErrorIs(t, err, auth.ErrSignature)
	// And a token A accepted is not a cache hit for B.
	tokA := a.Token(clerktest.Claims{UserID: "user_1"})
	_, err = va.Verify(context.Background(), tokA)
	require.NoError(t, err)
	_, err = vb.Verify(context.Background(), tokA)
	assert.Error(t, err)
}

func TestTokenCache(t *testing.T) {
	iss := newIssuer(t)
	v := newVerifier(t, iss.AuthConfig())
	tok := iss.Token(clerktest.Claims{UserID: "user_1"})
	s1, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	s2, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	assert.Same(t, s1, s2, "a repeated token is served from the cache")

	iss.Clock().Advance(clerktest.TokenLifetime + auth.DefaultClockSkew)
	_, err = v.Verify(context.Background(), tok)
	assert.ErrorIs(t, err, auth.ErrExpired, "a cache hit re-checks exp")

	cfg := iss.AuthConfig()
	cfg.DisableTokenCache = true
	v = newVerifier(t, cfg)
	tok = iss.Token(clerktest.Claims{UserID: "user_1"})
	s1, err = v.Verify(context.Background(), tok)
	require.NoError(t, err)
	s2, err = v.Verify(context.Background(), tok)
	require.NoError(t, err)
	assert.NotSame(t, s1, s2)

	// A cached token is not yet valid before its nbf either.
	iss2 := newIssuer(t)
	v = newVerifier(t, iss2.AuthConfig())
	tok = iss2.Token(clerktest.Claims{UserID: "user_1"})
	_, err = v.Verify(context.Background(), tok)
	require.NoError(t, err)
	iss2.Clock().Set(t0.Add(-time.Minute))
	_, err = v.Verify(context.Background(), tok)
	assert.ErrorIs(t, err, auth.ErrNotYetValid)
}

// TestClaimsReadAsClerkReads pins the readings that follow Clerk's own
// claim parser (@clerk/shared jwtPayloadParser) and has(), where an older
// clerkkit rejected the token or read it differently.
func TestClaimsReadAsClerkReads(t *testing.T) {
	iss := newIssuer(t)
	v := newVerifier(t, iss.AuthConfig())
	verify := func(t *testing.T, edit map[string]any, hdr map[string]any) *auth.Session {
		t.Helper()
		s, err := v.Verify(context.Background(), iss.Token(clerktest.Claims{UserID: "user_1", Extra: edit, Header: hdr}))
		require.NoError(t, err)
		return s
	}
	org := func(o map[string]any) map[string]any { return map[string]any{"v": 2, "o": o} }

	t.Run("unknown version parses as v1", func(t *testing.T) {
		for _, ver := range []any{3, "2", 1.5, true, nil} {
			s := verify(t, map[string]any{"v": ver, "org_id": "org_1", "org_role": "org:admin", "o": map[string]any{"id": "org_2", "rol": "admin"}}, nil)
			assert.Equal(t, 1, s.Version, "v=%v", ver)
			assert.Equal(t, "org_1", s.OrgID, "v=%v: the v1 claims, not o", ver)
		}
		s := verify(t, map[string]any{"v": 2.0, "o": map[string]any{"id": "org_2", "rol": "admin"}}, nil)
		assert.Equal(t, 2, s.Version, "2.0 is the number 2")
		assert.Equal(t, "org_2", s.OrgID)
	})
	t.Run("permission bits beyond o.per and extra masks are ignored", func(t *testing.T) {
		e := org(map[string]any{"id": "org_1", "rol": "admin", "per": "read", "fpm": "5,1"})
		e["fea"] = "o:a"
		s := verify(t, e, nil)
		assert.Equal(t, []string{"org:a:read"}, s.OrgPermissions)
	})
	t.Run("session category stamped on every token", func(t *testing.T) {
		s := verify(t, nil, map[string]any{"cat": "cl_I7d4PD111III"})
		assert.Equal(t, "user_1", s.UserID)
	})
	t.Run("case variants of claim names are not the claims", func(t *testing.T) {
		s := verify(t, map[string]any{"ORG_ID": "org_evil", "Org_Role": "org:admin", "Sts": "pending", "ACT": map[string]any{"sub": "user_x"}}, nil)
		assert.Empty(t, s.OrgID)
		assert.Empty(t, s.OrgRole)
		assert.Empty(t, s.Status)
		assert.Nil(t, s.Actor)
		s = verify(t, org(map[string]any{"ID": "org_evil", "Rol": "admin"}), nil)
		assert.Empty(t, s.OrgID)
		assert.False(t, s.Has(auth.Check{Role: "admin"}))
		s = verify(t, map[string]any{"act": map[string]any{"SUB": "user_x"}}, nil)
		require.NotNil(t, s.Actor)
		assert.Empty(t, s.Actor.Subject)
	})
	t.Run("fva not of Clerk's shape fails reverification only", func(t *testing.T) {
		for _, fva := range []any{[]int{0, 0, 0}, []int{0}, []any{"0", 0}, []int{-2, 0}, "0,0", map[string]int{"a": 1}} {
			s := verify(t, map[string]any{"fva": fva}, nil)
			assert.Nil(t, s.FactorVerificationAge, "fva=%v", fva)
			assert.False(t, s.Has(auth.Check{Reverification: auth.Reverify(auth.Lax)}), "fva=%v", fva)
		}
		s := verify(t, map[string]any{"fva": []float64{9.5, -1}}, nil)
		require.NotNil(t, s.FactorVerificationAge)
		assert.Equal(t, [2]int{9, -1}, *s.FactorVerificationAge)
		assert.True(t, s.Has(auth.Check{Reverification: auth.Reverify(auth.Strict)}), "10 > 9.5")
	})
	t.Run("an empty fea entry fails feature checks", func(t *testing.T) {
		s := verify(t, map[string]any{"fea": "u:a,,u:b"}, nil)
		assert.False(t, s.Has(auth.Check{Feature: "a"}))
		s = verify(t, map[string]any{"fea": "u:a,u:b"}, nil)
		assert.True(t, s.Has(auth.Check{Feature: "a"}))
	})
}

// TestRemovedKeyDistrustedWithinFiveMinutes: with the default KeysTTL a key
// dropped from the JWKS stops verifying once 5 minutes have passed and the
// refresh they trigger has completed (it was 1 h before).
func TestRemovedKeyDistrustedWithinFiveMinutes(t *testing.T) {
	iss := newIssuer(t)
	v := newVerifier(t, iss.AuthConfig())
	oldKid := iss.KeyID()
	oldTok := iss.Token(clerktest.Claims{UserID: "user_1", ExpiresAt: t0.Add(time.Hour)})
	_, err := v.Verify(context.Background(), oldTok)
	require.NoError(t, err)
	iss.Rotate()
	require.True(t, iss.DropKey(oldKid))

	iss.Clock().Advance(5*time.Minute - time.Second)
	_, err = v.Verify(context.Background(), oldTok)
	require.NoError(t, err, "within the TTL the cached key set serves")
	assert.EqualValues(t, 1, iss.JWKSFetches())

	iss.Clock().Advance(time.Second)
	_, _ = v.Verify(context.Background(), oldTok) // starts the refresh
	require.Eventually(t, func() bool { return iss.JWKSFetches() == 2 }, 2*time.Second, 5*time.Millisecond)
	require.Eventually(t, func() bool {
		_, err := v.Verify(context.Background(), oldTok)
		return errors.Is(err, auth.ErrUnknownKey)
	}, 2*time.Second, 5*time.Millisecond, "the removed key is no longer trusted")
}
