package middleware_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/middleware"
)

// The account-deletion route refuses a session ended elsewhere within the
// checker's TTL (10 s), not within the token's lifetime.
func ExampleMiddleware_RequireActiveSession() {
	srv, _ := emulator.StartServer()
	defer srv.Close()
	srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk", EmailAddresses: []string{"ada@example.com"}}}})
	v, _ := auth.NewVerifier(srv.AuthConfig())
	checker, _ := auth.NewSessionChecker(v, auth.SessionCheckOptions{})
	m := middleware.New(v)

	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	mux.Handle("GET /api/me", m.RequireAuth(ok))
	mux.Handle("DELETE /api/account", m.RequireActiveSession(checker)(ok))

	token, _ := srv.SessionToken("user_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "")
	call := func(method, path string) {
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		fmt.Println(strings.TrimSpace(fmt.Sprintln(method, path, w.Code, strings.TrimSpace(w.Body.String()))))
	}
	call("DELETE", "/api/account")
	s, _ := v.Verify(context.Background(), token)
	srv.EndSession(s.SessionID) // the user signs out in another tab
	srv.Clock().Advance(checker.TTL())
	call("GET", "/api/me")
	call("DELETE", "/api/account")
	// Output:
	// DELETE /api/account 200
	// GET /api/me 200
	// DELETE /api/account 401 {"error":"unauthorized","reason":"session-revoked"}
}
