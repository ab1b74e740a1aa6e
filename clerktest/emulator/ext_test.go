package emulator_test

import "testing"

// exerciseExtRoutes calls, once each, the routes of domains.go,
// oauthapps.go and billing.go (for TestEveryRouteIsExercised).
func exerciseExtRoutes(t *testing.T, a *api) {
	t.Helper()
	d := a.ok("POST", "/v1/domains", map[string]any{"name": "exercise.example.com", "is_satellite": true})
	a.ok("PATCH", "/v1/domains/"+d["id"].(string), map[string]any{"name": "exercise2.example.com"})
	a.ok("DELETE", "/v1/domains/"+d["id"].(string), nil)

	app := a.ok("POST", "/v1/oauth_applications", map[string]any{"name": "Exercise"})
	id := app["id"].(string)
	a.ok("GET", "/v1/oauth_applications", nil)
	a.ok("GET", "/v1/oauth_applications/"+id, nil)
	a.ok("PATCH", "/v1/oauth_applications/"+id, map[string]any{"name": "Exercise 2"})
	a.ok("POST", "/v1/oauth_applications/"+id+"/rotate_secret", nil)
	a.fail("POST", "/v1/oauth_applications/"+id+"/revoke_token", map[string]any{"token": "oat_unknown"}, 404, "resource_not_found")
	a.ok("DELETE", "/v1/oauth_applications/"+id, nil)

	exerciseBillingRoutes(t, a)
}
