package emulator_test

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// headerOf decodes the header of a compact JWS.
func headerOf(t *testing.T, token string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// verifyRS256 checks token's RS256 signature with key.
func verifyRS256(t *testing.T, token string, key *rsa.PublicKey) {
	t.Helper()
	parts := strings.Split(token, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("signature: %v", err)
	}
}

func TestJWTTemplatesCRUD(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	a.unauthorized("GET", "/v1/jwt_templates", nil)
	if got := a.list("/v1/jwt_templates"); len(got) != 0 {
		t.Fatalf("new instance has templates: %v", got)
	}
	t1 := a.ok("POST", "/v1/jwt_templates", map[string]any{"name": "convex", "claims": map[string]any{"aud": "convex"}})
	if t1["object"] != "jwt_template" || t1["lifetime"] != float64(60) || t1["allowed_clock_skew"] != float64(5) ||
		t1["custom_signing_key"] != false || t1["signing_algorithm"] != "RS256" || !strings.HasPrefix(t1["id"].(string), "jtmp_") {
		t.Fatalf("created: %v", t1)
	}
	id := t1["id"].(string)
	t2 := a.ok("POST", "/v1/jwt_templates", map[string]any{"name": "hasura", "claims": map[string]any{}, "lifetime": 3600, "allowed_clock_skew": 0})
	if t2["lifetime"] != float64(3600) || t2["allowed_clock_skew"] != float64(0) {
		t.Fatalf("created: %v", t2)
	}
	if got := a.ok("GET", "/v1/jwt_templates/"+id, nil); got["name"] != "convex" || got["claims"].(map[string]any)["aud"] != "convex" {
		t.Fatalf("get: %v", got)
	}
	if got := ids(a.list("/v1/jwt_templates")); len(got) != 2 || got[0] != id {
		t.Fatalf("list (oldest first): %v", got)
	}
	if got := ids(a.list("/v1/jwt_templates?limit=1&offset=1")); len(got) != 1 || got[0] != t2["id"] {
		t.Fatalf("second page: %v", got)
	}
	pg := a.ok("GET", "/v1/jwt_templates?paginated=true&limit=1", nil)
	if pg["total_count"] != float64(2) || len(pg["data"].([]any)) != 1 {
		t.Fatalf("paginated: %v", pg)
	}

	// Validation.
	for _, tc := range []struct {
		body any
		code string
	}{
		{map[string]any{"claims": map[string]any{}}, "form_param_missing"},
		{map[string]any{"name": "x"}, "form_param_missing"},
		{map[string]any{"name": "x", "claims": "{}"}, "form_param_format_invalid"},
		{map[string]any{"name": "x", "claims": []any{}}, "form_param_format_invalid"},
		{map[string]any{"name": "x", "claims": map[string]any{"sub": "me"}}, "form_param_value_invalid"},
		{map[string]any{"name": "x", "claims": map[string]any{"exp": 1}}, "form_param_value_invalid"},
		{map[string]any{"name": "x", "claims": map[string]any{}, "lifetime": 29}, "form_param_value_invalid"},
		{map[string]any{"name": "x", "claims": map[string]any{}, "lifetime": 315360001}, "form_param_value_invalid"},
		{map[string]any{"name": "x", "claims": map[string]any{}, "allowed_clock_skew": 301}, "form_param_value_invalid"},
		{map[string]any{"name": "x", "claims": map[string]any{}, "allowed_clock_skew": -1}, "form_param_value_invalid"},
		{map[string]any{"name": " ", "claims": map[string]any{}}, "form_param_value_invalid"},
		{map[string]any{"name": "convex", "claims": map[string]any{}}, "form_identifier_exists"},
		{map[string]any{"name": "x", "claims": map[string]any{}, "custom_signing_key": true}, "form_param_missing"},
		{map[string]any{"name": "x", "claims": map[string]any{}, "custom_signing_key": true, "signing_algorithm": "HS256"}, "form_param_missing"},
		{map[string]any{"name": "x", "claims": map[string]any{}, "custom_signing_key": true, "signing_algorithm": "ES256", "signing_key": "k"}, "form_param_value_invalid"},
		{map[string]any{"name": "x", "claims": map[string]any{}, "custom_signing_key": true, "signing_algorithm": "RS256", "signing_key": "not pem"}, "form_param_value_invalid"},
		{map[string]any{"name": "x", "claims": map[string]any{}, "nme": 1}, "form_param_unknown"},
		{map[string]any{"name": "x", "claims": map[string]any{}, "lifetime": "60"}, "form_param_format_invalid"},
	} {
		a.fail("POST", "/v1/jwt_templates", tc.body, http.StatusUnprocessableEntity, tc.code)
	}
	a.fail("POST", "/v1/jwt_templates", "{", http.StatusBadRequest, "malformed_request")
	if got := a.list("/v1/jwt_templates"); len(got) != 2 {
		t.Fatalf("a rejected create stored a template: %d", len(got))
	}

	// Update: name and claims required, the rest kept unless given.
	a.fail("PATCH", "/v1/jwt_templates/"+id, map[string]any{"claims": map[string]any{}}, http.StatusUnprocessableEntity, "form_param_missing")
	a.fail("PATCH", "/v1/jwt_templates/"+id, map[string]any{"name": "hasura", "claims": map[string]any{}}, http.StatusUnprocessableEntity, "form_identifier_exists")
	a.ok("PATCH", "/v1/jwt_templates/"+id, map[string]any{"name": "convex", "claims": map[string]any{}, "lifetime": 120})
	up := a.ok("PATCH", "/v1/jwt_templates/"+id, map[string]any{"name": "convex2", "claims": map[string]any{"aud": "x"}})
	if up["name"] != "convex2" || up["lifetime"] != float64(120) || up["allowed_clock_skew"] != float64(5) {
		t.Fatalf("updated: %v", up)
	}
	if up := a.ok("PATCH", "/v1/jwt_templates/"+id, map[string]any{"name": "convex2", "claims": map[string]any{}, "lifetime": nil}); up["lifetime"] != float64(60) {
		t.Fatalf("lifetime null resets to the default: %v", up)
	}
	a.fail("PATCH", "/v1/jwt_templates/"+id, map[string]any{"name": "convex2", "claims": map[string]any{"iss": "x"}}, http.StatusUnprocessableEntity, "form_param_value_invalid")

	del := a.ok("DELETE", "/v1/jwt_templates/"+id, nil)
	if del["object"] != "jwt_template" || del["deleted"] != true || del["id"] != id {
		t.Fatalf("deleted: %v", del)
	}
	for _, m := range []string{"GET", "DELETE"} {
		a.fail(m, "/v1/jwt_templates/"+id, nil, http.StatusNotFound, "resource_not_found")
	}
	a.fail("PATCH", "/v1/jwt_templates/"+id, map[string]any{"name": "y", "claims": map[string]any{}}, http.StatusNotFound, "resource_not_found")
	a.fail("POST", "/v1/jwt_templates/"+id, nil, http.StatusNotFound, "resource_not_found")
}

func TestTemplateToken(t *testing.T) {
	t.Parallel()
	clock := clerktest.NewClock(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	a := newAPI(t, emulator.Options{Clock: clock})
	srv := a.srv
	u := a.ok("POST", "/v1/users", map[string]any{"email_address": []string{"ada@example.com"}, "first_name": "Ada",
		"last_name": "Lovelace", "public_metadata": map[string]any{"plan": "pro", "tier": map[string]any{"n": 2}}})["id"].(string)
	org := a.ok("POST", "/v1/organizations", map[string]any{"name": "Acme", "slug": "acme", "created_by": u,
		"public_metadata": map[string]any{"region": "eu"}})["id"].(string)
	sess := a.ok("POST", "/v1/sessions", map[string]any{"user_id": u, "active_organization_id": org})["id"].(string)
	claims := map[string]any{
		"aud": "convex", "email": "{{user.primary_email_address}}", "name": "{{user.first_name}} {{user.last_name}}",
		"meta": "{{user.public_metadata}}", "tier": "{{user.public_metadata.tier.n}}",
		"plan": "{{user.public_metadata.missing || user.public_metadata.plan}}", "fallback": "{{user.username || 'anon'}}",
		"missing": "{{user.public_metadata.nope}}", "list": []any{"{{user.id}}", 7, true},
		"org": map[string]any{"id": "{{org.id}}", "slug": "{{org.slug}}", "role": "{{org.role}}", "meta": "{{org.public_metadata}}",
			"perms": "{{org_membership.permissions}}"},
		"greeting": "hi {{user.username}}!", "plain": "no shortcodes", "verified": "{{user.email_verified}}",
	}
	a.ok("POST", "/v1/jwt_templates", map[string]any{"name": "convex", "claims": claims, "lifetime": 300, "allowed_clock_skew": 10})

	path := "/v1/sessions/" + sess + "/tokens/convex"
	a.unauthorized("POST", path, nil)
	tok := a.ok("POST", path, nil)
	if tok["object"] != "token" {
		t.Fatalf("token: %v", tok)
	}
	jwt := tok["jwt"].(string)
	h := headerOf(t, jwt)
	if h["cat"] != "cl_B7d4PD222AAA" || h["alg"] != "RS256" || h["kid"] != srv.Issuer().KeyID() || h["typ"] != "JWT" {
		t.Fatalf("header: %v", h)
	}
	verifyRS256(t, jwt, &srv.Issuer().PrivateKey().PublicKey)
	p := payloadOf(t, jwt)
	now := clock.Now().Unix()
	want := map[string]any{"iss": srv.Issuer().IssuerURL(), "sub": u, "sid": sess, "aud": "convex",
		"iat": num(now), "nbf": num(now - 10), "exp": num(now + 300), "email": "ada@example.com",
		"name": "Ada Lovelace", "tier": json.Number("2"), "plan": "pro", "fallback": "anon", "greeting": "hi !",
		"plain": "no shortcodes", "verified": true}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("claim %s = %#v, want %#v", k, p[k], v)
		}
	}
	if v, ok := p["missing"]; !ok || v != nil {
		t.Errorf("a shortcode without a value must be null, got %#v (present %v)", v, ok)
	}
	if m, _ := p["meta"].(map[string]any); m["plan"] != "pro" {
		t.Errorf("meta: %#v", p["meta"])
	}
	if l, _ := p["list"].([]any); len(l) != 3 || l[0] != u || l[1] != json.Number("7") || l[2] != true {
		t.Errorf("list: %#v", p["list"])
	}
	o, _ := p["org"].(map[string]any)
	if o["id"] != org || o["slug"] != "acme" || o["role"] != "org:admin" || o["meta"].(map[string]any)["region"] != "eu" {
		t.Errorf("org: %#v", p["org"])
	}
	if perms, _ := o["perms"].([]any); len(perms) == 0 {
		t.Errorf("org_membership.permissions: %#v", o["perms"])
	}
	if jti, _ := p["jti"].(string); jti == "" {
		t.Error("no jti")
	}
	if _, ok := p["act"]; ok {
		t.Error("act in a token of a session that is no impersonation")
	}

	// A template token is not a session token: a verifier refuses it.
	v, err := auth.NewVerifier(srv.AuthConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), jwt); err == nil {
		t.Fatal("a JWT template token verified as a session token")
	}

	// expires_in_seconds overrides the lifetime.
	p = payloadOf(t, a.ok("POST", path, map[string]any{"expires_in_seconds": 45})["jwt"].(string))
	if p["exp"] != num(now+45) {
		t.Errorf("exp with expires_in_seconds: %v", p["exp"])
	}
	a.fail("POST", path, map[string]any{"expires_in_seconds": 29}, http.StatusUnprocessableEntity, "form_param_value_invalid")
	a.fail("POST", "/v1/sessions/"+sess+"/tokens/nope", nil, http.StatusNotFound, "resource_not_found")
	a.fail("POST", "/v1/sessions/sess_nope/tokens/convex", nil, http.StatusNotFound, "resource_not_found")

	// Without an active organization, org shortcodes are null.
	sess2 := a.ok("POST", "/v1/sessions", map[string]any{"user_id": u})["id"].(string)
	p = payloadOf(t, a.ok("POST", "/v1/sessions/"+sess2+"/tokens/convex", nil)["jwt"].(string))
	if o, _ := p["org"].(map[string]any); o["id"] != nil || o["role"] != nil {
		t.Errorf("org without an active organization: %#v", p["org"])
	}

	// A session that is not active has no tokens.
	a.ok("POST", "/v1/sessions/"+sess+"/revoke", nil)
	a.fail("POST", path, nil, http.StatusNotFound, "resource_not_found")
	clock.Advance(8 * 24 * time.Hour)
	a.fail("POST", "/v1/sessions/"+sess2+"/tokens/convex", nil, http.StatusNotFound, "resource_not_found")
}

