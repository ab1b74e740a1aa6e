package main

import (
	"context"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/users"
)

// browser is a cookie-keeping HTTP client whose requests look like page
// navigations (Accept: text/html, Sec-Fetch-Dest: document), as a
// browser's do; it follows redirects and records them.
type browser struct {
	t      *testing.T
	c      *http.Client
	jar    *cookiejar.Jar
	hops   []string // the URLs redirected to by the last request
	status int
}

type navigation struct{ next http.RoundTripper }

func (n navigation) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept", "text/html,application/xhtml+xml")
	r.Header.Set("Sec-Fetch-Dest", "document")
	return n.next.RoundTrip(r)
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	tr := &http.Transport{Proxy: nil}
	t.Cleanup(tr.CloseIdleConnections)
	b := &browser{t: t, jar: jar}
	b.c = &http.Client{Jar: jar, Transport: navigation{tr}, Timeout: 30 * time.Second,
		CheckRedirect: func(r *http.Request, via []*http.Request) error {
			b.hops = append(b.hops, r.URL.String())
			if len(via) > 10 {
				return http.ErrUseLastResponse
			}
			return nil
		}}
	return b
}

// do sends a request and follows its redirects; it returns the final URL
// and body.
func (b *browser) do(method, u string, form url.Values) (string, string) {
	b.t.Helper()
	b.hops = nil
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(b.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	b.status = resp.StatusCode
	return resp.Request.URL.String(), string(raw)
}

func (b *browser) get(u string) (string, string) { b.t.Helper(); return b.do("GET", u, nil) }

// cookie returns the value of the cookie name the jar holds for u.
func (b *browser) cookie(u, name string) string {
	pu, err := url.Parse(u)
	require.NoError(b.t, err)
	for _, c := range b.jar.Cookies(pu) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// signOutLink returns the href of the page's sign-out link.
func signOutLink(t *testing.T, page string) string {
	t.Helper()
	m := regexp.MustCompile(`<a href="([^"]*)" id="sign-out">`).FindStringSubmatch(page)
	require.Len(t, m, 2, "a sign-out link: %s", page)
	return html.UnescapeString(m[1])
}

// signInLink returns the href of the header's sign-in link.
func signInLink(t *testing.T, page string) string {
	t.Helper()
	m := regexp.MustCompile(`<a href="([^"]*)" id="sign-in-link">`).FindStringSubmatch(page)
	require.Len(t, m, 2, "a sign-in link: %s", page)
	return html.UnescapeString(m[1])
}

// hostedFlow is what every hosted sign-in test checks, against an app at
// app whose sign-in page is signIn and whose Frontend API is fapi: a
// signed-out visit to the dashboard lands on the hosted sign-in page with
// a redirect_url back; choosing userID there signs in through the
// handshake; after expire (which makes the session token older than its
// 60 s and the verifier's 5 s clock skew), the next navigation is a handshake that keeps the user signed
// in with a new __session; the hosted sign-out page signs out, and the app
// is signed out on the next navigation. handshakes, when not nil, reports
// how many handshake nonces the app has exchanged.
func hostedFlow(t *testing.T, b *browser, app, signIn, fapi, userID, name string, expire func(), handshakes func() int64) {
	t.Helper()
	// Signed out: to the hosted page, with the way back.
	at, page := b.get(app + "/dashboard")
	require.Equal(t, 200, b.status, page)
	require.Equal(t, signIn+"?redirect_url="+url.QueryEscape(app+"/dashboard"), at)
	assert.Contains(t, page, `name="user_id" value="`+userID+`"`)

	// Choosing the user: sign-in → the handshake → the app with the nonce
	// → the clean URL.
	count := func() int64 {
		if handshakes == nil {
			return 0
		}
		return handshakes()
	}
	before := count()
	at, page = b.do("POST", signIn, url.Values{"user_id": {userID}, "redirect_url": {app + "/dashboard"}})
	require.Equal(t, 200, b.status, page)
	require.Equal(t, app+"/dashboard", at)
	require.Len(t, b.hops, 3, b.hops)
	assert.True(t, strings.HasPrefix(b.hops[0], fapi+"/v1/client/handshake?"), b.hops[0])
	assert.Contains(t, b.hops[1], auth.HandshakeNonceParam+"=")
	assert.Contains(t, page, `id="user-name">`+name)
	if handshakes != nil {
		assert.Equal(t, before+1, count())
	}
	first := b.cookie(app, "__session")
	require.NotEmpty(t, first)
	assert.NotEmpty(t, b.cookie(app, auth.DevBrowserCookie), "a development instance's dev browser")

	// Within the token's lifetime: no handshake.
	at, page = b.get(app + "/dashboard")
	require.Equal(t, app+"/dashboard", at)
	assert.Empty(t, b.hops)
	assert.Contains(t, page, `id="user-name">`+name)

	// The token expires; the next navigation hands shake and stays signed in.
	expire()
	at, page = b.get(app + "/orgs/org_demo_acme")
	require.Equal(t, 200, b.status, page)
	require.Equal(t, app+"/orgs/org_demo_acme", at)
	require.Len(t, b.hops, 3, "app → handshake → app with the nonce → clean URL: %v", b.hops)
	assert.True(t, strings.HasPrefix(b.hops[0], fapi+"/v1/client/handshake?"), b.hops[0])
	assert.Contains(t, page, "Acme Inc")
	if handshakes != nil {
		assert.Equal(t, before+2, count(), "one more nonce exchanged")
	}
	second := b.cookie(app, "__session")
	assert.NotEqual(t, first, second, "a fresh session token")
	assert.Greater(t, claims(t, second)["iat"], claims(t, first)["iat"])

	// Sign out at the hosted page: it comes back through the handshake,
	// which clears the app's cookies.
	out := signOutLink(t, page)
	require.True(t, strings.HasPrefix(out, fapi+"/sign-out?redirect_url="), out)
	at, page = b.get(out)
	require.Equal(t, 200, b.status, page)
	assert.Contains(t, page, "Signed in as <strong>"+name)
	u, _ := url.Parse(out)
	at, page = b.do("POST", fapi+"/sign-out", url.Values{"redirect_url": {u.Query().Get("redirect_url")}})
	require.Equal(t, 200, b.status, page)
	require.Equal(t, app+"/", at)
	assert.Contains(t, page, `id="sign-in-link"`, "signed out at the app")
	assert.Empty(t, b.cookie(app, "__session"))
	assert.Equal(t, "0", b.cookie(app, auth.ClientUATCookie))

	// The next navigation: signed out, to the sign-in page.
	at, _ = b.get(app + "/dashboard")
	assert.Equal(t, signIn+"?redirect_url="+url.QueryEscape(app+"/dashboard"), at)
}

// freeAddr returns a free loopback address, for an app whose URL must be
// known before it starts (its webhook endpoint, PUBLIC_URL).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startProduction runs the program in production mode with env, and
// returns it once it serves.
func startProduction(t *testing.T, addr string, env []string, clock *clerktest.Clock, httpc *http.Client) *testApp {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *running, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, options{Addr: addr, Environ: env, Out: io.Discard, Ready: ready, HTTPClient: httpc, Clock: clock})
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
		assert.NoError(t, <-done)
	})
	require.Nil(t, r.Emulator, "no in-process emulator in production mode")
	return &testApp{running: r, Clock: clock}
}

