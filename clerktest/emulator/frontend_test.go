package emulator_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// browser is a cookie-keeping HTTP client that does not follow redirects,
// so that each hop of the flow can be checked.
type browser struct {
	t      *testing.T
	srv    *emulator.Server
	client *http.Client
}

func newBrowser(t *testing.T, srv *emulator.Server) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, srv: srv, client: &http.Client{
		Jar: jar, Transport: srv.HTTPClient().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends a request (a form when form is not nil) and returns the
// response with its body read.
func (b *browser) do(method, rawURL string, form url.Values, header ...string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp, string(out)
}

// follow requires a redirect with status and returns its absolute target.
func (b *browser) follow(resp *http.Response, body string, status int) string {
	b.t.Helper()
	if resp.StatusCode != status {
		b.t.Fatalf("%s %s: status %d, want %d; body %.500s", resp.Request.Method, resp.Request.URL, resp.StatusCode, status, body)
	}
	loc, err := resp.Location()
	if err != nil {
		b.t.Fatalf("%s %s: no Location: %v", resp.Request.Method, resp.Request.URL, err)
	}
	return loc.String()
}

// handshakeURL is the handshake as Clerk's server SDKs build it.
func handshakeURL(srv *emulator.Server, redirect string, extra ...string) string {
	q := url.Values{"redirect_url": {redirect}, "__clerk_api_version": {"2025-04-10"}, "suffixed_cookies": {"false"},
		"__clerk_hs_reason": {"session-token-expired"}, "format": {"nonce"}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return srv.FrontendAPIURL() + "/v1/client/handshake?" + q.Encode()
}

// exchange calls GET /v1/clients/handshake_payload for nonce and returns
// the directives.
func exchange(t *testing.T, a *api, nonce string) []string {
	t.Helper()
	status, out := a.do("GET", "/v1/clients/handshake_payload?nonce="+url.QueryEscape(nonce), nil)
	if status != http.StatusOK {
		t.Fatalf("handshake_payload: status %d, body %s", status, out)
	}
	var p map[string][]string
	d := json.NewDecoder(strings.NewReader(string(out)))
	d.DisallowUnknownFields()
	if err := d.Decode(&p); err != nil || len(p) != 1 || p["directives"] == nil {
		t.Fatalf("handshake_payload: %v in %s", err, out)
	}
	return p["directives"]
}

// cookieMap parses Set-Cookie directives into name -> cookie.
func cookieMap(t *testing.T, dirs []string) map[string]*http.Cookie {
	t.Helper()
	out := map[string]*http.Cookie{}
	for _, d := range dirs {
		c, err := http.ParseSetCookie(d)
		if err != nil {
			t.Fatalf("directive %q: %v", d, err)
		}
		if out[c.Name] != nil {
			t.Fatalf("cookie %s set twice in %q", c.Name, dirs)
		}
		out[c.Name] = c
	}
	return out
}

// nonceOf returns the nonce of a handshake's redirect back, checking it
// goes to want (without the handshake parameters).
func nonceOf(t *testing.T, loc, want string) (nonce string, q url.Values) {
	t.Helper()
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	q = u.Query()
	nonce = q.Get("__clerk_handshake_nonce")
	if nonce == "" {
		t.Fatalf("redirect %s has no nonce", loc)
	}
	clean := *u
	cq := u.Query()
	cq.Del("__clerk_handshake_nonce")
	cq.Del("__clerk_db_jwt")
	clean.RawQuery = cq.Encode()
	wu, _ := url.Parse(want)
	wu.RawQuery = wu.Query().Encode()
	if clean.String() != wu.String() {
		t.Fatalf("redirect %s, want %s plus the handshake parameters", loc, want)
	}
	return nonce, q
}

func signedOutDirectives(t *testing.T, dirs []string, dev bool) {
	t.Helper()
	c := cookieMap(t, dirs)
	if s := c["__session"]; s == nil || s.Value != "" || s.MaxAge >= 0 {
		t.Errorf("__session not cleared: %q", dirs)
	}
	if u := c["__client_uat"]; u == nil || u.Value != "0" {
		t.Errorf("__client_uat not 0: %q", dirs)
	}
	if db := c["__clerk_db_jwt"]; dev != (db != nil && strings.HasPrefix(db.Value, "dvb_")) {
		t.Errorf("dev %v, __clerk_db_jwt %v: %q", dev, db, dirs)
	}
	if len(c) != 2+btoi(dev) {
		t.Errorf("unexpected directives %q", dirs)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestHandshakeWithoutClient: a browser that never signed in is signed
// out by the handshake (nonce and token formats), the nonce is single-use,
// and the redirect keeps the app's URL.
func TestHandshakeWithoutClient(t *testing.T) {
	a := newAPI(t)
	b := newBrowser(t, a.srv)
	app := "http://127.0.0.1:3000/dashboard?tab=1&x=%2F"
	resp, body := b.do("GET", handshakeURL(a.srv, app), nil)
	loc := b.follow(resp, body, http.StatusTemporaryRedirect)
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	nonce, q := nonceOf(t, loc, app)
	if !strings.HasPrefix(q.Get("__clerk_db_jwt"), "dvb_") {
		t.Errorf("development redirect without a dev browser: %s", loc)
	}
	if !strings.HasPrefix(loc, "http://127.0.0.1:3000/dashboard?tab=1&x=%2F&") {
		t.Errorf("the app's query is not kept as sent: %s", loc)
	}
	dirs := exchange(t, a, nonce)
	signedOutDirectives(t, dirs, true)
	if db := cookieMap(t, dirs)["__clerk_db_jwt"]; db.Value != q.Get("__clerk_db_jwt") {
		t.Errorf("dev browser %s in the directives, %s in the URL", db.Value, q.Get("__clerk_db_jwt"))
	}
	// Reused nonce: gone.
	e := a.fail("GET", "/v1/clients/handshake_payload?nonce="+nonce, nil, http.StatusNotFound, "resource_not_found")
	if strings.Contains(fmt.Sprint(e), nonce) {
		t.Errorf("the error repeats the nonce: %v", e)
	}
	if got := a.srv.Calls("GET /v1/client/handshake"); got != 1 {
		t.Errorf("Calls(handshake) = %d", got)
	}
}

// TestHandshakePayloadRejections: a missing, unknown, expired or reused
// nonce, and no secret key.
func TestHandshakePayloadRejections(t *testing.T) {
	clock := clerktest.NewClock(time.Unix(1_700_000_000, 0))
	a := newAPI(t, emulator.Options{Clock: clock})
	b := newBrowser(t, a.srv)
	newNonce := func() string {
		resp, body := b.do("GET", handshakeURL(a.srv, "http://localhost:3000/"), nil)
		n, _ := nonceOf(t, b.follow(resp, body, http.StatusTemporaryRedirect), "http://localhost:3000/")
		return n
	}
	a.fail("GET", "/v1/clients/handshake_payload", nil, http.StatusUnprocessableEntity, "form_param_missing")
	a.fail("GET", "/v1/clients/handshake_payload?nonce=nope", nil, http.StatusNotFound, "resource_not_found")

	n := newNonce()
	status, _ := a.doAuth("GET", "/v1/clients/handshake_payload?nonce="+n, nil, "")
	if status != http.StatusUnauthorized {
		t.Fatalf("without the secret key: %d", status)
	}
	status, _ = a.doAuth("GET", "/v1/clients/handshake_payload?nonce="+n, nil, "Bearer sk_test_wrong")
	if status != http.StatusUnauthorized {
		t.Fatalf("with a wrong key: %d", status)
	}
	exchange(t, a, n) // the refused attempts did not use it

	n = newNonce()
	clock.Advance(emulator.HandshakeNonceLifetime)
	a.fail("GET", "/v1/clients/handshake_payload?nonce="+n, nil, http.StatusNotFound, "resource_not_found")

	n = newNonce()
	clock.Advance(emulator.HandshakeNonceLifetime - time.Second)
	exchange(t, a, n)
	a.fail("GET", "/v1/clients/handshake_payload?nonce="+n, nil, http.StatusNotFound, "resource_not_found")
}

// TestHandshakeRefusesOtherOrigins: a redirect_url elsewhere than an
// allowed or (development) loopback origin is a 400, never a redirect.
func TestHandshakeRefusesOtherOrigins(t *testing.T) {
	a := newAPI(t)
	b := newBrowser(t, a.srv)
	for _, target := range []string{
		"",
		"https://evil.example/",
		"http://127.0.0.1.evil.example/",
		"http://localhost.evil.example/",
		"http://localhost./",
		"http://evil.example#@127.0.0.1/",
		"http://127.0.0.1:3000@evil.example/",
		"http://user@127.0.0.1/",
		"http://evil.example\\@127.0.0.1/",
		"http:\\\\evil.example/",
		"//evil.example/",
		"/relative",
		"javascript:alert(1)",
		"data:text/html,hi",
		"ftp://127.0.0.1/",
		"http://0177.0.0.1/",
		"http://2130706433/",
		"http://[::1%25eth0]/",
		"http://127.0.0.1:0/",
		"http://127.0.0.1:99999/",
		"http://evil.example/\n",
		" http://127.0.0.1/",
		"http://app.localhost/",
	} {
		resp, body := b.do("GET", handshakeURL(a.srv, target), nil)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("redirect_url %q: status %d, Location %q", target, resp.StatusCode, resp.Header.Get("Location"))
			continue
		}
		want := "form_param_missing"
		if target != "" {
			want = errCodeFor(body) // format_invalid (not a URL we accept) or value_invalid (an origin not allowed)
		}
		checkAPIError(t, target, resp.StatusCode, []byte(body), http.StatusBadRequest, want)
	}
	// The loopback origins a development instance allows.
	for _, target := range []string{"http://localhost:3000/", "http://127.0.0.1/", "https://127.0.0.2:8443/x", "http://[::1]:5173/", "HTTP://LOCALHOST:3000/A"} {
		resp, body := b.do("GET", handshakeURL(a.srv, target), nil)
		b.follow(resp, body, http.StatusTemporaryRedirect)
	}
	// Other parameters.
	for _, extra := range [][]string{{"format", "jwt"}, {"suffixed_cookies", "yes"}} {
		resp, body := b.do("GET", handshakeURL(a.srv, "http://localhost:3000/", extra...), nil)
		checkAPIError(t, fmt.Sprint(extra), resp.StatusCode, []byte(body), http.StatusBadRequest, "form_param_value_invalid")
	}
}

// errCodeFor returns the code of a Clerk error body, for the cases where
// either format or value errors are right (parse or origin).
func errCodeFor(body string) string {
	var e struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal([]byte(body), &e) != nil || len(e.Errors) != 1 {
		return "?"
	}
	if c := e.Errors[0].Code; c == "form_param_format_invalid" || c == "form_param_value_invalid" {
		return c
	}
	return "?"
}

// TestAllowedOrigins: with Options.AllowedOrigins, those origins are
// allowed; on a production instance loopback ones are not, and there are
// no dev browsers; invalid entries fail StartServer.
func TestAllowedOrigins(t *testing.T) {
	a := newAPI(t, emulator.Options{SecretKey: "sk_live_" + strings.Repeat("x", 40), AllowedOrigins: []string{"https://app.example.com:443", "http://LOCALHOST:3000"}})
	b := newBrowser(t, a.srv)
	for target, ok := range map[string]bool{
		"https://app.example.com/settings": true, "https://app.example.com:443/": true, "http://localhost:3000/": true,
		"http://app.example.com/": false, "https://app.example.com:8443/": false, "http://127.0.0.1:3000/": false,
		"http://localhost:3001/": false, "https://other.example.com/": false,
	} {
		resp, body := b.do("GET", handshakeURL(a.srv, target), nil)
		if ok {
			loc := b.follow(resp, body, http.StatusTemporaryRedirect)
			if _, q := nonceOf(t, loc, target); q.Has("__clerk_db_jwt") {
				t.Errorf("production redirect with a dev browser: %s", loc)
			}
			continue
		}
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d", target, resp.StatusCode)
		}
	}
	resp, body := b.do("POST", a.srv.FrontendAPIURL()+"/v1/dev_browser", nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("production dev browser: %d %s", resp.StatusCode, body)
	}
	for _, bad := range []string{"app.example.com", "https://app.example.com/path", "https://app.example.com?x", "ftp://x", "https://"} {
		srv, err := emulator.StartServer(emulator.Options{AllowedOrigins: []string{bad}})
		if err == nil {
			srv.Close()
			t.Errorf("AllowedOrigins %q accepted", bad)
		} else if !errors.Is(err, emulator.ErrNotAnOrigin) {
			t.Errorf("AllowedOrigins %q: %v, not ErrNotAnOrigin", bad, err)
		}
	}
}

// TestDevBrowser: POST /v1/dev_browser creates one (CORS for loopback
// origins only), and the handshake keeps a known one and replaces an
// unknown one.
func TestDevBrowser(t *testing.T) {
	a := newAPI(t)
	b := newBrowser(t, a.srv)
	resp, body := b.do("POST", a.srv.FrontendAPIURL()+"/v1/dev_browser?__clerk_api_version=2025-04-10", nil, "Origin", "http://localhost:3000")
	var db struct{ Object, ID string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &db) != nil || db.Object != "dev_browser" || !strings.HasPrefix(db.ID, "dvb_") {
		t.Fatalf("dev_browser: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" || resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("CORS headers %v", resp.Header)
	}
	resp, _ = b.do("POST", a.srv.FrontendAPIURL()+"/v1/dev_browser", nil, "Origin", "https://evil.example")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("evil origin: %d, ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	for given, kept := range map[string]bool{db.ID: true, "dvb_unknown": false} {
		resp, body := b.do("GET", handshakeURL(a.srv, "http://localhost:3000/", "__clerk_db_jwt", given), nil)
		n, q := nonceOf(t, b.follow(resp, body, http.StatusTemporaryRedirect), "http://localhost:3000/")
		got := cookieMap(t, exchange(t, a, n))["__clerk_db_jwt"].Value
		if (got == given) != kept || got != q.Get("__clerk_db_jwt") || !strings.HasPrefix(got, "dvb_") {
			t.Errorf("given %s: directives %s, URL %s", given, got, q.Get("__clerk_db_jwt"))
		}
	}
}

// app is a server-rendered app that resolves handshakes as Clerk's server
// SDKs do: it exchanges the nonce with the secret key, sets the cookies
// and redirects to its URL without the handshake parameters.
func newApp(t *testing.T, a *api) *httptest.Server {
	t.Helper()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if n := q.Get("__clerk_handshake_nonce"); n != "" {
			for _, d := range exchange(t, a, n) {
				w.Header().Add("Set-Cookie", d)
			}
			q.Del("__clerk_handshake_nonce")
			q.Del("__clerk_db_jwt")
			u := *r.URL
			u.RawQuery = q.Encode()
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, u.String(), http.StatusTemporaryRedirect)
			return
		}
		c, _ := r.Cookie("__session")
		uat, _ := r.Cookie("__client_uat")
		fmt.Fprintf(w, "session=%s\nuat=%s\n", cookieValue(c), cookieValue(uat))
	}))
	t.Cleanup(app.Close)
	return app
}

