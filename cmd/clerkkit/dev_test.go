package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/internal/testutil"
)

// TestDevPrintsFrontendLines: besides the Backend API lines, dev prints
// CLERK_PROXY_URL (its own URL, where Clerk's SDKs send handshakes) and
// CLERK_SIGN_IN_URL, consistent with the publishable key and issuer.
func TestDevPrintsFrontendLines(t *testing.T) {
	stdout, _ := devRun(t, nil)
	env := waitExports(t, stdout)
	api := env["CLERK_API_URL"]
	require.Regexp(t, `^http://127\.0\.0\.1:\d+$`, api)
	assert.Equal(t, api, env["CLERK_PROXY_URL"])
	assert.Equal(t, api+"/sign-in", env["CLERK_SIGN_IN_URL"])
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, 9, stdout.String())
	assert.Equal(t, []string{
		"# Local Clerk emulator on " + api + ". Export these, then run your service (Ctrl-C or SIGTERM stops the emulator):",
		"export CLERK_SECRET_KEY=" + env["CLERK_SECRET_KEY"],
		"export CLERK_PUBLISHABLE_KEY=" + env["CLERK_PUBLISHABLE_KEY"],
		"export CLERK_API_URL=" + api,
		"export CLERK_JWKS_URL=" + api + "/.well-known/jwks.json",
		"export CLERK_PROXY_URL=" + api,
		"export CLERK_SIGN_IN_URL=" + api + "/sign-in",
		"# Browsers sign in at " + api + "/sign-in?redirect_url=<your page>; the handshake keeps server-rendered pages signed in.",
		"# A session token for a seeded user:  clerkkit token --user user_demo_admin [--org ORG_ID]",
	}, lines)

	// A verifier configured from these lines alone, proxy URL included,
	// expects the iss the emulator's tokens carry.
	host, err := auth.FrontendAPIFromPublishableKey(env["CLERK_PUBLISHABLE_KEY"])
	require.NoError(t, err)
	code, tok, errOut := cli(t, env, "token", "--user", "user_demo_admin")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "https://"+host, payload(t, strings.TrimSpace(tok))["iss"])
}

// payload decodes a JWT's payload.
func payload(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

// TestDevBrowserFlow: with only the printed lines, a browser (a cookie
// jar) signs in at CLERK_SIGN_IN_URL and comes back to a server-rendered
// app through the handshake at CLERK_PROXY_URL, whose nonce the app
// exchanges with CLERK_SECRET_KEY at CLERK_API_URL; the cookie it gets
// verifies with a verifier configured from the same lines. Signing out
// clears it.
func TestDevBrowserFlow(t *testing.T) {
	stdout, _ := devRun(t, nil)
	env := waitExports(t, stdout)
	httpc := &http.Client{Transport: &http.Transport{Proxy: nil}}
	t.Cleanup(httpc.CloseIdleConnections)

	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if n := q.Get("__clerk_handshake_nonce"); n != "" {
			req, _ := http.NewRequest("GET", env["CLERK_API_URL"]+"/v1/clients/handshake_payload?nonce="+url.QueryEscape(n), nil)
			req.Header.Set("Authorization", "Bearer "+env["CLERK_SECRET_KEY"])
			resp, err := httpc.Do(req)
			if err != nil || resp.StatusCode != http.StatusOK {
				http.Error(w, fmt.Sprint("handshake_payload: ", err, resp), http.StatusBadGateway)
				return
			}
			var p struct{ Directives []string }
			json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
			for _, d := range p.Directives {
				w.Header().Add("Set-Cookie", d)
			}
			q.Del("__clerk_handshake_nonce")
			q.Del("__clerk_db_jwt")
			u := *r.URL
			u.RawQuery = q.Encode()
			http.Redirect(w, r, u.String(), http.StatusTemporaryRedirect)
			return
		}
		c, err := r.Cookie("__session")
		if err != nil {
			c = &http.Cookie{}
		}
		uat, err := r.Cookie("__client_uat")
		if err != nil {
			uat = &http.Cookie{}
		}
		fmt.Fprintf(w, "%s %s", c.Value, uat.Value)
	}))
	t.Cleanup(app.Close)
	page := app.URL + "/dashboard"

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	b := &http.Client{Jar: jar, Transport: httpc.Transport}
	get := func(u string) (*http.Response, string) {
		t.Helper()
		resp, err := b.Get(u)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	// The sign-in page, then the post; the client follows every redirect:
	// sign-in → handshake → app with the nonce → app.
	var hops []string
	b.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		hops = append(hops, r.URL.String())
		return nil
	}
	resp, body := get(env["CLERK_SIGN_IN_URL"] + "?redirect_url=" + url.QueryEscape(page))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "user_demo_member")
	resp, err = b.PostForm(env["CLERK_SIGN_IN_URL"], url.Values{"user_id": {"user_demo_member"}, "redirect_url": {page}})
	require.NoError(t, err)
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(out))
	require.Len(t, hops, 3, hops)
	assert.True(t, strings.HasPrefix(hops[0], env["CLERK_PROXY_URL"]+"/v1/client/handshake?"), hops[0])
	assert.Regexp(t, `^`+regexp.QuoteMeta(page)+`\?(.*&)?__clerk_handshake_nonce=`, hops[1])
	assert.Equal(t, page, hops[2])

	tok, uat, _ := strings.Cut(string(out), " ")
	require.NotEmpty(t, tok)
	assert.NotEqual(t, "0", uat)
	v, err := auth.NewVerifier(auth.Config{SecretKey: env["CLERK_SECRET_KEY"], PublishableKey: env["CLERK_PUBLISHABLE_KEY"],
		APIURL: env["CLERK_API_URL"], ProxyURL: env["CLERK_PROXY_URL"], HTTPClient: httpc})
	require.NoError(t, err)
	s, err := v.Verify(t.Context(), tok)
	require.NoError(t, err)
	assert.Equal(t, "user_demo_member", s.UserID)
	assert.Equal(t, app.URL, s.AuthorizedParty)
	assert.Equal(t, 60.0, s.ExpiresAt.Sub(s.IssuedAt).Seconds())

	// Sign out from the app's page: back through the handshake, cookies
	// cleared.
	hops = nil
	req, _ := http.NewRequest("POST", strings.TrimSuffix(env["CLERK_SIGN_IN_URL"], "/sign-in")+"/sign-out",
		strings.NewReader(url.Values{"redirect_url": {page}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", app.URL)
	resp, err = b.Do(req)
	require.NoError(t, err)
	out, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, " 0", string(out), hops)
	_, err = v.Verify(t.Context(), tok) // the token itself lives on until it expires
	assert.NoError(t, err)
}

// TestDevAllowedOrigin: --allowed-origin lets the handshake send browsers
// to an app that is not on loopback; others are refused; a bad origin is
// a usage error.
func TestDevAllowedOrigin(t *testing.T) {
	code, _, errOut := cli(t, nil, "dev", "--addr", "127.0.0.1:0", "--allowed-origin", "app.test")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `--allowed-origin: "app.test": not an origin`)

	stdout, _ := devRun(t, nil, "--allowed-origin", "https://app.test:8443, http://other.test")
	env := waitExports(t, stdout)
	c := &http.Client{Transport: &http.Transport{Proxy: nil}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(c.CloseIdleConnections)
	for target, want := range map[string]int{
		"https://app.test:8443/x": http.StatusTemporaryRedirect, "http://other.test/": http.StatusTemporaryRedirect,
		"http://localhost:3000/": http.StatusTemporaryRedirect, "https://app.test/": http.StatusBadRequest,
		"https://evil.test/": http.StatusBadRequest,
	} {
		resp, err := c.Get(env["CLERK_PROXY_URL"] + "/v1/client/handshake?format=nonce&redirect_url=" + url.QueryEscape(target))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, target)
		if want == http.StatusTemporaryRedirect {
			assert.True(t, strings.HasPrefix(resp.Header.Get("Location"), target), resp.Header.Get("Location"))
		}
	}
}

