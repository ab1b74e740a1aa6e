package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

const (
	emuUser     = "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
	emuOrg      = "org_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
	emuCaller   = "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
	emuCallee   = "mch_2yGkLpQ7Y3rXSwtU24CzTk9I7Em"
	emuMachKey  = "ak_caller_machine_secret_0123456789abcdef"
	emuUserKey  = "ak_user_api_key_secret_0123456789abcdef"
	emuOrgKey   = "ak_org_api_key_secret_0123456789abcdef"
	emuTokenTTL = 3600
)

func newEmulator(t *testing.T) *emulator.Server {
	srv := emulator.NewServer(t, emulator.Options{Clock: clerktest.NewClock(t0)})
	require.NoError(t, srv.Seed(emulator.SeedData{
		Users:         []emulator.SeedUser{{ID: emuUser, EmailAddresses: []string{"ada@example.com"}}},
		Organizations: []emulator.SeedOrganization{{ID: emuOrg, Name: "Acme", Slug: "acme"}},
		Machines: []emulator.SeedMachine{
			{ID: emuCallee, Name: "billing"},
			{ID: emuCaller, Name: "cron", SecretKey: emuMachKey, DefaultTokenTTL: emuTokenTTL, ScopedMachines: []string{emuCallee}},
		},
		APIKeys: []emulator.SeedAPIKey{
			{Name: "user key", Subject: emuUser, Secret: emuUserKey, Scopes: []string{"projects:read"}, Claims: json.RawMessage(`{"tier":"gold"}`)},
			{Name: "org key", Subject: emuOrg, Secret: emuOrgKey, Scopes: []string{"projects:write"}},
		},
	}))
	return srv
}

// createM2M mints an M2M token with the caller machine's secret key.
func createM2M(t *testing.T, srv *emulator.Server, format string) string {
	body, _ := json.Marshal(map[string]any{"token_format": format})
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/m2m_tokens", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+emuMachKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Contains(t, []int{http.StatusOK, http.StatusCreated}, resp.StatusCode)
	var out struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.NotEmpty(t, out.Token)
	return out.Token
}

func revoke(t *testing.T, srv *emulator.Server, path string) {
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/v1"+path, strings.NewReader(`{}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.SecretKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, path)
}

