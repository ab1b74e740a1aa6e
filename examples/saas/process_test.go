package main

import (
	"bufio"
	"context"
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
// (the emulator standing in for Clerk): no local sign-in, sign-in sent to
// the Account Portal, Clerk's browser SDK loaded from the Frontend API
// host and allowed by the Content-Security-Policy, and nothing else.
func TestProductionModeAgainstTheEmulator(t *testing.T) {
	em := emulator.NewServer(t)
	fapi := strings.TrimPrefix(em.Issuer().IssuerURL(), "https://")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *running, 1)
	done := make(chan error, 1)
	env := []string{
		"CLERK_SECRET_KEY=" + em.SecretKey(), "CLERK_PUBLISHABLE_KEY=" + em.PublishableKey(), "CLERK_API_URL=" + em.URL(),
		"CLERK_WEBHOOK_SIGNING_SECRET=" + testSecret, "DATABASE_URL=" + filepath.Join(t.TempDir(), "prod.db"),
		"PUBLIC_URL=http://localhost:8080", "CLERK_AUTHORIZED_PARTIES=http://localhost:8080,",
	}
	go func() {
		done <- run(ctx, options{Addr: "127.0.0.1:0", Environ: env, Out: io.Discard, Ready: ready, HTTPClient: em.HTTPClient()})
	}()
	var r *running
	select {
	case r = <-ready:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(30 * time.Second):
		t.Fatal("the app did not start")
	}
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()
	require.Nil(t, r.Emulator, "no in-process emulator in production mode")
	app := &testApp{running: r}

	resp, html := page(t, app, "/", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	src := "https://" + fapi + "/npm/@clerk/clerk-js@5/dist/clerk.browser.js"
	assert.Contains(t, html, `data-clerk-publishable-key="`+em.PublishableKey()+`" src="`+src+`"`)
	assert.Contains(t, html, `<script defer src="/static/clerk-load.js">`)
	csp := resp.Header.Get("Content-Security-Policy")
	assert.Contains(t, csp, "script-src 'self' https://"+fapi+";")
	assert.Contains(t, csp, "connect-src 'self' https://"+fapi+";")
	assert.Contains(t, csp, "frame-ancestors 'none'")
	assert.NotContains(t, csp, "cdn.jsdelivr.net")

	resp, _ = page(t, app, "/sign-in", "", nil)
	assert.Equal(t, 404, resp.StatusCode, "no demo sign-in page with real Clerk")
	resp, _ = page(t, app, "/sign-in", "", map[string][]string{"user_id": {"user_x"}})
	assert.Equal(t, 404, resp.StatusCode)
	resp, _ = page(t, app, "/dashboard", "", nil)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, accountPortalSignIn(fapi)+"?redirect_url="+url.QueryEscape("http://localhost:8080/dashboard"), resp.Header.Get("Location"))

	// Session tokens verify against the instance (keys from the Backend
	// API); one without the app's azp is refused.
	tok := em.Issuer().Token(clerktest.Claims{UserID: "user_a", AZP: "http://localhost:8080"})
	code, _, _ := call(t, app, "GET", "/api/projects", tok, nil)
	assert.Equal(t, 200, code)
	code, _, _ = call(t, app, "GET", "/api/projects", em.Issuer().Token(clerktest.Claims{UserID: "user_a", AZP: "https://evil.example"}), nil)
	assert.Equal(t, 401, code)
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
