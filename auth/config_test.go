package auth

import (
	"github.com/clerkkit/clerkkit/clerkerr"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPublishableKey(t *testing.T) {
	pk := PublishableKeyFor("clerk.example.com", true)
	host, err := FrontendAPIFromPublishableKey(pk)
	require.NoError(t, err)
	assert.Equal(t, "clerk.example.com", host)
	// A development key as Clerk issues it.
	host, err = FrontendAPIFromPublishableKey("pk_test_" + "ZnVuLWRvZy0xMi5jbGVyay5hY2NvdW50cy5kZXYk")
	require.NoError(t, err)
	assert.Equal(t, "fun-dog-12.clerk.accounts.dev", host)
	for _, bad := range []string{"", "sk_test_abc", "pk_test_", "pk_test_!!!", "pk_test_" + "Y2xlcmsuZXhhbXBsZS5jb20=", "pk_live_" + "YS9iJA=="} {
		_, err := FrontendAPIFromPublishableKey(bad)
		assert.ErrorIs(t, err, clerkerr.ErrInvalidConfig, bad)
	}
}

func TestNewVerifierValidates(t *testing.T) {
	pk := PublishableKeyFor("clerk.example.com", false)
	cases := map[string]struct {
		cfg  Config
		want error
	}{
		"empty":                {Config{}, ErrNoKeySource},
		"bad pk":               {Config{PublishableKey: "pk_test_???"}, clerkerr.ErrInvalidConfig},
		"bad sk":               {Config{SecretKey: "secret"}, clerkerr.ErrInvalidConfig},
		"bad pem":              {Config{JWTKey: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", Issuer: "https://clerk.example.com"}, clerkerr.ErrInvalidConfig},
		"bare garbage key":     {Config{JWTKey: "not base64!", Issuer: "https://clerk.example.com"}, clerkerr.ErrInvalidConfig},
		"jwt key no issuer":    {Config{JWTKey: testPEM(t), SecretKey: "sk_test_x"}, ErrNoIssuer},
		"jwks url no issuer":   {Config{JWKSURL: "https://x.example/jwks"}, ErrNoIssuer},
		"relative jwks url":    {Config{JWKSURL: "/jwks", Issuer: "https://a"}, clerkerr.ErrInvalidConfig},
		"bad issuer":           {Config{PublishableKey: pk, Issuer: "clerk.example.com"}, clerkerr.ErrInvalidConfig},
		"bad api url":          {Config{SecretKey: "sk_test_x", APIURL: "ftp://x"}, clerkerr.ErrInvalidConfig},
		"negative skew":        {Config{PublishableKey: pk, ClockSkew: -1}, clerkerr.ErrInvalidConfig},
		"negative cache":       {Config{PublishableKey: pk, TokenCacheSize: -1}, clerkerr.ErrInvalidConfig},
		"empty party":          {Config{PublishableKey: pk, AuthorizedParties: []string{""}}, clerkerr.ErrInvalidConfig},
		"small rsa key":        {Config{JWTKey: smallPEM(t), Issuer: "https://clerk.example.com"}, clerkerr.ErrInvalidConfig},
		"ok: pk only":          {Config{PublishableKey: pk}, nil},
		"ok: sk learns issuer": {Config{SecretKey: "sk_test_x"}, nil},
		"ok: networkless":      {Config{JWTKey: testPEM(t), PublishableKey: pk}, nil},
		"ok: bare networkless": {Config{JWTKey: bareKey(testPEM(t)), Issuer: "https://clerk.example.com"}, nil},
	}
	for name, tc := range cases {
		v, err := NewVerifier(tc.cfg)
		if tc.want == nil {
			assert.NoError(t, err, name)
			assert.NotNil(t, v, name)
			continue
		}
		assert.ErrorIs(t, err, tc.want, name)
		assert.Nil(t, v, name)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("CLERK_SECRET_KEY", "sk_test_abc")
	t.Setenv("CLERK_PUBLISHABLE_KEY", "")
	t.Setenv("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "pk_test_x")
	t.Setenv("CLERK_AUTHORIZED_PARTIES", " https://a.example , ,https://b.example")
	t.Setenv("CLERK_API_URL", "http://127.0.0.1:1")
	c := ConfigFromEnv()
	assert.Equal(t, "sk_test_abc", c.SecretKey)
	assert.Equal(t, "pk_test_x", c.PublishableKey)
	assert.Equal(t, []string{"https://a.example", "https://b.example"}, c.AuthorizedParties)
	assert.Equal(t, "http://127.0.0.1:1", c.APIURL)
}

func TestTokenFromRequest(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	assert.Equal(t, "", TokenFromRequest(r))
	r.AddCookie(mkCookie("__session_abcdefgh", "suffixed"))
	assert.Equal(t, "suffixed", TokenFromRequest(r))
	r.AddCookie(mkCookie("__session", "cookie"))
	assert.Equal(t, "cookie", TokenFromRequest(r))
	r.Header.Set("Authorization", "bEaReR  hdr ")
	assert.Equal(t, "hdr", TokenFromRequest(r))
	r.Header.Set("Authorization", "bare.token.x")
	assert.Equal(t, "bare.token.x", TokenFromRequest(r))
	r.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
	assert.Equal(t, "cookie", TokenFromRequest(r), "another scheme is ignored and the cookie used, as in Clerk's SDKs")
	r.Header.Set("Authorization", "Digest  a=b, c=d")
	assert.Equal(t, "cookie", TokenFromRequest(r))
	r.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
	r2 := httptest.NewRequest("GET", "/", nil)
	r2.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
	assert.Equal(t, "", TokenFromRequest(r2), "another scheme and no cookie: no token")

	pk := PublishableKeyFor("clerk.example.com", false)
	v, err := NewVerifier(Config{PublishableKey: pk})
	require.NoError(t, err)
	r = httptest.NewRequest("GET", "/", nil)
	r.AddCookie(mkCookie("__session_zzzzzzzz", "other-app"))
	assert.Equal(t, "", v.TokenFromRequest(r), "another app's cookie is ignored")
	r.AddCookie(mkCookie("__session", "plain"))
	assert.Equal(t, "plain", v.TokenFromRequest(r))
	r.AddCookie(mkCookie("__session_"+CookieSuffix(pk), "mine"))
	assert.Equal(t, "mine", v.TokenFromRequest(r))
	r.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
	assert.Equal(t, "mine", v.TokenFromRequest(r), "another scheme is ignored with a publishable key too")
	assert.Len(t, CookieSuffix(pk), 8)
}
