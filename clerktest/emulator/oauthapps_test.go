package emulator_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/oauthapplication"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// TestOAuthApplicationsSDK runs clerk-sdk-go's oauthapplication client
// through create, list, get, update, rotate_secret and delete.
func TestOAuthApplicationsSDK(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	oc := oauthapplication.NewClient(sdkConfig(srv))

	app, err := oc.Create(ctx, &oauthapplication.CreateParams{Name: "Partner", CallbackURL: "https://partner.example.com/cb"})
	if err != nil || app.ClientSecret == nil || len(*app.ClientSecret) != 32 || app.Scopes != "profile email" ||
		!app.ConsentScreenEnabled || app.Public || app.CallbackURL != "https://partner.example.com/cb" ||
		app.AuthorizeURL != srv.Issuer().IssuerURL()+"/oauth/authorize" {
		t.Fatalf("create: %+v, %v", app, err)
	}
	pub, err := oc.Create(ctx, &oauthapplication.CreateParams{Name: "CLI", Public: true, Scopes: "profile email public_metadata"})
	if err != nil || pub.ClientSecret == nil || *pub.ClientSecret != "" || !pub.Public || pub.Scopes != "profile email public_metadata" {
		t.Fatalf("create public: %+v, %v", pub, err)
	}
	list, err := oc.List(ctx, &oauthapplication.ListParams{})
	if err != nil || list.TotalCount != 2 || list.OAuthApplications[0].ID != app.ID || list.OAuthApplications[0].ClientSecret != nil {
		t.Fatalf("list: %+v, %v", list, err)
	}
	got, err := oc.Get(ctx, app.ID)
	if err != nil || got.ClientID != app.ClientID || got.ClientSecret != nil {
		t.Fatalf("get: %+v, %v", got, err)
	}
	upd, err := oc.Update(ctx, app.ID, &oauthapplication.UpdateParams{Name: clerk.String("Partner 2"), Scopes: clerk.String("email"),
		ConsentScreenEnabled: clerk.Bool(false)})
	if err != nil || upd.Name != "Partner 2" || upd.Scopes != "email" || upd.ConsentScreenEnabled || upd.UpdatedAt < upd.CreatedAt {
		t.Fatalf("update: %+v, %v", upd, err)
	}
	rot, err := oc.RotateClientSecret(ctx, app.ID)
	if err != nil || rot.ClientSecret == nil || *rot.ClientSecret == *app.ClientSecret || len(*rot.ClientSecret) != 32 {
		t.Fatalf("rotate: %+v, %v", rot, err)
	}
	_, err = oc.Create(ctx, &oauthapplication.CreateParams{Name: "x", Scopes: "profile admin"})
	sdkError(t, err, http.StatusUnprocessableEntity, "form_param_value_invalid")
	_, err = oc.Create(ctx, &oauthapplication.CreateParams{Name: "x", CallbackURL: "not a url"})
	sdkError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
	_, err = oc.Create(ctx, &oauthapplication.CreateParams{})
	sdkError(t, err, http.StatusUnprocessableEntity, "form_param_missing")
	_, err = oc.Get(ctx, "oa_missing")
	sdkError(t, err, http.StatusNotFound, "resource_not_found")
	_, err = oc.Update(ctx, "oa_missing", &oauthapplication.UpdateParams{Name: clerk.String("y")})
	sdkError(t, err, http.StatusNotFound, "resource_not_found")
	_, err = oc.Update(ctx, app.ID, &oauthapplication.UpdateParams{Name: clerk.String(" ")})
	sdkError(t, err, http.StatusUnprocessableEntity, "form_param_missing")
	_, err = oc.RotateClientSecret(ctx, "oa_missing")
	sdkError(t, err, http.StatusNotFound, "resource_not_found")

	del, err := oc.DeleteOAuthApplication(ctx, pub.ID)
	if err != nil || !del.Deleted || del.ID != pub.ID || del.Object != "oauth_application" {
		t.Fatalf("delete: %+v, %v", del, err)
	}
	_, err = oc.DeleteOAuthApplication(ctx, pub.ID)
	sdkError(t, err, http.StatusNotFound, "resource_not_found")
}

