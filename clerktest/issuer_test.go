package clerktest_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
)

func TestNewIssuerDefaults(t *testing.T) {
	iss := clerktest.NewIssuer(t)
	host := iss.FrontendAPI()
	if !strings.HasSuffix(host, ".clerk.accounts.dev") || strings.ContainsAny(host, "/:$") {
		t.Errorf("FrontendAPI = %q, want <slug>.clerk.accounts.dev", host)
	}
	if got, want := iss.IssuerURL(), "https://"+host; got != want {
		t.Errorf("IssuerURL = %q, want %q", got, want)
	}
	if !strings.HasPrefix(iss.PublishableKey(), "pk_test_") {
		t.Errorf("PublishableKey = %q, want pk_test_…", iss.PublishableKey())
	}
	if got, err := auth.FrontendAPIFromPublishableKey(iss.PublishableKey()); err != nil || got != host {
		t.Errorf("publishable key decodes to %q, %v; want %q", got, err, host)
	}
	if iss.PublishableKey() != auth.PublishableKeyFor(host, false) {
		t.Errorf("PublishableKey differs from auth.PublishableKeyFor")
	}
	if !strings.HasPrefix(iss.SecretKey(), "sk_test_") || len(iss.SecretKey()) < 30 {
		t.Errorf("SecretKey = %q, want a random sk_test_…", iss.SecretKey())
	}
	if !strings.HasPrefix(iss.KeyID(), "ins_") {
		t.Errorf("KeyID = %q, want ins_…", iss.KeyID())
	}
	if got := iss.PrivateKey().N.BitLen(); got != 2048 {
		t.Errorf("key size %d, want 2048", got)
	}
	if !strings.HasPrefix(iss.URL(), "http://127.0.0.1:") && !strings.HasPrefix(iss.URL(), "http://[::1]:") {
		t.Errorf("URL = %q, want a loopback URL", iss.URL())
	}
	if iss.Clock() == nil || time.Since(iss.Clock().Now()).Abs() > time.Minute {
		t.Errorf("default clock does not follow real time")
	}
	cfg := iss.AuthConfig()
	if cfg.SecretKey != iss.SecretKey() || cfg.PublishableKey != iss.PublishableKey() || cfg.APIURL != iss.URL() || cfg.Now == nil || cfg.HTTPClient == nil {
		t.Errorf("Config = %+v", cfg)
	}

	other := clerktest.NewIssuer(t)
	if other.FrontendAPI() == host || other.SecretKey() == iss.SecretKey() || other.KeyID() == iss.KeyID() {
		t.Errorf("two issuers share a host, secret key or key id")
	}
}

func TestNewIssuerOptions(t *testing.T) {
	clock := clerktest.NewClock(t0)
	iss := clerktest.NewIssuer(t, clerktest.IssuerOptions{
		FrontendAPI: "clerk.example.com",
		SecretKey:   "sk_live_abc",
		Live:        true,
		Clock:       clock,
		KeyBits:     3072,
	})
	if iss.IssuerURL() != "https://clerk.example.com" || iss.SecretKey() != "sk_live_abc" || iss.Clock() != clock {
		t.Errorf("options not applied: %q %q", iss.IssuerURL(), iss.SecretKey())
	}
	if want := "pk_live_Y2xlcmsuZXhhbXBsZS5jb20k"; iss.PublishableKey() != want {
		t.Errorf("PublishableKey = %q, want %q", iss.PublishableKey(), want)
	}
	if got := iss.PrivateKey().N.BitLen(); got != 3072 {
		t.Errorf("key size %d, want 3072", got)
	}
	if got := iss.AuthConfig().Now(); !got.Equal(t0) {
		t.Errorf("Config().Now() = %v, want the issuer clock's %v", got, t0)
	}

	live := clerktest.NewIssuer(t, clerktest.IssuerOptions{Live: true})
	if !strings.HasPrefix(live.FrontendAPI(), "clerk.") || !strings.HasPrefix(live.SecretKey(), "sk_live_") || !strings.HasPrefix(live.PublishableKey(), "pk_live_") {
		t.Errorf("live defaults: %q %q %q", live.FrontendAPI(), live.SecretKey(), live.PublishableKey())
	}
}