// TestVerifyTokenEmulator verifies every kind of machine token the
// emulator mints, opaque and JWT, and the revocation delay.
func TestVerifyTokenEmulator(t *testing.T) {
	srv := newEmulator(t)
	v := newVerifier(t, srv.AuthConfig())
	ctx := context.Background()

	p, err := v.VerifyToken(ctx, emuUserKey, auth.APIKey)
	require.NoError(t, err)
	assert.Equal(t, emuUser, p.Machine.UserID())
	assert.Equal(t, "user key", p.Machine.Name)
	assert.Equal(t, []string{"projects:read"}, p.Machine.Scopes)
	assert.Equal(t, map[string]any{"tier": "gold"}, p.Machine.Claims)
	assert.True(t, strings.HasPrefix(p.Machine.ID, "ak_"))
	assert.NotEqual(t, emuUserKey, p.Machine.ID)
	p, err = v.VerifyToken(ctx, emuOrgKey, auth.APIKey)
	require.NoError(t, err)
	assert.Equal(t, emuOrg, p.Machine.OrgID())
	_, err = v.VerifyToken(ctx, "ak_unknown_0123456789", auth.APIKey)
	require.ErrorIs(t, err, auth.ErrTokenInvalid)
	assert.Equal(t, int64(3), srv.Calls("POST /v1/api_keys/verify"))

	mt := createM2M(t, srv, "opaque")
	p, err = v.VerifyToken(ctx, mt, auth.M2MToken)
	require.NoError(t, err)
	assert.Equal(t, emuCaller, p.Machine.MachineID())
	assert.Equal(t, []string{emuCallee}, p.Machine.Scopes)
	assert.True(t, p.Machine.HasScope(emuCallee))
	assert.True(t, t0.Add(emuTokenTTL*time.Second).Equal(p.Machine.ExpiresAt))
	assert.Equal(t, int64(1), srv.Calls("POST /v1/m2m_tokens/verify"))

	jwt := createM2M(t, srv, "jwt")
	p, err = v.VerifyToken(ctx, jwt, auth.M2MToken)
	require.NoError(t, err)
	assert.True(t, p.Machine.JWT)
	assert.Equal(t, emuCaller, p.Machine.Subject)
	assert.Equal(t, []string{emuCallee}, p.Machine.Scopes)
	assert.Equal(t, int64(1), srv.Calls("POST /v1/m2m_tokens/verify"), "the JWT is verified networkless")
	_, err = v.Verify(ctx, jwt)
	require.ErrorIs(t, err, auth.ErrTokenType)

	oat, err := srv.CreateOAuthAccessToken(emulator.OAuthAccessTokenOptions{UserID: emuUser, ClientID: "client_1", Scopes: []string{"email"}})
	require.NoError(t, err)
	p, err = v.VerifyToken(ctx, oat.Token, auth.OAuthToken)
	require.NoError(t, err)
	assert.Equal(t, emuUser, p.Machine.UserID())
	assert.Equal(t, "client_1", p.Machine.ClientID)
	assert.Equal(t, []string{"email"}, p.Machine.Scopes)
	oj, err := srv.CreateOAuthAccessToken(emulator.OAuthAccessTokenOptions{UserID: emuUser, Scopes: []string{"email", "profile"}, JWT: true, Audience: []string{"https://api.example.com"}})
	require.NoError(t, err)
	p, err = v.VerifyToken(ctx, oj.Token, auth.OAuthToken)
	require.NoError(t, err)
	assert.Equal(t, []string{"email", "profile"}, p.Machine.Scopes)
	assert.Equal(t, []string{"https://api.example.com"}, p.Machine.Audience)
	assert.Equal(t, int64(1), srv.Calls("POST /v1/oauth_applications/access_tokens/verify"))

	// Audience, opaque and JWT.
	cfg := srv.AuthConfig()
	cfg.OAuthAudience = []string{"https://other.example.com"}
	va := newVerifier(t, cfg)
	_, err = va.VerifyToken(ctx, oj.Token, auth.OAuthToken)
	require.ErrorIs(t, err, auth.ErrInvalidAudience)
	_, err = va.VerifyToken(ctx, oat.Token, auth.OAuthToken)
	require.ErrorIs(t, err, auth.ErrInvalidAudience, "an opaque token without aud fails a configured audience")

	// Revocation takes effect once the cached verification ends.
	revoke(t, srv, "/m2m_tokens/"+p0ID(t, v, mt)+"/revoke")
	require.NoError(t, srv.RevokeOAuthAccessToken(oat.ID, "test"))
	for _, tok := range []string{mt, oat.Token} {
		_, err = v.VerifyToken(ctx, tok, auth.AnyToken)
		require.NoError(t, err, "still cached")
	}
	srv.Clock().Advance(auth.DefaultMachineCacheTTL)
	for _, tok := range []string{mt, oat.Token} {
		_, err = v.VerifyToken(ctx, tok, auth.AnyToken)
		require.ErrorIs(t, err, auth.ErrTokenInvalid)
	}

	// Expiry: the opaque M2M token after its TTL, the JWT networkless.
	mt2 := createM2M(t, srv, "opaque")
	_, err = v.VerifyToken(ctx, mt2, auth.M2MToken)
	require.NoError(t, err)
	srv.Clock().Advance(emuTokenTTL*time.Second + auth.DefaultClockSkew)
	_, err = v.VerifyToken(ctx, mt2, auth.M2MToken)
	require.Error(t, err)
	assert.Contains(t, []string{"token-invalid", "token-expired"}, auth.Reason(err))
	_, err = v.VerifyToken(ctx, jwt, auth.M2MToken)
	require.ErrorIs(t, err, auth.ErrExpired)
}

// p0ID returns the id of a verified opaque token.
func p0ID(t *testing.T, v *auth.Verifier, tok string) string {
	p, err := v.VerifyToken(context.Background(), tok, auth.AnyToken)
	require.NoError(t, err)
	return p.Machine.ID
}

// TestVerifyTokenEmulatorReplicas: two replicas sharing a MachineCache and
// 1 000 concurrent requests over both with one new API key make one
// Backend API call.
func TestVerifyTokenEmulatorReplicas(t *testing.T) {
	srv := newEmulator(t)
	cfg := srv.AuthConfig()
	cfg.MachineCache = auth.NewMemoryMachineCache(0, srv.Clock().Now)
	a, b := newVerifier(t, cfg), newVerifier(t, cfg)
	var wg sync.WaitGroup
	for i := range 1000 {
		v := a
		if i%2 == 1 {
			v = b
		}
		wg.Go(func() {
			_, err := v.VerifyToken(context.Background(), emuOrgKey, auth.APIKey)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, int64(1), srv.Calls("POST /v1/api_keys/verify"))
}
