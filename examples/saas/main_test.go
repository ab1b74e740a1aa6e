package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/examples/saas/store"
	"github.com/clerkkit/clerkkit/examples/saas/store/storetest"
	"github.com/clerkkit/clerkkit/internal/testutil"
	"github.com/clerkkit/clerkkit/middleware"
	"github.com/clerkkit/clerkkit/organizations"
	"github.com/clerkkit/clerkkit/users"
	"github.com/clerkkit/clerkkit/webhooks"
)

// testApp is a program started by start, with what the tests need.
type testApp struct {
	*running
	Clock *clerktest.Clock
	Out   *testutil.SyncBuffer
}

// start runs the program in local mode on a loopback port with the given
// database ("" for local mode's own temporary SQLite file), and waits
// until the demo data has arrived through webhooks. edit, when not nil,
// adjusts the options first.
func start(t *testing.T, databaseURL string, edit func(*options)) *testApp {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *running, 1)
	done := make(chan error, 1)
	clock := clerktest.RealClock()
	out := &testutil.SyncBuffer{}
	o := options{Addr: "127.0.0.1:0", Local: true, Out: out, Ready: ready, LocalDatabaseURL: databaseURL, Clock: clock}
	if edit != nil {
		edit(&o)
	}
	go func() { done <- run(ctx, o) }()
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
	return &testApp{running: r, Clock: clock, Out: out}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 20*time.Second, 10*time.Millisecond, "waiting for %s", what)
}

// delivered waits until the emulator has delivered every webhook it sent.
func delivered(t *testing.T, r *testApp) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, r.Emulator.WaitForDeliveries(ctx))
}

