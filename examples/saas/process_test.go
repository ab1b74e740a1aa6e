package main

import (
	"bufio"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/internal/testutil"
)

// TestProductionModeAgainstTheEmulator runs the program in production mode
// with Clerk's Account Portal (the emulator standing in for the Backend
// API): sign-in links and redirects go to the Account Portal, no browser
// SDK and no third-party origin in the Content-Security-Policy, and the
// app's own sign-out revokes the session through the Backend API.
func TestProductionModeAgainstTheEmulator(t *testing.T) {
	addr := freeAddr(t)
	base := "http://" + addr
	em := emulator.NewServer(t)
	require.NoError(t, em.Seed(emulator.DemoSeed()))
	fapi := strings.TrimPrefix(em.Issuer().IssuerURL(), "https://")
	env := []string{
		"CLERK_SECRET_KEY=" + em.SecretKey(), "CLERK_PUBLISHABLE_KEY=" + em.PublishableKey(), "CLERK_API_URL=" + em.URL(),
		"CLERK_WEBHOOK_SIGNING_SECRET=" + testSecret, "DATABASE_URL=" + filepath.Join(t.TempDir(), "prod.db"),
		"PUBLIC_URL=" + base, "CLERK_AUTHORIZED_PARTIES=" + base + ",",
	}
	app := startProduction(t, addr, env, nil, em.HTTPClient())
	portal := accountPortalSignIn(fapi)

	resp, html := page(t, app, "/", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.NotContains(t, html, "<script", "no browser SDK")
	assert.Contains(t, html, `href="`+portal+`?redirect_url=`+url.QueryEscape(base+"/dashboard")+`" id="sign-in-link"`)
	csp := resp.Header.Get("Content-Security-Policy")
	assert.Contains(t, csp, "script-src 'self';")
	assert.Contains(t, csp, "connect-src 'self';")
	assert.Contains(t, csp, "frame-ancestors 'none'")
	assert.NotContains(t, csp, "https:")

	resp, _ = page(t, app, "/sign-in", "", nil)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "/sign-in sends browsers to the Account Portal")
	assert.Equal(t, portal+"?redirect_url="+url.QueryEscape(base+"/dashboard"), resp.Header.Get("Location"))
	resp, _ = page(t, app, "/sign-in", "", map[string][]string{"user_id": {"user_x"}})
	assert.Equal(t, 404, resp.StatusCode, "no sign-in form of the app's own")
	resp, _ = page(t, app, "/dashboard", "", nil)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, portal+"?redirect_url="+url.QueryEscape(base+"/dashboard"), resp.Header.Get("Location"))

	// Session tokens verify against the instance (keys from the Backend
	// API); one without the app's azp is refused.
	tok := em.Issuer().Token(clerktest.Claims{UserID: "user_a", AZP: base})
	code, _, _ := call(t, app, "GET", "/api/projects", tok, nil)
	assert.Equal(t, 200, code)
	code, _, _ = call(t, app, "GET", "/api/projects", em.Issuer().Token(clerktest.Claims{UserID: "user_a", AZP: "https://evil.example"}), nil)
	assert.Equal(t, 401, code)

	// A browser signed in at Clerk (here the emulator's page, with the
	// handshake straight back) signs out with the app's button: the
	// session is revoked at Clerk and the cookies are cleared.
	b := newBrowser(t)
	at, body := b.do("POST", em.SignInURL(), url.Values{"user_id": {"user_demo_admin"}, "redirect_url": {base + "/dashboard"}})
	require.Equal(t, base+"/dashboard", at, body)
	require.Contains(t, body, `<form method="post" action="/sign-out" id="sign-out">`)
	at, body = b.do("POST", base+"/sign-out", url.Values{})
	assert.Equal(t, base+"/", at)
	assert.Contains(t, body, `id="sign-in-link"`)
	assert.Equal(t, int64(1), em.Calls("POST /v1/sessions/{session_id}/revoke"))
	assert.Empty(t, b.cookie(base, "__session"))
	// Back at Clerk's sign-in page, nobody is signed in any more.
	_, body = b.get(em.SignInURL())
	assert.NotContains(t, body, "Signed in as")
}

