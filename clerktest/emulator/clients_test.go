package emulator_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/client"
)

// clientCookie returns the browser's __client cookie on the Server.
func (b *browser) clientCookie() string {
	b.t.Helper()
	u, _ := url.Parse(b.srv.URL())
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "__client" {
			return c.Value
		}
	}
	b.t.Fatal("the browser has no __client cookie")
	return ""
}

// TestClients: a browser signed in on the hosted page is a client that
// clerk-sdk-go's client.Get and client.Verify read, with its session;
// sessions made through the Backend API have clients too; GET
// /v1/clients lists them all.
func TestClients(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	ctx := context.Background()
	clients := client.NewClient(sdkConfig(a.srv))
	uid := a.createUser("ada@example.com", "Ada")["id"].(string)
	app := newApp(t, a)
	b := newBrowser(t, a.srv)
	b.signIn(url.Values{"user_id": {uid}}, app.URL+"/")
	token := b.clientCookie()

	c, err := clients.Verify(ctx, &client.VerifyParams{Token: clerk.String(token)})
	if err != nil {
		t.Fatal(err)
	}
	sessions := a.list("/v1/sessions?user_id=" + uid)
	if len(sessions) != 1 || c.Object != "client" || len(c.SessionIDs) != 1 || c.SessionIDs[0] != sessions[0]["id"] ||
		c.LastActiveSessionID == nil || *c.LastActiveSessionID != c.SessionIDs[0] || c.ID != sessions[0]["client_id"] ||
		len(c.Sessions) != 1 || c.Sessions[0].UserID != uid || c.SignInID != nil {
		t.Fatalf("verified client %+v; sessions %v", c, sessions)
	}
	got, err := clients.Get(ctx, c.ID)
	if err != nil || got.ID != c.ID || len(got.SessionIDs) != 1 {
		t.Fatalf("get: %+v %v", got, err)
	}
	_, err = clients.Get(ctx, "client_nope")
	sdkError(t, err, http.StatusNotFound, "resource_not_found")
	_, err = clients.Verify(ctx, &client.VerifyParams{Token: clerk.String(token + "x")})
	sdkError(t, err, http.StatusBadRequest, "token_invalid")
	_, err = clients.Verify(ctx, &client.VerifyParams{})
	sdkError(t, err, http.StatusBadRequest, "form_param_missing")
	a.fail("POST", "/v1/clients/verify", map[string]any{"token": token, "x": 1}, 422, "form_param_unknown")
	a.unauthorized("POST", "/v1/clients/verify", map[string]any{"token": token})
	a.unauthorized("GET", "/v1/clients/"+c.ID, nil)

	// A Backend API session's client.
	se := a.ok("POST", "/v1/sessions", map[string]any{"user_id": uid})
	api := a.ok("GET", "/v1/clients/"+se["client_id"].(string), nil)
	if ids := api["session_ids"].([]any); len(ids) != 1 || ids[0] != se["id"] || api["last_active_session_id"] != se["id"] {
		t.Fatalf("API session's client: %v", api)
	}
	// The list: newest first; paginated.
	if l := a.list("/v1/clients"); len(l) != 2 || l[0]["id"] != se["client_id"] || l[1]["id"] != c.ID {
		t.Fatalf("list: %v", l)
	}
	if l := a.ok("GET", "/v1/clients?paginated=true&limit=1&offset=1", nil); l["total_count"] != 2.0 ||
		len(l["data"].([]any)) != 1 || l["data"].([]any)[0].(map[string]any)["id"] != c.ID {
		t.Fatalf("paginated, limit 1 offset 1: %v", l)
	}
	if l := a.list("/v1/clients?limit=1&offset=1"); len(l) != 1 || l[0]["id"] != c.ID {
		t.Fatalf("limit 1 offset 1: %v", l)
	}
	a.fail("GET", "/v1/clients?limit=x", nil, 422, "form_param_format_invalid")

	// Signed out: the client stays, without sessions.
	resp, body := b.do("POST", a.srv.SignOutURL(), url.Values{}, "Origin", a.srv.URL())
	b.follow(resp, body, http.StatusSeeOther)
	got, err = clients.Verify(ctx, &client.VerifyParams{Token: clerk.String(token)})
	if err != nil || len(got.SessionIDs) != 0 || got.LastActiveSessionID != nil {
		t.Fatalf("after sign-out: %+v %v", got, err)
	}
}

// exerciseClientRoutes calls each Clients route once, successfully (for
// TestEveryRouteIsExercised).
func exerciseClientRoutes(t *testing.T, a *api) {
	t.Helper()
	uid := a.createUser("clients@example.com", "C")["id"].(string)
	b := newBrowser(t, a.srv)
	resp, body := b.do("POST", a.srv.SignInURL(), url.Values{"user_id": {uid}})
	b.follow(resp, body, http.StatusSeeOther)
	c := a.ok("POST", "/v1/clients/verify", map[string]any{"token": b.clientCookie()})
	a.ok("GET", "/v1/clients/"+c["id"].(string), nil)
	a.list("/v1/clients")
}
