package auth_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/auth"
)

func randomToken(prefix string) string {
	var b [20]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func TestVerifyTokenOpaque(t *testing.T) {
	iss := newIssuer(t)
	f := newFakeBAPI(t, iss)
	v := newVerifier(t, f.config())
	ctx := context.Background()
	ak := f.apiKey(randomToken("ak_"), "org_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "read", "write")
	mt := f.m2m(randomToken("mt_"), "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk", t0.Add(time.Hour), "mch_other")
	oat := f.oauth(randomToken("oat_"), "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk", []string{"https://api.example.com"}, "email")

	p, err := v.VerifyToken(ctx, ak, auth.APIKey)
	require.NoError(t, err)
	m := p.Machine
	assert.Equal(t, auth.APIKey, p.Kind)
	assert.Equal(t, "ak_"+strings.Repeat("a", 32), m.ID)
	assert.Equal(t, "org_2xhFjEI5X2qWRvtV13BzSj8H6Dk", m.OrgID())
	assert.Equal(t, "CI_KEY", m.Name)
	assert.Equal(t, []string{"read", "write"}, m.Scopes)
	assert.Equal(t, map[string]any{"team": "ops"}, m.Claims)
	assert.True(t, m.ExpiresAt.IsZero())
	assert.False(t, m.JWT)
	assert.True(t, m.HasScope("write"))

	p, err = v.VerifyToken(ctx, mt, auth.M2MToken, auth.APIKey)
	require.NoError(t, err)
	assert.Equal(t, auth.M2MToken, p.Kind)
	assert.Equal(t, "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk", p.Machine.MachineID())
	assert.True(t, t0.Add(time.Hour).Equal(p.Machine.ExpiresAt))

	p, err = v.VerifyToken(ctx, oat, auth.AnyToken)
	require.NoError(t, err)
	assert.Equal(t, auth.OAuthToken, p.Kind)
	assert.Equal(t, "client_1", p.Machine.ClientID)
	assert.Equal(t, []string{"https://api.example.com"}, p.Machine.Audience)
	assert.Equal(t, int64(3), f.calls.Load())
	assert.Equal(t, int64(3), v.MachineVerifications())

	// Each is verified once per TTL.
	for range 5 {
		for _, tok := range []string{ak, mt, oat} {
			_, err := v.VerifyToken(ctx, tok, auth.AnyToken)
			require.NoError(t, err)
		}
	}
	assert.Equal(t, int64(3), f.calls.Load())
	iss.Clock().Advance(auth.DefaultMachineCacheTTL)
	_, err = v.VerifyToken(ctx, ak, auth.APIKey)
	require.NoError(t, err)
	assert.Equal(t, int64(4), f.calls.Load())

	// The request carried the token in the body, never in the URL.
	f.mu.Lock()
	assert.Contains(t, f.bodies[0], ak)
	f.mu.Unlock()
}

// TestVerifyTokenOpaqueRevocationDelay: a token revoked at the Backend API
// is accepted until the cache entry ends (MachineCacheTTL), then refused.
func TestVerifyTokenOpaqueRevocationDelay(t *testing.T) {
	iss := newIssuer(t)
	f := newFakeBAPI(t, iss)
	cfg := f.config()
	cfg.MachineCacheTTL = 3 * time.Second
	v := newVerifier(t, cfg)
	ak := f.apiKey(randomToken("ak_"), "user_1x")
	_, err := v.VerifyToken(context.Background(), ak, auth.APIKey)
	require.NoError(t, err)
	f.set(ak, fakeAnswer{status: http.StatusNotFound, raw: `{"errors":[{"code":"resource_not_found"}]}`})
	iss.Clock().Advance(2 * time.Second)
	_, err = v.VerifyToken(context.Background(), ak, auth.APIKey)
	require.NoError(t, err, "within the TTL")
	iss.Clock().Advance(time.Second)
	_, err = v.VerifyToken(context.Background(), ak, auth.APIKey)
	require.ErrorIs(t, err, auth.ErrTokenInvalid)
}

// TestVerifyTokenOpaqueExpiry: the TTL never outlives the token.
func TestVerifyTokenOpaqueExpiry(t *testing.T) {
	iss := newIssuer(t)
	f := newFakeBAPI(t, iss)
	v := newVerifier(t, f.config())
	mt := f.m2m(randomToken("mt_"), "mch_1x", t0.Add(3*time.Second))
	_, err := v.VerifyToken(context.Background(), mt, auth.M2MToken)
	require.NoError(t, err)
	iss.Clock().Advance(3*time.Second + auth.DefaultClockSkew)
	_, err = v.VerifyToken(context.Background(), mt, auth.M2MToken)
	require.ErrorIs(t, err, auth.ErrExpired)
	assert.Equal(t, int64(2), f.calls.Load(), "asked again once the token's expiry passed")

	past := f.m2m(randomToken("mt_"), "mch_1x", iss.Clock().Now().Add(-time.Minute))
	_, err = v.VerifyToken(context.Background(), past, auth.M2MToken)
	require.ErrorIs(t, err, auth.ErrExpired)
}

// TestVerifyTokenOpaqueRejections covers the answers of the Backend API.
func TestVerifyTokenOpaqueRejections(t *testing.T) {
	iss := newIssuer(t)
	f := newFakeBAPI(t, iss)
	valid := map[string]any{
		"object": "api_key", "id": "ak_" + strings.Repeat("a", 32), "subject": "user_1x", "name": "n",
		"scopes": []string{}, "claims": nil, "revoked": false, "expired": false, "expiration": nil,
	}
	with := func(k string, val any) map[string]any {
		m := map[string]any{}
		for kk, vv := range valid {
			m[kk] = vv
		}
		if val == nil {
			delete(m, k)
		} else {
			m[k] = val
		}
		return m
	}
	cases := []struct {
		name   string
		kind   auth.TokenKind
		answer fakeAnswer
		want   error
		cached bool // a final answer, remembered
	}{
		{"not found", auth.APIKey, fakeAnswer{status: 404, raw: `{"errors":[]}`}, auth.ErrTokenInvalid, true},
		{"bad request", auth.APIKey, fakeAnswer{status: 400, raw: `{}`}, auth.ErrTokenInvalid, true},
		{"unprocessable", auth.APIKey, fakeAnswer{status: 422, raw: `{}`}, auth.ErrTokenInvalid, true},
		{"revoked", auth.APIKey, fakeAnswer{body: with("revoked", true)}, auth.ErrTokenInvalid, true},
		{"expired", auth.APIKey, fakeAnswer{body: with("expired", true)}, auth.ErrExpired, true},
		{"expiration passed", auth.APIKey, fakeAnswer{body: with("expiration", t0.Add(-time.Minute).UnixMilli())}, auth.ErrExpired, true},
		{"oauth inactive", auth.OAuthToken, fakeAnswer{raw: `{"active":false}`}, auth.ErrTokenInvalid, true},
		{"secret key refused", auth.APIKey, fakeAnswer{status: 401, raw: `{}`}, auth.ErrSecretKeyInvalid, false},
		{"forbidden", auth.APIKey, fakeAnswer{status: 403, raw: `{}`}, auth.ErrSecretKeyInvalid, false},
		{"rate limited", auth.APIKey, fakeAnswer{status: 429, raw: `{}`}, auth.ErrVerificationUnavailable, false},
		{"server error", auth.APIKey, fakeAnswer{status: 500, raw: `oops`}, auth.ErrVerificationUnavailable, false},
		{"not JSON", auth.APIKey, fakeAnswer{raw: `<html>`}, auth.ErrVerificationUnavailable, false},
		{"duplicate member", auth.APIKey, fakeAnswer{raw: `{"object":"api_key","id":"ak_1","subject":"user_1x","subject":"org_1x"}`}, auth.ErrVerificationUnavailable, false},
		{"case-folded member", auth.APIKey, fakeAnswer{raw: `{"object":"api_key","id":"ak_1","Subject":"user_1x"}`}, auth.ErrVerificationUnavailable, false},
		{"another object", auth.APIKey, fakeAnswer{body: with("object", "machine_to_machine_token")}, auth.ErrVerificationUnavailable, false},
		{"no object", auth.APIKey, fakeAnswer{body: with("object", nil)}, auth.ErrVerificationUnavailable, false},
		{"no id", auth.APIKey, fakeAnswer{body: with("id", nil)}, auth.ErrVerificationUnavailable, false},
		{"no subject", auth.APIKey, fakeAnswer{body: with("subject", nil)}, auth.ErrVerificationUnavailable, false},
		{"subject of no kind", auth.APIKey, fakeAnswer{body: with("subject", "sess_1")}, auth.ErrVerificationUnavailable, false},
		{"bare prefix subject", auth.APIKey, fakeAnswer{body: with("subject", "user_")}, auth.ErrVerificationUnavailable, false},
		{"m2m with a user subject", auth.M2MToken, fakeAnswer{body: map[string]any{"object": "machine_to_machine_token", "id": "mt_1", "subject": "user_1x"}}, auth.ErrVerificationUnavailable, false},
		{"scopes not strings", auth.APIKey, fakeAnswer{body: with("scopes", []int{1})}, auth.ErrVerificationUnavailable, false},
		{"claims not an object", auth.APIKey, fakeAnswer{body: with("claims", "x")}, auth.ErrVerificationUnavailable, false},
		{"revoked not a bool", auth.APIKey, fakeAnswer{body: with("revoked", "false")}, auth.ErrVerificationUnavailable, false},
		{"negative expiration", auth.APIKey, fakeAnswer{body: with("expiration", -1)}, auth.ErrVerificationUnavailable, false},
		{"huge body", auth.APIKey, fakeAnswer{raw: `{"object":"api_key","pad":"` + strings.Repeat("x", 70<<10) + `"}`}, auth.ErrVerificationUnavailable, false},
	}
	prefix := map[auth.TokenKind]string{auth.APIKey: "ak_", auth.M2MToken: "mt_", auth.OAuthToken: "oat_"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, f.config())
			tok := randomToken(prefix[tc.kind])
			f.set(tok, tc.answer)
			before := f.calls.Load()
			_, err := v.VerifyToken(context.Background(), tok, tc.kind)
			require.ErrorIs(t, err, tc.want)
			assert.NotContains(t, err.Error(), tok)
			assert.Equal(t, !tc.cached, auth.Unavailable(err))
			_, err = v.VerifyToken(context.Background(), tok, tc.kind)
			require.ErrorIs(t, err, tc.want)
			calls := f.calls.Load() - before
			if tc.cached {
				assert.Equal(t, int64(1), calls, "a final answer is remembered")
				iss.Clock().Advance(auth.DefaultMachineNegativeTTL)
				_, err = v.VerifyToken(context.Background(), tok, tc.kind)
				require.ErrorIs(t, err, tc.want)
				assert.Equal(t, int64(2), f.calls.Load()-before, "and asked again after MachineNegativeTTL")
			} else {
				assert.Equal(t, int64(2), calls, "a failure is not remembered")
			}
		})
	}
}

