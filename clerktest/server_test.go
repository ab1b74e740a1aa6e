package clerktest_test

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
)

func jwksKids(t *testing.T, iss *clerktest.Issuer) []string {
	t.Helper()
	status, body, err := get(t, context.Background(), iss, "/.well-known/jwks.json", "")
	if err != nil || status != http.StatusOK {
		t.Fatalf("jwks: %d %v", status, err)
	}
	var doc struct{ Keys []struct{ Kid string } }
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range doc.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

func TestJWKSShape(t *testing.T) {
	iss := clerktest.NewIssuer(t)
	for _, path := range []string{"/.well-known/jwks.json", "/v1/jwks"} {
		status, body, err := get(t, context.Background(), iss, path, bearer(iss))
		if err != nil || status != http.StatusOK {
			t.Fatalf("%s: %d %v", path, status, err)
		}
		var doc map[string][]map[string]string
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(doc) != 1 || len(doc["keys"]) != 1 {
			t.Fatalf("%s: %s", path, body)
		}
		k := doc["keys"][0]
		want := map[string]string{"use": "sig", "kty": "RSA", "kid": iss.KeyID(), "alg": "RS256", "n": k["n"], "e": "AQAB"}
		if !reflect.DeepEqual(k, want) {
			t.Errorf("%s: key %v, want %v", path, k, want)
		}
		n, err := base64.RawURLEncoding.DecodeString(k["n"])
		if err != nil {
			t.Fatalf("n is not base64url: %v", err)
		}
		if pub := (&rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}); !pub.Equal(&iss.PrivateKey().PublicKey) {
			t.Errorf("%s: n is not the signing key's modulus", path)
		}
	}
}

