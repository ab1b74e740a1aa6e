package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
)

func TestVerifyTokenM2MJWT(t *testing.T) {
	iss := newIssuer(t)
	f := newFakeBAPI(t, iss)
	v := newVerifier(t, f.config())
	tok := machineJWT(iss, auth.M2MToken, nil, map[string]any{"meta": map[string]any{"a": 1}})

	p, err := v.VerifyToken(context.Background(), tok, auth.M2MToken)
	require.NoError(t, err)
	assert.Equal(t, auth.M2MToken, p.Kind)
	require.NotNil(t, p.Machine)
	assert.Nil(t, p.Session)
	m := p.Machine
	assert.Equal(t, auth.M2MToken, m.Kind)
	assert.Equal(t, "mt_"+strings.Repeat("d", 32), m.ID)
	assert.Equal(t, "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk", m.Subject)
	assert.Equal(t, m.Subject, m.MachineID())
	assert.Empty(t, m.UserID())
	assert.Equal(t, []string{"mch_a", "mch_b"}, m.Scopes)
	assert.True(t, m.HasScope("mch_a"))
	assert.False(t, m.HasScope("mch_c"))
	assert.False(t, m.HasScope(""))
	assert.Equal(t, map[string]any{"team": "ops", "meta": map[string]any{"a": float64(1)}, "scopes": "mch_a mch_b"}, m.Claims)
	assert.True(t, t0.Add(time.Hour).Equal(m.ExpiresAt))
	assert.True(t, t0.Equal(m.IssuedAt))
	assert.True(t, m.JWT)
	assert.Zero(t, f.calls.Load(), "an M2M JWT is verified networkless")
	assert.Zero(t, v.MachineVerifications())

	// Again: the verified-token cache answers, with the same principal.
	p2, err := v.VerifyToken(context.Background(), tok, auth.AnyToken)
	require.NoError(t, err)
	assert.Same(t, p, p2)

	// Without cat, and with scopes from aud when there is no scopes claim.
	tok = machineJWT(iss, auth.M2MToken, map[string]any{"cat": nil}, map[string]any{"scopes": nil, "aud": []string{"mch_x"}})
	p, err = v.VerifyToken(context.Background(), tok, auth.M2MToken)
	require.NoError(t, err)
	assert.Equal(t, []string{"mch_x"}, p.Machine.Scopes)
	// Without typ.
	tok = machineJWT(iss, auth.M2MToken, map[string]any{"typ": nil}, nil)
	_, err = v.VerifyToken(context.Background(), tok, auth.M2MToken)
	require.NoError(t, err)
}

func TestVerifyTokenOAuthJWT(t *testing.T) {
	iss := newIssuer(t)
	v := newVerifier(t, iss.AuthConfig())
	for _, typ := range []string{"at+jwt", "application/at+jwt", "AT+JWT"} {
		tok := machineJWT(iss, auth.OAuthToken, map[string]any{"typ": typ}, nil)
		p, err := v.VerifyToken(context.Background(), tok, auth.OAuthToken)
		require.NoError(t, err, typ)
		m := p.Machine
		assert.Equal(t, auth.OAuthToken, m.Kind)
		assert.Equal(t, "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk", m.UserID())
		assert.Equal(t, "client_1", m.ClientID)
		assert.Equal(t, []string{"https://api.example.com"}, m.Audience)
		assert.Equal(t, []string{"profile", "email"}, m.Scopes)
	}
	tok := machineJWT(iss, auth.OAuthToken, nil, map[string]any{"scp": nil, "scope": "read write"})
	p, err := v.VerifyToken(context.Background(), tok, auth.OAuthToken)
	require.NoError(t, err)
	assert.Equal(t, []string{"read", "write"}, p.Machine.Scopes)
}

