package main

import (
	"context"
	"encoding/json"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/apikeys"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/examples/saas/app"
	"github.com/clerkkit/clerkkit/examples/saas/store/storetest"
	"github.com/clerkkit/clerkkit/internal/testutil"
	"github.com/clerkkit/clerkkit/middleware"
)

const acme = "org_demo_acme"

// keyRequest is an API request with a bearer API key (or any token) and
// optional extra headers.
func keyRequest(t *testing.T, r *testApp, method, path, key string, body any, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	if hdr == nil {
		code, m, _ := call(t, r, method, path, key, body)
		return code, m
	}
	req, err := http.NewRequest(method, r.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Contains(t, resp.Header.Get("Content-Type"), "application/json", "%s %s", method, path)
	var m map[string]any
	_ = jsonDecode(resp, &m)
	return resp.StatusCode, m
}

// projectTitles are the titles of a GET /api/projects answer.
func projectTitles(t *testing.T, body map[string]any) []string {
	t.Helper()
	ps, ok := body["projects"].([]any)
	require.True(t, ok, "%v", body)
	var out []string
	for _, p := range ps {
		out = append(out, p.(map[string]any)["title"].(string))
	}
	return out
}

// keyNames are the names of a GET /api/orgs/{orgID}/api-keys answer; no
// entry may carry a secret.
func keyNames(t *testing.T, body map[string]any) []string {
	t.Helper()
	ks, ok := body["api_keys"].([]any)
	require.True(t, ok, "%v", body)
	var out []string
	for _, k := range ks {
		m := k.(map[string]any)
		assert.NotContains(t, m, "secret", "a listed key has no secret")
		out = append(out, m["name"].(string))
	}
	return out
}

func jsonDecode(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

var secretInPage = regexp.MustCompile(`id="new-key-secret">([^<]+)<`)

// TestOrganizationAPIKeys: an organization admin creates API keys (JSON
// and page), lists and revokes them; the keys read and write the
// organization's projects with the right scopes only, nothing else, and
// are refused once revoked.
func TestOrganizationAPIKeys(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		logs := &testutil.SyncBuffer{}
		r := start(t, b.URL, func(o *options) { o.Burst = 1000; o.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
		ctx := context.Background()
		admin := token(t, r, "user_demo_admin", acme)
		member := token(t, r, "user_demo_member", acme)

		// Data to read: an Acme project and a personal one of the admin.
		code, body, _ := call(t, r, "POST", "/api/projects", admin, map[string]any{"title": "Acme roadmap"})
		require.Equal(t, 201, code, body)
		code, body, _ = call(t, r, "POST", "/api/projects", admin, map[string]any{"title": "Ada's notes", "organization_id": ""})
		require.Equal(t, 201, code, body)

		// Create through the JSON API: a read-only key.
		code, body, _ = call(t, r, "POST", "/api/orgs/"+acme+"/api-keys", admin, map[string]any{"name": "CI reader", "description": "nightly export", "scopes": []string{"projects:read"}})
		require.Equal(t, 201, code, body)
		reader, _ := body["secret"].(string)
		readerID, _ := body["id"].(string)
		require.True(t, strings.HasPrefix(reader, "ak_"), "the secret is in the creation's answer")
		assert.NotEqual(t, reader, readerID)
		assert.Equal(t, acme, body["organization_id"])
		assert.Equal(t, "user_demo_admin", body["created_by"])
		assert.Equal(t, []any{"projects:read"}, body["scopes"])
		assert.Equal(t, "nightly export", body["description"])

		// Wrong input names the fields; members cannot create keys.
		for _, tc := range []struct {
			in    map[string]any
			field string
		}{
			{map[string]any{"name": "x", "scopes": []string{"projects:read"}}, "name"},
			{map[string]any{"name": "  ", "scopes": []string{"projects:read"}}, "name"},
			{map[string]any{"name": strings.Repeat("n", 65), "scopes": []string{"projects:read"}}, "name"},
			{map[string]any{"name": "CI", "scopes": []string{"projects:read"}}, "name"},
			{map[string]any{"name": "no scope"}, "scopes"},
			{map[string]any{"name": "no scope", "scopes": []string{}}, "scopes"},
			{map[string]any{"name": "bad scope", "scopes": []string{"projects:read", "admin"}}, "scopes"},
			{map[string]any{"name": "long description", "scopes": []string{"projects:read"}, "description": strings.Repeat("d", 256)}, "description"},
			{map[string]any{"name": "extra", "scopes": []string{"projects:read"}, "subject": "org_demo_globex"}, "subject"},
		} {
			code, body, _ := call(t, r, "POST", "/api/orgs/"+acme+"/api-keys", admin, tc.in)
			assert.Equal(t, 400, code, "%v", tc.in)
			assert.Contains(t, body["fields"], tc.field, "%v", tc.in)
		}
		code, body, _ = call(t, r, "POST", "/api/orgs/"+acme+"/api-keys", member, map[string]any{"name": "sneaky", "scopes": []string{"projects:write"}})
		assert.Equal(t, 403, code)
		assert.Equal(t, middleware.ReasonOrgMembershipRequired, body["reason"])
		code, _, _ = call(t, r, "GET", "/api/orgs/"+acme+"/api-keys", member, nil)
		assert.Equal(t, 403, code)
		resp, _ := page(t, r, "/orgs/"+acme+"/api-keys", member, nil)
		assert.Equal(t, 403, resp.StatusCode, "the page is for admins")

		// Create through the page: a write-only key, its secret shown once
		// in the answer to the post.
		resp, htmlBody := page(t, r, "/orgs/"+acme+"/api-keys", admin, url.Values{"name": {"CI writer"}, "scopes": {"projects:write"}})
		require.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
		m := secretInPage.FindStringSubmatch(htmlBody)
		require.Len(t, m, 2, "the page shows the new key's secret")
		writer := html.UnescapeString(m[1])
		require.True(t, strings.HasPrefix(writer, "ak_"))
		resp, _ = page(t, r, "/orgs/"+acme+"/api-keys", admin, url.Values{"name": {"x"}, "scopes": {"projects:write"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Location"), "notice=apikey-invalid")
		resp, _ = page(t, r, "/orgs/"+acme+"/api-keys", admin, url.Values{"name": {"no scopes"}})
		assert.Contains(t, resp.Header.Get("Location"), "notice=apikey-invalid")

		// Listed, without secrets, on the JSON API and the page (the demo
		// key local mode prints is Acme's too).
		code, body, _ = call(t, r, "GET", "/api/orgs/"+acme+"/api-keys", admin, nil)
		require.Equal(t, 200, code, body)
		assert.ElementsMatch(t, []string{"CI writer", "CI reader", "Demo key"}, keyNames(t, body))
		resp, htmlBody = page(t, r, "/orgs/"+acme+"/api-keys", admin, nil)
		require.Equal(t, 200, resp.StatusCode)
		assert.Contains(t, htmlBody, "CI reader")
		assert.Contains(t, htmlBody, "CI writer")
		assert.NotContains(t, htmlBody, reader, "a later page never shows a secret")
		assert.NotContains(t, htmlBody, writer)
		assert.NotContains(t, htmlBody, "new-key-secret")

		// Reading with projects:read: Acme's projects, not the admin's
		// personal ones.
		code, body = keyRequest(t, r, "GET", "/api/projects", reader, nil, nil)
		require.Equal(t, 200, code, body)
		assert.Equal(t, []string{"Acme roadmap"}, projectTitles(t, body))
		// Writing needs projects:write.
		code, body = keyRequest(t, r, "POST", "/api/projects", reader, map[string]any{"title": "denied"}, nil)
		assert.Equal(t, 403, code)
		assert.Equal(t, map[string]any{"error": "forbidden", "reason": "scope-required", "scope": "projects:write",
			"message": "this API key lacks the projects:write scope"}, body)
		code, body = keyRequest(t, r, "POST", "/api/projects", writer, map[string]any{"title": "From CI", "description": "deploy 42"}, nil)
		require.Equal(t, 201, code, body)
		assert.Equal(t, acme, body["organization_id"])
		assert.Equal(t, "user_demo_admin", body["owner_id"], "owned by the key's creator")
		code, body = keyRequest(t, r, "POST", "/api/projects", writer, map[string]any{"title": "x", "organization_id": "org_demo_globex"}, nil)
		assert.Equal(t, 400, code, "a key writes its own organization only")
		assert.Contains(t, body["fields"], "organization_id")
		code, body = keyRequest(t, r, "POST", "/api/projects", writer, map[string]any{"title": "x", "organization_id": ""}, nil)
		assert.Equal(t, 400, code, "nor personal projects")
		code, body = keyRequest(t, r, "POST", "/api/projects", writer, map[string]any{"title": ""}, nil)
		assert.Equal(t, 400, code)
		assert.Contains(t, body["fields"], "title")
		code, body = keyRequest(t, r, "GET", "/api/projects", writer, nil, nil)
		assert.Equal(t, 403, code, "a write-only key cannot read")
		assert.Equal(t, "projects:read", body["scope"])

		// Sessions work as before, and see what the key wrote.
		code, body, _ = call(t, r, "GET", "/api/projects", admin, nil)
		require.Equal(t, 200, code)
		assert.ElementsMatch(t, []string{"From CI", "Acme roadmap", "Ada's notes"}, projectTitles(t, body))
		code, body, _ = call(t, r, "GET", "/api/projects", member, nil)
		require.Equal(t, 200, code)
		assert.ElementsMatch(t, []string{"From CI", "Acme roadmap"}, projectTitles(t, body))
		resp, _ = page(t, r, "/dashboard", admin, nil)
		assert.Equal(t, 200, resp.StatusCode)

		// Every other route is for sessions only: 401 token-type-mismatch,
		// JSON, never the sign-in redirect, even when asking for HTML.
		browser := map[string]string{"Accept": "text/html"}
		for _, route := range []struct{ method, path string }{
			{"GET", "/api/orgs/" + acme},
			{"GET", "/api/orgs/" + acme + "/members"},
			{"GET", "/api/orgs/" + acme + "/api-keys"},
			{"POST", "/api/orgs/" + acme + "/api-keys"},
			{"POST", "/api/orgs/" + acme + "/api-keys/" + readerID + "/revoke"},
			{"GET", "/api/orgs/" + acme + "/invitations"},
			{"DELETE", "/api/orgs/" + acme + "/members/user_demo_member"},
			{"POST", "/api/onboarding"},
			{"DELETE", "/api/admin/users/user_demo_member"},
			{"GET", "/dashboard"},
			{"GET", "/orgs/" + acme},
			{"GET", "/orgs/" + acme + "/api-keys"},
			{"GET", "/admin"},
		} {
			for _, hdr := range []map[string]string{{"Accept": "application/json"}, browser} {
				code, body := keyRequest(t, r, route.method, route.path, reader, nil, hdr)
				assert.Equal(t, 401, code, "%s %s %v", route.method, route.path, hdr)
				assert.Equal(t, auth.Reason(auth.ErrTokenType), body["reason"], "%s %s", route.method, route.path)
			}
		}
		// A form post with an API key is refused too (a page says so).
		req, _ := http.NewRequest("POST", r.URL+"/orgs/"+acme+"/projects", strings.NewReader("title=sneaky"))
		req.Header.Set("Authorization", "Bearer "+writer)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		fresp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		fresp.Body.Close()
		assert.Equal(t, 401, fresp.StatusCode)
		// An API key in the session cookie is verified as a session only.
		req, _ = http.NewRequest("GET", r.URL+"/api/projects", nil)
		req.AddCookie(&http.Cookie{Name: "__session", Value: reader})
		cresp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var cbody map[string]any
		require.NoError(t, jsonDecode(cresp, &cbody))
		assert.Equal(t, 401, cresp.StatusCode)
		assert.Equal(t, auth.Reason(auth.ErrTokenType), cbody["reason"])

		// Keys that are not the organization's own: a user's key, and a
		// key of Acme made outside the app (no creator claim) reads but
		// cannot write, since no user would own the project.
		userKey, err := r.Clerk.APIKeys.Create(ctx, apikeys.CreateParams{Subject: "user_demo_admin", Name: "Ada's key", Scopes: []string{"projects:read", "projects:write"}})
		require.NoError(t, err)
		code, body = keyRequest(t, r, "GET", "/api/projects", userKey.Secret, nil, nil)
		assert.Equal(t, 403, code)
		assert.Equal(t, "org-api-key-required", body["reason"])
		code, _ = keyRequest(t, r, "POST", "/api/projects", userKey.Secret, map[string]any{"title": "x"}, nil)
		assert.Equal(t, 403, code)
		outside, err := r.Clerk.APIKeys.Create(ctx, apikeys.CreateParams{Subject: acme, Name: "Dashboard key", Scopes: []string{"projects:read", "projects:write"}})
		require.NoError(t, err)
		code, _ = keyRequest(t, r, "GET", "/api/projects", outside.Secret, nil, nil)
		assert.Equal(t, 200, code)
		code, body = keyRequest(t, r, "POST", "/api/projects", outside.Secret, map[string]any{"title": "x"}, nil)
		assert.Equal(t, 403, code)
		assert.Equal(t, "api-key-creator-unknown", body["reason"])
		forged, err := r.Clerk.APIKeys.Create(ctx, apikeys.CreateParams{Subject: acme, Name: "Odd claim", Scopes: []string{"projects:write"},
			Claims: map[string]any{app.ClaimCreatedBy: 42}})
		require.NoError(t, err)
		code, body = keyRequest(t, r, "POST", "/api/projects", forged.Secret, map[string]any{"title": "x"}, nil)
		assert.Equal(t, 403, code, "a creator claim that is not a user id")
		assert.Equal(t, "api-key-creator-unknown", body["reason"])
		// Made-up and malformed keys.
		for _, bad := range []string{"ak_" + strings.Repeat("0", 40), "ak_"} {
			code, body = keyRequest(t, r, "GET", "/api/projects", bad, nil, nil)
			assert.Equal(t, 401, code, bad)
			assert.Equal(t, auth.Reason(auth.ErrTokenInvalid), body["reason"], bad)
		}
		// Other machine tokens are not accepted at all (no Backend API call).
		calls := r.Emulator.Calls("")
		for _, other := range []string{"mt_" + strings.Repeat("1", 40), "oat_" + strings.Repeat("2", 40)} {
			code, body = keyRequest(t, r, "GET", "/api/projects", other, nil, nil)
			assert.Equal(t, 401, code, other)
			assert.Equal(t, auth.Reason(auth.ErrTokenType), body["reason"], other)
		}
		assert.Equal(t, calls, r.Emulator.Calls(""))

		// Another organization's key cannot be seen or revoked from Acme,
		// whatever id is sent, nor from Globex by Acme's admin.
		globex, err := r.Clerk.APIKeys.Create(ctx, apikeys.CreateParams{Subject: "org_demo_globex", Name: "Globex key", Scopes: []string{"projects:read"}})
		require.NoError(t, err)
		code, _, _ = call(t, r, "POST", "/api/orgs/"+acme+"/api-keys/"+globex.ID+"/revoke", admin, nil)
		assert.Equal(t, 404, code)
		resp, _ = page(t, r, "/orgs/"+acme+"/api-keys/"+globex.ID+"/revoke", admin, nil)
		assert.Equal(t, 404, resp.StatusCode)
		resp, _ = page(t, r, "/orgs/"+acme+"/api-keys/"+globex.ID+"/revoke", admin, url.Values{"confirm": {"yes"}})
		assert.Equal(t, 404, resp.StatusCode)
		code, _, _ = call(t, r, "POST", "/api/orgs/org_demo_globex/api-keys/"+globex.ID+"/revoke", admin, nil)
		assert.Equal(t, 403, code)
		for _, id := range []string{"ak_nothex", "../users", globex.Secret} {
			code, _, _ = call(t, r, "POST", "/api/orgs/"+acme+"/api-keys/"+url.PathEscape(id)+"/revoke", admin, nil)
			assert.Contains(t, []int{400, 404}, code, id)
		}
		got, err := r.Clerk.APIKeys.Get(ctx, globex.ID)
		require.NoError(t, err)
		assert.False(t, got.Revoked, "Globex's key is untouched")

		// Revoke the reader through the JSON API, the writer through the
		// confirmation page (unticked first: nothing happens).
		code, body, _ = call(t, r, "POST", "/api/orgs/"+acme+"/api-keys/"+readerID+"/revoke", admin, nil)
		require.Equal(t, 200, code, body)
		assert.Equal(t, true, body["revoked"])
		code, body, _ = call(t, r, "GET", "/api/orgs/"+acme+"/api-keys", admin, nil)
		require.Equal(t, 200, code)
		writerID := ""
		for _, k := range body["api_keys"].([]any) {
			if k := k.(map[string]any); k["name"] == "CI writer" {
				writerID = k["id"].(string)
			}
		}
		require.NotEmpty(t, writerID)
		resp, htmlBody = page(t, r, "/orgs/"+acme+"/api-keys/"+writerID+"/revoke", admin, nil)
		require.Equal(t, 200, resp.StatusCode)
		assert.Contains(t, htmlBody, `name="confirm" value="yes" required`)
		assert.Contains(t, htmlBody, "CI writer")
		resp, _ = page(t, r, "/orgs/"+acme+"/api-keys/"+writerID+"/revoke", admin, url.Values{})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Location"), "notice=apikey-revoke-unconfirmed")
		got, err = r.Clerk.APIKeys.Get(ctx, writerID)
		require.NoError(t, err)
		assert.False(t, got.Revoked, "an unconfirmed revocation revokes nothing")
		resp, _ = page(t, r, "/orgs/"+acme+"/api-keys/"+writerID+"/revoke", member, url.Values{"confirm": {"yes"}})
		assert.Equal(t, 403, resp.StatusCode, "members cannot revoke")
		resp, _ = page(t, r, "/orgs/"+acme+"/api-keys/"+writerID+"/revoke", admin, url.Values{"confirm": {"yes"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Location"), "notice=apikey-revoked")

		// Revoked keys are no longer listed, and are refused once the
		// verifier's cache entry has ended (auth.DefaultMachineCacheTTL:
		// the emulator's clock is moved, no sleep).
		code, body, _ = call(t, r, "GET", "/api/orgs/"+acme+"/api-keys", admin, nil)
		require.Equal(t, 200, code)
		assert.NotContains(t, keyNames(t, body), "CI reader")
		assert.NotContains(t, keyNames(t, body), "CI writer")
		r.Clock.Advance(auth.DefaultMachineCacheTTL + time.Second)
		code, body = keyRequest(t, r, "GET", "/api/projects", reader, nil, nil)
		assert.Equal(t, 401, code)
		assert.Equal(t, auth.Reason(auth.ErrTokenInvalid), body["reason"])
		code, body = keyRequest(t, r, "POST", "/api/projects", writer, map[string]any{"title": "after revocation"}, nil)
		assert.Equal(t, 401, code)
		assert.Equal(t, auth.Reason(auth.ErrTokenInvalid), body["reason"])
		code, _ = keyRequest(t, r, "GET", "/api/projects", outside.Secret, nil, nil)
		assert.Equal(t, 200, code, "other keys keep working")
		code, _, _ = call(t, r, "GET", "/api/projects", admin, nil)
		assert.Equal(t, 200, code, "and sessions")
		ps, err := r.Store.ListProjects(ctx, "", acme)
		require.NoError(t, err)
		assert.Len(t, ps, 2, "nothing written after the revocation")

		// The request log names the key and its organization, never a
		// secret.
		text := logs.String()
		assert.Contains(t, text, "api_key_id="+readerID)
		assert.Regexp(t, `path=/api/projects status=201 .*org_id=`+acme+` api_key_id=ak_`, text)
		for _, secret := range []string{reader, writer, outside.Secret, userKey.Secret, forged.Secret, globex.Secret} {
			assert.NotContains(t, text, secret)
		}
	})
}

// TestAPIKeysAreRateLimitedPerKey: requests with an API key are limited
// per key before the key is verified (a refused request never reaches the
// Backend API); one key's excess leaves other keys and the users' own
// budgets alone.
func TestAPIKeysAreRateLimitedPerKey(t *testing.T) {
	r := start(t, "", func(o *options) { o.RatePerSecond, o.Burst = 1, 10 })
	ctx := context.Background()
	admin := token(t, r, "user_demo_admin", acme)
	newKey := func(name string) string {
		k, err := r.Clerk.APIKeys.Create(ctx, apikeys.CreateParams{Subject: acme, Name: name, Scopes: []string{"projects:read"}})
		require.NoError(t, err)
		return k.Secret
	}
	busy, calm := newKey("busy key"), newKey("calm key")
	const verify = "POST /v1/api_keys/verify"

	count := func(key string, n int) (ok, limited int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				code, _ := keyRequest(t, r, "GET", "/api/projects", key, nil, nil)
				mu.Lock()
				defer mu.Unlock()
				switch code {
				case 200:
					ok++
				case 429:
					limited++
				default:
					t.Errorf("status %d", code)
				}
			})
		}
		wg.Wait()
		return ok, limited
	}
	ok, limited := count(busy, 40)
	assert.LessOrEqual(t, ok, 12, "burst 10 (+1/s while the requests run)")
	assert.Positive(t, limited)

	// An unknown key: the requests beyond its burst are 429s, not 401s,
	// so the limit ran before the verification, and they cost no
	// Backend API call.
	r.Emulator.ResetCalls()
	unknown := "ak_" + strings.Repeat("f", 40)
	passed, refused := 0, 0
	for range 30 {
		code, body := keyRequest(t, r, "GET", "/api/projects", unknown, nil, nil)
		switch code {
		case 401:
			passed++
			assert.Equal(t, auth.Reason(auth.ErrTokenInvalid), body["reason"])
		case 429:
			refused++
		default:
			t.Fatalf("unknown key: %d %v", code, body)
		}
	}
	assert.GreaterOrEqual(t, passed, 10, "the burst is verified (and refused)")
	assert.Positive(t, refused, "beyond its burst an unknown key gets 429: limited before verification")
	assert.LessOrEqual(t, r.Emulator.Calls(verify), int64(passed), "no verification for a limited request")

	// Other keys and the sessions keep their own budgets.
	code, _ := keyRequest(t, r, "GET", "/api/projects", calm, nil, nil)
	assert.Equal(t, 200, code)
	code, _, _ = call(t, r, "GET", "/api/projects", admin, nil)
	assert.Equal(t, 200, code)
	code, body := keyRequest(t, r, "GET", "/api/projects", busy, nil, nil)
	assert.Equal(t, 429, code)
	assert.Equal(t, "rate_limited", body["error"])

	// Concurrent requests with a new valid key make one verification.
	r.Emulator.ResetCalls()
	fresh := newKey("fresh key")
	count(fresh, 8)
	assert.Equal(t, int64(1), r.Emulator.Calls(verify))
}
