package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/examples/saas/store"
	"github.com/clerkkit/clerkkit/examples/saas/store/storetest"
	"github.com/clerkkit/clerkkit/organizations"
	"github.com/clerkkit/clerkkit/users"
	"github.com/clerkkit/clerkkit/webhooks"
)

// start runs the program in local mode on a loopback port with the given
// database, and waits until the demo data has arrived through webhooks.
func start(t *testing.T, databaseURL string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *running, 1)
	done := make(chan error, 1)
	env := map[string]string{"DATABASE_URL": databaseURL}
	go func() {
		done <- run(ctx, options{Addr: "127.0.0.1:0", Getenv: func(k string) string { return env[k] }, Out: io.Discard, Ready: ready})
	}()
	var r *running
	select {
	case r = <-ready:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(30 * time.Second):
		t.Fatal("the app did not start")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Error("the app did not stop")
		}
	})
	waitFor(t, "demo data", func() bool {
		_, err := r.Store.GetMembership(context.Background(), "org_demo_acme", "user_demo_member")
		return err == nil
	})
	return r
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 20*time.Second, 20*time.Millisecond, "waiting for %s", what)
}

// call makes an API request and decodes a JSON answer.
func call(t *testing.T, r *running, method, path, token string, body any) (int, map[string]any, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, r.URL+path, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		json.Unmarshal(raw, &m)
	}
	return resp.StatusCode, m, resp.Header
}

func token(t *testing.T, r *running, userID, orgID string) string {
	t.Helper()
	tok, err := r.Clerk.SessionToken(context.Background(), userID, orgID, time.Hour)
	require.NoError(t, err)
	return tok
}

func TestEndToEnd(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		r := start(t, b.URL)
		ctx := context.Background()

		// A new user and organization, created through the Backend API…
		u, err := r.Clerk.Users.Create(ctx, users.CreateParams{EmailAddresses: []string{"owner@example.com"}, FirstName: "Olga", LastName: "Owner"})
		require.NoError(t, err)
		org, err := r.Clerk.Organizations.Create(ctx, organizations.CreateParams{Name: "Owner Co", CreatedBy: u.ID})
		require.NoError(t, err)
		// …reach the database through the webhooks.
		waitFor(t, "the owner's membership", func() bool {
			m, err := r.Store.GetMembership(ctx, org.ID, u.ID)
			return err == nil && m.Role == "org:admin"
		})
		owner := token(t, r, u.ID, org.ID)
		member := token(t, r, "user_demo_member", "org_demo_acme")
		admin := token(t, r, "user_demo_admin", "org_demo_acme")

		// The owner works in their organization.
		code, body, _ := call(t, r, "POST", "/api/projects", owner, map[string]any{"title": "Launch plan", "description": "Q3"})
		require.Equal(t, 201, code, body)
		assert.Equal(t, org.ID, body["organization_id"], "the org defaults to the active one")
		code, body, _ = call(t, r, "GET", "/api/projects", owner, nil)
		require.Equal(t, 200, code)
		require.Len(t, body["projects"], 1)
		code, body, _ = call(t, r, "GET", "/api/orgs/"+org.ID, owner, nil)
		assert.Equal(t, 200, code)
		assert.Equal(t, "Owner Co", body["name"])
		code, body, _ = call(t, r, "GET", "/api/orgs/"+org.ID+"/members", owner, nil)
		assert.Equal(t, 200, code)
		assert.Len(t, body["members"], 1)
		code, body, _ = call(t, r, "POST", "/api/orgs/"+org.ID+"/invitations", owner, map[string]any{"email_address": "new@example.com", "role": "member"})
		assert.Equal(t, 201, code, body)
		assert.Equal(t, "new@example.com", body["email_address"])

		// Validation.
		code, body, _ = call(t, r, "POST", "/api/projects", owner, map[string]any{"title": strings.Repeat("x", 101)})
		assert.Equal(t, 400, code)
		assert.Contains(t, body["fields"], "title")
		code, body, _ = call(t, r, "POST", "/api/projects", owner, map[string]any{"title": "x", "org_id": "org_demo_acme"})
		assert.Equal(t, 400, code, "not a member of that organization")
		assert.Contains(t, body["fields"], "org_id")
		code, _, _ = call(t, r, "POST", "/api/projects", owner, map[string]any{"title": "x", "extra": 1})
		assert.Equal(t, 400, code)

		// Signed out.
		code, body, _ = call(t, r, "GET", "/api/projects", "", nil)
		assert.Equal(t, 401, code)
		assert.Equal(t, "session-token-missing", body["reason"])

		// A member on admin routes.
		code, _, _ = call(t, r, "POST", "/api/orgs/org_demo_acme/invitations", member, map[string]any{"email_address": "x@example.com"})
		assert.Equal(t, 403, code)
		code, _, _ = call(t, r, "DELETE", "/api/orgs/org_demo_acme/members/user_demo_admin", member, nil)
		assert.Equal(t, 403, code)
		code, _, _ = call(t, r, "PATCH", "/api/orgs/org_demo_acme/members/user_demo_admin", member, map[string]any{"role": "org:member"})
		assert.Equal(t, 403, code)
		code, body, _ = call(t, r, "DELETE", "/api/admin/users/"+u.ID, member, nil)
		assert.Equal(t, 403, code)
		assert.Equal(t, "role-required", body["reason"])

		// Another organization's data.
		code, body, _ = call(t, r, "GET", "/api/orgs/"+org.ID, member, nil)
		assert.Equal(t, 403, code)
		assert.Equal(t, "org-not-active", body["reason"])
		code, _, _ = call(t, r, "GET", "/api/orgs/"+org.ID+"/members", member, nil)
		assert.Equal(t, 403, code)
		code, _, _ = call(t, r, "GET", "/api/orgs/org_nonexistent", token(t, r, u.ID, ""), nil)
		assert.Equal(t, 403, code)
		code, body, _ = call(t, r, "GET", "/api/projects", member, nil)
		assert.Equal(t, 200, code)
		assert.Empty(t, body["projects"], "the owner's project is not visible to others")

		// Onboarding merges into the user's metadata.
		code, body, _ = call(t, r, "POST", "/api/onboarding", owner, map[string]any{"company": "Owner Co", "team_size": 4})
		require.Equal(t, 200, code, body)
		cu, err := r.Clerk.Users.Get(ctx, u.ID)
		require.NoError(t, err)
		assert.JSONEq(t, `{"onboarding_complete":true,"onboarding":{"company":"Owner Co","role":"","team_size":4,"use_case":""}}`, string(cu.PublicMetadata))

		// Out-of-order and duplicate webhook deliveries leave the database right.
		checkWebhookOrdering(t, r, cu)

		// The admin deletes the owner: the deletion comes back by webhook
		// and cascades to their memberships and projects.
		code, _, _ = call(t, r, "DELETE", "/api/admin/users/"+u.ID, admin, nil)
		require.Equal(t, 204, code)
		waitFor(t, "the owner's deletion", func() bool {
			_, err := r.Store.GetUser(ctx, u.ID)
			return errors.Is(err, store.ErrNotFound)
		})
		_, err = r.Store.GetMembership(ctx, org.ID, u.ID)
		assert.ErrorIs(t, err, store.ErrNotFound)
		ps, err := r.Store.ListProjects(ctx, u.ID, org.ID)
		require.NoError(t, err)
		assert.Empty(t, ps)

		// Pages: signed out → sign-in with redirect_url; signed in without
		// rights → a 403 page.
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		page := func(path, tok string) *http.Response {
			req, _ := http.NewRequest("GET", r.URL+path, nil)
			req.Header.Set("Accept", "text/html")
			if tok != "" {
				req.AddCookie(&http.Cookie{Name: "__session", Value: tok})
			}
			resp, err := noRedirect.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			return resp
		}
		resp := page("/dashboard", "")
		assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Location"), "/sign-in?redirect_url=")
		assert.Equal(t, 403, page("/admin", member).StatusCode)
		assert.Equal(t, 200, page("/admin", admin).StatusCode)
		assert.Equal(t, 200, page("/dashboard", member).StatusCode)
		assert.Equal(t, 403, page("/orgs/org_demo_globex/members", admin).StatusCode, "not a member of Globex")
		assert.Equal(t, 200, page("/orgs/org_demo_globex/members", member).StatusCode, "Globex's owner, though Acme is active")

		// Rate limit: a burst, then 429 with Retry-After.
		limited := false
		for range 60 {
			code, body, h := call(t, r, "GET", "/api/projects", admin, nil)
			if code == 429 {
				limited = true
				assert.NotEmpty(t, h.Get("Retry-After"))
				assert.Equal(t, "rate_limited", body["error"])
				break
			}
			require.Equal(t, 200, code)
		}
		assert.True(t, limited, "60 requests at once exceed the burst")
	})
}