func TestTemplateTokenCustomSigningKey(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	u := a.createUser("ada@example.com", "Ada")["id"].(string)
	sess := a.ok("POST", "/v1/sessions", map[string]any{"user_id": u})["id"].(string)

	secret := "super-secret-jwt-key-of-supabase"
	hs := a.ok("POST", "/v1/jwt_templates", map[string]any{"name": "supabase", "claims": map[string]any{"role": "authenticated"},
		"custom_signing_key": true, "signing_algorithm": "HS256", "signing_key": secret})
	if hs["custom_signing_key"] != true || hs["signing_algorithm"] != "HS256" {
		t.Fatalf("created: %v", hs)
	}
	if _, ok := hs["signing_key"]; ok {
		t.Fatal("the signing key is answered")
	}
	jwt := a.ok("POST", "/v1/sessions/"+sess+"/tokens/supabase", nil)["jwt"].(string)
	if h := headerOf(t, jwt); h["alg"] != "HS256" || h["kid"] != nil {
		t.Fatalf("header: %v", h)
	}
	parts := strings.Split(jwt, ".")
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(parts[0] + "." + parts[1]))
	if base64.RawURLEncoding.EncodeToString(m.Sum(nil)) != parts[2] {
		t.Fatal("the HS256 signature is not the secret's")
	}
	if p := payloadOf(t, jwt); p["role"] != "authenticated" || p["sub"] != u {
		t.Fatalf("payload: %v", p)
	}

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	a.ok("POST", "/v1/jwt_templates", map[string]any{"name": "own-rsa", "claims": map[string]any{},
		"custom_signing_key": true, "signing_algorithm": "RS256", "signing_key": pemKey})
	jwt = a.ok("POST", "/v1/sessions/"+sess+"/tokens/own-rsa", nil)["jwt"].(string)
	verifyRS256(t, jwt, &key.PublicKey)

	// Turning the custom key off goes back to the instance's key.
	id := hs["id"].(string)
	off := a.ok("PATCH", "/v1/jwt_templates/"+id, map[string]any{"name": "supabase", "claims": map[string]any{}, "custom_signing_key": false})
	if off["custom_signing_key"] != false || off["signing_algorithm"] != "RS256" {
		t.Fatalf("custom key off: %v", off)
	}
	verifyRS256(t, a.ok("POST", "/v1/sessions/"+sess+"/tokens/supabase", nil)["jwt"].(string), &a.srv.Issuer().PrivateKey().PublicKey)
}