func cookieValue(c *http.Cookie) string {
	if c == nil {
		return ""
	}
	return c.Value
}

// appCookies returns what the app sees: its __session and __client_uat.
func (b *browser) appCookies(appURL string) (session, uat string) {
	b.t.Helper()
	resp, body := b.do("GET", appURL, nil)
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("app: %d %s", resp.StatusCode, body)
	}
	for line := range strings.Lines(body) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		switch k {
		case "session":
			session = v
		case "uat":
			uat = v
		}
	}
	return session, uat
}

// signIn posts the hosted sign-in form and follows the flow to the app:
// sign-in → handshake → app with the nonce → app URL with cookies.
func (b *browser) signIn(form url.Values, appURL string) {
	b.t.Helper()
	form.Set("redirect_url", appURL)
	resp, body := b.do("POST", b.srv.SignInURL(), form, "Origin", b.srv.URL())
	hs := b.follow(resp, body, http.StatusSeeOther)
	if !strings.HasPrefix(hs, b.srv.FrontendAPIURL()+"/v1/client/handshake?") || !strings.Contains(hs, "format=nonce") {
		b.t.Fatalf("sign-in redirects to %s, not the handshake", hs)
	}
	resp, body = b.do("GET", hs, nil)
	back := b.follow(resp, body, http.StatusTemporaryRedirect)
	resp, body = b.do("GET", back, nil)
	if got := b.follow(resp, body, http.StatusTemporaryRedirect); got != appURL {
		b.t.Fatalf("the app redirects to %s, want %s", got, appURL)
	}
}