func TestNewIssuerInvalidOptions(t *testing.T) {
	for _, opts := range []clerktest.IssuerOptions{
		{FrontendAPI: "https://clerk.example.com"},
		{FrontendAPI: "clerk.example.com/path"},
		{FrontendAPI: "a$b"},
		{SecretKey: "secret"},
		{SecretKey: "pk_test_abc"},
		{KeyBits: 512},
	} {
		if iss, err := clerktest.StartIssuer(opts); err == nil {
			iss.Close()
			t.Errorf("NewIssuer(%+v) succeeded", opts)
		}
	}
}

func TestCloseTwice(t *testing.T) {
	iss, err := clerktest.StartIssuer()
	if err != nil {
		t.Fatal(err)
	}
	iss.Close()
	iss.Close()
	if _, _, err := get(t, context.Background(), iss, "/.well-known/jwks.json", ""); err == nil {
		t.Error("server still answers after Close")
	}
	if tok := iss.Token(clerktest.Claims{UserID: "user_1"}); tok == "" {
		t.Error("no token after Close")
	}
}

// The three ways a service can be configured all accept the tokens.
func TestTokensVerify(t *testing.T) {
	iss := clerktest.NewIssuer(t)
	configs := map[string]auth.Config{
		"secret key": iss.AuthConfig(),
		"jwks url": {
			JWKSURL:    iss.URL() + "/.well-known/jwks.json",
			Issuer:     iss.IssuerURL(),
			HTTPClient: iss.AuthConfig().HTTPClient,
		},
		"networkless": {JWTKey: iss.PublicKeyPEM(), Issuer: iss.IssuerURL()},
		"issuer from domains": {
			SecretKey:  iss.SecretKey(),
			APIURL:     iss.URL(),
			HTTPClient: iss.AuthConfig().HTTPClient,
		},
	}
	for name, cfg := range configs {
		t.Run(name, func(t *testing.T) {
			v := newVerifier(t, cfg)
			tok := iss.Token(clerktest.Claims{UserID: "user_1", SessionID: "sess_1"})
			s := mustVerify(t, v, tok)
			if s.UserID != "user_1" || s.SessionID != "sess_1" || s.Issuer != iss.IssuerURL() || s.Version != 2 {
				t.Errorf("session = %+v", s)
			}
		})
	}
	if iss.DomainsFetches() != 1 {
		t.Errorf("DomainsFetches = %d, want 1 (only the config without an issuer learns it)", iss.DomainsFetches())
	}
}

func TestCounters(t *testing.T) {
	iss := clerktest.NewIssuer(t)
	ctx := context.Background()
	get(t, ctx, iss, "/.well-known/jwks.json", "")
	get(t, ctx, iss, "/v1/jwks", bearer(iss))
	get(t, ctx, iss, "/v1/jwks", "") // 401s count too
	get(t, ctx, iss, "/v1/domains", bearer(iss))
	get(t, ctx, iss, "/v1/users", bearer(iss)) // neither
	if got := iss.JWKSFetches(); got != 3 {
		t.Errorf("JWKSFetches = %d, want 3", got)
	}
	if got := iss.DomainsFetches(); got != 1 {
		t.Errorf("DomainsFetches = %d, want 1", got)
	}

	iss.ResetCounters()
	v := newVerifier(t, iss.AuthConfig())
	tok := iss.Token(clerktest.Claims{UserID: "user_1"})
	for range 5 {
		mustVerify(t, v, tok)
	}
	if got := iss.JWKSFetches(); got != 1 || got != v.KeyFetches() {
		t.Errorf("after 5 verifications: JWKSFetches = %d, verifier KeyFetches = %d, want 1", got, v.KeyFetches())
	}
	if got := iss.DomainsFetches(); got != 0 {
		t.Errorf("DomainsFetches = %d, want 0 (issuer known from the publishable key)", got)
	}
}

