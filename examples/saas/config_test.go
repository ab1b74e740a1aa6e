package main

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testPK     = "pk_test_aGFwcHktaGVuLTEyLmNsZXJrLmFjY291bnRzLmRldiQ" // happy-hen-12.clerk.accounts.dev
	livePK     = "pk_live_Y2xlcmsuZXhhbXBsZS5jb20k"                    // clerk.example.com
	testSK     = "sk_test_0123456789abcdef"
	liveSK     = "sk_live_0123456789abcdef"
	testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

// complete is a full production environment; tests remove or change
// entries.
func complete(extra ...string) []string {
	return append([]string{
		"CLERK_SECRET_KEY=" + testSK, "CLERK_PUBLISHABLE_KEY=" + testPK,
		"CLERK_WEBHOOK_SIGNING_SECRET=" + testSecret, "DATABASE_URL=postgres://u:p@db/saas",
		"PUBLIC_URL=https://app.example.com",
	}, extra...)
}

func without(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if len(kv) <= len(name) || kv[:len(name)+1] != name+"=" {
			out = append(out, kv)
		}
	}
	return out
}

func TestLoadSetup(t *testing.T) {
	tests := []struct {
		name    string
		flag    bool
		env     []string
		local   bool
		errHas  []string // substrings of the error; nil: no error
		checkFn func(t *testing.T, s setup)
	}{
		{name: "nothing configured: the local demo", env: []string{"HOME=/root", "PATH=/bin"}, local: true},
		{name: "empty values count as unset", env: []string{"CLERK_SECRET_KEY=", "DATABASE_URL="}, local: true},
		{name: "-local", flag: true, local: true},
		{name: "CLERK_LOCAL=1", env: []string{"CLERK_LOCAL=1"}, local: true},
		{name: "CLERK_LOCAL=0 and nothing else is still the bare demo", env: []string{"CLERK_LOCAL=0"}, local: true},
		{name: "CLERK_LOCAL=yes is not understood", env: []string{"CLERK_LOCAL=yes"}, errHas: []string{"CLERK_LOCAL must be 1 or 0"}},
		{name: "explicit local mode honours the webhook secret", flag: true, env: []string{"CLERK_WEBHOOK_SIGNING_SECRET=" + testSecret}, local: true,
			checkFn: func(t *testing.T, s setup) { assert.Equal(t, testSecret, s.WebhookSecret) }},
		{name: "local: a bad webhook secret", flag: true, env: []string{"CLERK_WEBHOOK_SIGNING_SECRET=nope"}, errHas: []string{"whsec_"}},

		{name: "local refused with a live secret key", flag: true, env: []string{"CLERK_SECRET_KEY=" + liveSK},
			errHas: []string{"local mode refused", "CLERK_SECRET_KEY", "live"}},
		{name: "local refused with a live publishable key", env: []string{"CLERK_LOCAL=1", "CLERK_PUBLISHABLE_KEY=" + livePK},
			errHas: []string{"local mode refused", "CLERK_PUBLISHABLE_KEY", "live"}},
		{name: "local refused with a live Next.js publishable key", flag: true, env: []string{"NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY=" + livePK},
			errHas: []string{"local mode refused", "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY"}},
		{name: "local refused with DATABASE_URL", flag: true, env: []string{"DATABASE_URL=postgres://prod/db"},
			errHas: []string{"local mode refused", "DATABASE_URL"}},
		{name: "local refused with a test secret key", flag: true, env: []string{"CLERK_SECRET_KEY=" + testSK},
			errHas: []string{"local mode refused", "CLERK_SECRET_KEY"}},
		{name: "local refused with a full production set", flag: true, env: complete(),
			errHas: []string{"local mode refused", "CLERK_SECRET_KEY", "DATABASE_URL"}},

		{name: "misspelt secret key is not silently local", env: []string{"CLERK_SECRETKEY=" + testSK},
			errHas: []string{"unknown variable CLERK_SECRETKEY", "misspelt"}},
		{name: "misspelt with -local too", flag: true, env: []string{"CLERK_SECERT_KEY=x"}, errHas: []string{"CLERK_SECERT_KEY"}},
		{name: "DATABASE_URL alone is production, incomplete", env: []string{"DATABASE_URL=postgres://prod/db"},
			errHas: []string{"CLERK_SECRET_KEY", "CLERK_PUBLISHABLE_KEY", "CLERK_WEBHOOK_SIGNING_SECRET"}},
		{name: "secret key without webhook secret", env: without(complete(), "CLERK_WEBHOOK_SIGNING_SECRET"),
			errHas: []string{"needs: CLERK_WEBHOOK_SIGNING_SECRET"}},
		{name: "secret key without publishable key", env: without(complete(), "CLERK_PUBLISHABLE_KEY"),
			errHas: []string{"needs: CLERK_PUBLISHABLE_KEY"}},
		{name: "keys without DATABASE_URL", env: without(complete(), "DATABASE_URL"), errHas: []string{"needs: DATABASE_URL"}},
		{name: "webhook secret alone", env: []string{"CLERK_WEBHOOK_SIGNING_SECRET=" + testSecret},
			errHas: []string{"CLERK_SECRET_KEY", "DATABASE_URL"}},
		{name: "a bad secret key", env: append(without(complete(), "CLERK_SECRET_KEY"), "CLERK_SECRET_KEY=pk_test_oops"),
			errHas: []string{"CLERK_SECRET_KEY must start with sk_test_ or sk_live_"}},
		{name: "a bad publishable key", env: append(without(complete(), "CLERK_PUBLISHABLE_KEY"), "CLERK_PUBLISHABLE_KEY=pk_test_!!"),
			errHas: []string{"CLERK_PUBLISHABLE_KEY"}},
		{name: "live secret key with a test publishable key", env: append(without(complete(), "CLERK_SECRET_KEY"), "CLERK_SECRET_KEY="+liveSK),
			errHas: []string{"different instances"}},
		{name: "a bad webhook secret", env: append(without(complete(), "CLERK_WEBHOOK_SIGNING_SECRET"), "CLERK_WEBHOOK_SIGNING_SECRET=secret"),
			errHas: []string{"whsec_"}},
		{name: "keys without PUBLIC_URL", env: without(complete(), "PUBLIC_URL"), errHas: []string{"needs: PUBLIC_URL"}},
		{name: "PUBLIC_URL with a path", env: append(without(complete(), "PUBLIC_URL"), "PUBLIC_URL=https://app.example.com/x"), errHas: []string{"PUBLIC_URL", "no path"}},
		{name: "PUBLIC_URL over plain http", env: append(without(complete(), "PUBLIC_URL"), "PUBLIC_URL=http://app.example.com"), errHas: []string{"PUBLIC_URL", "https"}},
		{name: "local refused with PUBLIC_URL", flag: true, env: []string{"PUBLIC_URL=https://app.example.com"}, errHas: []string{"local mode refused", "PUBLIC_URL"}},
		{name: "sign-in URL must be absolute https", env: complete("CLERK_SIGN_IN_URL=/sign-in"), errHas: []string{"CLERK_SIGN_IN_URL"}},
		{name: "sign-in URL over plain http elsewhere than loopback", env: complete("CLERK_SIGN_IN_URL=http://accounts.example.com/sign-in"), errHas: []string{"CLERK_SIGN_IN_URL", "https"}},
		{name: "a proxy URL with a query", env: complete("CLERK_PROXY_URL=https://app.example.com/__clerk?x=1"), errHas: []string{"CLERK_PROXY_URL"}},
		{name: "a proxy URL over plain http elsewhere than loopback", env: complete("CLERK_PROXY_URL=http://app.example.com/__clerk"), errHas: []string{"CLERK_PROXY_URL", "https"}},
		{name: "the lines of clerkkit dev: the emulator's hosted pages",
			env: complete("CLERK_API_URL=http://127.0.0.1:8787", "CLERK_JWKS_URL=http://127.0.0.1:8787/.well-known/jwks.json",
				"CLERK_PROXY_URL=http://127.0.0.1:8787", "CLERK_SIGN_IN_URL=http://127.0.0.1:8787/sign-in", "PUBLIC_URL=http://127.0.0.1:8080"),
			checkFn: func(t *testing.T, s setup) {
				assert.Equal(t, "http://127.0.0.1:8787", s.FrontendAPIURL)
				assert.Equal(t, "http://127.0.0.1:8787/sign-in", s.SignInURL)
				assert.Equal(t, "http://127.0.0.1:8787/sign-out", s.SignOutURL, "the Frontend API serves the sign-in page: sign-out is next to it")
				assert.Equal(t, "http://127.0.0.1:8787", s.Auth.ProxyURL)
				assert.Equal(t, []string{"http://127.0.0.1:8080"}, s.Auth.AuthorizedParties)
			}},
		{name: "a proxy URL with Clerk's Account Portal: no hosted sign-out page", env: complete("CLERK_PROXY_URL=https://app.example.com/__clerk"),
			checkFn: func(t *testing.T, s setup) {
				assert.Equal(t, "https://app.example.com/__clerk", s.FrontendAPIURL)
				assert.Equal(t, "https://happy-hen-12.accounts.dev/sign-in", s.SignInURL)
				assert.Empty(t, s.SignOutURL)
			}},

		{name: "complete production", env: complete("CLERK_AUTHORIZED_PARTIES=https://app.example.com, https://www.example.com"),
			checkFn: func(t *testing.T, s setup) {
				assert.Equal(t, "happy-hen-12.clerk.accounts.dev", s.FrontendAPI)
				assert.Equal(t, "https://happy-hen-12.accounts.dev/sign-in", s.SignInURL)
				assert.Equal(t, "https://happy-hen-12.clerk.accounts.dev", s.FrontendAPIURL)
				assert.Empty(t, s.SignOutURL, "the Account Portal has no sign-out page")
				assert.Equal(t, testSK, s.Auth.SecretKey)
				assert.Equal(t, testPK, s.Auth.PublishableKey)
				assert.Equal(t, []string{"https://app.example.com", "https://www.example.com"}, s.Auth.AuthorizedParties)
				assert.Equal(t, "postgres://u:p@db/saas", s.DatabaseURL)
				assert.Equal(t, "https://app.example.com", s.PublicURL)
			}},
		{name: "authorized parties default to PUBLIC_URL", env: complete("PUBLIC_URL=https://app.example.com/"),
			checkFn: func(t *testing.T, s setup) {
				assert.Equal(t, []string{"https://app.example.com"}, s.Auth.AuthorizedParties)
			}},
		{name: "live production, older webhook variable, Next.js key name",
			env: []string{"CLERK_SECRET_KEY=" + liveSK, "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY=" + livePK, "CLERK_WEBHOOK_SECRET=" + testSecret, "DATABASE_URL=saas.db", "PUBLIC_URL=http://localhost:8080"},
			checkFn: func(t *testing.T, s setup) {
				assert.Equal(t, "https://accounts.example.com/sign-in", s.SignInURL)
				assert.Equal(t, testSecret, s.WebhookSecret)
				assert.Equal(t, livePK, s.PublishableKey)
			}},
		{name: "CLERK_LOCAL=0 with production settings is production", env: complete("CLERK_LOCAL=0")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := loadSetup(tt.flag, tt.env)
			if tt.errHas != nil {
				require.Error(t, err)
				assert.True(t, errors.Is(err, ErrConfig))
				for _, sub := range tt.errHas {
					assert.Contains(t, err.Error(), sub)
				}
				for _, secret := range []string{testSK, liveSK, testSecret} {
					assert.NotContains(t, err.Error(), secret, "no secret in errors")
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.local, s.Local)
			if tt.checkFn != nil {
				tt.checkFn(t, s)
			}
		})
	}
}