// TestBrowserRoundTrip is the whole flow without any browser SDK: sign in
// on the hosted page, through the handshake, to the app, whose cookies
// then hold a 60 s session token that clerkkit's verifier, configured
// with the proxy URL as `clerkkit dev` prints it, accepts; once it
// expires, another handshake gives a fresh one; signing out clears them.
func TestBrowserRoundTrip(t *testing.T) {
	clock := clerktest.NewClock(time.Now().Truncate(time.Second))
	a := newAPI(t, emulator.Options{Clock: clock})
	if err := a.srv.Seed(emulator.DemoSeed()); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, a.srv)
	app := newApp(t, a)
	appURL := app.URL + "/orgs?id=1"

	// The page offers the seeded users.
	resp, page := b.do("GET", a.srv.SignInURL()+"?redirect_url="+url.QueryEscape(appURL), nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "user_demo_admin") || !strings.Contains(page, "ada@example.com") ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("sign-in page: %d %s", resp.StatusCode, page)
	}
	signedInAt := clock.Now()
	b.signIn(url.Values{"user_id": {"user_demo_admin"}}, appURL)
	clientCookie := b.client.Jar.Cookies(mustURL(t, a.srv.URL()))
	if !slices.ContainsFunc(clientCookie, func(c *http.Cookie) bool { return c.Name == "__client" && len(c.Value) >= 32 }) {
		t.Fatalf("no __client cookie on the emulator's host: %v", clientCookie)
	}
	tok, uat := b.appCookies(appURL)
	if uat != strconv.FormatInt(signedInAt.Unix(), 10) {
		t.Errorf("__client_uat %s, want the sign-in time %d", uat, signedInAt.Unix())
	}
	cfg := auth.Config{SecretKey: a.srv.SecretKey(), PublishableKey: a.srv.PublishableKey(), APIURL: a.srv.URL(),
		ProxyURL: a.srv.FrontendAPIURL(), AuthorizedParties: []string{app.URL}, Now: clock.Now, HTTPClient: a.srv.HTTPClient()}
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatalf("the app's session token does not verify: %v", err)
	}
	if claims.UserID != "user_demo_admin" || claims.AuthorizedParty != app.URL {
		t.Errorf("session %+v", claims)
	}
	p := payloadOf(t, tok)
	if p["iss"] != a.srv.Issuer().IssuerURL() || p["azp"] != app.URL {
		t.Errorf("iss %v azp %v", p["iss"], p["azp"])
	}
	iat, _ := p["iat"].(json.Number).Int64()
	exp, _ := p["exp"].(json.Number).Int64()
	if exp-iat != 60 || iat != clock.Now().Unix() {
		t.Errorf("iat %d exp %d", iat, exp)
	}
	sid, _ := p["sid"].(string)
	se := a.ok("GET", "/v1/sessions/"+sid, nil)
	if se["status"] != "active" || !strings.HasPrefix(se["client_id"].(string), "client_") {
		t.Errorf("session %v", se)
	}

	// The token expires; the next handshake (session-token-expired) gives
	// a fresh one, the client unchanged.
	clock.Advance(60*time.Second + auth.DefaultClockSkew + time.Second)
	if _, err := v.Verify(t.Context(), tok); err == nil {
		t.Fatal("the old token still verifies")
	}
	resp, body := b.do("GET", handshakeURL(a.srv, appURL), nil)
	resp, body = b.do("GET", b.follow(resp, body, http.StatusTemporaryRedirect), nil)
	b.follow(resp, body, http.StatusTemporaryRedirect)
	tok2, uat2 := b.appCookies(appURL)
	if tok2 == tok || uat2 != uat {
		t.Errorf("after a refresh: same token %v, uat %s → %s", tok2 == tok, uat, uat2)
	}
	if c, err := v.Verify(t.Context(), tok2); err != nil || c.SessionID != sid {
		t.Fatalf("refreshed token: %v, %+v", err, c)
	}

	// Sign out from the app's origin: the session ends, the app's cookies
	// are cleared through the handshake.
	clock.Advance(time.Second)
	resp, body = b.do("POST", a.srv.SignOutURL(), url.Values{"redirect_url": {appURL}}, "Origin", app.URL)
	hs := b.follow(resp, body, http.StatusSeeOther)
	resp, body = b.do("GET", hs, nil)
	resp, body = b.do("GET", b.follow(resp, body, http.StatusTemporaryRedirect), nil)
	b.follow(resp, body, http.StatusTemporaryRedirect)
	if tok3, uat3 := b.appCookies(appURL); tok3 != "" || uat3 != "0" {
		t.Errorf("after sign-out the app has session %q, uat %q", tok3, uat3)
	}
	if se := a.ok("GET", "/v1/sessions/"+sid, nil); se["status"] != "ended" {
		t.Errorf("session after sign-out: %v", se["status"])
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestHandshakeEndedSession: a client whose session was revoked, expired
// or whose user was banned or deleted is signed out by the handshake.
func TestHandshakeEndedSession(t *testing.T) {
	for _, end := range []string{"revoke", "expire", "ban", "delete"} {
		t.Run(end, func(t *testing.T) {
			clock := clerktest.NewClock(time.Now())
			a := newAPI(t, emulator.Options{Clock: clock})
			user := a.createUser("e@example.com", "E")["id"].(string)
			b := newBrowser(t, a.srv)
			app := newApp(t, a)
			b.signIn(url.Values{"user_id": {user}}, app.URL+"/")
			tok, _ := b.appCookies(app.URL + "/")
			sid := payloadOf(t, tok)["sid"].(string)
			switch end {
			case "revoke":
				a.ok("POST", "/v1/sessions/"+sid+"/revoke", nil)
			case "expire":
				clock.Advance(7*24*time.Hour + time.Second)
			case "ban":
				a.ok("POST", "/v1/users/"+user+"/ban", nil)
			case "delete":
				a.ok("DELETE", "/v1/users/"+user, nil)
			}
			resp, body := b.do("GET", handshakeURL(a.srv, app.URL+"/"), nil)
			n, _ := nonceOf(t, b.follow(resp, body, http.StatusTemporaryRedirect), app.URL+"/")
			signedOutDirectives(t, exchange(t, a, n), true)
		})
	}
}

// TestHandshakeFormats: format=token carries the directives in a JWT
// signed with the instance's key (no cat header), suffixed_cookies=true
// sets each cookie suffixed and plain, an https app gets Secure cookies,
// and organization_id activates an organization of the user's.
func TestHandshakeFormats(t *testing.T) {
	a := newAPI(t)
	if err := a.srv.Seed(emulator.DemoSeed()); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, a.srv)
	b.signIn(url.Values{"user_id": {"user_demo_member"}}, newApp(t, a).URL+"/")

	resp, body := b.do("GET", handshakeURL(a.srv, "https://localhost:8443/x", "format", "token", "suffixed_cookies", "true", "organization_id", "acme"), nil)
	u := mustURL(t, b.follow(resp, body, http.StatusTemporaryRedirect))
	jwt := u.Query().Get("__clerk_handshake")
	if jwt == "" || u.Query().Has("__clerk_handshake_nonce") {
		t.Fatalf("token-format redirect %s", u)
	}
	parts := strings.Split(jwt, ".")
	hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var h map[string]any
	if json.Unmarshal(hdr, &h) != nil || h["alg"] != "RS256" || h["typ"] != "JWT" || h["kid"] != a.srv.Issuer().KeyID() || h["cat"] != nil {
		t.Errorf("handshake header %s", hdr)
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&a.srv.Issuer().PrivateKey().PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("handshake signature: %v", err)
	}
	var dirs []string
	for _, d := range payloadOf(t, jwt)["handshake"].([]any) {
		dirs = append(dirs, d.(string))
	}
	c := cookieMap(t, dirs)
	sum1 := sha1.Sum([]byte(a.srv.PublishableKey()))
	suffix := base64.URLEncoding.EncodeToString(sum1[:])[:8]
	if a.srv.CookieSuffix() != suffix {
		t.Errorf("CookieSuffix %s, want %s", a.srv.CookieSuffix(), suffix)
	}
	for _, name := range []string{"__session", "__client_uat", "__clerk_db_jwt"} {
		plain, suffixed := c[name], c[name+"_"+suffix]
		if plain == nil || suffixed == nil || plain.Value != suffixed.Value || !plain.Secure || plain.Path != "/" ||
			plain.SameSite != http.SameSiteLaxMode || plain.HttpOnly {
			t.Errorf("%s: %v / %v", name, plain, suffixed)
		}
	}
	tok := c["__session"].Value
	p := payloadOf(t, tok)
	if o, _ := p["o"].(map[string]any); o == nil || o["id"] != "org_demo_acme" || p["azp"] != "https://localhost:8443" {
		t.Errorf("token after organization_id=acme: %v", p)
	}
	// A user not in the organization: ignored.
	resp, body = b.do("GET", handshakeURL(a.srv, "http://localhost:3000/", "organization_id", "org_demo_globex_not"), nil)
	n, _ := nonceOf(t, b.follow(resp, body, http.StatusTemporaryRedirect), "http://localhost:3000/")
	p = payloadOf(t, cookieMap(t, exchange(t, a, n))["__session"].Value)
	if o, _ := p["o"].(map[string]any); o == nil || o["id"] != "org_demo_acme" {
		t.Errorf("an unknown organization changed the active one: %v", p["o"])
	}
}