func TestVerifyTokenOAuthAudience(t *testing.T) {
	iss := newIssuer(t)
	cfg := iss.AuthConfig()
	cfg.OAuthAudience = []string{"https://api.example.com", "https://other.example.com"}
	v := newVerifier(t, cfg)
	cases := []struct {
		name string
		aud  any
		ok   bool
	}{
		{"string match", "https://api.example.com", true},
		{"array with a match", []string{"https://x.example.com", "https://other.example.com"}, true},
		{"mismatch", "https://evil.example.com", false},
		{"prefix is not a match", "https://api.example.com.evil", false},
		{"absent", nil, false},
		{"empty string", "", false},
		{"empty array", []string{}, false},
		{"array with an empty entry", []string{"https://api.example.com", ""}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			edit := map[string]any{"aud": tc.aud}
			tok := machineJWT(iss, auth.OAuthToken, nil, edit)
			_, err := v.VerifyToken(context.Background(), tok, auth.OAuthToken)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, auth.ErrInvalidAudience)
			assert.Equal(t, "token-verification-failed", auth.Reason(err))
		})
	}
	// A non-string aud is malformed.
	_, err := v.VerifyToken(context.Background(), machineJWT(iss, auth.OAuthToken, nil, map[string]any{"aud": 5}), auth.OAuthToken)
	require.ErrorIs(t, err, auth.ErrMalformed)
	_, err = newVerifier(t, iss.AuthConfig()).VerifyToken(context.Background(),
		machineJWT(iss, auth.OAuthToken, nil, map[string]any{"aud": nil}), auth.OAuthToken)
	require.NoError(t, err, "without OAuthAudience, aud is not checked")
}