// devLines are the variables `clerkkit dev` prints for em (see
// cmd/clerkkit/dev.go and TestDevPrintsFrontendLines), with the webhook
// secret it prints with --webhook-url.
func devLines(em *emulator.Server, secret string) []string {
	return []string{
		"CLERK_SECRET_KEY=" + em.SecretKey(),
		"CLERK_PUBLISHABLE_KEY=" + em.PublishableKey(),
		"CLERK_API_URL=" + em.URL(),
		"CLERK_JWKS_URL=" + em.URL() + "/.well-known/jwks.json",
		"CLERK_PROXY_URL=" + em.FrontendAPIURL(),
		"CLERK_SIGN_IN_URL=" + em.SignInURL(),
		"CLERK_WEBHOOK_SIGNING_SECRET=" + secret,
	}
}

// TestHostedSignInWithDevLines: the program configured only by the lines
// `clerkkit dev` prints (plus its own DATABASE_URL and PUBLIC_URL) signs
// in through the emulator's hosted page, stays signed in across the
// token's expiry by the handshake, and signs out at the hosted sign-out
// page. The emulator's clock is moved, no sleep.
func TestHostedSignInWithDevLines(t *testing.T) {
	addr := freeAddr(t)
	app := "http://" + addr
	clock := clerktest.RealClock()
	em := emulator.NewServer(t, emulator.Options{Clock: clock,
		Webhooks: []emulator.WebhookEndpoint{{URL: app + "/api/webhooks/clerk", Secret: testSecret}}})
	env := append(devLines(em, testSecret), "DATABASE_URL="+filepath.Join(t.TempDir(), "saas.db"), "PUBLIC_URL="+app)
	r := startProduction(t, addr, env, clock, em.HTTPClient())
	require.NoError(t, em.Seed(emulator.DemoSeed()))
	r.Emulator = em
	delivered(t, r)
	r.Emulator = nil

	b := newBrowser(t)
	hostedFlow(t, b, app, em.SignInURL(), em.FrontendAPIURL(), "user_demo_admin", "Ada Admin",
		func() { clock.Advance(70 * time.Second) },
		func() int64 { return em.Calls("GET /v1/clients/handshake_payload") })
	assert.Zero(t, em.Calls("POST /v1/sessions/{session_id}/revoke"), "signed out at the emulator, not through the Backend API")
}