// TestHostedSignIn: email and password for a seeded user with a password
// (wrong ones refused alike, the password never answered), choosing a
// user, refusals (banned, unknown, cross-origin posts, redirects
// elsewhere), and sign-out only by POST.
func TestHostedSignIn(t *testing.T) {
	const pw = "correct horse battery"
	a := newAPI(t)
	err := a.srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{
		{ID: "user_pw", EmailAddresses: []string{"pw@example.com"}, FirstName: "Pat", Password: pw},
		{ID: "user_nopw", EmailAddresses: []string{"nopw@example.com"}},
		{ID: "user_banned", EmailAddresses: []string{"banned@example.com"}, Banned: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if u := a.ok("GET", "/v1/users/user_pw", nil); u["password_enabled"] != true {
		t.Errorf("password_enabled %v", u["password_enabled"])
	}
	app := newApp(t, a)
	b := newBrowser(t, a.srv)
	for _, form := range []url.Values{
		{"email": {"pw@example.com"}, "password": {"wrong password"}},
		{"email": {"nobody@example.com"}, "password": {pw}},
		{"email": {"nopw@example.com"}, "password": {pw}},
		{"user_id": {"user_nope"}},
		{"user_id": {"user_banned"}},
		{},
	} {
		form.Set("redirect_url", app.URL+"/")
		resp, body := b.do("POST", a.srv.SignInURL(), form)
		if resp.StatusCode != http.StatusUnprocessableEntity || strings.Contains(body, pw) || len(b.client.Jar.Cookies(mustURL(t, a.srv.URL()))) != 0 {
			t.Errorf("%v: %d, cookies %v", form, resp.StatusCode, b.client.Jar.Cookies(mustURL(t, a.srv.URL())))
		}
	}
	// A post from another origin, or to send the browser elsewhere.
	resp, _ := b.do("POST", a.srv.SignInURL(), url.Values{"user_id": {"user_pw"}}, "Origin", "https://evil.example")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin sign-in: %d", resp.StatusCode)
	}
	resp, _ = b.do("POST", a.srv.SignInURL(), url.Values{"user_id": {"user_pw"}}, "Origin", "null")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("null-origin sign-in: %d", resp.StatusCode)
	}
	resp, _ = b.do("POST", a.srv.SignInURL(), url.Values{"user_id": {"user_pw"}}, "Sec-Fetch-Site", "cross-site")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site sign-in: %d", resp.StatusCode)
	}
	for _, m := range []string{"GET", "POST"} {
		var form url.Values
		target := a.srv.SignInURL() + "?redirect_url=" + url.QueryEscape("https://evil.example/")
		if m == "POST" {
			form, target = url.Values{"user_id": {"user_pw"}, "redirect_url": {"https://evil.example/"}}, a.srv.SignInURL()
		}
		resp, body := b.do(m, target, form)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || strings.Contains(body, `name="user_id"`) {
			t.Errorf("%s sign-in to evil.example: %d %q", m, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if n := len(a.list("/v1/sessions?user_id=user_pw")); n != 0 {
		t.Fatalf("%d sessions after refused sign-ins", n)
	}

	b.signIn(url.Values{"email": {"PW@example.com"}, "password": {pw}}, app.URL+"/")
	tok, _ := b.appCookies(app.URL + "/")
	if payloadOf(t, tok)["sub"] != "user_pw" {
		t.Fatalf("signed in as %v", payloadOf(t, tok)["sub"])
	}
	// The page says who is signed in; signing in as another user ends
	// the first session.
	_, page := b.do("GET", a.srv.SignInURL(), nil)
	if !strings.Contains(page, "Signed in as <strong>Pat</strong>") {
		t.Errorf("page does not tell who is signed in:\n%s", page)
	}
	first := payloadOf(t, tok)["sid"].(string)
	b.signIn(url.Values{"user_id": {"user_nopw"}}, app.URL+"/")
	if se := a.ok("GET", "/v1/sessions/"+first, nil); se["status"] != "ended" {
		t.Errorf("first session %v after signing in again", se["status"])
	}
	// GET /sign-out only asks; a cross-origin post is refused.
	resp, page = b.do("GET", a.srv.SignOutURL()+"?redirect_url="+url.QueryEscape(app.URL+"/"), nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `action="/sign-out"`) {
		t.Errorf("sign-out page: %d %s", resp.StatusCode, page)
	}
	resp, _ = b.do("POST", a.srv.SignOutURL(), url.Values{}, "Origin", "https://evil.example")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin sign-out: %d", resp.StatusCode)
	}
	tok, _ = b.appCookies(app.URL + "/")
	if se := a.ok("GET", "/v1/sessions/"+payloadOf(t, tok)["sid"].(string), nil); se["status"] != "active" {
		t.Errorf("session %v after refused sign-outs", se["status"])
	}
	// Sign-out without redirect_url comes back to the page.
	resp, body := b.do("POST", a.srv.SignOutURL(), url.Values{}, "Origin", a.srv.URL())
	if loc := b.follow(resp, body, http.StatusSeeOther); loc != a.srv.SignInURL() {
		t.Errorf("sign-out redirects to %s", loc)
	}
}

// TestPasswordUsers: a password set through the Backend API signs in on
// the page; one replaced by a digest no longer does; seeding a short
// password fails.
func TestPasswordUsers(t *testing.T) {
	a := newAPI(t)
	u := a.ok("POST", "/v1/users", map[string]any{"email_address": []string{"api@example.com"}, "password": "api password 1"})
	id := u["id"].(string)
	if strings.Contains(fmt.Sprint(u), "api password 1") {
		t.Fatal("the password is answered")
	}
	b := newBrowser(t, a.srv)
	app := newApp(t, a)
	b.signIn(url.Values{"email": {"api@example.com"}, "password": {"api password 1"}}, app.URL+"/")
	a.ok("PATCH", "/v1/users/"+id, map[string]any{"password": "api password 2"})
	form := url.Values{"email": {"api@example.com"}, "password": {"api password 1"}, "redirect_url": {app.URL + "/"}}
	if resp, _ := b.do("POST", a.srv.SignInURL(), form); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("the old password still signs in: %d", resp.StatusCode)
	}
	b.signIn(url.Values{"email": {"api@example.com"}, "password": {"api password 2"}}, app.URL+"/")
	a.ok("PATCH", "/v1/users/"+id, map[string]any{"password_digest": "$2a$10$abcdefghijklmnopqrstuv", "password_hasher": "bcrypt"})
	form.Set("password", "api password 2")
	if resp, _ := b.do("POST", a.srv.SignInURL(), form); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a password replaced by a digest still signs in: %d", resp.StatusCode)
	}
	if err := a.srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{Password: "short"}}}); err == nil {
		t.Error("a 5-character seed password was accepted")
	}
}

