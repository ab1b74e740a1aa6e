package app

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/examples/saas/store"
)

// TestNewRefusesIncompleteConfig: the sign-in page and the public URL
// are required absolute URLs, and without a hosted sign-out page the app
// needs a way to revoke sessions.
func TestNewRefusesIncompleteConfig(t *testing.T) {
	revoke := func(context.Context, string) error { return nil }
	base := func() Config {
		return Config{Store: &store.Store{}, Verifier: &auth.Verifier{}, Clerk: &clerkkit.Client{}, Webhooks: http.NotFoundHandler(),
			SignInURL: "https://accounts.example.com/sign-in", PublicURL: "https://app.example.com", RevokeSession: revoke}
	}
	for name, edit := range map[string]func(*Config){
		"no sign-in URL":                       func(c *Config) { c.SignInURL = "" },
		"a relative sign-in URL":               func(c *Config) { c.SignInURL = "/sign-in" },
		"a sign-in URL with a query":           func(c *Config) { c.SignInURL = "https://accounts.example.com/sign-in?x=1" },
		"no public URL":                        func(c *Config) { c.PublicURL = "" },
		"a relative sign-out URL":              func(c *Config) { c.SignOutURL = "sign-out" },
		"a Frontend API URL without a scheme":  func(c *Config) { c.FrontendAPIURL = "clerk.example.com" },
		"no revocation and no hosted sign-out": func(c *Config) { c.RevokeSession = nil },
		"no store":                             func(c *Config) { c.Store = nil },
	} {
		cfg := base()
		edit(&cfg)
		_, err := New(cfg)
		assert.True(t, errors.Is(err, ErrConfig), "%s: %v", name, err)
	}
}
