package auth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

const reportsAud = "https://reports.example.com"

// templateFixture is an emulator with JWT templates, a session, and a
// verifier for the "reports" template.
type templateFixture struct {
	srv     *emulator.Server
	v       *auth.Verifier
	tv      *auth.TemplateVerifier
	session string // a session token of sid
	sid     string
}

func newTemplateFixture(t *testing.T) templateFixture {
	t.Helper()
	srv := emulator.NewServer(t, emulator.Options{Clock: clerktest.NewClock(t0)})
	require.NoError(t, srv.Seed(emulator.SeedData{
		Users: []emulator.SeedUser{{ID: emuUser, EmailAddresses: []string{"ada@example.com"}}},
		JWTTemplates: []emulator.SeedJWTTemplate{
			{Name: "reports", Lifetime: 120, Claims: json.RawMessage(`{"aud":"` + reportsAud + `","email":"{{user.primary_email_address}}"}`)},
			{Name: "other", Claims: json.RawMessage(`{"aud":["https://other.example.com"],"email":"{{user.primary_email_address}}"}`)},
			{Name: "plain", Claims: json.RawMessage(`{"email":"{{user.primary_email_address}}"}`)},
		},
	}))
	v, err := auth.NewVerifier(srv.AuthConfig())
	require.NoError(t, err)
	tv, err := auth.NewTemplateVerifier(v, auth.TemplateOptions{Name: "reports", Audience: []string{reportsAud},
		Lifetime: 120 * time.Second, RequiredClaims: []string{"email"}})
	require.NoError(t, err)
	tok, err := srv.SessionToken(emuUser, "")
	require.NoError(t, err)
	s, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	return templateFixture{srv: srv, v: v, tv: tv, session: tok, sid: s.SessionID}
}