// TestFrontendNotRateLimited: the Backend API rate limit does not count
// the Frontend API's requests.
func TestFrontendNotRateLimited(t *testing.T) {
	a := newAPI(t, emulator.Options{RateLimit: emulator.RateLimit{Requests: 2, Per: time.Hour}})
	b := newBrowser(t, a.srv)
	for range 5 {
		resp, body := b.do("GET", handshakeURL(a.srv, "http://localhost:3000/"), nil)
		b.follow(resp, body, http.StatusTemporaryRedirect)
	}
	if resp, _ := b.do("GET", a.srv.SignInURL(), nil); resp.StatusCode != http.StatusOK {
		t.Errorf("sign-in page: %d", resp.StatusCode)
	}
	a.ok("GET", "/v1/users/count", nil)
}

// exerciseFrontendRoutes calls each Frontend API route once, and the
// handshake payload, for TestEveryRouteIsExercised.
func exerciseFrontendRoutes(t *testing.T, a *api) {
	t.Helper()
	b := newBrowser(t, a.srv)
	user := a.createUser("frontend@example.com", "F")["id"].(string)
	if resp, body := b.do("POST", a.srv.FrontendAPIURL()+"/v1/dev_browser", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("dev_browser: %d %s", resp.StatusCode, body)
	}
	if resp, body := b.do("GET", a.srv.SignInURL(), nil); resp.StatusCode != http.StatusOK {
		t.Errorf("sign-in page: %d %s", resp.StatusCode, body)
	}
	resp, body := b.do("POST", a.srv.SignInURL(), url.Values{"user_id": {user}})
	b.follow(resp, body, http.StatusSeeOther)
	resp, body = b.do("GET", handshakeURL(a.srv, "http://localhost:3000/"), nil)
	n, _ := nonceOf(t, b.follow(resp, body, http.StatusTemporaryRedirect), "http://localhost:3000/")
	if _, ok := cookieMap(t, exchange(t, a, n))["__session"]; !ok {
		t.Error("no __session directive")
	}
	if resp, body := b.do("GET", a.srv.SignOutURL(), nil); resp.StatusCode != http.StatusOK {
		t.Errorf("sign-out page: %d %s", resp.StatusCode, body)
	}
	resp, body = b.do("POST", a.srv.SignOutURL(), url.Values{})
	b.follow(resp, body, http.StatusSeeOther)
}