func TestRefreshSession(t *testing.T) {
	t.Parallel()
	clock := clerktest.NewClock(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	a := newAPI(t, emulator.Options{Clock: clock})
	srv := a.srv
	u := a.createUser("ada@example.com", "Ada")["id"].(string)
	sess := a.ok("POST", "/v1/sessions", map[string]any{"user_id": u})["id"].(string)
	other := a.ok("POST", "/v1/sessions", map[string]any{"user_id": u})["id"].(string)
	old := a.ok("POST", "/v1/sessions/"+sess+"/tokens", nil)["jwt"].(string)
	otherTok := a.ok("POST", "/v1/sessions/"+other+"/tokens", nil)["jwt"].(string)
	refresh, err := srv.SessionRefreshToken(sess)
	if err != nil || refresh == "" {
		t.Fatalf("SessionRefreshToken: %q %v", refresh, err)
	}
	if r2, _ := srv.SessionRefreshToken(other); r2 == refresh {
		t.Fatal("two sessions share a refresh token")
	}
	if _, err := srv.SessionRefreshToken("sess_nope"); err == nil {
		t.Fatal("SessionRefreshToken of an unknown session")
	}
	clock.Advance(5 * time.Minute) // the old token has expired
	path := "/v1/sessions/" + sess + "/refresh"
	body := map[string]any{"expired_token": old, "refresh_token": refresh, "request_origin": "https://app.example.com"}
	a.unauthorized("POST", path, body)

	tok := a.ok("POST", path, body)
	if tok["object"] != "token" {
		t.Fatalf("refresh: %v", tok)
	}
	v, err := auth.NewVerifier(srv.AuthConfig())
	if err != nil {
		t.Fatal(err)
	}
	s, err := v.Verify(context.Background(), tok["jwt"].(string))
	if err != nil || s.SessionID != sess || s.UserID != u {
		t.Fatalf("refreshed token: %+v %v", s, err)
	}

	// As Clerk's JS SDK asks: cookies, suffixed too.
	withCookies := map[string]any{"expired_token": old, "refresh_token": refresh, "request_origin": "https://app.example.com",
		"format": "cookie", "request_headers": map[string]any{"Cookie": []string{"x=y"}}}
	c := a.ok("POST", path+"?suffixed_cookies=true", withCookies)
	cookies, _ := c["cookies"].([]any)
	if c["object"] != "cookies" || len(cookies) != 2 {
		t.Fatalf("cookies: %v", c)
	}
	suffix := auth.CookieSuffix(srv.PublishableKey())
	if !strings.HasPrefix(cookies[0].(string), "__session=ey") || !strings.HasPrefix(cookies[1].(string), "__session_"+suffix+"=ey") {
		t.Fatalf("cookies: %v", cookies)
	}
	if c := a.ok("POST", path, withCookies); len(c["cookies"].([]any)) != 1 {
		t.Fatalf("unsuffixed cookies: %v", c)
	}

	// Rejections.
	bad := func(k string, v any) map[string]any {
		b := map[string]any{"expired_token": old, "refresh_token": refresh, "request_origin": "https://app.example.com"}
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	for _, k := range []string{"expired_token", "refresh_token", "request_origin"} {
		a.fail("POST", path, bad(k, nil), http.StatusUnprocessableEntity, "form_param_missing")
	}
	a.fail("POST", path, bad("refresh_token", refresh+"x"), http.StatusBadRequest, "refresh_token_invalid")
	otherRefresh, _ := srv.SessionRefreshToken(other)
	a.fail("POST", path, bad("refresh_token", otherRefresh), http.StatusBadRequest, "refresh_token_invalid")
	a.fail("POST", path, bad("expired_token", otherTok), http.StatusBadRequest, "expired_token_invalid")
	a.fail("POST", path, bad("expired_token", "garbage"), http.StatusBadRequest, "expired_token_invalid")
	// Signed by a key the instance does not have.
	hdr, pl := srv.Issuer().Encode(clerktest.Claims{UserID: u, SessionID: sess})
	foreign, _ := rsa.GenerateKey(rand.Reader, 2048)
	a.fail("POST", path, bad("expired_token", clerktest.SignWith(foreign, "RS256", hdr, pl)), http.StatusBadRequest, "expired_token_invalid")
	// A template token of the session is not a session token.
	a.ok("POST", "/v1/jwt_templates", map[string]any{"name": "t", "claims": map[string]any{}})
	tmpl := a.ok("POST", "/v1/sessions/"+sess+"/tokens/t", nil)["jwt"].(string)
	a.fail("POST", path, bad("expired_token", tmpl), http.StatusBadRequest, "expired_token_invalid")
	a.fail("POST", path, bad("format", "xml"), http.StatusUnprocessableEntity, "form_param_value_invalid")
	a.fail("POST", path, bad("nope", 1), http.StatusUnprocessableEntity, "form_param_unknown")
	a.fail("POST", "/v1/sessions/sess_nope/refresh", body, http.StatusNotFound, "resource_not_found")
	a.ok("POST", "/v1/sessions/"+sess+"/revoke", nil)
	a.fail("POST", path, body, http.StatusNotFound, "resource_not_found")
}