// TestSIGTERMShutsDownAndCleansUp builds the program, runs it in local
// mode, sends SIGTERM and checks that it exits 0 and leaves nothing in its
// temporary directory.
func TestSIGTERMShutsDownAndCleansUp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "saas")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())

	tmp := t.TempDir()
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + tmp, "TMPDIR=" + tmp}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr := &testutil.SyncBuffer{}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()

	base := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`^saas example on (http://\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				base <- m[1]
			}
		}
	}()
	var addr string
	select {
	case addr = <-base:
	case <-time.After(60 * time.Second):
		t.Fatalf("no start-up line; stderr: %s", stderr.String())
	}
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Len(t, entries, 1, "local mode's temporary directory")
	resp, err := http.Get(addr + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		require.NoError(t, err, "exit status after SIGTERM; stderr: %s", stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	assert.Contains(t, stderr.String(), "shutting down")
	entries, err = os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, entries, "the temporary database is removed")
	_, err = http.Get(addr + "/")
	assert.Error(t, err, "the port is closed")
}

// TestAgainstClerkkitDev builds the program and cmd/clerkkit, runs
// `clerkkit dev` and the program configured only by the lines it prints
// (plus DATABASE_URL and PUBLIC_URL), and signs in as a browser would with
// plain net/http: the app sends it to the hosted sign-in page, the choice
// of a user comes back through the handshake; once the 60 s session token
// has expired (real time: this test waits), the next navigation hands
// shake and stays signed in; the hosted sign-out page signs out.
func TestAgainstClerkkitDev(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries and waits for a session token to expire")
	}
	t.Parallel()
	dir := t.TempDir()
	for pkg, out := range map[string]string{".": "saas", "github.com/clerkkit/clerkkit/cmd/clerkkit": "clerkkit"} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, out), pkg)
		build.Stderr = os.Stderr
		require.NoError(t, build.Run(), pkg)
	}
	addr := freeAddr(t)
	app := "http://" + addr
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TMPDIR=" + dir}

	dev := exec.Command(filepath.Join(dir, "clerkkit"), "dev", "--addr", "127.0.0.1:0", "--webhook-url", app+"/api/webhooks/clerk")
	dev.Env = base
	devOut, err := dev.StdoutPipe()
	require.NoError(t, err)
	devErr := &testutil.SyncBuffer{}
	dev.Stderr = devErr
	require.NoError(t, dev.Start())
	t.Cleanup(func() { dev.Process.Signal(syscall.SIGTERM); dev.Wait() })
	lines := make(chan []string, 1)
	go func() {
		var exports []string
		sc := bufio.NewScanner(devOut)
		for sc.Scan() {
			if kv, ok := strings.CutPrefix(sc.Text(), "export "); ok {
				exports = append(exports, kv)
			}
			if strings.HasPrefix(sc.Text(), "# A session token") {
				lines <- exports
			}
		}
		io.Copy(io.Discard, devOut)
	}()
	var exports []string
	select {
	case exports = <-lines:
	case <-time.After(60 * time.Second):
		t.Fatalf("clerkkit dev printed no lines; stderr: %s", devErr.String())
	}
	env := map[string]string{}
	for _, kv := range exports {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for _, k := range []string{"CLERK_SECRET_KEY", "CLERK_PUBLISHABLE_KEY", "CLERK_API_URL", "CLERK_JWKS_URL", "CLERK_PROXY_URL", "CLERK_SIGN_IN_URL", "CLERK_WEBHOOK_SIGNING_SECRET"} {
		require.NotEmpty(t, env[k], "clerkkit dev prints %s", k)
	}

	saas := exec.Command(filepath.Join(dir, "saas"), "-addr", addr)
	saas.Env = append(append(base, exports...), "DATABASE_URL="+filepath.Join(dir, "saas.db"), "PUBLIC_URL="+app)
	saasErr := &testutil.SyncBuffer{}
	saas.Stderr = saasErr
	require.NoError(t, saas.Start())
	t.Cleanup(func() { saas.Process.Signal(syscall.SIGTERM); saas.Wait() })
	b := newBrowser(t)
	require.Eventually(t, func() bool {
		resp, err := http.Get(app + "/")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	}, 60*time.Second, 50*time.Millisecond, "the app serves; stderr: %s", saasErr)
	// The demo seed arrives through the webhooks (retried until the app is up).
	require.Eventually(t, func() bool {
		_, page := b.get(env["CLERK_SIGN_IN_URL"] + "?redirect_url=" + url.QueryEscape(app+"/dashboard"))
		return strings.Contains(page, "user_demo_admin") && strings.Contains(devErr.String(), "organizationMembership.created -> 200")
	}, 60*time.Second, 200*time.Millisecond, "webhooks delivered; clerkkit dev's stderr: %s", devErr)

	var exp float64
	hostedFlow(t, b, app, env["CLERK_SIGN_IN_URL"], env["CLERK_PROXY_URL"], "user_demo_admin", "Ada Admin",
		func() {
			exp = claims(t, b.cookie(app, "__session"))["exp"].(float64)
			// Past exp and the verifier's 5 s clock skew.
			time.Sleep(time.Until(time.Unix(int64(exp), 0).Add(6 * time.Second)))
		},
		nil) // the redirects show the handshakes: no call counts of another process

	assert.NotZero(t, exp)
}
