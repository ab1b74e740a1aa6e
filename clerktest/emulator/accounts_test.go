package emulator_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// seedAccountsUser seeds user_ada with a web3 wallet, a Google account
// with an access token, a GitHub account without one, a passkey and two
// trusted devices.
func seedAccountsUser(t *testing.T, srv *emulator.Server) {
	t.Helper()
	err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{
		ID: "user_ada", EmailAddresses: []string{"ada@example.com"},
		Web3Wallets: []string{"0x52908400098527886E0F7030069857D2E4169EE7"},
		ExternalAccounts: []emulator.SeedExternalAccount{
			{ID: "eac_google", Provider: "oauth_google", ProviderUserID: "g-1", EmailAddress: "ada@gmail.example",
				FirstName: "Ada", Scopes: []string{"email", "profile"}, AccessToken: "ya29.token"},
			{Provider: "oauth_github", ProviderUserID: "gh-1", Username: "ada"},
		},
		Passkeys:       []emulator.SeedPasskey{{ID: "idn_passkey", Name: "Laptop"}},
		TrustedDevices: []emulator.SeedTrustedDevice{{ID: "td_phone", Platform: "ios", AppIdentifier: "com.example.app", Name: "Ada's phone"}, {Platform: "android", AppIdentifier: "com.example.app"}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUserAccounts: the seeded records show on the user; clerk-sdk-go's
// user client reads the OAuth access tokens and deletes a web3 wallet,
// a passkey and an external account (user.updated each).
func TestUserAccounts(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, hookSecret).start()
	a := newAPI(t, emulator.Options{Webhooks: hooks(rc.url())})
	seedAccountsUser(t, a.srv)
	ctx := context.Background()
	users := user.NewClient(sdkConfig(a.srv))
	u, err := users.Get(ctx, "user_ada")
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Web3Wallets) != 1 || u.Web3Wallets[0].Web3Wallet != "0x52908400098527886e0f7030069857d2e4169ee7" ||
		u.PrimaryWeb3WalletID == nil || *u.PrimaryWeb3WalletID != u.Web3Wallets[0].ID ||
		len(u.ExternalAccounts) != 2 || u.ExternalAccounts[0].Provider != "oauth_google" || u.ExternalAccounts[0].ApprovedScopes != "email profile" ||
		len(a.ok("GET", "/v1/users/user_ada", nil)["passkeys"].([]any)) != 1 {
		t.Fatalf("user: %+v", u)
	}
	tokens, err := users.ListOAuthAccessTokens(ctx, &user.ListOAuthAccessTokensParams{ID: "user_ada", Provider: "oauth_google"})
	if err != nil || tokens.TotalCount != 1 || tokens.OAuthAccessTokens[0].Token != "ya29.token" || tokens.OAuthAccessTokens[0].ExternalAccountID != "eac_google" {
		t.Fatalf("tokens: %+v %v", tokens, err)
	}
	if l := a.list("/v1/users/user_ada/oauth_access_tokens/google"); len(l) != 1 || l[0]["provider"] != "oauth_google" || l[0]["expires_at"] != nil {
		t.Fatalf("bare list: %v", l)
	}
	if l := a.list("/v1/users/user_ada/oauth_access_tokens/oauth_github"); len(l) != 0 {
		t.Fatalf("an account without a token: %v", l)
	}
	a.fail("GET", "/v1/users/user_nope/oauth_access_tokens/oauth_google", nil, 404, "resource_not_found")
	if l := a.list("/v1/users?provider_user_id=gh-1"); len(l) != 1 {
		t.Fatalf("users by provider_user_id: %v", l)
	}
	if l := a.list("/v1/users?web3_wallet=0x52908400098527886E0F7030069857D2E4169EE7"); len(l) != 1 {
		t.Fatalf("users by web3_wallet: %v", l)
	}

	if d, err := users.DeleteWeb3Wallet(ctx, "user_ada", u.Web3Wallets[0].ID); err != nil || !d.Deleted || d.Object != "web3_wallet" {
		t.Fatalf("DeleteWeb3Wallet: %+v %v", d, err)
	}
	if d, err := users.DeletePasskey(ctx, "user_ada", "idn_passkey"); err != nil || !d.Deleted || d.Object != "passkey" {
		t.Fatalf("DeletePasskey: %+v %v", d, err)
	}
	if d, err := users.DeleteExternalAccount(ctx, &user.DeleteExternalAccountParams{UserID: "user_ada", ID: "eac_google"}); err != nil || !d.Deleted {
		t.Fatalf("DeleteExternalAccount: %+v %v", d, err)
	}
	_, err = users.DeleteWeb3Wallet(ctx, "user_ada", u.Web3Wallets[0].ID)
	sdkError(t, err, http.StatusNotFound, "resource_not_found")
	_, err = users.DeletePasskey(ctx, "user_nope", "idn_passkey")
	sdkError(t, err, http.StatusNotFound, "resource_not_found")
	_, err = users.DeleteExternalAccount(ctx, &user.DeleteExternalAccountParams{UserID: "user_ada", ID: "eac_google"})
	sdkError(t, err, http.StatusNotFound, "resource_not_found")
	got := a.ok("GET", "/v1/users/user_ada", nil)
	if len(got["web3_wallets"].([]any)) != 0 || got["primary_web3_wallet_id"] != nil || len(got["passkeys"].([]any)) != 0 || len(got["external_accounts"].([]any)) != 1 {
		t.Fatalf("after deletes: %v", got)
	}
	if l := a.list("/v1/users/user_ada/oauth_access_tokens/oauth_google"); len(l) != 0 {
		t.Fatalf("tokens of a deleted account: %v", l)
	}
	if n := countOf(eventTypes(t, a.srv), "user.updated"); n != 3 {
		t.Errorf("user.updated: %d, want 3", n)
	}
	a.unauthorized("DELETE", "/v1/users/user_ada/passkeys/idn_x", nil)
}

// TestTrustedDevices: the active ones listed, revoked once.
func TestTrustedDevices(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	seedAccountsUser(t, a.srv)
	l := a.ok("GET", "/v1/users/user_ada/trusted_devices", nil)
	data := l["data"].([]any)
	if l["total_count"] != float64(2) || len(data) != 2 || data[0].(map[string]any)["name"] != "Ada's phone" || data[1].(map[string]any)["name"] != nil {
		t.Fatalf("devices: %v", l)
	}
	d := a.ok("DELETE", "/v1/users/user_ada/trusted_devices/td_phone", nil)
	if d["status"] != "revoked" || d["revoked_at"] == nil || d["algorithm"] != "ES256" {
		t.Fatalf("revoked: %v", d)
	}
	a.fail("DELETE", "/v1/users/user_ada/trusted_devices/td_phone", nil, 404, "resource_not_found")
	a.fail("DELETE", "/v1/users/user_nope/trusted_devices/td_phone", nil, 404, "resource_not_found")
	a.fail("GET", "/v1/users/user_nope/trusted_devices", nil, 404, "resource_not_found")
	if l := a.ok("GET", "/v1/users/user_ada/trusted_devices", nil); l["total_count"] != float64(1) {
		t.Fatalf("after revoking: %v", l)
	}
	a.unauthorized("GET", "/v1/users/user_ada/trusted_devices", nil)
}

// TestUserWeb3Wallets: POST /v1/users takes web3_wallet; PATCH
// primary_web3_wallet_id.
func TestUserWeb3Wallets(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	w1, w2 := "0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D"
	u := a.ok("POST", "/v1/users", map[string]any{"web3_wallet": []string{w1, w2}})
	ws := u["web3_wallets"].([]any)
	if len(ws) != 2 || u["primary_web3_wallet_id"] != ws[0].(map[string]any)["id"] {
		t.Fatalf("user: %v", u)
	}
	second := ws[1].(map[string]any)["id"].(string)
	uid := u["id"].(string)
	if got := a.ok("PATCH", "/v1/users/"+uid, map[string]any{"primary_web3_wallet_id": second}); got["primary_web3_wallet_id"] != second {
		t.Fatalf("primary: %v", got["primary_web3_wallet_id"])
	}
	a.fail("PATCH", "/v1/users/"+uid, map[string]any{"primary_web3_wallet_id": "idn_nope"}, 422, "form_param_value_invalid")
	a.fail("POST", "/v1/users", map[string]any{"web3_wallet": []string{w1}}, 422, "form_identifier_exists")
	a.fail("POST", "/v1/users", map[string]any{"web3_wallet": []string{"0x123"}}, 422, "form_param_format_invalid")
	for _, bad := range []emulator.SeedUser{
		{ExternalAccounts: []emulator.SeedExternalAccount{{Provider: "google", ProviderUserID: "1"}}},
		{ExternalAccounts: []emulator.SeedExternalAccount{{Provider: "oauth_google"}}},
		{ExternalAccounts: []emulator.SeedExternalAccount{{ID: "x", Provider: "oauth_google", ProviderUserID: "1"}}},
		{Passkeys: []emulator.SeedPasskey{{}}},
		{TrustedDevices: []emulator.SeedTrustedDevice{{Platform: "windows", AppIdentifier: "x"}}},
		{TrustedDevices: []emulator.SeedTrustedDevice{{ID: "td_1", Platform: "ios", AppIdentifier: "x"}, {ID: "td_1", Platform: "ios", AppIdentifier: "x"}}},
		{Web3Wallets: []string{w2}},
	} {
		if err := a.srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{bad}}); err == nil {
			t.Errorf("seed %+v: no error", bad)
		}
	}
}

// exerciseAccountRoutes calls each route of accounts.go once,
// successfully (for TestEveryRouteIsExercised).
func exerciseAccountRoutes(t *testing.T, a *api) {
	t.Helper()
	seedAccountsUser(t, a.srv)
	u := a.ok("GET", "/v1/users/user_ada", nil)
	a.ok("DELETE", "/v1/users/user_ada/web3_wallets/"+u["web3_wallets"].([]any)[0].(map[string]any)["id"].(string), nil)
	a.list("/v1/users/user_ada/oauth_access_tokens/oauth_google")
	a.ok("DELETE", "/v1/users/user_ada/external_accounts/eac_google", nil)
	a.ok("DELETE", "/v1/users/user_ada/passkeys/idn_passkey", nil)
	a.ok("GET", "/v1/users/user_ada/trusted_devices", nil)
	a.ok("DELETE", "/v1/users/user_ada/trusted_devices/td_phone", nil)
}