func TestRotateAndDropKey(t *testing.T) {
	iss := clerktest.NewIssuer(t, clerktest.IssuerOptions{Clock: clerktest.NewClock(t0)})
	v := newVerifier(t, iss.AuthConfig())
	oldKid := iss.KeyID()
	oldPEM := iss.PublicKeyPEM()
	oldTok := iss.Token(clerktest.Claims{UserID: "user_old"})
	mustVerify(t, v, oldTok)

	newKid := iss.Rotate()
	if newKid == oldKid || iss.KeyID() != newKid || !strings.HasPrefix(newKid, "ins_") {
		t.Fatalf("Rotate = %q, KeyID = %q, old %q", newKid, iss.KeyID(), oldKid)
	}
	if iss.PublicKeyPEM() == oldPEM {
		t.Error("PublicKeyPEM did not change with the signing key")
	}
	if got := jwksKids(t, iss); strings.Join(got, ",") != oldKid+","+newKid {
		t.Fatalf("published %v, want [%s %s]", got, oldKid, newKid)
	}
	if got := iss.KeyIDs(); strings.Join(got, ",") != oldKid+","+newKid {
		t.Fatalf("KeyIDs = %v", got)
	}
	newTok := iss.Token(clerktest.Claims{UserID: "user_new"})
	if kid := headerOf(t, newTok)["kid"]; kid != newKid {
		t.Fatalf("new token kid %v, want %v", kid, newKid)
	}
	// The verifier refetches for the unknown kid once its refresh throttle
	// (5 s of the issuer's clock) has passed.
	iss.Clock().Advance(auth.DefaultMinRefreshInterval)
	mustVerify(t, v, newTok)
	mustVerify(t, v, oldTok)

	if !iss.DropKey(oldKid) {
		t.Fatal("DropKey(old) = false")
	}
	if iss.DropKey(oldKid) || iss.DropKey("ins_nope") {
		t.Fatal("DropKey of an unpublished kid = true")
	}
	if got := jwksKids(t, iss); strings.Join(got, ",") != newKid {
		t.Fatalf("published %v after DropKey, want [%s]", got, newKid)
	}
	// A fresh verifier no longer knows the old key.
	v2 := newVerifier(t, iss.AuthConfig())
	mustVerify(t, v2, newTok)
	if _, err := v2.Verify(context.Background(), oldTok); !errors.Is(err, auth.ErrUnknownKey) {
		t.Fatalf("old token after DropKey: %v, want ErrUnknownKey", err)
	}
}

// Tokens, rotation, failures and fetches all at once, for -race.
func TestConcurrentUse(t *testing.T) {
	iss := clerktest.NewIssuer(t)
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 2 {
			iss.Rotate()
		}
	})
	wg.Go(func() {
		for _, f := range []clerktest.Fault{{Status: 500}, {Kind: clerktest.FaultGarbage}, {Latency: time.Millisecond}} {
			iss.InjectFault(f)
		}
		iss.ClearFaults()
	})
	var mu sync.Mutex
	var tokens []string
	for range 4 {
		wg.Go(func() {
			for range 20 {
				tok := iss.Token(clerktest.Claims{UserID: "user_1"})
				mu.Lock()
				tokens = append(tokens, tok)
				mu.Unlock()
				get(t, context.Background(), iss, "/v1/jwks", bearer(iss))
				_ = iss.PublicKeyPEM()
				_ = iss.KeyIDs()
			}
		})
	}
	wg.Wait()
	// Every token's kid names the key that signed it.
	v := newVerifier(t, iss.AuthConfig())
	for _, tok := range tokens {
		mustVerify(t, v, tok)
	}
	iss.ResetCounters()
	if iss.JWKSFetches() != 0 {
		t.Error("ResetCounters did not reset")
	}
}