func TestVerifyTokenOpaqueAudience(t *testing.T) {
	iss := newIssuer(t)
	f := newFakeBAPI(t, iss)
	cfg := f.config()
	cfg.OAuthAudience = []string{"https://api.example.com"}
	v := newVerifier(t, cfg)
	good := f.oauth(randomToken("oat_"), "user_1x", "https://api.example.com")
	bad := f.oauth(randomToken("oat_"), "user_1x", []string{"https://other.example.com"})
	none := f.oauth(randomToken("oat_"), "user_1x", nil)
	_, err := v.VerifyToken(context.Background(), good, auth.OAuthToken)
	require.NoError(t, err)
	_, err = v.VerifyToken(context.Background(), bad, auth.OAuthToken)
	require.ErrorIs(t, err, auth.ErrInvalidAudience)
	_, err = v.VerifyToken(context.Background(), none, auth.OAuthToken)
	require.ErrorIs(t, err, auth.ErrInvalidAudience)
}

func TestVerifyTokenOpaqueNoSecretKey(t *testing.T) {
	iss := newIssuer(t)
	v := newVerifier(t, auth.Config{JWTKey: iss.PublicKeyPEM(), Issuer: iss.IssuerURL(), Now: iss.Clock().Now})
	_, err := v.VerifyToken(context.Background(), "ak_1", auth.APIKey)
	require.ErrorIs(t, err, auth.ErrVerificationUnavailable)
	assert.True(t, auth.Unavailable(err))
	assert.Zero(t, v.MachineVerifications())
	// JWT machine tokens need no secret key.
	_, err = v.VerifyToken(context.Background(), machineJWT(iss, auth.M2MToken, nil, nil), auth.M2MToken)
	require.NoError(t, err)
}

