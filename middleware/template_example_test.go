package middleware_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/middleware"
)

// A route for tokens of the "reports" JWT template, beside session routes.
func ExampleMiddleware_RequireTemplateToken() {
	iss, _ := clerktest.StartIssuer()
	defer iss.Close()
	v, _ := auth.NewVerifier(iss.AuthConfig()) // auth.ConfigFromEnv() in production
	reports, _ := auth.NewTemplateVerifier(v, auth.TemplateOptions{Name: "reports", Audience: []string{"https://reports.example.com"}})
	m := middleware.New(v)

	mux := http.NewServeMux()
	mux.Handle("GET /api/reports", m.RequireTemplateToken(reports)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tt, _ := auth.TemplateTokenFromContext(r.Context())
		fmt.Fprint(w, "report for ", tt.UserID)
	})))
	mux.Handle("GET /api/me", m.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))

	// A token as Clerk mints it from the template (header cat
	// cl_B7d4PD222AAA, the template's aud), and a session token.
	template := iss.Token(clerktest.Claims{UserID: "user_123",
		Header: map[string]any{"cat": "cl_B7d4PD222AAA"}, Extra: map[string]any{"aud": "https://reports.example.com"}})
	session := iss.Token(clerktest.Claims{UserID: "user_123"})
	for _, c := range []struct{ path, token string }{
		{"/api/reports", template}, {"/api/reports", session}, {"/api/me", template}, {"/api/me", session},
	} {
		req := httptest.NewRequest("GET", c.path, nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		fmt.Println(c.path, w.Code, strings.TrimSpace(w.Body.String()))
	}
	// Output:
	// /api/reports 200 report for user_123
	// /api/reports 401 {"error":"unauthorized","reason":"token-type-mismatch"}
	// /api/me 401 {"error":"unauthorized","reason":"token-type-mismatch"}
	// /api/me 200
}