// call makes an API request and decodes a JSON answer.
func call(t *testing.T, r *testApp, method, path, token string, body any) (int, map[string]any, http.Header) {
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

// page is a browser request: Accept text/html, redirects not followed;
// with a token, the cookies a browser has after a handshake (the token as
// __session, __client_uat its iat, a dev browser). form, when not nil,
// makes it a POST.
func page(t *testing.T, r *testApp, path, tok string, form url.Values) (*http.Response, string) {
	t.Helper()
	method, body := "GET", io.Reader(nil)
	if form != nil {
		method, body = "POST", strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, r.URL+path, body)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if tok != "" {
		req.AddCookie(&http.Cookie{Name: "__session", Value: tok})
		req.AddCookie(&http.Cookie{Name: auth.ClientUATCookie, Value: fmt.Sprint(int64(claims(t, tok)["iat"].(float64)))})
		req.AddCookie(&http.Cookie{Name: auth.DevBrowserCookie, Value: "dvb_test"})
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// claims decodes a JWT's payload, unverified.
func claims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

func token(t *testing.T, r *testApp, userID, orgID string) string {
	t.Helper()
	tok, err := r.Clerk.SessionToken(context.Background(), userID, orgID, time.Hour)
	require.NoError(t, err)
	return tok
}

func TestEndToEnd(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		r := start(t, b.URL, func(o *options) { o.Burst = 1000 })
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

		// Invitations: sent, listed, a second one for the same address
		// refused, revoked, then sent again.
		invite := map[string]any{"email_address": "new@example.com", "role": "member"}
		code, body, _ = call(t, r, "POST", "/api/orgs/"+org.ID+"/invitations", owner, invite)
		require.Equal(t, 201, code, body)
		assert.Equal(t, "new@example.com", body["email_address"])
		assert.Equal(t, org.ID, body["organization_id"])
		invID, _ := body["id"].(string)
		code, body, _ = call(t, r, "POST", "/api/orgs/"+org.ID+"/invitations", owner, map[string]any{"email_address": "NEW@example.com"})
		assert.Equal(t, 409, code)
		assert.Equal(t, map[string]any{"error": "conflict", "fields": map[string]any{"email_address": "already has a pending invitation"}}, body)
		code, body, _ = call(t, r, "GET", "/api/orgs/"+org.ID+"/invitations", owner, nil)
		require.Equal(t, 200, code)
		assert.Len(t, body["invitations"], 1)
		code, body, _ = call(t, r, "POST", "/api/orgs/"+org.ID+"/invitations/"+invID+"/revoke", owner, nil)
		require.Equal(t, 200, code, body)
		assert.Equal(t, "revoked", body["status"])
		code, _, _ = call(t, r, "POST", "/api/orgs/"+org.ID+"/invitations", owner, invite)
		assert.Equal(t, 201, code, "after the revocation the address can be invited again")

		// Validation names the wrong fields.
		code, body, _ = call(t, r, "POST", "/api/projects", owner, map[string]any{"title": strings.Repeat("x", 101)})
		assert.Equal(t, 400, code)
		assert.Equal(t, map[string]any{"error": "invalid_request", "fields": map[string]any{"title": "must be 1 to 100 characters"}}, body)
		code, body, _ = call(t, r, "POST", "/api/projects", owner, map[string]any{"title": "x", "organization_id": "org_demo_acme"})
		assert.Equal(t, 400, code, "not a member of that organization")
		assert.Contains(t, body["fields"], "organization_id")
		code, body, _ = call(t, r, "POST", "/api/projects", owner, map[string]any{"title": "x", "extra": 1})
		assert.Equal(t, 400, code)
		assert.Equal(t, map[string]any{"extra": "is not a field of this request"}, body["fields"])
		code, body, _ = call(t, r, "POST", "/api/projects", owner, map[string]any{"title": 7})
		assert.Equal(t, 400, code)
		assert.Equal(t, map[string]any{"title": "must be a string"}, body["fields"])
		code, body, _ = call(t, r, "POST", "/api/orgs/"+org.ID+"/invitations", owner, map[string]any{"email_address": "Bob <bob@example.com>", "role": "owner"})
		assert.Equal(t, 400, code)
		assert.Equal(t, map[string]any{"email_address": "must be one email address", "role": "must be org:admin or org:member"}, body["fields"])

		// Signed out.
		code, body, _ = call(t, r, "GET", "/api/projects", "", nil)
		assert.Equal(t, 401, code)
		assert.Equal(t, auth.Reason(auth.ErrNoToken), body["reason"])

		// A member on admin routes.
		code, _, _ = call(t, r, "POST", "/api/orgs/org_demo_acme/invitations", member, map[string]any{"email_address": "x@example.com"})
		assert.Equal(t, 403, code)
		code, _, _ = call(t, r, "DELETE", "/api/orgs/org_demo_acme/members/user_demo_admin", member, nil)
		assert.Equal(t, 403, code)
		code, _, _ = call(t, r, "PATCH", "/api/orgs/org_demo_acme/members/user_demo_admin", member, map[string]any{"role": "org:member"})
		assert.Equal(t, 403, code)
		code, body, _ = call(t, r, "DELETE", "/api/admin/users/"+u.ID, member, nil)
		assert.Equal(t, 403, code)
		assert.Equal(t, middleware.ReasonUserRoleRequired, body["reason"])

		// Another organization's data.
		code, body, _ = call(t, r, "GET", "/api/orgs/"+org.ID, member, nil)
		assert.Equal(t, 403, code)
		assert.Equal(t, middleware.ReasonOrgNotActive, body["reason"])
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
		resp, _ := page(t, r, "/dashboard", "", nil)
		assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Location"), "/sign-in?redirect_url=")
		resp, html := page(t, r, "/admin", member, nil)
		assert.Equal(t, 403, resp.StatusCode)
		assert.Contains(t, html, `id="error-title">Forbidden`)
		for path, want := range map[string]int{
			"/admin": 200, "/dashboard": 200, "/orgs/org_demo_acme": 200,
		} {
			resp, _ := page(t, r, path, admin, nil)
			assert.Equal(t, want, resp.StatusCode, path)
		}
		resp, _ = page(t, r, "/orgs/org_demo_globex/members", admin, nil)
		assert.Equal(t, 403, resp.StatusCode, "not a member of Globex")
		resp, _ = page(t, r, "/orgs/org_demo_globex/members", member, nil)
		assert.Equal(t, 200, resp.StatusCode, "Globex's owner, though Acme is active")
	})
}

// checkWebhookOrdering sends user.updated events for u by hand: an old one
// after a newer one, and the same message twice.
func checkWebhookOrdering(t *testing.T, r *testApp, u *clerk.User) {
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

// TestRemovedMemberAndDemotedAdminLoseAccess: a removal and a demotion
// take effect as soon as their webhooks arrive — well within 60 s on the
// emulator's clock — although the tokens still claim the old role and do
// not expire for an hour.
func TestRemovedMemberAndDemotedAdminLoseAccess(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		r := start(t, b.URL, func(o *options) { o.Burst = 1000 })
		ctx := context.Background()
		dora, err := r.Clerk.Users.Create(ctx, users.CreateParams{EmailAddresses: []string{"dora@example.com"}, FirstName: "Dora", LastName: "Deputy"})
		require.NoError(t, err)
		_, err = r.Clerk.Memberships.Add(ctx, "org_demo_acme", dora.ID, "org:admin")
		require.NoError(t, err)
		delivered(t, r)

		member := token(t, r, "user_demo_member", "org_demo_acme")
		deputy := token(t, r, dora.ID, "org_demo_acme")
		admin := token(t, r, "user_demo_admin", "org_demo_acme")
		code, body, _ := call(t, r, "POST", "/api/projects", admin, map[string]any{"title": "Acme secret"})
		require.Equal(t, 201, code, body)

		// Before: both have access.
		code, body, _ = call(t, r, "GET", "/api/projects", member, nil)
		require.Equal(t, 200, code)
		require.Len(t, body["projects"], 1, "the member sees Acme's project")
		code, _, _ = call(t, r, "GET", "/api/orgs/org_demo_acme/members", member, nil)
		require.Equal(t, 200, code)
		code, _, _ = call(t, r, "GET", "/api/orgs/org_demo_acme/invitations", deputy, nil)
		require.Equal(t, 200, code)

		// The admin removes the member and demotes the deputy.
		t0 := r.Clock.Now()
		code, _, _ = call(t, r, "DELETE", "/api/orgs/org_demo_acme/members/user_demo_member", admin, nil)
		require.Equal(t, 204, code)
		code, _, _ = call(t, r, "PATCH", "/api/orgs/org_demo_acme/members/"+dora.ID, admin, map[string]any{"role": "org:member"})
		require.Equal(t, 200, code)
		delivered(t, r)
		require.Less(t, r.Clock.Now().Sub(t0), 60*time.Second)

		// After: the same, unexpired tokens.
		code, body, _ = call(t, r, "GET", "/api/orgs/org_demo_acme/members", member, nil)
		assert.Equal(t, 403, code)
		assert.Equal(t, middleware.ReasonOrgMembershipRequired, body["reason"])
		code, _, _ = call(t, r, "GET", "/api/orgs/org_demo_acme", member, nil)
		assert.Equal(t, 403, code)
		code, body, _ = call(t, r, "GET", "/api/projects", member, nil)
		assert.Equal(t, 200, code)
		assert.Empty(t, body["projects"], "Acme's projects are gone from the removed member's list")
		code, body, _ = call(t, r, "POST", "/api/projects", member, map[string]any{"title": "sneaky"})
		assert.Equal(t, 400, code)
		assert.Contains(t, body["fields"], "organization_id")
		resp, _ := page(t, r, "/orgs/org_demo_acme", member, nil)
		assert.Equal(t, 403, resp.StatusCode)
		resp, _ = page(t, r, "/orgs/org_demo_acme/projects", member, url.Values{"title": {"sneaky"}})
		assert.Equal(t, 403, resp.StatusCode)

		code, _, _ = call(t, r, "GET", "/api/orgs/org_demo_acme/invitations", deputy, nil)
		assert.Equal(t, 403, code, "the demoted admin")
		code, _, _ = call(t, r, "POST", "/api/orgs/org_demo_acme/invitations", deputy, map[string]any{"email_address": "x@example.com"})
		assert.Equal(t, 403, code)
		resp, _ = page(t, r, "/orgs/org_demo_acme/members/user_demo_admin/remove", deputy, url.Values{"confirm": {"yes"}})
		assert.Equal(t, 403, resp.StatusCode)
		code, _, _ = call(t, r, "GET", "/api/orgs/org_demo_acme/members", deputy, nil)
		assert.Equal(t, 200, code, "still a member")
		_, err = r.Clerk.Memberships.Get(ctx, "org_demo_acme", "user_demo_admin")
		assert.NoError(t, err, "the admin was not removed")
	})
}