// TestVerifyTokenOpaqueSingleFlight: 1 000 concurrent requests with one
// new token make one Backend API call.
func TestVerifyTokenOpaqueSingleFlight(t *testing.T) {
	iss := newIssuer(t)
	f := newFakeBAPI(t, iss)
	f.delay = 50 * time.Millisecond
	v := newVerifier(t, f.config())
	ak := f.apiKey(randomToken("ak_"), "user_1x")
	var wg sync.WaitGroup
	var fails atomic.Int64
	for range 1000 {
		wg.Go(func() {
			if _, err := v.VerifyToken(context.Background(), ak, auth.APIKey); err != nil {
				fails.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Zero(t, fails.Load())
	assert.Equal(t, int64(1), f.calls.Load())
}

// TestVerifyTokenOpaqueWaiterGivesUp: a waiter's context ending fails that
// waiter only; the verification completes for the others and is cached.
func TestVerifyTokenOpaqueWaiterGivesUp(t *testing.T) {
	iss := newIssuer(t)
	f := newFakeBAPI(t, iss)
	f.block = make(chan struct{})
	v := newVerifier(t, f.config())
	ak := f.apiKey(randomToken("ak_"), "user_1x")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 2)
	go func() { _, err := v.VerifyToken(ctx, ak, auth.APIKey); errc <- err }()
	go func() { _, err := v.VerifyToken(context.Background(), ak, auth.APIKey); errc <- err }()
	require.Eventually(t, func() bool { return f.calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	err := <-errc
	require.ErrorIs(t, err, auth.ErrVerificationUnavailable)
	require.ErrorIs(t, err, context.Canceled)
	close(f.block)
	require.NoError(t, <-errc)
	_, err = v.VerifyToken(context.Background(), ak, auth.APIKey)
	require.NoError(t, err)
	assert.Equal(t, int64(1), f.calls.Load())
}

// TestVerifyTokenOpaqueBounds: beyond MaxMachineVerifications in flight or
// MachineVerificationsPerSecond, verification fails at once with
// ErrVerificationBusy, which is not cached.
func TestVerifyTokenOpaqueBounds(t *testing.T) {
	iss := newIssuer(t)
	f := newFakeBAPI(t, iss)
	f.block = make(chan struct{})
	cfg := f.config()
	cfg.MaxMachineVerifications = 2
	v := newVerifier(t, cfg)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { v.VerifyToken(context.Background(), randomToken("ak_"), auth.APIKey) })
	}
	require.Eventually(t, func() bool { return f.calls.Load() == 2 }, 5*time.Second, time.Millisecond)
	ak := f.apiKey(randomToken("ak_"), "user_1x")
	start := time.Now()
	_, err := v.VerifyToken(context.Background(), ak, auth.APIKey)
	require.ErrorIs(t, err, auth.ErrVerificationBusy)
	assert.Equal(t, "machine-verification-busy", auth.Reason(err))
	assert.True(t, auth.Unavailable(err))
	assert.Less(t, time.Since(start), time.Second, "fails fast")
	close(f.block)
	wg.Wait()
	_, err = v.VerifyToken(context.Background(), ak, auth.APIKey)
	require.NoError(t, err, "busy is not remembered")

	// Rate: the clock is frozen, so the bucket does not refill.
	f2 := newFakeBAPI(t, iss)
	cfg = f2.config()
	cfg.MachineVerificationsPerSecond = 3
	v = newVerifier(t, cfg)
	for range 3 {
		_, err := v.VerifyToken(context.Background(), randomToken("ak_"), auth.APIKey)
		require.ErrorIs(t, err, auth.ErrTokenInvalid)
	}
	ak = f2.apiKey(randomToken("ak_"), "user_1x")
	_, err = v.VerifyToken(context.Background(), ak, auth.APIKey)
	require.ErrorIs(t, err, auth.ErrVerificationBusy)
	iss.Clock().Advance(time.Second / 2)
	_, err = v.VerifyToken(context.Background(), ak, auth.APIKey)
	require.NoError(t, err)
	assert.Equal(t, int64(4), f2.calls.Load())
}

// TestVerifyTokenOpaqueFloodNotAccepted: 10 000 random API keys while API
// keys are not accepted make no call at all.
func TestVerifyTokenOpaqueFloodNotAccepted(t *testing.T) {
	iss := newIssuer(t)
	f := newFakeBAPI(t, iss)
	v := newVerifier(t, f.config())
	for range 10_000 {
		_, err := v.VerifyToken(context.Background(), randomToken("ak_"), auth.SessionToken, auth.M2MToken, auth.OAuthToken)
		require.ErrorIs(t, err, auth.ErrTokenType)
	}
	assert.Zero(t, f.calls.Load())
	assert.Zero(t, v.MachineVerifications())
}

// TestVerifyTokenOpaqueFloodAccepted: 10 000 random API keys while API keys
// are accepted make a bounded number of calls, do not evict a valid key
// already verified, and leave session verification unaffected.
func TestVerifyTokenOpaqueFloodAccepted(t *testing.T) {
	iss := newIssuer(t)
	f := newFakeBAPI(t, iss)
	f.delay = 5 * time.Millisecond
	cfg := f.config()
	cfg.MachineCacheSize = 1000
	v := newVerifier(t, cfg)
	good := f.apiKey(randomToken("ak_"), "user_1x")
	_, err := v.VerifyToken(context.Background(), good, auth.APIKey)
	require.NoError(t, err)
	var wg sync.WaitGroup
	var busy, invalid atomic.Int64
	for w := range 50 {
		wg.Go(func() {
			for range 200 {
				_, err := v.VerifyToken(context.Background(), randomToken("ak_"), auth.APIKey)
				switch {
				case errors.Is(err, auth.ErrVerificationBusy):
					busy.Add(1)
				case errors.Is(err, auth.ErrTokenInvalid):
					invalid.Add(1)
				default:
					t.Errorf("worker %d: %v", w, err)
				}
			}
		})
	}
	wg.Wait()
	// The clock is frozen: the bucket (20) never refills.
	assert.LessOrEqual(t, f.calls.Load(), int64(1+auth.DefaultMachineVerificationsPerSecond))
	assert.Equal(t, int64(10_000), busy.Load()+invalid.Load())
	before := f.calls.Load()
	_, err = v.VerifyToken(context.Background(), good, auth.APIKey)
	require.NoError(t, err, "the valid key is still cached")
	assert.Equal(t, before, f.calls.Load())
}

// recordingStore wraps a MachineCache, records keys and values, and can
// fail or stall.
type recordingStore struct {
	auth.MachineCache
	mu     sync.Mutex
	keys   []string
	values [][]byte
	fail   error
	stall  bool
	gets   atomic.Int64
}

func (s *recordingStore) before(ctx context.Context, key string) error {
	s.mu.Lock()
	s.keys = append(s.keys, key)
	fail, stall := s.fail, s.stall
	s.mu.Unlock()
	if stall {
		<-ctx.Done()
		return ctx.Err()
	}
	return fail
}

func (s *recordingStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	s.gets.Add(1)
	if err := s.before(ctx, key); err != nil {
		return nil, false, err
	}
	return s.MachineCache.Get(ctx, key)
}

func (s *recordingStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := s.before(ctx, key); err != nil {
		return err
	}
	s.mu.Lock()
	s.values = append(s.values, value)
	s.mu.Unlock()
	return s.MachineCache.Set(ctx, key, value, ttl)
}

func (s *recordingStore) Lease(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	if err := s.before(ctx, key); err != nil {
		return false, err
	}
	return s.MachineCache.Lease(ctx, key, owner, ttl)
}

// TestVerifyTokenSharedCache: two Verifiers sharing a MachineCache make
// one Backend API call per token per TTL, for valid and invalid tokens,
// sequentially and concurrently; keys and values never hold the token.
func TestVerifyTokenSharedCache(t *testing.T) {
	iss := newIssuer(t)
	f := newFakeBAPI(t, iss)
	store := &recordingStore{MachineCache: auth.NewMemoryMachineCache(0, iss.Clock().Now)}
	cfg := f.config()
	cfg.MachineCache = store
	a, b := newVerifier(t, cfg), newVerifier(t, cfg)
	ak := f.apiKey(randomToken("ak_"), "user_1x", "read")
	pa, err := a.VerifyToken(context.Background(), ak, auth.APIKey)
	require.NoError(t, err)
	pb, err := b.VerifyToken(context.Background(), ak, auth.APIKey)
	require.NoError(t, err)
	assert.Equal(t, pa.Machine, pb.Machine, "the shared entry decodes to the same machine")
	assert.Equal(t, int64(1), f.calls.Load())
	assert.Equal(t, int64(1), a.MachineVerifications()+b.MachineVerifications())

	unknown := randomToken("ak_")
	_, err = a.VerifyToken(context.Background(), unknown, auth.APIKey)
	require.ErrorIs(t, err, auth.ErrTokenInvalid)
	_, err = b.VerifyToken(context.Background(), unknown, auth.APIKey)
	require.ErrorIs(t, err, auth.ErrTokenInvalid)
	assert.Equal(t, int64(2), f.calls.Load())

	// Concurrently, a slow Backend API: still one call for both.
	f.mu.Lock()
	f.delay = 100 * time.Millisecond
	f.mu.Unlock()
	mt := f.m2m(randomToken("mt_"), "mch_1x", time.Time{})
	var wg sync.WaitGroup
	for _, v := range []*auth.Verifier{a, b, a, b} {
		wg.Go(func() {
			_, err := v.VerifyToken(context.Background(), mt, auth.M2MToken)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, int64(3), f.calls.Load())

	store.mu.Lock()
	defer store.mu.Unlock()
	for _, k := range store.keys {
		for _, tok := range []string{ak, unknown, mt} {
			assert.NotContains(t, k, tok)
			assert.NotContains(t, k, tok[3:])
		}
	}
	for _, val := range store.values {
		for _, tok := range []string{ak, unknown, mt} {
			assert.NotContains(t, string(val), tok[3:])
		}
	}
}

// TestVerifyTokenSharedCacheNamespaced: verifiers of two instances sharing
// one store never see each other's entries.
func TestVerifyTokenSharedCacheNamespaced(t *testing.T) {
	iss := newIssuer(t)
	other := newIssuer(t)
	f := newFakeBAPI(t, iss)
	fo := newFakeBAPI(t, other)
	store := auth.NewMemoryMachineCache(0, iss.Clock().Now)
	cfg := f.config()
	cfg.MachineCache = store
	cfgo := fo.config()
	cfgo.MachineCache = store
	ak := f.apiKey(randomToken("ak_"), "user_1x")
	_, err := newVerifier(t, cfg).VerifyToken(context.Background(), ak, auth.APIKey)
	require.NoError(t, err)
	_, err = newVerifier(t, cfgo).VerifyToken(context.Background(), ak, auth.APIKey)
	require.ErrorIs(t, err, auth.ErrTokenInvalid, "instance B's verifier asks B's Backend API")
	assert.Equal(t, int64(1), fo.calls.Load())
}

// TestVerifyTokenSharedCacheFailures: a failing, stalling or corrupt store
// is bypassed: the token is verified directly, and never accepted because
// of the store.
func TestVerifyTokenSharedCacheFailures(t *testing.T) {
	iss := newIssuer(t)
	f := newFakeBAPI(t, iss)
	ak := f.apiKey(randomToken("ak_"), "user_1x")
	for _, mode := range []string{"error", "stall"} {
		t.Run(mode, func(t *testing.T) {
			store := &recordingStore{MachineCache: auth.NewMemoryMachineCache(0, iss.Clock().Now)}
			if mode == "error" {
				store.fail = errors.New("connection refused")
			} else {
				store.stall = true
			}
			cfg := f.config()
			cfg.MachineCache = store
			cfg.MachineCacheTimeout = 20 * time.Millisecond
			v := newVerifier(t, cfg)
			before := f.calls.Load()
			_, err := v.VerifyToken(context.Background(), ak, auth.APIKey)
			require.NoError(t, err)
			_, err = v.VerifyToken(context.Background(), randomToken("ak_"), auth.APIKey)
			require.ErrorIs(t, err, auth.ErrTokenInvalid)
			assert.Equal(t, int64(2), f.calls.Load()-before)
			assert.Positive(t, store.gets.Load())
		})
	}
	t.Run("corrupt", func(t *testing.T) {
		mem := auth.NewMemoryMachineCache(0, iss.Clock().Now)
		cfg := f.config()
		cfg.MachineCache = mem
		v := newVerifier(t, cfg)
		// Learn the key of a token through a recording store, then
		// overwrite its value with values that must not be trusted.
		rec := &recordingStore{MachineCache: mem}
		cfg.MachineCache = rec
		probe := newVerifier(t, cfg)
		tok := randomToken("ak_")
		_, err := probe.VerifyToken(context.Background(), tok, auth.APIKey)
		require.ErrorIs(t, err, auth.ErrTokenInvalid)
		key := rec.keys[0]
		for _, val := range []string{
			`garbage`,
			`{"v":2,"valid":true,"until":99999999999999,"kind":"api_key","id":"ak_1","subject":"user_evil"}`,
			`{"v":1,"valid":true,"until":99999999999999,"kind":"m2m_token","id":"mt_1","subject":"mch_evil"}`,
			`{"v":1,"valid":true,"until":99999999999999,"kind":"api_key","id":"","subject":"user_evil"}`,
			`{"v":1,"valid":false,"until":99999999999999,"kind":"api_key","reason":"what"}`,
		} {
			require.NoError(t, mem.Set(context.Background(), key, []byte(val), time.Minute))
			before := f.calls.Load()
			_, err := newVerifier(t, cfg).VerifyToken(context.Background(), tok, auth.APIKey)
			require.ErrorIs(t, err, auth.ErrTokenInvalid, val)
			assert.Equal(t, before+1, f.calls.Load(), "verified directly: %s", val)
		}
		_ = v
	})
}

// TestVerifyTokenSharedCacheWinnerGivesUp: when the Verifier holding the
// lease cannot verify (its bound is reached), it releases the lease and
// another takes over at once instead of waiting for the lease to expire.
func TestVerifyTokenSharedCacheWinnerGivesUp(t *testing.T) {
	iss := newIssuer(t)
	f := newFakeBAPI(t, iss)
	store := auth.NewMemoryMachineCache(0, iss.Clock().Now)
	cfg := f.config()
	cfg.MachineCache = store
	cfg.MachineVerificationsPerSecond = 1
	a, b := newVerifier(t, cfg), newVerifier(t, cfg)
	_, err := a.VerifyToken(context.Background(), randomToken("ak_"), auth.APIKey) // uses a's only token
	require.ErrorIs(t, err, auth.ErrTokenInvalid)
	ak := f.apiKey(randomToken("ak_"), "user_1x")
	_, err = a.VerifyToken(context.Background(), ak, auth.APIKey)
	require.ErrorIs(t, err, auth.ErrVerificationBusy)
	start := time.Now()
	_, err = b.VerifyToken(context.Background(), ak, auth.APIKey)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), time.Second)
	_, err = a.VerifyToken(context.Background(), ak, auth.APIKey)
	require.NoError(t, err, "a reads b's result from the store")
	assert.Equal(t, int64(2), f.calls.Load())
}

func TestMachineConfigValidation(t *testing.T) {
	iss := newIssuer(t)
	for _, edit := range []func(*auth.Config){
		func(c *auth.Config) { c.MachineCacheTTL = -1 },
		func(c *auth.Config) { c.MachineNegativeTTL = -1 },
		func(c *auth.Config) { c.MachineCacheTimeout = -1 },
		func(c *auth.Config) { c.MachineCacheSize = -1 },
		func(c *auth.Config) { c.MaxMachineVerifications = -1 },
		func(c *auth.Config) { c.MachineVerificationsPerSecond = -1 },
		func(c *auth.Config) { c.OAuthAudience = []string{""} },
	} {
		cfg := iss.AuthConfig()
		edit(&cfg)
		_, err := auth.NewVerifier(cfg)
		require.Error(t, err)
	}
}
