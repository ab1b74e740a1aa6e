package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
)

func ExampleNewVerifier() {
	// A local Clerk instance; in production use auth.ConfigFromEnv().
	iss, _ := clerktest.StartIssuer()
	defer iss.Close()

	v, err := auth.NewVerifier(iss.AuthConfig())
	if err != nil {
		panic(err)
	}
	token := iss.Token(clerktest.Claims{UserID: "user_123", Org: &clerktest.Org{ID: "org_1", Role: "admin"}})
	s, err := v.Verify(context.Background(), token)
	if err != nil {
		panic(err)
	}
	fmt.Println(s.UserID, s.OrgID, s.OrgRole)
	// Output: user_123 org_1 org:admin
}

func ExampleReason() {
	iss, _ := clerktest.StartIssuer()
	defer iss.Close()
	v, _ := auth.NewVerifier(iss.AuthConfig())
	expired := iss.Token(clerktest.Claims{UserID: "user_123", ExpiresAt: time.Now().Add(-time.Minute)})

	_, err := v.Verify(context.Background(), expired)
	fmt.Println(errors.Is(err, auth.ErrExpired), auth.Reason(err))
	// Output: true token-expired
}

func ExampleSession_Has() {
	s := &auth.Session{
		UserID: "user_123", OrgID: "org_1", OrgRole: "org:admin",
		OrgPermissions: []string{"org:invoices:create"},
		Plans:          []string{"o:pro"},
	}
	fmt.Println(s.Has(auth.Check{Role: "admin"}))
	fmt.Println(s.Has(auth.Check{Permission: "org:invoices:create", Plan: "pro"}))
	fmt.Println(s.Has(auth.Check{Permission: "org:invoices:delete"}))
	fmt.Println(s.Has(auth.Check{Reverification: auth.Reverify(auth.Strict)}))
	// Output:
	// true
	// true
	// false
	// false
}

func ExampleClaim() {
	iss, _ := clerktest.StartIssuer()
	defer iss.Close()
	v, _ := auth.NewVerifier(iss.AuthConfig())
	// A session-token template that adds {"metadata": "{{user.public_metadata}}"}.
	token := iss.Token(clerktest.Claims{UserID: "user_123", Extra: map[string]any{"metadata": map[string]any{"role": "admin"}}})
	s, _ := v.Verify(context.Background(), token)

	type Metadata struct {
		Role string `json:"role"`
	}
	md, err := auth.Claim[Metadata](s, "metadata")
	fmt.Println(md.Role, err)
	// Output: admin <nil>
}

func ExampleTokenFromRequest() {
	r := httptest.NewRequest("GET", "/api/me", nil)
	r.Header.Set("Authorization", "Bearer eyJhbGciOi...")
	fmt.Println(auth.TokenFromRequest(r))
	// Output: eyJhbGciOi...
}