// TestPrintedTokensAreShortLived: the curl tokens local mode prints stop
// working after DemoTokenTTL (the emulator's clock is moved, no sleep).
func TestPrintedTokensAreShortLived(t *testing.T) {
	r := start(t, "", nil)
	text := r.Out.String()
	m := regexp.MustCompile(`ADMIN=(\S+)`).FindStringSubmatch(text)
	require.Len(t, m, 2, text)
	assert.Contains(t, text, "expire 5m0s after start")
	code, _, _ := call(t, r, "GET", "/api/projects", m[1], nil)
	require.Equal(t, 200, code)
	r.Clock.Advance(DemoTokenTTL - 10*time.Second)
	code, _, _ = call(t, r, "GET", "/api/projects", m[1], nil)
	require.Equal(t, 200, code)
	r.Clock.Advance(20 * time.Second)
	code, body, _ := call(t, r, "GET", "/api/projects", m[1], nil)
	assert.Equal(t, 401, code)
	assert.Equal(t, auth.Reason(auth.ErrExpired), body["reason"])
}

// TestPrintedAPIKeyIsShortLived: the demo API key local mode prints reads
// and writes Acme's projects, and expires with the printed tokens.
func TestPrintedAPIKeyIsShortLived(t *testing.T) {
	r := start(t, "", nil)
	m := regexp.MustCompile(`API_KEY=(ak_\S+)`).FindStringSubmatch(r.Out.String())
	require.Len(t, m, 2, r.Out.String())
	assert.Contains(t, r.Out.String(), `curl -s -H "Authorization: Bearer $API_KEY"`)
	code, body, _ := call(t, r, "POST", "/api/projects", m[1], map[string]any{"title": "From CI"})
	require.Equal(t, 201, code, body)
	assert.Equal(t, "org_demo_acme", body["organization_id"])
	assert.Equal(t, "user_demo_admin", body["owner_id"])
	code, body, _ = call(t, r, "GET", "/api/projects", m[1], nil)
	require.Equal(t, 200, code)
	assert.Len(t, body["projects"], 1)
	code, body, _ = call(t, r, "GET", "/api/orgs/org_demo_acme/members", m[1], nil)
	assert.Equal(t, 401, code, "the printed curl line's promise")
	assert.Equal(t, auth.Reason(auth.ErrTokenType), body["reason"])
	r.Clock.Advance(DemoTokenTTL + time.Second)
	code, body, _ = call(t, r, "GET", "/api/projects", m[1], nil)
	assert.Equal(t, 401, code)
	assert.Equal(t, auth.Reason(auth.ErrTokenInvalid), body["reason"])
}