// checkWebhookOrdering sends user.updated events for u by hand: an old one
// after a newer one, and the same message twice.
func checkWebhookOrdering(t *testing.T, r *running, u *clerk.User) {
	t.Helper()
	ctx := context.Background()
	send := func(id string, first string, updatedAt int64) int {
		data := *u
		data.FirstName = &first
		data.UpdatedAt = updatedAt
		body, err := json.Marshal(map[string]any{"type": "user.updated", "object": "event", "data": data, "timestamp": time.Now().UnixMilli(), "instance_id": "ins_test"})
		require.NoError(t, err)
		hdr, err := webhooks.Sign(r.WebhookSecret, id, time.Now(), body)
		require.NoError(t, err)
		req, _ := http.NewRequest("POST", r.URL+"/api/webhooks/clerk", bytes.NewReader(body))
		for k, v := range hdr {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	base := u.UpdatedAt
	require.Equal(t, 200, send("msg_new", "Newest", base+2000))
	require.Equal(t, 200, send("msg_old", "Stale", base+1000), "an older update is acknowledged…")
	got, err := r.Store.GetUser(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, "Newest", got.FirstName, "…but does not overwrite newer data")
	// The same message again: answered, applied once (the row is unchanged
	// even though the payload now says something else).
	require.Equal(t, 200, send("msg_new", "Replayed", base+3000))
	got, _ = r.Store.GetUser(ctx, u.ID)
	assert.Equal(t, "Newest", got.FirstName, "a redelivered svix-id is not applied twice")
	require.Equal(t, 200, send("msg_newer", "Newer still", base+3000))
	got, _ = r.Store.GetUser(ctx, u.ID)
	assert.Equal(t, "Newer still", got.FirstName)
}
