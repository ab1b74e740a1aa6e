package middleware_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/middleware"
)

func ExampleNew() {
	iss, _ := clerktest.StartIssuer()
	defer iss.Close()
	v, _ := auth.NewVerifier(iss.AuthConfig()) // auth.ConfigFromEnv() in production
	m := middleware.New(v)

	mux := http.NewServeMux()
	mux.Handle("GET /api/me", m.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := auth.FromContext(r.Context())
		fmt.Fprint(w, "hello ", s.UserID)
	})))
	mux.Handle("POST /api/invoices", m.RequirePermission("org:invoices:create")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})))

	token := iss.Token(clerktest.Claims{UserID: "user_123", Org: &clerktest.Org{ID: "org_1", Role: "member"}})
	for _, c := range []struct{ method, path, token string }{
		{"GET", "/api/me", token},
		{"GET", "/api/me", ""},
		{"POST", "/api/invoices", token},
	} {
		req := httptest.NewRequest(c.method, c.path, nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		fmt.Println(c.method, c.path, w.Code)
	}
	// Output:
	// GET /api/me 200
	// GET /api/me 401
	// POST /api/invoices 403
}

func ExampleMiddleware_Protect() {
	iss, _ := clerktest.StartIssuer()
	defer iss.Close()
	v, _ := auth.NewVerifier(iss.AuthConfig())
	m := middleware.New(v, middleware.WithSignInURL("/sign-in"))

	site := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	h := m.Protect(site, middleware.Public("/", "/pricing", "/blog/*"))

	for _, path := range []string{"/pricing", "/blog/hello", "/dashboard"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Accept", "text/html")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if loc := w.Header().Get("Location"); loc != "" {
			fmt.Println(path, w.Code, loc)
		} else {
			fmt.Println(path, w.Code)
		}
	}
	// Output:
	// /pricing 200
	// /blog/hello 200
	// /dashboard 303 /sign-in?redirect_url=%2Fdashboard
}

func ExampleWithPublicURL() {
	iss, _ := clerktest.StartIssuer()
	defer iss.Close()
	v, _ := auth.NewVerifier(iss.AuthConfig())
	// Clerk's Account Portal is on another origin, so redirect_url must be
	// absolute: it is built on the configured origin, not on the Host header.
	m := middleware.New(v,
		middleware.WithSignInURL("https://accounts.example.com/sign-in"),
		middleware.WithPublicURL("https://app.example.com"))
	h := m.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))

	req := httptest.NewRequest("GET", "/dashboard?tab=2", nil)
	req.Host = "evil.example"
	req.Header.Set("Accept", "text/html")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	fmt.Println(w.Code, w.Header().Get("Cache-Control"))
	fmt.Println(w.Header().Get("Location"))
	// Output:
	// 303 no-store
	// https://accounts.example.com/sign-in?redirect_url=https%3A%2F%2Fapp.example.com%2Fdashboard%3Ftab%3D2
}

// A route for services (API keys and M2M tokens with a scope) beside a
// route for signed-in users.
func ExampleMiddleware_RequireToken() {
	srv, _ := emulator.StartServer()
	defer srv.Close()
	srv.Seed(emulator.SeedData{
		Organizations: []emulator.SeedOrganization{{ID: "org_2xhFjEI5X2qWRvtV13BzSj8H6Dk", Name: "Acme", Slug: "acme"}},
		APIKeys: []emulator.SeedAPIKey{{Name: "ci key", Subject: "org_2xhFjEI5X2qWRvtV13BzSj8H6Dk",
			Secret: "ak_example_secret_0123456789", Scopes: []string{"deploy"}}},
	})
	v, _ := auth.NewVerifier(srv.AuthConfig())
	m := middleware.New(v)

	deploy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mach, _ := auth.MachineFromContext(r.Context())
		fmt.Fprintf(w, "deploying for %s", mach.OrgID())
	})
	mux := http.NewServeMux()
	mux.Handle("POST /deploy", m.RequireToken(auth.APIKey, auth.M2MToken)(m.RequireScope("deploy")(deploy)))
	mux.Handle("GET /me", m.RequireAuth(deploy))

	for _, target := range []string{"/deploy", "/me"} {
		method := "POST"
		if target == "/me" {
			method = "GET"
		}
		r := httptest.NewRequest(method, target, nil)
		r.Header.Set("Authorization", "Bearer ak_example_secret_0123456789")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	}
	// Output:
	// 200 deploying for org_2xhFjEI5X2qWRvtV13BzSj8H6Dk
	// 401 {"error":"unauthorized","reason":"token-type-mismatch"}
}