// TestVerifyTokenKindMismatch: a token of a kind that is not accepted is
// refused with token-type-mismatch, before any key fetch or Backend API
// call; and no JWT verifies as another kind than its own.
func TestVerifyTokenKindMismatch(t *testing.T) {
	iss := newIssuer(t)
	f := newFakeBAPI(t, iss)
	session := iss.Token(clerktest.Claims{UserID: "user_1"})
	template := iss.Token(clerktest.Claims{UserID: "user_1", Header: map[string]any{"cat": "cl_B7d4PD222AAA"}})
	m2m := machineJWT(iss, auth.M2MToken, nil, nil)
	m2mNoCat := machineJWT(iss, auth.M2MToken, map[string]any{"cat": nil}, nil)
	oauth := machineJWT(iss, auth.OAuthToken, nil, nil)
	cases := []struct {
		name   string
		token  string
		accept []auth.TokenKind
	}{
		{"session token where only m2m is accepted", session, []auth.TokenKind{auth.M2MToken}},
		{"session token where machine kinds are accepted", session, auth.MachineKinds()},
		{"m2m JWT by default", m2m, nil},
		{"m2m JWT without cat by default", m2mNoCat, nil},
		{"m2m JWT where session and oauth are accepted", m2m, []auth.TokenKind{auth.SessionToken, auth.OAuthToken}},
		{"oauth JWT by default", oauth, nil},
		{"oauth JWT where m2m is accepted", oauth, []auth.TokenKind{auth.M2MToken}},
		{"oauth JWT with a mch_ sub where m2m is accepted", machineJWT(iss, auth.OAuthToken, nil, map[string]any{"sub": "mch_1"}), []auth.TokenKind{auth.M2MToken}},
		{"template token where m2m is accepted", template, []auth.TokenKind{auth.M2MToken}},
		{"session-category token with a mch_ sub by default", iss.Token(clerktest.Claims{UserID: "mch_1"}), nil},
		{"machine-category token with a user sub by default", machineJWT(iss, auth.M2MToken, nil, map[string]any{"sub": "user_1"}), nil},
		{"api key by default", "ak_" + strings.Repeat("1", 40), nil},
		{"api key where m2m and oauth are accepted", "ak_x", []auth.TokenKind{auth.M2MToken, auth.OAuthToken, auth.SessionToken}},
		{"opaque m2m where api keys are accepted", "mt_x", []auth.TokenKind{auth.APIKey}},
		{"opaque oauth by default", "oat_x", nil},
		{"unknown kind", session, []auth.TokenKind{"session"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, f.config())
			_, err := v.VerifyToken(context.Background(), tc.token, tc.accept...)
			require.ErrorIs(t, err, auth.ErrTokenType)
			assert.Equal(t, "token-type-mismatch", auth.Reason(err))
			assert.Zero(t, v.KeyFetches(), "rejected before fetching keys")
			assert.Zero(t, v.MachineVerifications())
			assert.Zero(t, f.calls.Load())
		})
	}

	// The same tokens are refused after the signature when their kind is
	// accepted but their header or subject does not fit it.
	after := []struct {
		name   string
		token  string
		accept []auth.TokenKind
	}{
		{"oauth JWT with cat session", machineJWT(iss, auth.OAuthToken, map[string]any{"cat": "cl_B7d4PD111AAA"}, nil), []auth.TokenKind{auth.AnyToken}},
		{"oauth JWT with cat machine", machineJWT(iss, auth.OAuthToken, map[string]any{"cat": "cl_B7d4PD333AAA"}, nil), []auth.TokenKind{auth.AnyToken}},
		{"oauth JWT with a machine subject", machineJWT(iss, auth.OAuthToken, nil, map[string]any{"sub": "mch_1"}), []auth.TokenKind{auth.OAuthToken}},
		{"template token with any", template, []auth.TokenKind{auth.AnyToken}},
		{"template token with a mch_ sub as m2m", iss.Token(clerktest.Claims{UserID: "mch_1", Header: map[string]any{"cat": "cl_B7d4PD222AAA"}}), []auth.TokenKind{auth.M2MToken}},
		{"session-category token with a mch_ sub as m2m", iss.Token(clerktest.Claims{UserID: "mch_1"}), []auth.TokenKind{auth.M2MToken}},
		{"machine-category token with a user sub as m2m", machineJWT(iss, auth.M2MToken, nil, map[string]any{"sub": "user_1"}), []auth.TokenKind{auth.M2MToken}},
		{"machine-category token with a user sub as any", machineJWT(iss, auth.M2MToken, nil, map[string]any{"sub": "user_1"}), []auth.TokenKind{auth.AnyToken}},
		{"m2m JWT with typ at+jwt as oauth", machineJWT(iss, auth.M2MToken, map[string]any{"typ": "at+jwt"}, nil), []auth.TokenKind{auth.OAuthToken}},
		{"m2m JWT with another typ", machineJWT(iss, auth.M2MToken, map[string]any{"typ": "JOSE"}, nil), []auth.TokenKind{auth.M2MToken}},
	}
	v := newVerifier(t, f.config())
	for _, tc := range after {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.VerifyToken(context.Background(), tc.token, tc.accept...)
			require.ErrorIs(t, err, auth.ErrTokenType)
		})
	}

	// Verify, the session-only call, refuses every machine token.
	for _, tok := range []string{m2m, m2mNoCat, oauth, "ak_1", "mt_1", "oat_1"} {
		_, err := v.Verify(context.Background(), tok)
		require.ErrorIs(t, err, auth.ErrTokenType)
	}
}

// TestVerifyTokenCachedKind: a token in the verified-token cache keeps its
// kind: a cached machine JWT is not a session, a cached session is not a
// machine token, and a kind not accepted is refused on a cache hit too.
func TestVerifyTokenCachedKind(t *testing.T) {
	iss := newIssuer(t)
	v := newVerifier(t, iss.AuthConfig())
	ctx := context.Background()
	m2m := machineJWT(iss, auth.M2MToken, nil, nil)
	session := iss.Token(clerktest.Claims{UserID: "user_1"})
	_, err := v.VerifyToken(ctx, m2m, auth.M2MToken)
	require.NoError(t, err)
	p, err := v.VerifyToken(ctx, session)
	require.NoError(t, err)
	assert.Equal(t, auth.SessionToken, p.Kind)
	assert.Equal(t, "user_1", p.Session.UserID)
	assert.Nil(t, p.Machine)

	_, err = v.VerifyToken(ctx, m2m)
	require.ErrorIs(t, err, auth.ErrTokenType)
	_, err = v.VerifyToken(ctx, m2m, auth.SessionToken, auth.APIKey)
	require.ErrorIs(t, err, auth.ErrTokenType)
	_, err = v.Verify(ctx, m2m)
	require.ErrorIs(t, err, auth.ErrTokenType)
	_, err = v.VerifyToken(ctx, session, auth.M2MToken)
	require.ErrorIs(t, err, auth.ErrTokenType)
	p, err = v.VerifyToken(ctx, session, auth.SessionToken, auth.M2MToken)
	require.NoError(t, err)
	assert.Equal(t, auth.SessionToken, p.Kind)

	// The cached machine token still expires.
	iss.Clock().Advance(time.Hour + 5*time.Second)
	_, err = v.VerifyToken(ctx, m2m, auth.M2MToken)
	require.ErrorIs(t, err, auth.ErrExpired)
}

