package middleware_test

// Benchmarks of the request path, run together so that the ratios are
// measured on one machine in one run:
//
//	go test -run='^$' -bench=. -benchmem -count=10 ./middleware/ | tee bench.txt
//	benchstat -col /impl bench.txt
//
// impl=raw-rsa is the physical limit: SHA-256 and rsa.VerifyPKCS1v15 of the
// token's signature, nothing else. impl=clerk-sdk-go is clerk-sdk-go
// v2.4.2's RequireHeaderAuthorization with its JWKS cache warm.
// impl=clerkkit is RequireAuth. tokens=fresh cycles through 256 distinct
// tokens (clerkkit's verified-token cache is turned off, so every request
// pays a full verification); tokens=repeated presents one token again and
// again, as a browser does within the token's 60 s (cache on).

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	clerkhttp "github.com/clerk/clerk-sdk-go/v2/http"
	"github.com/clerk/clerk-sdk-go/v2/jwks"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/middleware"
)

const benchTokens = 256

type benchEnv struct {
	iss    *clerktest.Issuer
	tokens []string
	reqs   []*http.Request
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	iss := clerktest.NewIssuer(b, clerktest.IssuerOptions{Clock: clerktest.RealClock()})
	e := &benchEnv{iss: iss}
	now := time.Now()
	for i := range benchTokens {
		tok := iss.Token(clerktest.Claims{
			UserID: fmt.Sprintf("user_%03d", i), SessionID: fmt.Sprintf("sess_%03d", i),
			Org:       &clerktest.Org{ID: "org_1", Slug: "acme", Role: "admin", Permissions: []string{"org:invoices:create", "org:invoices:read"}},
			ExpiresAt: now.Add(time.Hour), IssuedAt: now, NotBefore: now.Add(-10 * time.Second),
		})
		r := httptest.NewRequest("GET", "/api/me", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		e.tokens = append(e.tokens, tok)
		e.reqs = append(e.reqs, r)
	}
	return e
}

// discard is a reusable ResponseWriter that keeps only the status.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(code int)        { d.code = code }

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })

// serve runs h over the requests, sequentially or in parallel, and fails
// on any non-200.
func serve(b *testing.B, h http.Handler, reqs []*http.Request, parallel bool) {
	b.ReportAllocs()
	if !parallel {
		w := &discard{h: http.Header{}}
		i := 0
		for b.Loop() {
			w.code = 0
			h.ServeHTTP(w, reqs[i%len(reqs)])
			if w.code != 200 {
				b.Fatalf("status %d", w.code)
			}
			i++
		}
		return
	}
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		w := &discard{h: http.Header{}}
		for pb.Next() {
			w.code = 0
			h.ServeHTTP(w, reqs[int(next.Add(1))%len(reqs)])
			if w.code != 200 {
				b.Errorf("status %d", w.code)
				return
			}
		}
	})
}

func clerkkitHandler(b *testing.B, e *benchEnv, cache bool) http.Handler {
	cfg := e.iss.AuthConfig()
	cfg.Now = nil // the real clock, like clerk-sdk-go
	cfg.DisableTokenCache = !cache
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := v.Warm(context.Background()); err != nil {
		b.Fatal(err)
	}
	return middleware.New(v).RequireAuth(ok)
}

func clerkSDKHandler(b *testing.B, e *benchEnv) http.Handler {
	client := jwks.NewClient(&clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		URL: clerk.String(e.iss.URL() + "/v1"), Key: clerk.String(e.iss.SecretKey()),
	}})
	h := clerkhttp.RequireHeaderAuthorization(clerkhttp.JWKSClient(client))(ok)
	// Warm its (process-wide) key cache.
	w := &discard{h: http.Header{}}
	h.ServeHTTP(w, e.reqs[0])
	if w.code != 200 {
		b.Fatalf("clerk-sdk-go warm-up: status %d", w.code)
	}
	return h
}

// rawRSA verifies the tokens' signatures with crypto/rsa alone.
func rawRSA(b *testing.B, e *benchEnv, parallel bool) {
	type signed struct {
		input []byte
		sig   []byte
	}
	pub := &e.iss.PrivateKey().PublicKey
	var toks []signed
	for _, t := range e.tokens {
		i := strings.LastIndexByte(t, '.')
		sig, err := base64.RawURLEncoding.DecodeString(t[i+1:])
		if err != nil {
			b.Fatal(err)
		}
		toks = append(toks, signed{[]byte(t[:i]), sig})
	}
	verify := func(s signed) {
		h := sha256.Sum256(s.input)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], s.sig); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	if !parallel {
		i := 0
		for b.Loop() {
			verify(toks[i%len(toks)])
			i++
		}
		return
	}
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			verify(toks[int(next.Add(1))%len(toks)])
		}
	})
}

func BenchmarkAuth(b *testing.B) {
	e := newBenchEnv(b)
	sdk := clerkSDKHandler(b, e)
	fresh := clerkkitHandler(b, e, false)
	cached := clerkkitHandler(b, e, true)
	one := e.reqs[:1]
	for _, mode := range []struct {
		name     string
		parallel bool
	}{{"seq", false}, {"parallel", true}} {
		p := mode.parallel
		b.Run("run="+mode.name+"/tokens=fresh/impl=raw-rsa", func(b *testing.B) { rawRSA(b, e, p) })
		b.Run("run="+mode.name+"/tokens=fresh/impl=clerk-sdk-go", func(b *testing.B) { serve(b, sdk, e.reqs, p) })
		b.Run("run="+mode.name+"/tokens=fresh/impl=clerkkit", func(b *testing.B) { serve(b, fresh, e.reqs, p) })
		b.Run("run="+mode.name+"/tokens=repeated/impl=clerk-sdk-go", func(b *testing.B) { serve(b, sdk, one, p) })
		b.Run("run="+mode.name+"/tokens=repeated/impl=clerkkit", func(b *testing.B) { serve(b, cached, one, p) })
	}
}