// TestClerkJSHandshake: Clerk's own authenticateRequest, configured only
// with the lines dev prints (testdata/clerkjs/handshake.mjs), treats the
// emulator as the instance: a first visit hands shake at CLERK_PROXY_URL
// (dev-browser-missing) and comes back signed out; after the hosted
// sign-in the handshake's nonce resolves, through the Backend API, to a
// session Clerk's code accepts; a later visit stays signed in; signing out
// comes back signed out.
func TestClerkJSHandshake(t *testing.T) {
	requireClerkJS(t)
	env := devEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "handshake.mjs")
	cmd.Dir = clerkJSDir
	cmd.Env = append(os.Environ(), "CLERK_TELEMETRY_DISABLED=1")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr := &testutil.SyncBuffer{} // written by exec's goroutine while the test reads it
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cancel(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, stderr.String())
	app := strings.TrimSpace(line) + "/dashboard"

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	var hops []string
	b := &http.Client{Jar: jar, Transport: &http.Transport{Proxy: nil}, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		hops = append(hops, r.URL.String())
		return nil
	}}
	type state struct{ Status, Reason, UserID string }
	decide := func(method, target string, form url.Values, origin string) state {
		t.Helper()
		hops = nil
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequest(method, target, body)
		require.NoError(t, err)
		req.Header.Set("Accept", "text/html")
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := b.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s\nhops %v\nnode: %s", out, hops, stderr.String())
		var s state
		require.NoError(t, json.Unmarshal(out, &s), string(out))
		return s
	}

	s := decide("GET", app, nil, "")
	assert.Equal(t, state{Status: "signed-out", Reason: "session-token-and-uat-missing"}, s, hops)
	require.Len(t, hops, 3, hops) // handshake, back with the nonce, the page without it
	assert.True(t, strings.HasPrefix(hops[0], env["CLERK_PROXY_URL"]+"/v1/client/handshake?"), hops[0])
	assert.Contains(t, hops[1], "__clerk_handshake_nonce=")
	assert.Equal(t, app, hops[2])
	assert.Contains(t, hops[0], "__clerk_hs_reason=dev-browser-missing")

	s = decide("POST", env["CLERK_SIGN_IN_URL"], url.Values{"user_id": {"user_demo_admin"}, "redirect_url": {app}}, "")
	assert.Equal(t, "signed-in", s.Status, hops)
	assert.Equal(t, "user_demo_admin", s.UserID)
	assert.Equal(t, app, hops[len(hops)-1])

	s = decide("GET", app, nil, "")
	assert.Equal(t, state{Status: "signed-in", UserID: "user_demo_admin"}, state{Status: s.Status, UserID: s.UserID})
	assert.Empty(t, hops, "a signed-in visit hands shake")

	s = decide("POST", strings.TrimSuffix(env["CLERK_SIGN_IN_URL"], "/sign-in")+"/sign-out", url.Values{"redirect_url": {app}}, strings.TrimSuffix(app, "/dashboard"))
	assert.Equal(t, "signed-out", s.Status, hops)
}