// mint asks the Backend API for a token of template name.
func (f templateFixture) mint(t *testing.T, name string, expiresIn int) string {
	t.Helper()
	body := []byte(`{}`)
	if expiresIn > 0 {
		body, _ = json.Marshal(map[string]int{"expires_in_seconds": expiresIn})
	}
	req, err := http.NewRequest(http.MethodPost, f.srv.URL()+"/v1/sessions/"+f.sid+"/tokens/"+name, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+f.srv.SecretKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out struct{ JWT string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out.JWT
}

// forge signs header and claims with the instance's key.
func (f templateFixture) forge(header, claims map[string]any) string {
	h := map[string]any{"alg": "RS256", "kid": f.srv.Issuer().KeyID(), "typ": "JWT", "cat": "cl_B7d4PD222AAA"}
	for k, v := range header {
		if v == nil {
			delete(h, k)
		} else {
			h[k] = v
		}
	}
	now := f.srv.Clock().Now().Unix()
	c := map[string]any{"iss": f.srv.Issuer().IssuerURL(), "sub": emuUser, "sid": f.sid, "iat": now, "nbf": now - 5,
		"exp": now + 60, "aud": reportsAud, "email": "ada@example.com"}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	hb, _ := json.Marshal(h)
	cb, _ := json.Marshal(c)
	return f.srv.Issuer().SignRaw(hb, cb)
}

func TestTemplateVerify(t *testing.T) {
	f := newTemplateFixture(t)
	ctx := context.Background()
	tok := f.mint(t, "reports", 0)
	tt, err := f.tv.Verify(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, "reports", tt.Template)
	assert.Equal(t, emuUser, tt.UserID)
	assert.Equal(t, f.sid, tt.SessionID)
	assert.Equal(t, f.srv.Issuer().IssuerURL(), tt.Issuer)
	assert.Equal(t, []string{reportsAud}, tt.Audience)
	assert.NotEmpty(t, tt.ID)
	assert.Equal(t, 120*time.Second, tt.ExpiresAt.Sub(tt.IssuedAt))
	email, err := auth.TemplateClaim[string](tt, "email")
	require.NoError(t, err)
	assert.Equal(t, "ada@example.com", email)
	_, err = auth.TemplateClaim[string](tt, "nope")
	require.ErrorIs(t, err, auth.ErrClaimNotFound)
	var all struct{ Email string }
	require.NoError(t, tt.DecodeClaims(&all))
	assert.Equal(t, "ada@example.com", all.Email)
	assert.Contains(t, string(tt.RawClaims()), `"email"`)

	// A shorter expires_in_seconds passes; ctx round trip.
	_, err = f.tv.Verify(ctx, f.mint(t, "reports", 60))
	require.NoError(t, err)
	got, ok := auth.TemplateTokenFromContext(auth.WithTemplateToken(ctx, tt))
	assert.True(t, ok)
	assert.Same(t, tt, got)
	_, ok = auth.FromContext(auth.WithTemplateToken(ctx, tt))
	assert.False(t, ok, "a template token is not a session")
	_, ok = auth.TemplateTokenFromContext(ctx)
	assert.False(t, ok)
}

// Template tokens are never session tokens, and the other way round.
func TestTemplateAndSessionTokensDoNotMix(t *testing.T) {
	f := newTemplateFixture(t)
	ctx := context.Background()
	for _, name := range []string{"reports", "other", "plain"} {
		tok := f.mint(t, name, 0)
		_, err := f.v.Verify(ctx, tok)
		require.ErrorIs(t, err, auth.ErrTokenType, name)
		p, err := f.v.VerifyToken(ctx, tok, auth.SessionToken, auth.M2MToken, auth.OAuthToken)
		require.ErrorIs(t, err, auth.ErrTokenType, name)
		assert.Nil(t, p)
	}
	c, err := auth.NewSessionChecker(f.v, auth.SessionCheckOptions{})
	require.NoError(t, err)
	_, err = c.Verify(ctx, f.mint(t, "reports", 0))
	require.ErrorIs(t, err, auth.ErrTokenType)

	_, err = f.tv.Verify(ctx, f.session)
	require.ErrorIs(t, err, auth.ErrTokenType, "a session token (cat session)")
	assert.Contains(t, err.Error(), "session token")
	// Even a session token carrying the template's claims, without cat or
	// with the category some instances stamp on every token.
	for _, cat := range []any{nil, "cl_B7d4PD111AAA", "cl_I7d4PD111III"} {
		h := map[string]any{"cat": cat}
		if cat == nil {
			h = map[string]any{"cat": nil}
		}
		_, err = f.tv.Verify(ctx, f.forge(h, nil))
		require.ErrorIs(t, err, auth.ErrTokenType, "cat %v", cat)
	}
}

// Every rejection path of TemplateVerifier.Verify.
func TestTemplateRejections(t *testing.T) {
	f := newTemplateFixture(t)
	ctx := context.Background()
	now := f.srv.Clock().Now().Unix()
	b64 := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	good := f.forge(nil, nil)
	parts := strings.Split(good, ".")
	for name, tc := range map[string]struct {
		token string
		want  error
	}{
		"empty":                {"", auth.ErrNoToken},
		"too large":            {strings.Repeat("a", auth.DefaultMaxTokenSize+1), auth.ErrTokenTooLarge},
		"API key":              {"ak_caller_machine_secret_0123456789abcdef", auth.ErrTokenType},
		"not a JWT":            {"abc", auth.ErrMalformed},
		"alg none":             {clerktest.Unsigned([]byte(`{"alg":"none","typ":"JWT","cat":"cl_B7d4PD222AAA"}`), []byte(`{"sub":"`+emuUser+`"}`)), auth.ErrMalformed},
		"alg none, signed":     {clerktest.Unsigned([]byte(`{"alg":"none","typ":"JWT","cat":"cl_B7d4PD222AAA"}`), []byte(`{"sub":"`+emuUser+`"}`)) + "c2ln", auth.ErrAlgorithm},
		"HS256":                {clerktest.SignHS256([]byte("secret"), []byte(`{"alg":"HS256","typ":"JWT","cat":"cl_B7d4PD222AAA"}`), []byte(`{"sub":"`+emuUser+`"}`)), auth.ErrAlgorithm},
		"typ not JWT":          {f.forge(map[string]any{"typ": "at+jwt"}, nil), auth.ErrTokenType},
		"machine category":     {f.forge(map[string]any{"cat": "cl_B7d4PD333AAA"}, nil), auth.ErrTokenType},
		"unknown category":     {f.forge(map[string]any{"cat": "cl_X"}, nil), auth.ErrTokenType},
		"unknown kid":          {f.forge(map[string]any{"kid": "ins_nope"}, nil), auth.ErrUnknownKey},
		"tampered claims":      {parts[0] + "." + b64(map[string]any{"sub": "user_evil", "exp": now + 60}) + "." + parts[2], auth.ErrSignature},
		"no sub":               {f.forge(nil, map[string]any{"sub": nil}), auth.ErrMalformed},
		"machine sub":          {f.forge(nil, map[string]any{"sub": "mch_1"}), auth.ErrTokenType},
		"no exp":               {f.forge(nil, map[string]any{"exp": nil}), auth.ErrMalformed},
		"expired":              {f.forge(nil, map[string]any{"exp": now - 10}), auth.ErrExpired},
		"not yet valid":        {f.forge(nil, map[string]any{"nbf": now + 60}), auth.ErrNotYetValid},
		"issued in the future": {f.forge(nil, map[string]any{"iat": now + 60, "exp": now + 120}), auth.ErrIssuedInFuture},
		"wrong issuer":         {f.forge(nil, map[string]any{"iss": "https://clerk.attacker.example"}), auth.ErrInvalidIssuer},
		"issuer prefix":        {f.forge(nil, map[string]any{"iss": f.srv.Issuer().IssuerURL() + ".attacker.example"}), auth.ErrInvalidIssuer},
		"no aud":               {f.forge(nil, map[string]any{"aud": nil}), auth.ErrInvalidAudience},
		"empty aud list":       {f.forge(nil, map[string]any{"aud": []string{}}), auth.ErrInvalidAudience},
		"wrong aud":            {f.forge(nil, map[string]any{"aud": "https://other.example.com"}), auth.ErrInvalidAudience},
		"aud not a string":     {f.forge(nil, map[string]any{"aud": 7}), auth.ErrMalformed},
		"too long lived":       {f.forge(nil, map[string]any{"exp": now + 121}), auth.ErrTemplateMismatch},
		"no iat":               {f.forge(nil, map[string]any{"iat": nil}), auth.ErrTemplateMismatch},
		"missing claim":        {f.forge(nil, map[string]any{"email": nil}), auth.ErrTemplateMismatch},
		"case-folded claim":    {f.forge(nil, map[string]any{"email": nil, "EMAIL": "x"}), auth.ErrTemplateMismatch},
		"duplicate fold names": {f.forge(nil, map[string]any{"Sub": "user_evil"}), auth.ErrMalformed},
		"another template":     {f.mint(t, "other", 0), auth.ErrInvalidAudience},
		"a template sans aud":  {f.mint(t, "plain", 0), auth.ErrInvalidAudience},
		"a longer token":       {f.mint(t, "reports", 600), auth.ErrTemplateMismatch},
	} {
		t.Run(name, func(t *testing.T) {
			tt, err := f.tv.Verify(ctx, tc.token)
			require.ErrorIs(t, err, tc.want)
			assert.Nil(t, tt)
			if tc.token != "" && len(tc.token) > 20 {
				assert.NotContains(t, err.Error(), tc.token)
			}
		})
	}

	// The real token expires with the template's lifetime.
	tok := f.mint(t, "reports", 0)
	f.srv.Clock().Advance(120*time.Second + auth.DefaultClockSkew)
	_, err := f.tv.Verify(ctx, tok)
	require.ErrorIs(t, err, auth.ErrExpired)
}

// A verifier without an Audience refuses tokens that name one; one with
// AuthorizedParties requires azp.
func TestTemplateOptions(t *testing.T) {
	f := newTemplateFixture(t)
	ctx := context.Background()
	plain, err := auth.NewTemplateVerifier(f.v, auth.TemplateOptions{Name: "plain"})
	require.NoError(t, err)
	_, err = plain.Verify(ctx, f.mint(t, "plain", 0))
	require.NoError(t, err)
	_, err = plain.Verify(ctx, f.mint(t, "reports", 0))
	require.ErrorIs(t, err, auth.ErrInvalidAudience)

	multi, err := auth.NewTemplateVerifier(f.v, auth.TemplateOptions{Audience: []string{"https://a.example", "https://other.example.com"}})
	require.NoError(t, err)
	_, err = multi.Verify(ctx, f.mint(t, "other", 0))
	require.NoError(t, err, "one of a list")

	parties, err := auth.NewTemplateVerifier(f.v, auth.TemplateOptions{Audience: []string{reportsAud}, AuthorizedParties: []string{"https://app.example.com"}})
	require.NoError(t, err)
	_, err = parties.Verify(ctx, f.forge(nil, nil))
	require.ErrorIs(t, err, auth.ErrUnauthorizedParty)
	_, err = parties.Verify(ctx, f.forge(nil, map[string]any{"azp": "https://evil.example.com"}))
	require.ErrorIs(t, err, auth.ErrUnauthorizedParty)
	_, err = parties.Verify(ctx, f.forge(nil, map[string]any{"azp": "https://app.example.com"}))
	require.NoError(t, err)

	// A template with a custom signing key (HS256) is not supported.
	body := `{"name":"hs","claims":{"aud":"` + reportsAud + `"},"custom_signing_key":true,"signing_algorithm":"HS256","signing_key":"0123456789abcdef0123456789abcdef"}`
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL()+"/v1/jwt_templates", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.srv.SecretKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.srv.HTTPClient().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = f.tv.Verify(ctx, f.mint(t, "hs", 0))
	require.ErrorIs(t, err, auth.ErrAlgorithm)

	for _, o := range []auth.TemplateOptions{{Lifetime: -1}, {Audience: []string{""}}, {RequiredClaims: []string{""}}, {AuthorizedParties: []string{""}}} {
		_, err := auth.NewTemplateVerifier(f.v, o)
		require.ErrorIs(t, err, clerkerr.ErrInvalidConfig, "%+v", o)
	}
	_, err = auth.NewTemplateVerifier(nil, auth.TemplateOptions{})
	require.ErrorIs(t, err, clerkerr.ErrInvalidConfig)
}

// The keys being unavailable is a server-side failure.
func TestTemplateKeysUnavailable(t *testing.T) {
	f := newTemplateFixture(t)
	tok := f.mint(t, "reports", 0)
	cfg := f.srv.AuthConfig()
	cfg.APIURL = "http://127.0.0.1:1"
	v, err := auth.NewVerifier(cfg)
	require.NoError(t, err)
	tv, err := auth.NewTemplateVerifier(v, auth.TemplateOptions{Audience: []string{reportsAud}})
	require.NoError(t, err)
	_, err = tv.Verify(context.Background(), tok)
	require.ErrorIs(t, err, auth.ErrKeysUnavailable)
	assert.True(t, auth.Unavailable(err))
}
