package auth_test

// Machine token benchmarks, side by side in one run:
//
//	go test -run '^$' -bench 'Machine' -benchmem ./auth/
//
// impl=raw-rsa is the floor: SHA-256 of the signing input and
// rsa.VerifyPKCS1v15, nothing else. impl=clerkkit-uncached is VerifyToken
// of an M2M JWT with the verified-token cache off (parsing, kind, strict
// claims, custom claims), impl=clerkkit-cached the same token presented
// again. clerk-sdk-go v2.4.2 has no networkless M2M verification (its
// m2m_token.Verify posts every token to the Backend API), so it has no row
// here. BenchmarkMachineOpaque measures a cache hit of an opaque API key
// (hash of the token and a map lookup); BenchmarkMachineSessionDuringFlood
// reports session verification latency (p50/p99) while other goroutines
// present thousands of random API keys per second.

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
)

func BenchmarkMachineM2MJWT(b *testing.B) {
	iss := clerktest.NewIssuer(b, clerktest.IssuerOptions{Clock: clerktest.NewClock(t0)})
	tok := machineJWT(iss, auth.M2MToken, nil, nil)
	parts := strings.Split(tok, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	pub := &iss.PrivateKey().PublicKey
	input := parts[0] + "." + parts[1]
	b.Run("impl=raw-rsa", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d := sha256.Sum256([]byte(input))
			if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, cached := range []bool{false, true} {
		name := "impl=clerkkit-uncached"
		if cached {
			name = "impl=clerkkit-cached"
		}
		cfg := iss.AuthConfig()
		cfg.DisableTokenCache = !cached
		v, err := auth.NewVerifier(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Warm(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.VerifyToken(context.Background(), tok, auth.M2MToken); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMachineOpaque(b *testing.B) {
	iss := clerktest.NewIssuer(b, clerktest.IssuerOptions{Clock: clerktest.NewClock(t0)})
	f := newFakeBAPI(&testing.T{}, iss)
	defer f.srv.Close()
	v, err := auth.NewVerifier(f.config())
	if err != nil {
		b.Fatal(err)
	}
	ak := f.apiKey(randomToken("ak_"), "user_1x", "read")
	if _, err := v.VerifyToken(context.Background(), ak, auth.APIKey); err != nil {
		b.Fatal(err)
	}
	b.Run("case=cache-hit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.VerifyToken(context.Background(), ak, auth.APIKey); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("case=cache-hit-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := v.VerifyToken(context.Background(), ak, auth.APIKey); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("case=kind-not-accepted", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.VerifyToken(context.Background(), ak); err == nil {
				b.Fatal("accepted")
			}
		}
	})
}

// BenchmarkMachineSessionDuringFlood measures session verifications (a
// fresh, uncached token each time, so each costs an RSA verification)
// alone and while 8 goroutines present random API keys (each pausing
// 200µs between tokens, as network clients do, rather than spinning on the
// 2 cores) to a Verifier that accepts them, against a Backend API
// answering 404 after 2ms. It reports p50 and p99 of the session verifications and
// the Backend API calls the flood made.
func BenchmarkMachineSessionDuringFlood(b *testing.B) {
	for _, flood := range []bool{false, true} {
		name := "flood=none"
		if flood {
			name = "flood=random-api-keys"
		}
		b.Run(name, func(b *testing.B) {
			iss := clerktest.NewIssuer(b, clerktest.IssuerOptions{Clock: clerktest.RealClock()})
			f := newFakeBAPI(&testing.T{}, iss)
			defer f.srv.Close()
			f.delay = 2 * time.Millisecond
			cfg := f.config()
			cfg.DisableTokenCache = true
			v, err := auth.NewVerifier(cfg)
			if err != nil {
				b.Fatal(err)
			}
			if err := v.Warm(context.Background()); err != nil {
				b.Fatal(err)
			}
			tok := iss.Token(clerktest.Claims{UserID: "user_1"})
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var flooded atomic.Int64
			if flood {
				for range 8 {
					wg.Go(func() {
						for {
							select {
							case <-stop:
								return
							default:
							}
							v.VerifyToken(context.Background(), randomToken("ak_"), auth.APIKey)
							flooded.Add(1)
							time.Sleep(200 * time.Microsecond) // as from the network, not a CPU-bound loop
						}
					})
				}
			}
			lat := make([]time.Duration, 0, 1<<16)
			start := time.Now()
			for b.Loop() {
				t := time.Now()
				if _, err := v.VerifyToken(context.Background(), tok); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t))
			}
			elapsed := time.Since(start)
			close(stop)
			wg.Wait()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
			if flood {
				b.ReportMetric(float64(flooded.Load())/elapsed.Seconds(), "flood-tokens/s")
				b.ReportMetric(float64(f.calls.Load())/elapsed.Seconds(), "api-calls/s")
			}
		})
	}
}