// TestLocalModeHostedSignIn: local mode runs the same flow in-process:
// the in-process emulator's hosted sign-in page, the handshake, its
// hosted sign-out page.
func TestLocalModeHostedSignIn(t *testing.T) {
	r := start(t, "", nil)
	b := newBrowser(t)
	_, home := b.get(r.URL + "/")
	assert.Equal(t, r.Emulator.SignInURL()+"?redirect_url="+url.QueryEscape(r.URL+"/dashboard"), signInLink(t, home))
	assert.Contains(t, r.Out.String(), "choose a demo user on the emulator's sign-in page ("+r.Emulator.SignInURL()+")")
	// The hosted page lets browsers post its forms (Origin is sent: not
	// no-referrer) and follow their redirects back to the app (form-action).
	resp, err := http.Get(r.Emulator.SignInURL() + "?redirect_url=" + url.QueryEscape(r.URL+"/dashboard"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "same-origin", resp.Header.Get("Referrer-Policy"))
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "form-action 'self' "+r.URL+";")
	hostedFlow(t, b, r.URL, r.Emulator.SignInURL(), r.Emulator.FrontendAPIURL(), "user_demo_member", "Max Member",
		func() { r.Clock.Advance(70 * time.Second) },
		func() int64 { return r.Emulator.Calls("GET /v1/clients/handshake_payload") })

	// Signing in with an email address and password works the same way
	// for a user that has one.
	_, err = r.Clerk.Users.Create(context.Background(), users.CreateParams{EmailAddresses: []string{"pat@example.com"},
		FirstName: "Pat", LastName: "Password", Password: "correct horse battery"})
	require.NoError(t, err)
	at, page := b.do("POST", r.Emulator.SignInURL(), url.Values{"email": {"pat@example.com"}, "password": {"correct horse battery"},
		"redirect_url": {r.URL + "/dashboard"}})
	require.Equal(t, 200, b.status, page)
	assert.Equal(t, r.URL+"/dashboard", at)
	assert.Contains(t, page, `id="user-name">Pat Password`)

	// "Make active" goes through the handshake with organization_id and
	// comes back with a token for that organization.
	b2 := newBrowser(t)
	b2.do("POST", r.Emulator.SignInURL(), url.Values{"user_id": {"user_demo_admin"}, "redirect_url": {r.URL + "/dashboard"}})
	_, page = b2.get(r.URL + "/dashboard")
	m := regexp.MustCompile(`<a href="([^"]*)" class="activate">`).FindAllStringSubmatch(page, -1)
	require.NotEmpty(t, m, page)
	link := html.UnescapeString(m[0][1])
	require.Contains(t, link, "organization_id=org_demo_acme")
	at, page = b2.get(link)
	require.Equal(t, 200, b2.status, page)
	assert.Equal(t, r.URL+"/dashboard", at)
	assert.Regexp(t, `Acme Inc</a> <span class="badge">active</span>`, page)
	assert.Contains(t, page, `href="/orgs/org_demo_acme/members"`, "the header's links to the active organization")
}

// TestExpiredFormPostGoesBackThroughTheHandshake: a form posted more than
// 60 s after its page loaded carries an expired token, and a POST never
// gets a handshake: the app sends the browser back to the page (a GET,
// which hands shake) with a notice to post again, instead of a sign-in
// error; posted again, it works.
func TestExpiredFormPostGoesBackThroughTheHandshake(t *testing.T) {
	r := start(t, "", nil)
	b := newBrowser(t)
	at, _ := b.do("POST", r.Emulator.SignInURL(), url.Values{"user_id": {"user_demo_admin"}, "redirect_url": {r.URL + "/orgs/org_demo_acme"}})
	require.Equal(t, r.URL+"/orgs/org_demo_acme", at)
	r.Clock.Advance(70 * time.Second)

	post := func(referer string) (string, string) {
		t.Helper()
		b.hops = nil
		req, err := http.NewRequest("POST", r.URL+"/orgs/org_demo_acme/projects", strings.NewReader(url.Values{"title": {"Late"}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Referer", referer)
		resp, err := b.c.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		b.status = resp.StatusCode
		return resp.Request.URL.String(), string(raw)
	}
	at, page := post(r.URL + "/orgs/org_demo_acme?notice=project-created")
	require.Equal(t, 200, b.status, page)
	assert.Equal(t, r.URL+"/orgs/org_demo_acme?notice=session-expired", at, "back to the page, through the handshake: %v", b.hops)
	assert.Contains(t, page, `id="notice">Not sent: your session had to be refreshed first.`)
	require.NotEmpty(t, b.hops)
	assert.True(t, strings.HasPrefix(b.hops[1], r.Emulator.FrontendAPIURL()+"/v1/client/handshake?"), b.hops)
	projects := func() int {
		ps, err := r.Store.ListProjects(context.Background(), "user_demo_admin", "org_demo_acme")
		require.NoError(t, err)
		return len(ps)
	}
	assert.Zero(t, projects(), "nothing was created")

	at, page = post(r.URL + "/orgs/org_demo_acme")
	assert.Equal(t, r.URL+"/orgs/org_demo_acme?notice=project-created", at, page)
	assert.Equal(t, 1, projects())

	// A Referer elsewhere is not followed: the dashboard.
	r.Clock.Advance(70 * time.Second)
	at, _ = post("https://evil.example/orgs/org_demo_acme")
	assert.Equal(t, r.URL+"/dashboard?notice=session-expired", at)
}