func TestDomainsShape(t *testing.T) {
	for _, tc := range []struct{ host, name, portal string }{
		{"happy-cat-12.clerk.accounts.dev", "happy-cat-12.clerk.accounts.dev", "https://happy-cat-12.accounts.dev"},
		{"clerk.example.com", "example.com", "https://accounts.example.com"},
	} {
		iss := clerktest.NewIssuer(t, clerktest.IssuerOptions{FrontendAPI: tc.host})
		status, body, err := get(t, context.Background(), iss, "/v1/domains", bearer(iss))
		if err != nil || status != http.StatusOK {
			t.Fatalf("domains: %d %v", status, err)
		}
		var doc struct {
			Data       []map[string]any `json:"data"`
			TotalCount *int             `json:"total_count"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.TotalCount == nil || *doc.TotalCount != 1 || len(doc.Data) != 1 {
			t.Fatalf("domains: %s", body)
		}
		d := doc.Data[0]
		id, _ := d["id"].(string)
		want := map[string]any{
			"object":              "domain",
			"id":                  id,
			"name":                tc.name,
			"is_satellite":        false,
			"frontend_api_url":    "https://" + tc.host,
			"accounts_portal_url": tc.portal,
			"proxy_url":           nil,
			"development_origin":  "",
			"cname_targets":       nil,
		}
		if !strings.HasPrefix(id, "dmn_") || !reflect.DeepEqual(d, want) {
			t.Errorf("domain %v, want %v", d, want)
		}
	}
}

type clerkErrors struct {
	Errors []struct {
		Code        string          `json:"code"`
		Message     string          `json:"message"`
		LongMessage string          `json:"long_message"`
		Meta        *map[string]any `json:"meta"`
	} `json:"errors"`
	TraceID string `json:"clerk_trace_id"`
}

func checkClerkError(t *testing.T, body []byte, code string) {
	t.Helper()
	var e clerkErrors
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	if len(e.Errors) != 1 || e.Errors[0].Code != code || e.Errors[0].Message == "" || e.Errors[0].LongMessage == "" || e.Errors[0].Meta == nil || e.TraceID == "" {
		t.Errorf("error body %s, want one %q error with message, long_message, meta and clerk_trace_id", body, code)
	}
}

func TestSecretKeyRequired(t *testing.T) {
	iss := clerktest.NewIssuer(t)
	ctx := context.Background()
	for _, path := range []string{"/v1/jwks", "/v1/domains"} {
		for _, authz := range []string{"", "Bearer sk_test_wrong", "Basic " + iss.SecretKey(), iss.SecretKey(), "Bearer " + iss.SecretKey() + "x",
			"Bearer " + sameLengthWrong(iss.SecretKey()), "Bearer " + iss.SecretKey()[:len(iss.SecretKey())-1]} {
			status, body, err := get(t, ctx, iss, path, authz)
			if err != nil || status != http.StatusUnauthorized {
				t.Errorf("%s with %q: %d %v, want 401", path, authz, status, err)
				continue
			}
			checkClerkError(t, body, "authentication_invalid")
		}
		for _, authz := range []string{bearer(iss), "bearer " + iss.SecretKey()} {
			if status, _, err := get(t, ctx, iss, path, authz); err != nil || status != http.StatusOK {
				t.Errorf("%s with %q: %d %v, want 200", path, authz, status, err)
			}
		}
	}
	if status, _, err := get(t, ctx, iss, "/.well-known/jwks.json", ""); err != nil || status != http.StatusOK {
		t.Errorf("frontend jwks without a key: %d %v, want 200", status, err)
	}
	status, body, err := get(t, ctx, iss, "/v1/users", bearer(iss))
	if err != nil || status != http.StatusNotFound {
		t.Fatalf("unknown path: %d %v, want 404", status, err)
	}
	checkClerkError(t, body, "resource_not_found")

	// A verifier with the wrong secret key cannot load keys.
	cfg := iss.AuthConfig()
	cfg.SecretKey = "sk_test_wrong"
	v := newVerifier(t, cfg)
	if err := v.Warm(ctx); !errors.Is(err, auth.ErrKeysUnavailable) {
		t.Errorf("Warm with a wrong secret key: %v, want ErrKeysUnavailable", err)
	}
}

func TestFaultKinds(t *testing.T) {
	iss := clerktest.NewIssuer(t, clerktest.IssuerOptions{Clock: clerktest.NewClock(t0)})
	ctx := context.Background()
	paths := []string{"/.well-known/jwks.json", "/v1/jwks", "/v1/domains"}
	type checkFunc func(t *testing.T, path string, status int, body []byte, err error)
	for _, tc := range []struct {
		name  string
		fault clerktest.Fault
		check checkFunc
	}{
		{"down", clerktest.Fault{Kind: clerktest.FaultDown}, func(t *testing.T, path string, status int, body []byte, err error) {
			if err == nil {
				t.Errorf("got %d %q, want a transport error", status, body)
			}
		}},
		{"500", clerktest.Fault{Status: http.StatusInternalServerError}, func(t *testing.T, path string, status int, body []byte, err error) {
			if err != nil || status != http.StatusInternalServerError {
				t.Fatalf("got %d %v, want 500", status, err)
			}
			checkClerkError(t, body, "internal_clerk_error")
		}},
		{"garbage", clerktest.Fault{Kind: clerktest.FaultGarbage}, func(t *testing.T, path string, status int, body []byte, err error) {
			if err != nil || status != http.StatusOK || json.Valid(body) || len(body) == 0 {
				t.Errorf("got %d %q %v, want 200 with a non-JSON body", status, body, err)
			}
		}},
		{"empty set", clerktest.Fault{Kind: clerktest.FaultEmptySet}, func(t *testing.T, path string, status int, body []byte, err error) {
			want := `{"keys":[]}`
			if path == "/v1/domains" {
				want = `{"data":[],"total_count":0}`
			}
			if err != nil || status != http.StatusOK || string(body) != want {
				t.Errorf("got %d %q %v, want 200 %s", status, body, err, want)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer iss.ClearFaults()
			iss.InjectFault(tc.fault)
			for _, path := range paths {
				// The fault comes before the secret key check.
				for _, authz := range []string{bearer(iss), ""} {
					status, body, err := get(t, ctx, iss, path, authz)
					tc.check(t, path, status, body, err)
				}
			}
			// A verifier cannot load keys, whatever its configuration.
			for _, cfg := range []auth.Config{
				iss.AuthConfig(),
				{JWKSURL: iss.URL() + "/.well-known/jwks.json", Issuer: iss.IssuerURL(), HTTPClient: iss.AuthConfig().HTTPClient},
			} {
				v := newVerifier(t, cfg)
				if err := v.Warm(ctx); !errors.Is(err, auth.ErrKeysUnavailable) {
					t.Errorf("Warm: %v, want ErrKeysUnavailable", err)
				}
			}
		})
	}
	// Service restored: a verifier that failed recovers once its retry
	// throttle has passed.
	iss.InjectFault(clerktest.Fault{Status: http.StatusInternalServerError})
	v := newVerifier(t, iss.AuthConfig())
	tok := iss.Token(clerktest.Claims{UserID: "user_1"})
	if _, err := v.Verify(ctx, tok); !errors.Is(err, auth.ErrKeysUnavailable) {
		t.Fatalf("Verify while failing: %v", err)
	}
	iss.ClearFaults()
	iss.Clock().Advance(auth.DefaultMinRefreshInterval)
	tok = iss.Token(clerktest.Claims{UserID: "user_1"})
	mustVerify(t, v, tok)
	if got := clerktest.FaultKind(42).String(); got != "FaultKind(42)" {
		t.Errorf("String = %q", got)
	}
}

func TestFaultRouteTimesAndStatus(t *testing.T) {
	iss := clerktest.NewIssuer(t)
	ctx := context.Background()
	// Faults apply in order, to their route, as many times as they say.
	iss.InjectFault(clerktest.Fault{Route: "GET /v1/domains", Status: http.StatusTooManyRequests, RetryAfter: 1500 * time.Millisecond, Times: 2})
	iss.InjectFault(clerktest.Fault{Route: "GET /v1/domains", Status: http.StatusServiceUnavailable, Times: 1})
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, iss.URL()+"/v1/domains", nil)
	req.Header.Set("Authorization", bearer(iss))
	for i, want := range []int{429, 429, 503, 200} {
		resp, err := iss.AuthConfig().HTTPClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("request %d: %d %s, want %d", i, resp.StatusCode, body, want)
		}
		switch want {
		case 429:
			if ra := resp.Header.Get("Retry-After"); ra != "2" {
				t.Errorf("Retry-After %q, want 2 (1.5 s rounded up)", ra)
			}
			checkClerkError(t, body, "too_many_requests")
		case 503:
			checkClerkError(t, body, "internal_clerk_error")
		}
	}
	// Another route is untouched.
	iss.InjectFault(clerktest.Fault{Route: "GET /v1/jwks", Kind: clerktest.FaultDown})
	if status, _, err := get(t, ctx, iss, "/.well-known/jwks.json", ""); err != nil || status != http.StatusOK {
		t.Errorf("frontend JWKS: %d %v", status, err)
	}
	if _, _, err := get(t, ctx, iss, "/v1/jwks", bearer(iss)); err == nil {
		t.Error("GET /v1/jwks answered through FaultDown")
	}
	iss.ClearFaults()
	if status, _, err := get(t, ctx, iss, "/v1/jwks", bearer(iss)); err != nil || status != http.StatusOK {
		t.Errorf("after ClearFaults: %d %v", status, err)
	}
}

func TestInjectFaultRejectsInvalid(t *testing.T) {
	iss := clerktest.NewIssuer(t)
	for name, f := range map[string]clerktest.Fault{
		"unknown route":        {Route: "GET /v1/users"},
		"route without method": {Route: "/v1/jwks"},
		"kind and status":      {Kind: clerktest.FaultDown, Status: 500},
		"retry-after alone":    {RetryAfter: time.Second},
		"status too low":       {Status: 99},
		"status too high":      {Status: 600},
		"negative times":       {Times: -1},
		"negative latency":     {Latency: -time.Second},
		"unknown kind":         {Kind: clerktest.FaultKind(9)},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("InjectFault(%+v) did not panic", f)
				}
			}()
			iss.InjectFault(f)
		})
	}
	// None was added.
	if status, _, err := get(t, context.Background(), iss, "/.well-known/jwks.json", ""); err != nil || status != http.StatusOK {
		t.Errorf("after rejected faults: %d %v", status, err)
	}
}

func TestLatency(t *testing.T) {
	iss := clerktest.NewIssuer(t)
	const d = 300 * time.Millisecond
	iss.InjectFault(clerktest.Fault{Latency: d})

	start := time.Now()
	status, _, err := get(t, context.Background(), iss, "/.well-known/jwks.json", "")
	if err != nil || status != http.StatusOK {
		t.Fatalf("slow request: %d %v", status, err)
	}
	if el := time.Since(start); el < d {
		t.Errorf("answered after %v, want at least %v", el, d)
	}

	// The client's deadline ends the wait.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := get(t, ctx, iss, "/v1/jwks", bearer(iss)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("request with a short deadline: %v, want DeadlineExceeded", err)
	}

	// Latency then failure, in one fault (the first that matches applies).
	iss.ClearFaults()
	iss.InjectFault(clerktest.Fault{Latency: d, Status: http.StatusInternalServerError, Times: 1})
	iss.InjectFault(clerktest.Fault{Latency: d})
	start = time.Now()
	if status, _, _ := get(t, context.Background(), iss, "/v1/domains", ""); status != http.StatusInternalServerError || time.Since(start) < d {
		t.Errorf("slow 500: %d after %v", status, time.Since(start))
	}

	// A verifier's FetchTimeout bounds the wait.
	cfg := iss.AuthConfig()
	cfg.FetchTimeout = 50 * time.Millisecond
	if err := newVerifier(t, cfg).Warm(context.Background()); !errors.Is(err, auth.ErrKeysUnavailable) {
		t.Errorf("Warm against a slow server: %v, want ErrKeysUnavailable", err)
	}

	iss.ClearFaults()
	start = time.Now()
	get(t, context.Background(), iss, "/.well-known/jwks.json", "")
	if el := time.Since(start); el >= d {
		t.Errorf("after ClearFaults: answered after %v", el)
	}
}

// Close does not wait out injected latency.
func TestCloseDuringLatency(t *testing.T) {
	iss, err := clerktest.StartIssuer()
	if err != nil {
		t.Fatal(err)
	}
	iss.InjectFault(clerktest.Fault{Latency: time.Hour})
	errc := make(chan error, 1)
	go func() {
		_, _, err := get(t, context.Background(), iss, "/.well-known/jwks.json", "")
		errc <- err
	}()
	for iss.JWKSFetches() == 0 {
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	go func() { iss.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the delayed request")
	}
	if err := <-errc; err == nil {
		t.Error("the delayed request got an answer after Close")
	}
}

func TestFaultIsPerIssuer(t *testing.T) {
	a := clerktest.NewIssuer(t)
	b := clerktest.NewIssuer(t)
	a.InjectFault(clerktest.Fault{Kind: clerktest.FaultDown})
	if status, _, err := get(t, context.Background(), b, "/.well-known/jwks.json", ""); err != nil || status != 200 {
		t.Errorf("other issuer affected: %d %v", status, err)
	}
	if kids := jwksKids(t, b); !slices.Equal(kids, []string{b.KeyID()}) {
		t.Errorf("kids %v", kids)
	}
}

// sameLengthWrong returns key with its last character changed.
func sameLengthWrong(key string) string {
	last := key[len(key)-1]
	if last == 'A' {
		last = 'B'
	} else {
		last = 'A'
	}
	return key[:len(key)-1] + string(last)
}

// Handler serves the Issuer's routes on a server of one's own, with the
// Issuer's faults and fetch counts.
func TestHandlerOnAnotherServer(t *testing.T) {
	iss := clerktest.NewIssuer(t)
	other := httptest.NewServer(iss.Handler())
	defer other.Close()
	do := func(path, authz string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, other.URL+path, nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		resp, err := other.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if status, body := do("/.well-known/jwks.json", ""); status != 200 || !strings.Contains(string(body), iss.KeyID()) {
		t.Fatalf("JWKS: %d %s", status, body)
	}
	if status, body := do("/v1/jwks", ""); status != 401 {
		t.Fatalf("/v1/jwks without the key: %d %s", status, body)
	}
	if status, _ := do("/v1/domains", bearer(iss)); status != 200 {
		t.Fatalf("domains: %d", status)
	}
	if status, body := do("/v1/users", bearer(iss)); status != 404 {
		t.Fatalf("unknown path: %d %s", status, body)
	}
	iss.InjectFault(clerktest.Fault{Route: "GET /.well-known/jwks.json", Kind: clerktest.FaultEmptySet, Times: 1})
	if status, body := do("/.well-known/jwks.json", ""); status != 200 || string(body) != `{"keys":[]}` {
		t.Fatalf("fault through Handler: %d %s", status, body)
	}
	if got := iss.JWKSFetches(); got != 3 {
		t.Errorf("JWKSFetches = %d, want 3", got)
	}
	if got := iss.DomainsFetches(); got != 1 {
		t.Errorf("DomainsFetches = %d, want 1", got)
	}
	if got := iss.Routes(); !slices.Equal(got, []string{"GET /.well-known/jwks.json", "GET /v1/domains", "GET /v1/jwks"}) {
		t.Errorf("Routes = %v", got)
	}
}

func TestStartIssuerTakesOneOptions(t *testing.T) {
	if iss, err := clerktest.StartIssuer(clerktest.IssuerOptions{}, clerktest.IssuerOptions{}); err == nil {
		iss.Close()
		t.Fatal("StartIssuer accepted two IssuerOptions")
	}
}
