package jwttemplates_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2/session"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/jwttemplates"
)

const seedUser = "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk"

func emulated(t *testing.T) (*emulator.Server, *clerkkit.Client) {
	t.Helper()
	srv := emulator.NewServer(t)
	if err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: seedUser}}}); err != nil {
		t.Fatal(err)
	}
	cfg := srv.ClientConfig()
	cfg.Retry.BaseDelay, cfg.Retry.MaxDelay = time.Millisecond, time.Millisecond
	c, err := clerkkit.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetCalls()
	return srv, c
}

func TestEmulatorLifecycle(t *testing.T) {
	_, c := emulated(t)
	ctx := context.Background()
	tp, err := c.JWTTemplates.Create(ctx, jwttemplates.Params{Name: "hasura", Claims: map[string]any{"uid": "{{user.id}}", "kind": "hasura"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tp.ID, jwttemplates.IDPrefix) || tp.Name != "hasura" || tp.Lifetime != 60 || tp.AllowedClockSkew != 5 || tp.CustomSigningKey || tp.SigningAlgorithm != "RS256" {
		t.Fatalf("created %+v", tp)
	}
	got, err := c.JWTTemplates.Get(ctx, tp.ID)
	if err != nil || got.ID != tp.ID || string(got.Claims) != `{"kind":"hasura","uid":"{{user.id}}"}` && string(got.Claims) != `{"uid":"{{user.id}}","kind":"hasura"}` {
		t.Fatalf("get: %v %+v %s", err, got, got.Claims)
	}

	// Update keeps what it is not given; a zero skew is sent as 0.
	up, err := c.JWTTemplates.Update(ctx, tp.ID, jwttemplates.Params{Name: "hasura2", Claims: json.RawMessage(`{"uid":"{{user.id}}"}`), Lifetime: 10 * time.Minute, AllowedClockSkew: dur(0)})
	if err != nil || up.Name != "hasura2" || up.Lifetime != 600 || up.AllowedClockSkew != 0 || string(up.Claims) != `{"uid":"{{user.id}}"}` {
		t.Fatalf("update: %v %+v", err, up)
	}
	up, err = c.JWTTemplates.Update(ctx, tp.ID, jwttemplates.Params{Name: "hasura2", Claims: json.RawMessage(`{"uid":"{{user.id}}"}`)})
	if err != nil || up.Lifetime != 600 || up.AllowedClockSkew != 0 {
		t.Fatalf("update keeping: %v %+v", err, up)
	}

	// Tokens minted from it, by name, carry its claims and lifetime.
	s, err := c.Sessions.SDK().Create(ctx, &session.CreateParams{UserID: seedUser})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Sessions.TemplateToken(ctx, s.ID, "hasura2", 0)
	if err != nil {
		t.Fatal(err)
	}
	if cl := payload(t, tok); cl["uid"] != seedUser || cl["exp"].(float64)-cl["iat"].(float64) != 600 || cl["nbf"] != cl["iat"] {
		t.Fatalf("token claims %v", cl)
	}

	// A name taken is a 422 from the API.
	_, err = c.JWTTemplates.Create(ctx, jwttemplates.Params{Name: "hasura2", Claims: map[string]any{}})
	var apiErr *clerkerr.APIError
	if !errors.Is(err, clerkerr.ErrValidation) || !errors.As(err, &apiErr) || apiErr.Status != 422 {
		t.Fatalf("duplicate name: %v", err)
	}

	if err := c.JWTTemplates.Delete(ctx, tp.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.JWTTemplates.Get(ctx, tp.ID); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	if _, err := c.Sessions.TemplateToken(ctx, s.ID, "hasura2", 0); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("token from a deleted template: %v", err)
	}
}

func TestEmulatorCustomSigningKeys(t *testing.T) {
	_, c := emulated(t)
	ctx := context.Background()
	s, err := c.Sessions.SDK().Create(ctx, &session.CreateParams{UserID: seedUser})
	if err != nil {
		t.Fatal(err)
	}
	const secret = "a-shared-secret-for-hs256-tokens"
	tp, err := c.JWTTemplates.Create(ctx, jwttemplates.Params{Name: "hs", Claims: map[string]any{"aud": "svc"},
		SigningKey: &jwttemplates.SigningKey{Algorithm: "HS256", Key: secret}})
	if err != nil || !tp.CustomSigningKey || tp.SigningAlgorithm != "HS256" {
		t.Fatalf("create: %v %+v", err, tp)
	}
	tok, err := c.Sessions.TemplateToken(ctx, s.ID, "hs", 0)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if base64.RawURLEncoding.EncodeToString(mac.Sum(nil)) != parts[2] {
		t.Fatal("the HS256 token is not signed with the template's secret")
	}

	// An RSA key in PKCS#8 PEM.
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	key := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	up, err := c.JWTTemplates.Update(ctx, tp.ID, jwttemplates.Params{Name: "hs", Claims: map[string]any{"aud": "svc"},
		SigningKey: &jwttemplates.SigningKey{Algorithm: "RS256", Key: key}})
	if err != nil || up.SigningAlgorithm != "RS256" || !up.CustomSigningKey {
		t.Fatalf("update to RS256: %v %+v", err, up)
	}
	// Back to the instance's keys.
	up, err = c.JWTTemplates.Update(ctx, tp.ID, jwttemplates.Params{Name: "hs", Claims: map[string]any{"aud": "svc"}, InstanceSigningKey: true})
	if err != nil || up.CustomSigningKey {
		t.Fatalf("update to the instance's keys: %v %+v", err, up)
	}
	// An algorithm the API does not know is its 422.
	_, err = c.JWTTemplates.Create(ctx, jwttemplates.Params{Name: "x", Claims: map[string]any{}, SigningKey: &jwttemplates.SigningKey{Algorithm: "HS999", Key: "s"}})
	if !errors.Is(err, clerkerr.ErrValidation) || strings.Contains(err.Error(), secret) {
		t.Fatalf("unknown algorithm: %v", err)
	}
}

func TestEmulatorAll(t *testing.T) {
	srv, c := emulated(t)
	ctx := context.Background()
	for i := range 7 {
		if _, err := c.JWTTemplates.Create(ctx, jwttemplates.Params{Name: "t" + string(rune('a'+i)), Claims: map[string]any{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := c.JWTTemplates.List(ctx, jwttemplates.ListParams{Limit: 3, Offset: 2})
	if err != nil || page.TotalCount != 7 || len(page.JWTTemplates) != 3 || page.JWTTemplates[0].Name != "tc" {
		t.Fatalf("list: %v %+v", err, page)
	}
	srv.ResetCalls()
	srv.InjectFault(clerktest.Fault{Route: "GET /v1/jwt_templates", Status: 503, Times: 1})
	var names []string
	for tp, err := range c.JWTTemplates.All(ctx, jwttemplates.ListParams{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, tp.Name)
	}
	if strings.Join(names, ",") != "ta,tb,tc,td,te,tf,tg" || srv.Calls("GET /v1/jwt_templates") != 5 {
		t.Fatalf("all: %v over %d calls (4 pages, one retried 503)", names, srv.Calls("GET /v1/jwt_templates"))
	}
}

func TestEmulatorNotFound(t *testing.T) {
	_, c := emulated(t)
	ctx := context.Background()
	const missing = "jtmp_00000000000000000000000000"
	_, err := c.JWTTemplates.Get(ctx, missing)
	var apiErr *clerkerr.APIError
	if !errors.Is(err, clerkerr.ErrNotFound) || !errors.As(err, &apiErr) || apiErr.Status != 404 {
		t.Fatalf("get: %v", err)
	}
	if _, err := c.JWTTemplates.Update(ctx, missing, jwttemplates.Params{Name: "n", Claims: map[string]any{}}); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("update: %v", err)
	}
	if err := c.JWTTemplates.Delete(ctx, missing); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("delete: %v", err)
	}
}

func payload(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