// TestOAuthApplicationsList: order_by, name_query and pagination.
func TestOAuthApplicationsList(t *testing.T) {
	a := newAPI(t)
	for _, n := range []string{"Charlie", "alpha", "Bravo"} {
		a.ok("POST", "/v1/oauth_applications", map[string]any{"name": n, "redirect_uris": []string{"https://" + n + ".example.com/cb"}})
	}
	names := func(path string) []string {
		var out []string
		l := a.ok("GET", path, nil)
		for _, d := range l["data"].([]any) {
			out = append(out, d.(map[string]any)["name"].(string))
		}
		return out
	}
	for path, want := range map[string]string{
		"/v1/oauth_applications":                      "[Charlie alpha Bravo]",
		"/v1/oauth_applications?order_by=-created_at": "[Bravo alpha Charlie]",
		"/v1/oauth_applications?order_by=name":        "[alpha Bravo Charlie]",
		"/v1/oauth_applications?name_query=AR":        "[Charlie]",
		"/v1/oauth_applications?limit=1&offset=1":     "[alpha]",
	} {
		if got := names(path); fmt.Sprint(got) != want {
			t.Errorf("%s: %v, want %s", path, got, want)
		}
	}
	if l := a.ok("GET", "/v1/oauth_applications?limit=1", nil); l["total_count"] != float64(3) {
		t.Fatalf("total_count: %v", l)
	}
	a.fail("GET", "/v1/oauth_applications?order_by=scopes", nil, 422, "form_param_value_invalid")
	a.fail("GET", "/v1/oauth_applications?limit=x", nil, 422, "form_param_format_invalid")
	a.fail("POST", "/v1/oauth_applications", map[string]any{"name": "x", "grant_types": []string{"a"}}, 422, "form_param_unknown")
	a.fail("POST", "/v1/oauth_applications", map[string]any{"name": "x", "redirect_uris": []string{"/relative"}}, 422, "form_param_format_invalid")
	long := make([]byte, 257)
	for i := range long {
		long[i] = 'a'
	}
	a.fail("POST", "/v1/oauth_applications", map[string]any{"name": string(long)}, 422, "form_param_value_invalid")
	a.fail("PATCH", "/v1/oauth_applications/oa_missing", map[string]any{}, 404, "resource_not_found")
	a.fail("DELETE", "/v1/oauth_applications/oa_missing", nil, 404, "resource_not_found")

	// A public client has no secret and always PKCE; made confidential, it
	// gets one, which rotate_secret tells.
	p := a.ok("POST", "/v1/oauth_applications", map[string]any{"name": "SPA", "public": true, "pkce_required": false})
	if p["client_secret"] != "" || p["pkce_required"] != true {
		t.Fatalf("public: %v", p)
	}
	c := a.ok("PATCH", "/v1/oauth_applications/"+p["id"].(string), map[string]any{"public": false, "redirect_uris": []string{"https://spa.example.com/cb"}})
	if c["public"] != false || c["client_secret"] != nil || c["callback_url"] != "https://spa.example.com/cb" {
		t.Fatalf("made confidential: %v", c)
	}
	if r := a.ok("POST", "/v1/oauth_applications/"+p["id"].(string)+"/rotate_secret", nil); r["client_secret"] == "" {
		t.Fatalf("rotate: %v", r)
	}
	pub := a.ok("POST", "/v1/oauth_applications", map[string]any{"name": "SPA2", "public": true})
	if r := a.ok("POST", "/v1/oauth_applications/"+pub["id"].(string)+"/rotate_secret", nil); r["client_secret"] != "" {
		t.Fatalf("rotate a public client: %v", r)
	}
}

// TestOAuthApplicationTokens: the access tokens issued with an
// application's client_id are its own: revoke_token revokes them (the
// verify endpoint then answers 404), and deleting the application revokes
// the rest.
func TestOAuthApplicationTokens(t *testing.T) {
	a := newAPI(t)
	u := a.ok("POST", "/v1/users", map[string]any{"email_address": []string{"ann@example.com"}})
	app := a.ok("POST", "/v1/oauth_applications", map[string]any{"name": "Partner"})
	other := a.ok("POST", "/v1/oauth_applications", map[string]any{"name": "Other"})
	clientID, appID := app["client_id"].(string), app["id"].(string)
	mk := func(jwt bool) emulator.OAuthAccessToken {
		tok, err := a.srv.CreateOAuthAccessToken(emulator.OAuthAccessTokenOptions{UserID: u["id"].(string), ClientID: clientID, JWT: jwt})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	t1, t2, jw := mk(false), mk(false), mk(true)
	verify := func(tok string) int {
		st, _ := a.do("POST", "/v1/oauth_applications/access_tokens/verify", map[string]any{"access_token": tok})
		return st
	}
	if v := a.ok("POST", "/v1/oauth_applications/access_tokens/verify", map[string]any{"access_token": t1.Token}); v["client_id"] != clientID {
		t.Fatalf("verify: %v", v)
	}
	a.fail("POST", "/v1/oauth_applications/"+other["id"].(string)+"/revoke_token", map[string]any{"token": t1.Token}, 404, "resource_not_found")
	a.fail("POST", "/v1/oauth_applications/"+appID+"/revoke_token", map[string]any{}, 422, "form_param_missing")
	a.fail("POST", "/v1/oauth_applications/"+appID+"/revoke_token", map[string]any{"token": jw.Token}, 400, "unsupported_token_type")
	a.fail("POST", "/v1/oauth_applications/oa_missing/revoke_token", map[string]any{"token": t1.Token}, 404, "resource_not_found")
	a.fail("POST", "/v1/oauth_applications/"+appID+"/revoke_token", map[string]any{"token": t1.Token, "x": 1}, 422, "form_param_unknown")
	if st, out := a.do("POST", "/v1/oauth_applications/"+appID+"/revoke_token", map[string]any{"token": t1.Token}); st != http.StatusNoContent || len(out) != 0 {
		t.Fatalf("revoke_token: %d %s", st, out)
	}
	if st := verify(t1.Token); st != http.StatusNotFound {
		t.Fatalf("verify a revoked token: %d", st)
	}
	if st := verify(t2.Token); st != http.StatusOK {
		t.Fatalf("verify the other token: %d", st)
	}
	a.ok("DELETE", "/v1/oauth_applications/"+appID, nil)
	if st := verify(t2.Token); st != http.StatusNotFound {
		t.Fatalf("verify a token of a deleted application: %d", st)
	}
}