// TestVerifyTokenMachineJWTRejections covers every check of the machine
// JWT path.
func TestVerifyTokenMachineJWTRejections(t *testing.T) {
	iss := newIssuer(t)
	other := newIssuer(t)
	v := newVerifier(t, iss.AuthConfig())
	now := t0.Unix()
	m2m := func(hdr, edit map[string]any) string { return machineJWT(iss, auth.M2MToken, hdr, edit) }
	valid := m2m(nil, nil)
	parts := strings.Split(valid, ".")
	cases := []struct {
		name  string
		token string
		want  error
	}{
		{"expired", m2m(nil, map[string]any{"exp": now - 6}), auth.ErrExpired},
		{"no exp", m2m(nil, map[string]any{"exp": nil}), auth.ErrMalformed},
		{"exp as a string", m2m(nil, map[string]any{"exp": "9999999999"}), auth.ErrMalformed},
		{"nbf in the future", m2m(nil, map[string]any{"nbf": now + 60}), auth.ErrNotYetValid},
		{"iat in the future", m2m(nil, map[string]any{"iat": now + 60}), auth.ErrIssuedInFuture},
		{"other issuer", m2m(nil, map[string]any{"iss": "https://clerk.attacker.example"}), auth.ErrInvalidIssuer},
		{"issuer prefix", m2m(nil, map[string]any{"iss": iss.IssuerURL() + ".attacker.example"}), auth.ErrInvalidIssuer},
		{"no issuer", m2m(nil, map[string]any{"iss": nil}), auth.ErrInvalidIssuer},
		{"no sub", m2m(nil, map[string]any{"sub": nil}), auth.ErrMalformed},
		{"sub not a string", m2m(nil, map[string]any{"sub": 7}), auth.ErrMalformed},
		{"jti not a string", m2m(nil, map[string]any{"jti": 7}), auth.ErrMalformed},
		{"scopes not a string", m2m(nil, map[string]any{"scopes": []string{"a"}}), auth.ErrMalformed},
		{"other key, same kid", machineJWT(other, auth.M2MToken, map[string]any{"kid": iss.KeyID()}, nil), auth.ErrSignature},
		{"unknown kid", m2m(map[string]any{"kid": "ins_unknown"}, nil), auth.ErrUnknownKey},
		{"tampered payload", parts[0] + "." + b64([]byte(`{"sub":"mch_evil","iss":"`+iss.IssuerURL()+`","exp":9999999999}`)) + "." + parts[2], auth.ErrSignature},
		{"HS256", m2m(map[string]any{"alg": "HS256"}, nil), auth.ErrAlgorithm},
		{"none", clerktest.Unsigned([]byte(`{"alg":"none","cat":"cl_B7d4PD333AAA"}`), []byte(`{"sub":"mch_1"}`)) + "c2ln", auth.ErrAlgorithm},
		{"crit", m2m(map[string]any{"crit": []string{"exp"}}, nil), auth.ErrMalformed},
		{"two segments", parts[0] + "." + parts[1], auth.ErrMalformed},
		{"duplicate sub", iss.SignRaw([]byte(`{"alg":"RS256","kid":"`+iss.KeyID()+`","cat":"cl_B7d4PD333AAA"}`),
			[]byte(`{"sub":"mch_1","sub":"mch_2","iss":"`+iss.IssuerURL()+`","exp":9999999999}`)), auth.ErrMalformed},
		{"case-folded sub", iss.SignRaw([]byte(`{"alg":"RS256","kid":"`+iss.KeyID()+`","cat":"cl_B7d4PD333AAA"}`),
			[]byte(`{"sub":"mch_1","SUB":"mch_2","iss":"`+iss.IssuerURL()+`","exp":9999999999}`)), auth.ErrMalformed},
		{"too large", m2m(nil, map[string]any{"pad": strings.Repeat("x", auth.DefaultMaxTokenSize)}), auth.ErrTokenTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.VerifyToken(context.Background(), tc.token, auth.AnyToken)
			require.ErrorIs(t, err, tc.want)
			assert.NotContains(t, err.Error(), tc.token)
		})
	}
	_, err := v.VerifyToken(context.Background(), "", auth.AnyToken)
	require.ErrorIs(t, err, auth.ErrNoToken)
	// OAuth: the same claim checks.
	_, err = v.VerifyToken(context.Background(), machineJWT(iss, auth.OAuthToken, nil, map[string]any{"exp": now - 6}), auth.OAuthToken)
	require.ErrorIs(t, err, auth.ErrExpired)
	_, err = v.VerifyToken(context.Background(), machineJWT(iss, auth.OAuthToken, nil, map[string]any{"iss": "https://x.example"}), auth.OAuthToken)
	require.ErrorIs(t, err, auth.ErrInvalidIssuer)
	_, err = v.VerifyToken(context.Background(), machineJWT(iss, auth.OAuthToken, nil, map[string]any{"sub": nil}), auth.OAuthToken)
	require.ErrorIs(t, err, auth.ErrMalformed)
}