// TestUnknownOrganizationsCostNoBackendAPICalls: page loads, form posts
// and API calls for organization ids the app has never seen are answered
// from the synced tables; routes that do call the Backend API (the admin
// page lists users) are bounded by the per-user rate limit.
func TestUnknownOrganizationsCostNoBackendAPICalls(t *testing.T) {
	r := start(t, "", nil) // default limit: 5/s, burst 20
	member := token(t, r, "user_demo_member", "org_demo_acme")
	admin := token(t, r, "user_demo_admin", "org_demo_acme")
	r.Emulator.ResetCalls()

	const n = 200
	start := time.Now()
	var limited int
	for i := range n {
		org := fmt.Sprintf("org_made_up_%d", i)
		var resp *http.Response
		switch i % 4 {
		case 0:
			resp, _ = page(t, r, "/orgs/"+org, member, nil)
		case 1:
			resp, _ = page(t, r, "/orgs/"+org+"/members", member, nil)
		case 2:
			resp, _ = page(t, r, "/orgs/"+org+"/members/invite", member, url.Values{"email_address": {"a@example.com"}})
		case 3:
			code, _, _ := call(t, r, "GET", "/api/orgs/"+org+"/members", member, nil)
			resp = &http.Response{StatusCode: code}
		}
		switch resp.StatusCode {
		case 403:
		case 429:
			limited++
		default:
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
	}
	assert.Zero(t, r.Emulator.Calls(""), "no Backend API call for made-up organizations")
	assert.Positive(t, limited, "%d requests at once exceed the per-user burst", n)

	// The admin page calls the Backend API (GET /v1/users) on each load:
	// the rate limit runs first and bounds the calls.
	var ok int
	for range n {
		resp, html := page(t, r, "/admin", admin, nil)
		switch resp.StatusCode {
		case 200:
			ok++
		case 429:
			assert.NotEmpty(t, resp.Header.Get("Retry-After"))
			assert.Contains(t, html, "Too many requests", "a page, not JSON")
		default:
			t.Fatalf("admin page: %d", resp.StatusCode)
		}
	}
	elapsed := time.Since(start).Seconds()
	bound := 20 + int64(5*elapsed) + 1
	calls := r.Emulator.Calls("GET /v1/users")
	assert.LessOrEqual(t, calls, bound, "Backend API calls bounded by burst + rate × time (%.1fs)", elapsed)
	assert.Equal(t, int64(ok), calls, "one call per admin page served")
	assert.Less(t, ok, n)
}

// TestPagesAreHardened: security headers, the fixed set of notices, the
// styled 404 page, the sign-in address sending browsers to the hosted page, and the confirmation
// step before a removal.
func TestPagesAreHardened(t *testing.T) {
	r := start(t, "", nil)
	admin := token(t, r, "user_demo_admin", "org_demo_acme")

	resp, _ := page(t, r, "/", "", nil)
	csp := resp.Header.Get("Content-Security-Policy")
	assert.Contains(t, csp, "frame-ancestors 'none'")
	assert.Contains(t, csp, "script-src 'self';")
	assert.NotContains(t, csp, "unsafe-inline", "local mode needs no inline style or script")
	assert.NotContains(t, csp, "https:")
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	assert.Equal(t, "strict-origin-when-cross-origin", resp.Header.Get("Referrer-Policy"))
	_, apiHdr := func() (int, http.Header) { c, _, h := call(t, r, "GET", "/api/projects", admin, nil); return c, h }()
	assert.Equal(t, "nosniff", apiHdr.Get("X-Content-Type-Options"))

	_, html := page(t, r, "/orgs/org_demo_acme/members?notice=member-removed", admin, nil)
	assert.Contains(t, html, `id="notice">Member removed.</p>`)
	_, html = page(t, r, "/orgs/org_demo_acme/members?notice="+url.QueryEscape("Your account is locked: call +1 555"), admin, nil)
	assert.NotContains(t, html, "locked")
	assert.NotContains(t, html, `id="notice"`)
	assert.NotContains(t, html, `style=`, "no inline styles (CSP)")
	assert.NotContains(t, html, `<script`, "no scripts in local mode")

	for _, path := range []string{"/nope", "/orgs/org_demo_acme/nope", "/static/nope.css"} {
		resp, html := page(t, r, path, admin, nil)
		assert.Equal(t, 404, resp.StatusCode, path)
		if path != "/static/nope.css" {
			assert.Contains(t, html, `id="error-title">Page not found`, path)
			assert.Contains(t, html, "/static/style.css", "the styled layout")
		}
	}
	code, body, _ := call(t, r, "GET", "/api/nope", admin, nil)
	assert.Equal(t, 404, code)
	assert.Equal(t, "not_found", body["error"])

	// Sign-in is Clerk's (here the emulator's) hosted page: the app's
	// /sign-in only sends browsers there, back to a same-site path.
	resp, _ = page(t, r, "/sign-in", "", url.Values{"user_id": {"user_demo_admin"}})
	assert.Equal(t, 404, resp.StatusCode, "no sign-in form of the app's own")
	for in, back := range map[string]string{"/orgs/org_demo_acme": "/orgs/org_demo_acme", "https://evil.example/x": "/x", "//evil.example": "/dashboard", "": "/dashboard"} {
		resp, _ = page(t, r, "/sign-in?redirect_url="+url.QueryEscape(in), "", nil)
		assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, r.Emulator.SignInURL()+"?redirect_url="+url.QueryEscape(r.URL+back), resp.Header.Get("Location"), in)
	}

	// Remove: a confirmation page first; a post without the box ticked
	// removes nobody.
	resp, html = page(t, r, "/orgs/org_demo_acme/members/user_demo_member/remove", admin, nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, `name="confirm" value="yes" required`)
	resp, _ = page(t, r, "/orgs/org_demo_acme/members/user_demo_member/remove", admin, url.Values{})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Location"), "notice=remove-unconfirmed")
	_, err := r.Clerk.Memberships.Get(context.Background(), "org_demo_acme", "user_demo_member")
	assert.NoError(t, err, "still a member")
	resp, _ = page(t, r, "/orgs/org_demo_acme/members/user_demo_member/remove", admin, url.Values{"confirm": {"yes"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Location"), "notice=member-removed")
	_, err = r.Clerk.Memberships.Get(context.Background(), "org_demo_acme", "user_demo_member")
	assert.Error(t, err, "removed")

	// Projects from the organization page.
	resp, _ = page(t, r, "/orgs/org_demo_acme/projects", admin, url.Values{"title": {"From the UI"}, "description": {"made in a form"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Location"), "notice=project-created")
	_, html = page(t, r, "/orgs/org_demo_acme", admin, nil)
	assert.Contains(t, html, "From the UI")
	resp, _ = page(t, r, "/orgs/org_demo_acme/projects", admin, url.Values{"title": {" "}})
	assert.Contains(t, resp.Header.Get("Location"), "notice=project-invalid")
}
