package clerktest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
)

func ExampleStartIssuer() {
	iss, err := clerktest.StartIssuer(clerktest.IssuerOptions{FrontendAPI: "clerk.example.com"})
	if err != nil {
		log.Fatal(err)
	}
	defer iss.Close()

	fmt.Println(iss.IssuerURL())
	fmt.Println(iss.PublishableKey())
	host, _ := auth.FrontendAPIFromPublishableKey(iss.PublishableKey())
	fmt.Println(host)
	// Output:
	// https://clerk.example.com
	// pk_test_Y2xlcmsuZXhhbXBsZS5jb20k
	// clerk.example.com
}

func ExampleIssuer_Token() {
	iss, err := clerktest.StartIssuer()
	if err != nil {
		log.Fatal(err)
	}
	defer iss.Close()

	v, err := auth.NewVerifier(iss.AuthConfig())
	if err != nil {
		log.Fatal(err)
	}
	token := iss.Token(clerktest.Claims{
		UserID: "user_1",
		Org: &clerktest.Org{
			ID:          "org_1",
			Slug:        "acme",
			Role:        "admin",
			Permissions: []string{"org:invoices:create", "org:invoices:read"},
		},
	})
	s, err := v.Verify(context.Background(), token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.UserID, s.OrgID, s.OrgSlug, s.OrgRole)
	fmt.Println(s.OrgPermissions)
	fmt.Println(s.Has(auth.Check{Permission: "org:invoices:create"}))
	// Output:
	// user_1 org_1 acme org:admin
	// [org:invoices:create org:invoices:read]
	// true
}

func ExampleClock() {
	clock := clerktest.NewClock(time.Date(2025, 4, 14, 12, 0, 0, 0, time.UTC))
	iss, err := clerktest.StartIssuer(clerktest.IssuerOptions{Clock: clock})
	if err != nil {
		log.Fatal(err)
	}
	defer iss.Close()
	v, err := auth.NewVerifier(iss.AuthConfig()) // reads the same clock
	if err != nil {
		log.Fatal(err)
	}

	token := iss.Token(clerktest.Claims{UserID: "user_1"}) // valid for 60 s
	_, err = v.Verify(context.Background(), token)
	fmt.Println(err)

	clock.Advance(2 * time.Minute)
	_, err = v.Verify(context.Background(), token)
	fmt.Println(errors.Is(err, auth.ErrExpired))
	// Output:
	// <nil>
	// true
}

func ExampleIssuer_InjectFault() {
	iss, err := clerktest.StartIssuer()
	if err != nil {
		log.Fatal(err)
	}
	defer iss.Close()
	ctx := context.Background()

	iss.InjectFault(clerktest.Fault{Kind: clerktest.FaultDown})
	cold, _ := auth.NewVerifier(iss.AuthConfig())
	fmt.Println(auth.Reason(cold.Warm(ctx)))

	iss.ClearFaults()
	warm, _ := auth.NewVerifier(iss.AuthConfig())
	fmt.Println(warm.Warm(ctx))
	// Once its keys are loaded, a verifier rides out an outage.
	iss.InjectFault(clerktest.Fault{Status: http.StatusInternalServerError})
	_, err = warm.Verify(ctx, iss.Token(clerktest.Claims{UserID: "user_1"}))
	fmt.Println(err, iss.JWKSFetches())
	// Output:
	// jwk-remote-failed-to-load
	// <nil>
	// <nil> 2
}

func ExampleIssuer_Rotate() {
	iss, err := clerktest.StartIssuer()
	if err != nil {
		log.Fatal(err)
	}
	defer iss.Close()

	old := iss.KeyID()
	kid := iss.Rotate()
	fmt.Println(len(iss.KeyIDs()), iss.KeyIDs()[1] == kid)
	iss.DropKey(old)
	fmt.Println(len(iss.KeyIDs()), iss.KeyIDs()[0] == kid)
	// Output:
	// 2 true
	// 1 true
}
