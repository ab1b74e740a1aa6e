package auth_test

// The cost of the session check on a warm cache, beside plain
// verification of the same (cached) token:
//
//	go test -run '^$' -bench 'SessionCheck' -benchmem ./auth/

import (
	"context"
	"testing"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

func BenchmarkSessionCheck(b *testing.B) {
	srv := emulator.NewServer(b, emulator.Options{Clock: clerktest.NewClock(t0)})
	if err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: emuUser, EmailAddresses: []string{"ada@example.com"}}}}); err != nil {
		b.Fatal(err)
	}
	v, err := auth.NewVerifier(srv.AuthConfig())
	if err != nil {
		b.Fatal(err)
	}
	c, err := auth.NewSessionChecker(v, auth.SessionCheckOptions{})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := srv.SessionToken(emuUser, "")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Verify(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.Run("check=off", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("check=cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("check=cached-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Verify(ctx, tok); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	if n := c.Lookups(); n != 1 {
		b.Fatalf("%d lookups", n)
	}
}
