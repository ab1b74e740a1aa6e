package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// A session revoked through the Backend API is refused once the checker's
// TTL has passed, although its token is still within its lifetime.
func ExampleSessionChecker() {
	srv, _ := emulator.StartServer()
	defer srv.Close()
	srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk", EmailAddresses: []string{"ada@example.com"}}}})
	v, _ := auth.NewVerifier(srv.AuthConfig())
	checker, err := auth.NewSessionChecker(v, auth.SessionCheckOptions{}) // TTL 10 s
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	token, _ := srv.SessionToken("user_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "")

	s, err := checker.Verify(ctx, token)
	fmt.Println(s.UserID, err)

	// The session is revoked; the token stays valid for its 60 s.
	req, _ := http.NewRequest("POST", srv.URL()+"/v1/sessions/"+s.SessionID+"/revoke", nil)
	req.Header.Set("Authorization", "Bearer "+srv.SecretKey())
	resp, _ := srv.HTTPClient().Do(req)
	resp.Body.Close()
	srv.Clock().Advance(checker.TTL())

	_, err = v.Verify(ctx, token)
	fmt.Println("token alone:", err)
	_, err = checker.Verify(ctx, token)
	fmt.Println("with the check:", errors.Is(err, auth.ErrSessionRevoked), auth.Reason(err))
	// Output:
	// user_2xhFjEI5X2qWRvtV13BzSj8H6Dk <nil>
	// token alone: <nil>
	// with the check: true session-revoked
}