// TestVerifyTokenSessions: sessions through VerifyToken are Verify's.
func TestVerifyTokenSessions(t *testing.T) {
	iss := newIssuer(t)
	v := newVerifier(t, iss.AuthConfig())
	tok := iss.Token(clerktest.Claims{UserID: "user_1", Org: &clerktest.Org{ID: "org_1", Role: "admin"}})
	p, err := v.VerifyToken(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, "org:admin", p.Session.OrgRole)
	p, err = v.VerifyToken(context.Background(), tok, auth.AnyToken)
	require.NoError(t, err)
	assert.Equal(t, auth.SessionToken, p.Kind)
	expired := iss.Token(clerktest.Claims{UserID: "user_1", ExpiresAt: t0.Add(-time.Minute)})
	_, err = v.VerifyToken(context.Background(), expired, auth.AnyToken)
	require.ErrorIs(t, err, auth.ErrExpired)
}

func TestPrincipalContext(t *testing.T) {
	ctx := context.Background()
	_, ok := auth.PrincipalFromContext(ctx)
	assert.False(t, ok)
	m := &auth.Machine{Kind: auth.APIKey, Subject: "org_1"}
	ctx2 := auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.APIKey, Machine: m})
	got, ok := auth.MachineFromContext(ctx2)
	require.True(t, ok)
	assert.Same(t, m, got)
	assert.Equal(t, "org_1", got.OrgID())
	_, ok = auth.FromContext(ctx2)
	assert.False(t, ok, "a machine principal is not a session")

	s := &auth.Session{UserID: "user_1"}
	ctx3 := auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.SessionToken, Session: s})
	gs, ok := auth.FromContext(ctx3)
	require.True(t, ok)
	assert.Same(t, s, gs)
	_, ok = auth.MachineFromContext(ctx3)
	assert.False(t, ok)
	_, ok = auth.PrincipalFromContext(auth.WithPrincipal(ctx, nil))
	assert.False(t, ok)
	var nilMachine *auth.Machine
	assert.False(t, nilMachine.HasScope("a"))
}
